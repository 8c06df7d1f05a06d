// The commands this agent holds and has not reported yet, on disk, so that an agent that died
// without a chance to clean up (SIGKILL, OOM kill) can be followed by one that kills what the
// old one left running and tells the server those commands failed, instead of leaving them
// running unseen and the server waiting for ever.
//
// DIR/running-commands.json holds one entry per unfinished command: the task and its report
// template from the moment the queue accepts it (accept) until its final report is stored
// (remove); while an attempt runs, also how to find its process tree again (pid + start time +
// environment marker, see processTree.ts; add), dropped when the attempt ends (attemptEnded:
// its tree is gone then, or it left daemons behind on purpose, as START commands do).
// Writes are atomic (temp file + rename, mode 0600).
//
// It also keeps the attempts' promises, so that a stopping agent can wait until every tree it
// killed is really gone before it exits.
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { removeStaleTempFiles, writeFileAtomicSync } from '../../util/atomicWrite.js';
import { isPlainObject } from '../../util/plainObject.js';
import type { SpawnedProcess } from './processTree.js';

export const RUNNING_COMMANDS_FILE = 'running-commands.json';

export interface RunningEntry {
  taskId: number;
  /** reportTemplate(command): what every report of the task starts from. */
  template: Record<string, unknown>;
  /** The running attempt's tree; absent while the command waits (queued, between retries). */
  process?: SpawnedProcess;
  files?: { output: string; errors: string };
  /** The agent that took it. */
  agentPid: number;
  /** When the attempt started (absent while waiting). */
  startedAt?: number;
}

export class RunningCommands {
  private readonly entries = new Map<number, RunningEntry>();
  private readonly inFlight = new Set<Promise<unknown>>();
  readonly file: string;

  constructor(dir: string) {
    this.file = join(dir, RUNNING_COMMANDS_FILE);
  }

  /**
   * What a previous agent left in the file (entries of attempts it never saw end). A corrupt
   * file is moved aside (never deleted) and reported through `warn`.
   */
  leftovers(warn: (message: string) => void): RunningEntry[] {
    // A writer killed between temp file and rename leaves the temp file behind.
    removeStaleTempFiles(this.file);
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const entries = parseEntries(text);
    if (entries !== undefined) {
      // Listed (and kept on disk) until each is reported: a recovery cut short resumes next start.
      for (const entry of entries) if (!this.entries.has(entry.taskId)) this.entries.set(entry.taskId, entry);
    }
    if (entries === undefined) {
      const aside = `${this.file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      renameSync(this.file, aside);
      warn(`${this.file} is corrupt; leftover command processes of a previous run cannot be looked for (the file was moved to ${aside})`);
      return [];
    }
    return entries;
  }

  /** The queue took these commands (not started yet). */
  accept(commands: Array<{ taskId: number; template: Record<string, unknown> }>): void {
    if (commands.length === 0) return;
    for (const { taskId, template } of commands) this.entries.set(taskId, { taskId, template, agentPid: process.pid });
    this.persist();
  }

  /** An attempt started: its process tree, from now until attemptEnded. */
  add(entry: RunningEntry): void {
    this.entries.set(entry.taskId, entry);
    this.persist();
  }

  /** The attempt's tree is gone (or left on purpose); the command may still retry. */
  attemptEnded(taskId: number): void {
    const entry = this.entries.get(taskId);
    if (!entry?.process) return;
    const { process: _gone, files: _files, startedAt: _started, ...waiting } = entry;
    this.entries.set(taskId, waiting);
    this.persist();
  }

  /** The command's final report is stored: nothing left to recover. */
  remove(taskId: number): void {
    if (this.entries.delete(taskId)) this.persist();
  }

  /** Tracks an attempt until it settles (see drain). */
  track<T>(attempt: Promise<T>): Promise<T> {
    this.inFlight.add(attempt);
    const forget = () => this.inFlight.delete(attempt);
    attempt.then(forget, forget);
    return attempt;
  }

  /** Resolves when every tracked attempt settled (their trees are gone), or after timeoutMs. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((resolve) => (timer = setTimeout(resolve, left)))]);
      clearTimeout(timer);
    }
    return true;
  }

  runningCount(): number {
    return this.inFlight.size;
  }

  private persist(): void {
    // No fsync: the file is for a successor after this process dies; after a power loss the
    // trees it names are gone anyway (and it is written several times per command).
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileAtomicSync(this.file, `${JSON.stringify({ version: 1, running: [...this.entries.values()] })}\n`, { fsync: false });
  }
}


function parseEntries(text: string): RunningEntry[] | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isPlainObject(data) || data.version !== 1 || !Array.isArray(data.running)) return undefined;
  const entries: RunningEntry[] = [];
  for (const item of data.running) {
    if (!isPlainObject(item) || !Number.isInteger(item.taskId) || !isPlainObject(item.template)) return undefined;
    if (item.process !== undefined) {
      const proc = item.process;
      if (!isPlainObject(proc) || !Number.isInteger(proc.pid) || typeof proc.startTime !== 'string' || typeof proc.marker !== 'string') return undefined;
      if (!isPlainObject(item.files) || typeof item.files.output !== 'string' || typeof item.files.errors !== 'string') return undefined;
    }
    entries.push(item as unknown as RunningEntry);
  }
  return entries;
}
