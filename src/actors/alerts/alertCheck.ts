// The alert machine's `check` actor for real: the definition's kind runs against this host,
// with the configurations dictionary of its cluster for `{{site/key}}` placeholders (built as
// the original's ConfigurationBuilder.get_configuration builds it, once per cache change, not
// once per check), and the result is the record /reports/alerts_status takes.
import { fromPromise, type AnyActorRef } from 'xstate';
import type { AgentCaches } from '../../caches/index.js';
import { getOwn } from '../../caches/json.js';
import type { CheckInput } from '../../machines/alert.js';
import { isPlainObject } from '../../util/plainObject.js';
import { commandCachesOf, commandDefaults, type AgentFacts } from '../commands/commandJson.js';
import type { AlertCheckContext, AlertKind, AlertResult } from './alertTypes.js';
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

export function createAlertCheck({ caches, kindOf, agentFacts }: AlertCheckOptions) {
  const configurationsOf = configurationsByCluster(caches, agentFacts);
  return fromPromise<AlertResult, CheckInput>(async ({ input, signal, system }) => {
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
    return collectAlert(kind, definition, context);
  });
}
