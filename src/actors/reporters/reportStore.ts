// Pending command reports: kept until the server answers the request that carried them with
// status OK, sent again after a re-registration, and (when final) persisted so they survive an
// agent crash or restart. The reports are already in the server's shape (commandReport.ts).
//
// One entry per taskId:
// - IN_PROGRESS: the report header and the command's output files. It stays while the command
//   runs (the reporter reads the files' tails each time it sends, as
//   CommandStatusDict.generate_in_progress_report does) and is never persisted: after a
//   restart the recovery of leftover commands reports those tasks FAILED.
// - final (COMPLETED / FAILED): the whole report, written to DIR/pending-reports.json at once
//   (util/atomicWrite.ts: temp file + fsync + rename, mode 0600) and dropped when the server acknowledged it.
// A final report is never replaced by an IN_PROGRESS one, not even after it was acknowledged
// (the store remembers the tasks it saw finish), so a task is never reported running again.
//
// snapshot() hands out what is pending with a version; acknowledge(taskIds, version) drops the
// final reports among them unless a newer report for the same task was put since.
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { removeStaleTempFiles, writeFileAtomicSync } from '../../util/atomicWrite.js';
import { isPlainObject } from '../../util/plainObject.js';
import { toWireReport, type ReportHeader, type WireCommandReport } from '../commands/commandReport.js';
import { isAlive } from '../local/pidFile.js';

export const PENDING_REPORTS_FILE = 'pending-reports.json';
/** 2: reports in the CommandReport shape; 1 (read, converted): the agent's older shape. */
const FORMAT_VERSION = 2;
/** How many finished task ids are remembered to refuse late IN_PROGRESS reports. */
const FINISHED_MEMORY = 10_000;

export interface OutputFiles {
  output: string;
  errors: string;
  structuredOut: string;
}

export interface FinalEntry {
  kind: 'final';
  taskId: number;
  /** The key under "clusters": the clusterId, "null" for host-level commands. */
  clusterKey: string;
  report: WireCommandReport;
}

export interface ProgressEntry {
  kind: 'progress';
  taskId: number;
  clusterKey: string;
  header: ReportHeader;
  files: OutputFiles;
  /** [agent] command_update_output=1: the report carries the output so far. */
  withOutput: boolean;
}

export type PendingEntry = FinalEntry | ProgressEntry;

export interface ReportSnapshot {
  entries: PendingEntry[];
  version: number;
}

interface Slot {
  entry: PendingEntry;
  /** Value of the store's counter when this entry was put (compared with snapshot versions). */
  seq: number;
}

/** Ambari groups host-level commands (no cluster) under the key "null". */
export const clusterKey = (clusterId: unknown) => (clusterId === undefined || clusterId === null || clusterId === '' ? 'null' : String(clusterId));

export class ReportStore {
  private readonly slots = new Map<number, Slot>();
  private readonly finished = new Set<number>();
  private counter = 0;
  /** Null: kept in memory only (a simulated host). */
  private readonly file: string | null;
  /** Told of every report put (the reporter sends at once). */
  private readonly listeners = new Set<() => void>();

  private constructor(private readonly dir: string | null) {
    this.file = dir === null ? null : join(dir, PENDING_REPORTS_FILE);
  }

  /** A store that persists nothing: for hosts simulated in this process, which have no home. */
  static inMemory(): ReportStore {
    return new ReportStore(null);
  }

  /**
   * Reads DIR/pending-reports.json. A missing file gives an empty store; an unreadable (corrupt)
   * one gives an empty store plus a warning, and is moved aside to
   * pending-reports.json.corrupt-TIMESTAMP (never deleted). Stale temp files are removed.
   */
  static load(dir: string): { store: ReportStore; warnings: string[] } {
    const store = new ReportStore(dir);
    const file = join(dir, PENDING_REPORTS_FILE);
    const warnings: string[] = [];
    // The store is loaded before this agent holds the pid file: a second agent starting by
    // mistake must not take a live agent's write in progress for a leftover.
    removeStaleTempFiles(file, (writer) => writer !== process.pid && isAlive(writer));
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { store, warnings };
      throw err;
    }
    const reports = parseFile(text);
    if (reports === undefined) {
      const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      // If this fails we throw: carrying on would overwrite the file on the next write.
      renameSync(file, aside);
      warnings.push(`${file} is corrupt; starting with no pending reports (the file was moved to ${aside})`);
      return { store, warnings };
    }
    for (const entry of reports) {
      store.slots.set(entry.taskId, { entry, seq: ++store.counter });
      store.rememberFinished(entry.taskId);
    }
    return { store, warnings };
  }

  /**
   * Cuts a final report to what one frame can carry (reportFrames.fitReport), once, when it is
   * stored: so neither every send round nor the file pays for an oversized report again.
   */
  fit: (report: WireCommandReport, clusterKey: string) => WireCommandReport = (report) => report;

  /** Stores a final report (replacing whatever the task had). Throws if persisting fails; the report is still kept in memory. */
  putFinal(report: WireCommandReport): void {
    if (!Number.isSafeInteger(report.taskId)) throw new TypeError(`report taskId must be an integer, got ${String(report.taskId)}`);
    if (report.status === 'IN_PROGRESS') throw new TypeError(`report for task ${report.taskId} is not final`);
    const key = clusterKey(report.clusterId);
    this.slots.set(report.taskId, { entry: { kind: 'final', taskId: report.taskId, clusterKey: key, report: { ...this.fit(report, key) } }, seq: ++this.counter });
    this.rememberFinished(report.taskId);
    try {
      this.persist();
    } finally {
      this.changed();
    }
  }

  /** Marks a task running; ignored (false) once the task has a final report, sent or not. */
  putInProgress(progress: { header: ReportHeader; files: OutputFiles; withOutput: boolean }): boolean {
    const { taskId } = progress.header;
    if (!Number.isSafeInteger(taskId)) throw new TypeError(`report taskId must be an integer, got ${String(taskId)}`);
    if (this.finished.has(taskId)) return false;
    const entry: ProgressEntry = { kind: 'progress', taskId, clusterKey: clusterKey(progress.header.clusterId), header: { ...progress.header }, files: { ...progress.files }, withOutput: progress.withOutput };
    this.slots.set(taskId, { entry, seq: ++this.counter });
    this.changed();
    return true;
  }

  /** Calls `listener` after every report put; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The pending entry of a task, if any (a copy). */
  get(taskId: number): PendingEntry | undefined {
    const slot = this.slots.get(taskId);
    return slot ? structuredClone(slot.entry) : undefined;
  }

  /** The pending final report of a task, if any (a copy). */
  finalReport(taskId: number): WireCommandReport | undefined {
    const entry = this.slots.get(taskId)?.entry;
    return entry?.kind === 'final' ? { ...entry.report } : undefined;
  }

  /** Everything pending, in the order it was first put, or undefined when nothing is. */
  snapshot(): ReportSnapshot | undefined {
    if (this.slots.size === 0) return undefined;
    return { entries: [...this.slots.values()].map((slot) => slot.entry), version: this.counter };
  }

  /**
   * The server answered OK to the request with these tasks' reports, taken at `version`: drops
   * their final reports, keeping any report put since. IN_PROGRESS entries stay (the command
   * still runs; the next report is its result).
   */
  acknowledge(taskIds: number[], version: number): void {
    let dropped = false;
    for (const taskId of taskIds) {
      const slot = this.slots.get(taskId);
      if (!slot || slot.seq > version || slot.entry.kind !== 'final') continue;
      this.slots.delete(taskId);
      dropped = true;
    }
    if (dropped) this.persist();
  }

  pendingCount(): number {
    return this.slots.size;
  }

  finalCount(): number {
    let count = 0;
    for (const { entry } of this.slots.values()) if (entry.kind === 'final') count++;
    return count;
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  private rememberFinished(taskId: number): void {
    this.finished.delete(taskId);
    this.finished.add(taskId);
    if (this.finished.size > FINISHED_MEMORY) this.finished.delete(this.finished.values().next().value as number);
  }

  private persist(): void {
    if (this.dir === null || this.file === null) return;
    const reports = [...this.slots.values()].flatMap(({ entry }) => (entry.kind === 'final' ? [{ taskId: entry.taskId, clusterId: entry.clusterKey, report: entry.report }] : []));
    const data = `${JSON.stringify({ version: FORMAT_VERSION, reports })}\n`;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeFileAtomicSync(this.file, data, { mode: 0o600 });
  }
}

/** The final reports in the file, or undefined when it is not a valid pending-reports file. */
function parseFile(text: string): FinalEntry[] | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isPlainObject(data) || (data.version !== 1 && data.version !== FORMAT_VERSION) || !Array.isArray(data.reports)) return undefined;
  const entries: FinalEntry[] = [];
  for (const item of data.reports) {
    if (!isPlainObject(item) || !Number.isInteger(item.taskId) || typeof item.clusterId !== 'string') return undefined;
    if (!isPlainObject(item.report) || typeof item.report.status !== 'string') return undefined;
    if (item.report.status === 'IN_PROGRESS') continue;
    // Version 1 held the agent's older shape (exitCode, an object structuredOut, tmpout): converted.
    const report = toWireReport({ ...item.report, taskId: item.taskId });
    if (!report) return undefined;
    entries.push({ kind: 'final', taskId: report.taskId, clusterKey: item.clusterId, report });
  }
  return entries;
}
