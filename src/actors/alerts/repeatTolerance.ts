// How many times an unchanged non-OK alert result is sent again in changes-only mode
// (AlertStatusReporter.get_changed_alerts): the definition's repeat_tolerance when its
// repeat_tolerance_enabled is true, else the cluster's cluster-env alerts_repeat_tolerance,
// else 1 (the stack default). A result whose definition the cache no longer holds has none:
// it is not sent (the original warns and drops it). Indexed once per cache change, so a batch
// of thousands of results costs one lookup each.
import type { AgentCaches } from '../../caches/index.js';
import { getOwn, ownArray, ownObject } from '../../caches/json.js';
import { isPlainObject } from '../../util/plainObject.js';
import type { AlertResult } from './alertTypes.js';

const DEFAULT_TOLERANCE = 1;

/** definitionId -> its tolerance, for every definition of the alert definitions cache. */
export function repeatTolerances(caches: Pick<AgentCaches, 'get'>): Map<number, number> {
  const tolerances = new Map<number, number>();
  for (const [clusterKey, cluster] of Object.entries(caches.get('alert_definitions').clusters)) {
    const clusterEnv = ownObject(ownObject(caches.get('configurations').clusters[clusterKey], 'configurations'), 'cluster-env');
    const clusterTolerance = toCount(clusterEnv ? getOwn(clusterEnv, 'alerts_repeat_tolerance') : undefined);
    for (const definition of ownArray(cluster, 'alertDefinitions') ?? []) {
      if (!isPlainObject(definition) || typeof getOwn(definition, 'definitionId') !== 'number') continue;
      const own = getOwn(definition, 'repeat_tolerance_enabled') === true ? toCount(getOwn(definition, 'repeat_tolerance')) : clusterTolerance;
      tolerances.set(getOwn(definition, 'definitionId') as number, own);
    }
  }
  return tolerances;
}

/** The tolerance of a result's definition, from an index rebuilt after each cache change. */
export function repeatToleranceOf(caches: Pick<AgentCaches, 'get' | 'onChange'>): (result: AlertResult) => number | undefined {
  let index: Map<number, number> | undefined;
  caches.onChange(() => (index = undefined));
  return (result) => (index ??= repeatTolerances(caches)).get(result.definitionId);
}

function toCount(value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  return Number.isInteger(n) && n >= 0 ? n : DEFAULT_TOLERANCE;
}
