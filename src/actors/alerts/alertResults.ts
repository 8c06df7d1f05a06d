// The alert results waiting for the server (the original's AlertCollector, plus what its
// AlertStatusReporter remembers). A newer result of an alert replaces an older one still
// waiting; a result leaves only once the server has acknowledged the report that carried it,
// so a send that fails or a connection that drops loses nothing: the next session's reporter
// sends what is still here. (The original empties its collector before sending, so a result
// sent into a dying connection is gone.)
//
// With [agent] send_alert_changes_only=1 a result goes only when its state or text differs from
// the last one the server acknowledged, or when it is not OK and has been sent fewer times than
// the repeat tolerance (the definition's repeat_tolerance when repeat_tolerance_enabled, else
// cluster-env alerts_repeat_tolerance, default 1), as AlertStatusReporter.get_changed_alerts.
import type { AlertResult } from './alertTypes.js';

export interface ChangedOnly {
  /** How many times an unchanged non-OK result is sent again; undefined: its definition is gone, it is not sent. */
  tolerance(result: AlertResult): number | undefined;
}

interface Acknowledged {
  definitionId: number;
  state: string;
  text: string;
  repeats: number;
}

const keyOf = (result: Pick<AlertResult, 'clusterId' | 'name'>) => `${result.clusterId}\u0000${result.name}`;

export class AlertResults {
  private readonly waiting = new Map<string, AlertResult>();
  private readonly acknowledged = new Map<string, Acknowledged>();
  /** Last check time (ms) per definitionId, for the stale alerts of the heartbeat. */
  readonly lastRun = new Map<number, number>();

  constructor(private readonly changedOnly?: ChangedOnly) {}

  put(result: AlertResult): void {
    const key = keyOf(result);
    // Delete first: the newer result goes to the end, so a batch is in check order.
    this.waiting.delete(key);
    this.waiting.set(key, result);
    this.lastRun.set(result.definitionId, result.timestamp);
  }

  get size(): number {
    return this.waiting.size;
  }

  /**
   * What to send now. In changes-only mode the results that need not go are dropped here (they
   * were taken, as the original's collector drains them).
   */
  batch(): AlertResult[] {
    const all = [...this.waiting.values()];
    if (!this.changedOnly) return all;
    const send: AlertResult[] = [];
    for (const result of all) {
      if (this.mustSend(result)) send.push(result);
      else this.waiting.delete(keyOf(result));
    }
    return send;
  }

  /** The server took these: they leave, unless a newer result of the same alert came meanwhile. */
  acknowledge(sent: readonly AlertResult[]): void {
    for (const result of sent) {
      const key = keyOf(result);
      if (this.waiting.get(key) === result) this.waiting.delete(key);
      const before = this.acknowledged.get(key);
      const same = before !== undefined && before.state === result.state && before.text === result.text;
      this.acknowledged.set(key, { definitionId: result.definitionId, state: result.state, text: result.text, repeats: same ? before.repeats + 1 : 1 });
    }
  }

  /** The definitions changed (UPDATE, DELETE): what the server last took counts for nothing (AlertSchedulerHandler.reschedule). */
  forgetAcknowledged(): void {
    this.acknowledged.clear();
  }

  /**
   * Only these definitions are in the cache now: what is kept of the others goes (their waiting
   * results too: the server would not know them), so a long run of definitions coming and
   * going does not grow.
   */
  keepOnly(definitionIds: ReadonlySet<number>): void {
    for (const [key, result] of this.waiting) if (!definitionIds.has(result.definitionId)) this.waiting.delete(key);
    for (const [key, entry] of this.acknowledged) if (!definitionIds.has(entry.definitionId)) this.acknowledged.delete(key);
    for (const id of this.lastRun.keys()) if (!definitionIds.has(id)) this.lastRun.delete(id);
  }

  private mustSend(result: AlertResult): boolean {
    const tolerance = this.changedOnly!.tolerance(result);
    if (tolerance === undefined) return false;
    const before = this.acknowledged.get(keyOf(result));
    if (!before || before.state !== result.state || before.text !== result.text) return true;
    return result.state !== 'OK' && before.repeats < tolerance;
  }
}
