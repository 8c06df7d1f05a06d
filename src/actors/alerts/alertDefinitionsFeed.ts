// What the alert scheduler runs, from the alert definitions cache (AlertSchedulerHandler's
// __load_definitions): every definition of every cluster entry, less the disabled ones and
// those of a kind this agent does not run (AGGREGATE and SERVER are the server's own). The
// server sends a host only the definitions that apply to it (AlertDefinitionHash), so there is
// no filter by component here. The feed sends the list at start (the cache persisted on disk)
// and after every change of the cache.
import { fromCallback, type EventObject } from 'xstate';
import type { AgentCaches } from '../../caches/index.js';
import { getOwn, ownArray } from '../../caches/json.js';
import type { LogFn } from '../../logging/logger.js';
import { intervalMs } from '../../machines/alert.js';
import type { AlertSchedulerEvent, ScheduledDefinition } from '../../machines/alertScheduler.js';
import { isPlainObject } from '../../util/plainObject.js';
import type { AlertDefinition } from './alertTypes.js';

const ACTOR = 'alerts';

/** Why a definition of the cache is not scheduled, or undefined when it is. */
export function unschedulable(definition: unknown, runs: (type: string) => boolean): string | undefined {
  if (!isPlainObject(definition)) return 'not an object';
  const source = getOwn(definition, 'source');
  if (typeof getOwn(definition, 'definitionId') !== 'number') return 'no numeric definitionId';
  if (typeof getOwn(definition, 'name') !== 'string') return 'no name';
  if (!isPlainObject(source) || typeof getOwn(source, 'type') !== 'string') return 'no source type';
  // AlertDefinition.enabled defaults to true on the server; only an explicit false disables.
  if (getOwn(definition, 'enabled') === false) return 'disabled';
  if (!runs(getOwn(source, 'type') as string)) return `of type ${String(getOwn(source, 'type'))}, which the agent does not run`;
  return undefined;
}

export function schedulableDefinitions(clusters: Record<string, unknown>, runs: (type: string) => boolean, unitMs = 60_000): ScheduledDefinition[] {
  const scheduled: ScheduledDefinition[] = [];
  for (const [clusterId, cluster] of Object.entries(clusters)) {
    for (const definition of ownArray(cluster, 'alertDefinitions') ?? []) {
      if (unschedulable(definition, runs) === undefined) scheduled.push({ clusterId, definition: definition as AlertDefinition, intervalMs: intervalMs(definition as AlertDefinition, unitMs) });
    }
  }
  return scheduled;
}

/** The ids of every definition of the cache. */
export function definitionIdsOf(clusters: Record<string, unknown>): Set<number> {
  const ids = new Set<number>();
  for (const cluster of Object.values(clusters)) {
    for (const definition of ownArray(cluster, 'alertDefinitions') ?? []) {
      const id = isPlainObject(definition) ? getOwn(definition, 'definitionId') : undefined;
      if (typeof id === 'number') ids.add(id);
    }
  }
  return ids;
}

export interface AlertDefinitionsFeedOptions {
  caches: Pick<AgentCaches, 'get' | 'hash' | 'onChange'>;
  runs: (type: string) => boolean;
  /** What an interval of 1 is ([agent] alert_interval_unit_seconds; a minute by default). */
  unitMs?: number;
  /** After every change of the definitions cache other than a whole new one (CREATE). */
  onDefinitionsEdited?: () => void;
  /** Every time the list is sent: the ids of every definition in the cache (disabled ones too). */
  onDefinitionIds?: (ids: Set<number>) => void;
  log: LogFn;
}

export function createAlertDefinitionsFeed({ caches, runs, unitMs, onDefinitionsEdited, onDefinitionIds, log }: AlertDefinitionsFeedOptions) {
  return fromCallback<EventObject>(({ sendBack }) => {
    const send = () => {
      const { clusters } = caches.get('alert_definitions');
      const definitions = schedulableDefinitions(clusters, runs, unitMs);
      log(ACTOR, 'debug', `${definitions.length} schedulable alert definition(s) in the cache`);
      onDefinitionIds?.(definitionIdsOf(clusters));
      sendBack({ type: 'DEFINITIONS', definitions } satisfies AlertSchedulerEvent);
    };
    // An empty cache that was never synced: nothing to schedule until the server speaks.
    if (caches.hash('alert_definitions') !== null || Object.keys(caches.get('alert_definitions').clusters).length > 0) send();
    return caches.onChange(({ cache, kind }) => {
      if (cache !== 'alert_definitions') return;
      if (kind !== 'replaced') onDefinitionsEdited?.();
      send();
    });
  });
}
