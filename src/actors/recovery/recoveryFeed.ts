// What the recovery actor is fed from outside the machines: cluster-env and host level params
// from the caches (at start and on every change, first cluster only, as the original), and the
// component status reporter's status changes (STATUS checks only). The status reporter lives
// per session, the recovery actor across sessions: StatusChanges links the two.
import { fromCallback, type EventObject } from 'xstate';
import type { AgentCaches, CacheName } from '../../caches/index.js';
import { getOwn } from '../../caches/json.js';
import { isPlainObject } from '../../util/plainObject.js';
import type { ComponentStatusEntry } from '../reporters/componentStatusReporter.js';
import type { RecoveryEvent } from '../../machines/recovery.js';

type StatusListener = (entry: ComponentStatusEntry) => void;

/** Status changes from whichever status reporter runs, to whoever listens. */
export class StatusChanges {
  private readonly listeners = new Set<StatusListener>();

  emit(entry: ComponentStatusEntry): void {
    for (const listener of this.listeners) listener(entry);
  }

  on(listener: StatusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** The first real cluster of a cache (RecoveryManager handles one cluster only). */
function firstCluster(clusters: Record<string, unknown>): [string, unknown] | undefined {
  const id = Object.keys(clusters).find((key) => key !== '-1');
  return id === undefined ? undefined : [id, getOwn(clusters, id)];
}

/** The config event a cache's content gives, if the cache is one recovery reads. */
export function configEvent(caches: Pick<AgentCaches, 'get'>, name: CacheName): RecoveryEvent | undefined {
  if (name !== 'configurations' && name !== 'host_level_params') return undefined;
  const first = firstCluster(caches.get(name).clusters);
  if (!first) return undefined;
  const [clusterId, entry] = first;
  if (name === 'configurations') {
    const configurations = isPlainObject(entry) ? getOwn(entry, 'configurations') : undefined;
    const clusterEnv = isPlainObject(configurations) ? getOwn(configurations, 'cluster-env') : undefined;
    return { type: 'CONFIG.CLUSTER_ENV', clusterId, clusterEnv };
  }
  return { type: 'CONFIG.HOST_LEVEL_PARAMS', clusterId, hostLevelParams: entry };
}

export function createRecoveryFeed(options: { caches: Pick<AgentCaches, 'get' | 'onChange'>; statusChanges: StatusChanges }) {
  const { caches, statusChanges } = options;
  return fromCallback<EventObject>(({ sendBack }) => {
    for (const name of ['configurations', 'host_level_params'] as const) {
      const event = configEvent(caches, name);
      if (event) sendBack(event);
    }
    const offCaches = caches.onChange(({ cache }) => {
      const event = configEvent(caches, cache);
      if (event) sendBack(event);
    });
    const offStatuses = statusChanges.on((entry) => {
      if (entry.command === 'STATUS') sendBack({ type: 'COMPONENT.STATUS', componentName: entry.componentName, status: entry.status } satisfies RecoveryEvent);
    });
    return () => {
      offCaches();
      offStatuses();
    };
  });
}
