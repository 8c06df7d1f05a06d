// The alert machine's `check` actor for real: the definition's kind runs against this host,
// with the configurations dictionary of its cluster for `{{site/key}}` placeholders (built as
// the original's ConfigurationBuilder.get_configuration builds it, once per cache change, not
// once per check), and the result is the record /reports/alerts_status takes.
import { fromPromise, type AnyActorRef } from 'xstate';
import type { AgentCaches } from '../../caches/index.js';
import { getOwn } from '../../caches/json.js';
import { intervalMinutes, type CheckInput, type CheckOutput } from '../../machines/alert.js';
import { isPlainObject } from '../../util/plainObject.js';
import { commandCachesOf, commandDefaults, type AgentFacts } from '../commands/commandJson.js';
import type { AlertCheckContext, AlertDefinition, AlertKind, AlertResult } from './alertTypes.js';
import { collectAlert } from './collectAlert.js';

export interface AlertCheckOptions {
  caches: Pick<AgentCaches, 'get' | 'onChange'>;
  /** The kind of a source type; `system` reaches other actors (RECOVERY reads the recovery actor's counts). */
  kindOf: (type: string, system: { get(id: string): AnyActorRef | undefined }) => AlertKind | undefined;
  agentFacts: () => AgentFacts;
}

/** The configurations dictionaries per cluster, rebuilt only after a cache changed. */
export function configurationsByCluster(caches: AlertCheckOptions['caches'], agentFacts: () => AgentFacts): (clusterId: string) => AlertCheckContext['configurations'] {
  const built = new Map<string, AlertCheckContext['configurations']>();
  caches.onChange(() => built.clear());
  return (clusterId) => {
    let dictionary = built.get(clusterId);
    if (!dictionary) {
      try {
        dictionary = commandDefaults({ clusterId }, commandCachesOf(caches), agentFacts());
      } catch {
        // A cluster the caches do not hold (yet): placeholders resolve to nothing.
        dictionary = {};
      }
      built.set(clusterId, dictionary);
    }
    return dictionary;
  };
}

/**
 * Checks at once, at most: every 1-minute alert is due on the same tick, and thousands of
 * sockets or Python processes at once would starve the agent (the original runs 3 at a time).
 */
export const MAX_CONCURRENT_CHECKS = 32;
/** SCRIPT and Python value expressions start an interpreter each. */
export const MAX_CONCURRENT_SCRIPTS = 4;
/** The longest a check may take, whatever its own timeouts say (a server trickling bytes defeats those). */
export const MAX_CHECK_MS = 5 * 60_000;

/** The deadline of one check: its interval in minutes (at least 1), at most MAX_CHECK_MS. */
export function checkDeadlineMs(definition: { interval?: unknown }): number {
  return Math.min(intervalMinutes(definition) * 60_000, MAX_CHECK_MS);
}

/** A counting semaphore: `run` waits for a free slot. */
export function limiter(slots: number) {
  let free = slots;
  const waiting: Array<() => void> = [];
  return async <T>(work: () => Promise<T>): Promise<T> => {
    if (free > 0) free--;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else free++;
    }
  };
}

/** Runs the check with a deadline: past it the check is aborted and the result is UNKNOWN. */
export async function withDeadline(definition: AlertDefinition, context: AlertCheckContext, deadlineMs: number, run: (context: AlertCheckContext) => Promise<AlertResult>): Promise<AlertResult> {
  const deadline = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<AlertResult>((resolve) => {
    timer = setTimeout(() => {
      deadline.abort();
      resolve({ name: definition.name, clusterId: context.clusterId, timestamp: Date.now(), definitionId: definition.definitionId, state: 'UNKNOWN', text: `The check did not finish within ${deadlineMs / 1000} s` });
    }, deadlineMs);
  });
  try {
    return await Promise.race([run({ ...context, signal: AbortSignal.any([context.signal, deadline.signal]) }), late]);
  } finally {
    clearTimeout(timer);
  }
}

export function createAlertCheck({ caches, kindOf, agentFacts }: AlertCheckOptions) {
  const configurationsOf = configurationsByCluster(caches, agentFacts);
  const anyCheck = limiter(MAX_CONCURRENT_CHECKS);
  const scriptCheck = limiter(MAX_CONCURRENT_SCRIPTS);
  return fromPromise<CheckOutput, CheckInput>(async ({ input, signal, system }) => {
    const { definition, clusterId } = input;
    const kind = kindOf(definition.source.type, system);
    if (!kind) throw new Error(`no check for alerts of type ${definition.source.type}`);
    const facts = agentFacts();
    // AlertCluster.hostName is the server's name of this host; the agent's own is the fallback.
    const cluster = caches.get('alert_definitions').clusters[clusterId];
    const named = isPlainObject(cluster) ? getOwn(cluster, 'hostName') : undefined;
    const hostName = typeof named === 'string' && named !== '' ? named : facts.hostname;
    const context: AlertCheckContext = {
      hostName,
      publicHostName: facts.publicHostname || hostName,
      clusterId: String(definition.clusterId ?? clusterId),
      configurations: configurationsOf(clusterId),
      signal,
    };
    const started = Date.now();
    // Scripts wait for a script slot only: holding a general one meanwhile would starve the rest.
    const slot = definition.source.type === 'SCRIPT' ? scriptCheck : anyCheck;
    const result = await slot(() => (signal.aborted ? Promise.reject(new Error('The check was cancelled')) : withDeadline(definition, context, checkDeadlineMs(definition), (ctx) => collectAlert(kind, definition, ctx))));
    return { result, durationMs: Date.now() - started };
  });
}
