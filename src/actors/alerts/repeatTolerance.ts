// How many times an unchanged non-OK alert result is sent again in changes-only mode
// (AlertStatusReporter.get_changed_alerts): the definition's repeat_tolerance when its
// repeat_tolerance_enabled is true, else the cluster's cluster-env alerts_repeat_tolerance,
// else 1 (the stack default).
import type { AgentCaches } from '../../caches/index.js';
import { getOwn, ownArray, ownObject } from '../../caches/json.js';
import { isPlainObject } from '../../util/plainObject.js';
import type { AlertResult } from './alertTypes.js';

const DEFAULT_TOLERANCE = 1;

export function repeatTolerance(caches: Pick<AgentCaches, 'get'>, result: AlertResult): number {
  const definitions = caches.get('alert_definitions').clusters;
  for (const [clusterKey, cluster] of Object.entries(definitions)) {
    for (const definition of ownArray(cluster, 'alertDefinitions') ?? []) {
      if (!isPlainObject(definition) || getOwn(definition, 'definitionId') !== result.definitionId) continue;
      if (getOwn(definition, 'repeat_tolerance_enabled') === true) return toCount(getOwn(definition, 'repeat_tolerance'));
      const clusterEnv = ownObject(ownObject(caches.get('configurations').clusters[clusterKey], 'configurations'), 'cluster-env');
      return toCount(clusterEnv ? getOwn(clusterEnv, 'alerts_repeat_tolerance') : undefined);
    }
  }
  return DEFAULT_TOLERANCE;
}

function toCount(value: unknown): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  return Number.isInteger(n) && n >= 0 ? n : DEFAULT_TOLERANCE;
}
