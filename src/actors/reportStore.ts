// Pending command reports: kept until the server acknowledges them, resent after a
// re-registration, and (when final) persisted so they survive an agent crash or restart.
//
// One report per taskId: the latest wins, except that an IN_PROGRESS report never replaces a
// final one (a late progress update must not hide the result). Final reports are written to
// DIR/pending-reports.json at once (temp file + fsync + rename, mode 0600); IN_PROGRESS ones
// live in memory only, since the command that produced them is re-reported anyway.
//
// batch() hands out everything pending together with a version; acknowledge(taskIds, version)
// drops those reports unless a newer one for the same task was put after that version was taken.
import { closeSync, fchmodSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive } from './pidFile.js';

export const PENDING_REPORTS_FILE = 'pending-reports.json';
const FORMAT_VERSION = 1;

export interface PendingReport {
  taskId: number;
  clusterId: string;
  report: Record<string, unknown> & { status: string };
}

export interface ReportBatch {
  body: { clusters: Record<string, Array<Record<string, unknown>>> };
  taskIds: number[];
  version: number;
}

interface Entry {
  pending: PendingReport;
  /** Value of the store's counter when this report was put (compared with batch versions). */
  seq: number;
}

export const isFinalStatus = (status: string) => status !== 'IN_PROGRESS';

/** Ambari groups host-level commands (no cluster) under the key "null". */
const clusterKey = (clusterId: unknown) => (clusterId === undefined || clusterId === null || clusterId === '' ? 'null' : String(clusterId));

export class ReportStore {
  private readonly entries = new Map<number, Entry>();
  private counter = 0;
  private readonly file: string;
  /** Told of every final report put (the reporter sends those at once). */
  private readonly finalListeners = new Set<() => void>();

  private constructor(private readonly dir: string) {
    this.file = join(dir, PENDING_REPORTS_FILE);
  }

  /**
   * Reads DIR/pending-reports.json. A missing file gives an empty store; an unreadable (corrupt)
   * one gives an empty store plus a warning, and is moved aside to
   * pending-reports.json.corrupt-TIMESTAMP (never deleted). Stale temp files are removed.
   */
  static load(dir: string): { store: ReportStore; warnings: string[] } {
    const store = new ReportStore(dir);
    const warnings: string[] = [];
    store.removeStaleTemps();
    let text: string;
    try {
      text = readFileSync(store.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { store, warnings };
      throw err;
    }
    const reports = parseFile(text);
    if (reports === undefined) {
      const aside = `${store.file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      // If this fails we throw: carrying on would overwrite the file on the next write.
      renameSync(store.file, aside);
      warnings.push(`${store.file} is corrupt; starting with no pending reports (the file was moved to ${aside})`);
      return { store, warnings };
    }
    for (const pending of reports) store.entries.set(pending.taskId, { pending, seq: ++store.counter });
    return { store, warnings };
  }

  /** Stores a report (see the file comment for which report wins). Throws if persisting fails; the report is still kept in memory. */
  put(report: PendingReport['report'] & { taskId: number; clusterId?: string }): void {
    if (!Number.isInteger(report.taskId)) throw new TypeError(`report taskId must be an integer, got ${String(report.taskId)}`);
    if (typeof report.status !== 'string') throw new TypeError(`report for task ${report.taskId} has no status`);
    const final = isFinalStatus(report.status);
    const existing = this.entries.get(report.taskId);
    if (!final && existing && isFinalStatus(existing.pending.report.status)) return;
    const pending: PendingReport = { taskId: report.taskId, clusterId: clusterKey(report.clusterId), report: { ...report } };
    this.entries.set(report.taskId, { pending, seq: ++this.counter });
    if (!final) return;
    try {
      this.persist();
    } finally {
      for (const listener of this.finalListeners) listener();
    }
  }

  /** Calls `listener` after every final report put; returns the unsubscribe function. */
  onFinal(listener: () => void): () => void {
    this.finalListeners.add(listener);
    return () => this.finalListeners.delete(listener);
  }

  /** The pending report of a task, if any (a copy). */
  get(taskId: number): PendingReport['report'] | undefined {
    const entry = this.entries.get(taskId);
    return entry ? { ...entry.pending.report } : undefined;
  }

  /** Everything pending, grouped by cluster, or undefined when nothing is. */
  batch(): ReportBatch | undefined {
    if (this.entries.size === 0) return undefined;
    const clusters: Record<string, Array<Record<string, unknown>>> = {};
    const taskIds: number[] = [];
    for (const { pending } of this.entries.values()) {
      (clusters[pending.clusterId] ??= []).push({ ...pending.report });
      taskIds.push(pending.taskId);
    }
    return { body: { clusters }, taskIds, version: this.counter };
  }

  /** The server answered the batch taken at `version`: drop its reports, keeping any put since. */
  acknowledge(taskIds: number[], version: number): void {
    let finalDropped = false;
    for (const taskId of taskIds) {
      const entry = this.entries.get(taskId);
      if (!entry || entry.seq > version) continue;
      this.entries.delete(taskId);
      if (isFinalStatus(entry.pending.report.status)) finalDropped = true;
    }
    if (finalDropped) this.persist();
  }

  pendingCount(): number {
    return this.entries.size;
  }

  finalCount(): number {
    let count = 0;
    for (const { pending } of this.entries.values()) if (isFinalStatus(pending.report.status)) count++;
    return count;
  }

  private persist(): void {
    const reports = [...this.entries.values()].map((e) => e.pending).filter((p) => isFinalStatus(p.report.status));
    const data = `${JSON.stringify({ version: FORMAT_VERSION, reports })}\n`;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const temp = `${this.file}.${process.pid}.tmp`;
    let fd: number | undefined;
    try {
      fd = openSync(temp, 'w', 0o600);
      fchmodSync(fd, 0o600);
      writeSync(fd, data);
      fsyncSync(fd);
      closeSync(fd);
      fd = undefined;
      renameSync(temp, this.file);
    } catch (err) {
      if (fd !== undefined) closeSync(fd);
      rmSync(temp, { force: true });
      throw err;
    }
    syncDir(this.dir);
  }

  private removeStaleTemps(): void {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    for (const name of names) {
      if (!name.startsWith(`${PENDING_REPORTS_FILE}.`) || !name.endsWith('.tmp')) continue;
      // The store is loaded before this agent holds the pid file: a second agent starting by
      // mistake must not take a live agent's write in progress for a leftover.
      const writer = Number(name.slice(PENDING_REPORTS_FILE.length + 1, -'.tmp'.length));
      if (Number.isInteger(writer) && writer !== process.pid && isAlive(writer)) continue;
      rmSync(join(this.dir, name), { force: true });
    }
  }
}

/** Makes the rename durable; best effort (some filesystems refuse fsync on a directory). */
function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // ignored
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The final reports in the file, or undefined when it is not a valid pending-reports file. */
function parseFile(text: string): PendingReport[] | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(data) || data.version !== FORMAT_VERSION || !Array.isArray(data.reports)) return undefined;
  const reports: PendingReport[] = [];
  for (const item of data.reports) {
    if (!isRecord(item) || !Number.isInteger(item.taskId) || typeof item.clusterId !== 'string') return undefined;
    const report = item.report;
    if (!isRecord(report) || typeof report.status !== 'string') return undefined;
    if (!isFinalStatus(report.status)) continue;
    reports.push({ taskId: item.taskId as number, clusterId: item.clusterId, report: report as PendingReport['report'] });
  }
  return reports;
}
