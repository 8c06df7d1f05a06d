// What agents report of their alerts, per host: the latest /reports/alerts_status result of
// each alert (by cluster, name and instance), and the staleAlerts of their latest heartbeat.
//
// As the Java server keeps its current alerts (AlertReceivedListener / AlertCurrentEntity):
// `count` counts the results in a row with the same state and `first_timestamp` is when that
// state began (both restart when the state changes); a SKIPPED result only moves the timestamp
// on (and its text only when not blank). Stale alerts: a heartbeat's list replaces the host's
// (AlertHelper.addStaleAlerts), a registration clears it, and a result for a definition clears
// that definition's entry (AlertReceivedListener.clearStaleAlerts).
import { isPlainObject } from '../util/plainObject.js';

export interface KeptAlert {
  cluster_id: string;
  name: string;
  instance: string | null;
  definition_id: number | null;
  state: string;
  text: string;
  /** Results in a row in this state. */
  count: number;
  /** The agent's timestamp of the first result in this state, and of the latest (ms). */
  first_timestamp: number;
  last_timestamp: number;
  /** When the server got the latest (ms). */
  received_at: number;
  /** The latest result as the agent sent it. */
  latest: Record<string, unknown>;
}

export interface KeptStaleAlert {
  /** StaleAlert.id: the definitionId. */
  id: number;
  /** StaleAlert.timestamp: the definition's last run (ms). */
  timestamp: number;
  /** The definition's name, when the server has it. */
  name?: string;
}

export class AlertReports {
  private readonly alerts = new Map<string, Map<string, KeptAlert>>();
  private readonly stale = new Map<string, KeptStaleAlert[]>();

  constructor(
    private readonly now: () => number = Date.now,
    /** The definition's name for a definitionId (stale alerts carry only ids). */
    private readonly definitionName: (definitionId: number) => string | undefined = () => undefined,
  ) {}

  /** A /reports/alerts_status body (Alert[]); returns the problems (entries ignored). */
  recordAlerts(hostName: string, body: unknown): string[] {
    if (!Array.isArray(body)) return [`not a list of alerts: ${JSON.stringify(body).slice(0, 200)}`];
    const problems: string[] = [];
    const kept = this.alerts.get(hostName) ?? new Map<string, KeptAlert>();
    this.alerts.set(hostName, kept);
    for (const [index, entry] of body.entries()) {
      if (!isPlainObject(entry) || typeof entry.name !== 'string' || typeof entry.state !== 'string') {
        problems.push(`alert [${index}] without a name and state: ${JSON.stringify(entry).slice(0, 200)}`);
        continue;
      }
      const clusterId = entry.clusterId === undefined || entry.clusterId === null ? '' : String(entry.clusterId);
      const instance = typeof entry.instance === 'string' ? entry.instance : null;
      const key = JSON.stringify([clusterId, entry.name, instance]);
      const timestamp = typeof entry.timestamp === 'number' ? entry.timestamp : this.now();
      const text = typeof entry.text === 'string' ? entry.text : '';
      const definitionId = typeof entry.definitionId === 'number' ? entry.definitionId : null;
      const previous = kept.get(key);
      const sameState = previous !== undefined && (previous.state === entry.state || entry.state === 'SKIPPED');
      kept.set(key, {
        cluster_id: clusterId,
        name: entry.name,
        instance,
        definition_id: definitionId ?? previous?.definition_id ?? null,
        state: sameState ? previous.state : entry.state,
        text: entry.state === 'SKIPPED' && previous && text.trim() === '' ? previous.text : text,
        count: !sameState ? 1 : entry.state === 'SKIPPED' ? previous.count : previous.count + 1,
        first_timestamp: sameState ? previous.first_timestamp : timestamp,
        last_timestamp: timestamp,
        received_at: this.now(),
        latest: entry,
      });
      if (definitionId !== null) this.clearStale(hostName, definitionId);
    }
    return problems;
  }

  /** A heartbeat's staleAlerts ([] or absent: none); replaces the host's list. */
  recordStaleAlerts(hostName: string, staleAlerts: unknown): void {
    const list = Array.isArray(staleAlerts) ? staleAlerts : [];
    this.stale.set(
      hostName,
      list
        .filter((s): s is Record<string, unknown> => isPlainObject(s) && typeof s.id === 'number')
        .map((s) => {
          const name = this.definitionName(s.id as number);
          return { id: s.id as number, timestamp: typeof s.timestamp === 'number' ? s.timestamp : 0, ...(name !== undefined ? { name } : {}) };
        }),
    );
  }

  /** A (re-)registration: the host's stale alerts are forgotten. */
  registered(hostName: string): void {
    this.stale.delete(hostName);
  }

  /** The host's kept alerts, by cluster and name. */
  alertsOf(hostName: string): KeptAlert[] {
    return [...(this.alerts.get(hostName)?.values() ?? [])].sort((a, b) => a.cluster_id.localeCompare(b.cluster_id) || a.name.localeCompare(b.name) || String(a.instance).localeCompare(String(b.instance)));
  }

  staleOf(hostName: string): KeptStaleAlert[] {
    return [...(this.stale.get(hostName) ?? [])];
  }

  /** Hosts with anything kept. */
  hosts(): string[] {
    return [...new Set([...this.alerts.keys(), ...this.stale.keys()])].sort();
  }

  private clearStale(hostName: string, definitionId: number): void {
    const list = this.stale.get(hostName);
    if (list) this.stale.set(hostName, list.filter((s) => s.id !== definitionId));
  }
}
