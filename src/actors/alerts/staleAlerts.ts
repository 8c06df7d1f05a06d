// Stale alerts for the heartbeat (the original's StaleAlertsMonitor): a definition of the
// alert definitions cache that has not been checked for interval x staleIntervalMultiplier
// minutes is listed as {id: definitionId, timestamp: last check in ms} (server/agent/
// StaleAlert.java; HeartBeat.staleAlerts). A definition never checked counts from when the
// monitor first saw it. Clusters without staleIntervalMultiplier (older servers) are skipped.
// Every definition counts, disabled ones too, as the original's monitor does not filter.
import { getOwn, ownArray } from '../../caches/json.js';
import { intervalMinutes } from '../../machines/alert.js';
import { isPlainObject } from '../../util/plainObject.js';

/** server/agent/StaleAlert.java. */
export interface StaleAlert {
  id: number;
  timestamp: number;
}

export class StaleAlertsMonitor {
  private readonly firstSeen = new Map<number, number>();

  /** `lastRun`: the last check (ms) per definitionId (AlertResults.lastRun). */
  constructor(
    private readonly lastRun: ReadonlyMap<number, number>,
    /** What an interval of 1 is (a minute unless [agent] alert_interval_unit_seconds says otherwise). */
    private readonly unitMs = 60_000,
  ) {}

  /** Forgets definitions no longer in the cache. */
  keepOnly(definitionIds: ReadonlySet<number>): void {
    for (const id of this.firstSeen.keys()) if (!definitionIds.has(id)) this.firstSeen.delete(id);
  }

  /** The stale definitions of the cache's clusters at `now` (ms). */
  stale(clusters: Record<string, unknown>, now: number): StaleAlert[] {
    const stale: StaleAlert[] = [];
    for (const cluster of Object.values(clusters)) {
      const multiplier = isPlainObject(cluster) ? getOwn(cluster, 'staleIntervalMultiplier') : undefined;
      if (typeof multiplier !== 'number' || !(multiplier > 0)) continue;
      for (const definition of ownArray(cluster, 'alertDefinitions') ?? []) {
        const id = isPlainObject(definition) ? getOwn(definition, 'definitionId') : undefined;
        if (typeof id !== 'number') continue;
        const minutes = intervalMinutes({ interval: getOwn(definition as object, 'interval') });
        let last = this.lastRun.get(id) ?? this.firstSeen.get(id);
        if (last === undefined) this.firstSeen.set(id, (last = now));
        if (now > last + minutes * this.unitMs * multiplier) stale.push({ id, timestamp: Math.trunc(last) });
      }
    }
    return stale;
  }
}

/** The name of a definition by id, for the log line of a stale alert. */
export function definitionName(clusters: Record<string, unknown>, id: number): string | undefined {
  for (const cluster of Object.values(clusters)) {
    for (const definition of ownArray(cluster, 'alertDefinitions') ?? []) {
      if (isPlainObject(definition) && getOwn(definition, 'definitionId') === id) return String(getOwn(definition, 'name'));
    }
  }
  return undefined;
}
