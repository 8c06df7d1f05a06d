// The task ids this agent (or one before it in the same home) has taken, on disk, so that a
// task runs once even when the server delivers it again after a restart: the Java server
// sends an execution command again until the agent confirms it on /reports/responses
// (DefaultMessageEmitter), and an agent killed between taking a command and confirming it gets
// the same command once more. Such a command is confirmed and not run again.
//
// A cancel releases the id: the Java server's ActionScheduler cancels a timed-out task
// (cancelCommandOnTimeout) and then sends it again, same task id, while attempts remain; that
// second delivery must run. A plain resend of an unconfirmed message has no cancel before it.
//
// DIR/taken-task-ids is append-only, one line a change (`ID` taken, `-ID` released), written
// (and flushed to the kernel) before the command reaches the queue; it is rewritten with the
// newest MAX_TAKEN ids when it has grown to twice that. Only lines ending in a newline count (a
// crash can cut the last one short). The server resends only recent commands, so older ids may
// be forgotten.
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomicSync } from '../../util/atomicWrite.js';

export const TAKEN_TASKS_FILE = 'taken-task-ids';

/** Ids remembered (the action queue's own in-memory bound, MAX_KNOWN, is the same). */
export const MAX_TAKEN = 10_000;

export class TakenTasks {
  private readonly ids = new Set<number>();
  /** Ids in the order taken, for the rewrite (at most 2 × MAX_TAKEN). */
  private order: number[] = [];
  /** Null: kept in memory only (a simulated host). */
  readonly file: string | null;

  private constructor(dir: string | null) {
    this.file = dir === null ? null : join(dir, TAKEN_TASKS_FILE);
  }

  /** Ids remembered for this process only: for hosts simulated in it, which have no home. */
  static inMemory(): TakenTasks {
    return new TakenTasks(null);
  }

  /** The ids in DIR/taken-task-ids; unreadable lines are skipped and reported. */
  static load(dir: string): { taken: TakenTasks; warnings: string[] } {
    const taken = new TakenTasks(dir);
    const file = join(dir, TAKEN_TASKS_FILE);
    const warnings: string[] = [];
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') warnings.push(`Cannot read ${file}: ${(err as Error).message}; repeated deliveries of older tasks may run again`);
    }
    let bad = 0;
    const lines = text.split('\n');
    lines.pop(); // what follows the last newline: empty, or a line cut short
    for (const line of lines) {
      if (/^\d{1,16}$/.test(line)) taken.remember(Number(line));
      else if (/^-\d{1,16}$/.test(line)) taken.forget(Number(line.slice(1)));
      else bad++;
    }
    if (bad > 0) warnings.push(`${file}: ${bad} line(s) that are not task ids skipped`);
    taken.trim();
    return { taken, warnings };
  }

  has(taskId: number): boolean {
    return this.ids.has(taskId);
  }

  get size(): number {
    return this.ids.size;
  }

  /**
   * Splits `taskIds` into those never taken (now recorded, on disk before this returns) and
   * those taken before. A repeated id within `taskIds` counts once.
   */
  claim(taskIds: number[]): { fresh: number[]; repeated: number[] } {
    const fresh: number[] = [];
    const repeated: number[] = [];
    for (const taskId of taskIds) {
      if (this.ids.has(taskId) || fresh.includes(taskId)) repeated.push(taskId);
      else fresh.push(taskId);
    }
    if (fresh.length === 0) return { fresh, repeated };
    // On disk first: a crash right after must not leave the id runnable again.
    if (this.file !== null) appendFileSync(this.file, `${fresh.join('\n')}\n`, { mode: 0o600 });
    for (const taskId of fresh) this.remember(taskId);
    if (this.order.length >= 2 * MAX_TAKEN) {
      this.trim();
      if (this.file !== null) writeFileAtomicSync(this.file, `${this.order.join('\n')}\n`, { fsync: false });
    }
    return { fresh, repeated };
  }

  /** Cancelled: a later delivery of the same task id (the server's reschedule) runs. */
  release(taskIds: number[]): void {
    const known = taskIds.filter((taskId) => this.ids.has(taskId));
    if (known.length === 0) return;
    if (this.file !== null) appendFileSync(this.file, `${known.map((taskId) => `-${taskId}`).join('\n')}\n`, { mode: 0o600 });
    for (const taskId of known) this.forget(taskId);
  }

  private forget(taskId: number): void {
    if (!this.ids.delete(taskId)) return;
    this.order = this.order.filter((id) => id !== taskId);
  }

  private remember(taskId: number): void {
    if (this.ids.has(taskId)) return;
    this.ids.add(taskId);
    this.order.push(taskId);
  }

  /** Keeps the newest MAX_TAKEN ids. */
  private trim(): void {
    if (this.order.length <= MAX_TAKEN) return;
    for (const old of this.order.slice(0, this.order.length - MAX_TAKEN)) this.ids.delete(old);
    this.order = this.order.slice(-MAX_TAKEN);
  }
}
