// The command attempts running right now, on disk, so that an agent that died without a
// chance to clean up (SIGKILL, OOM, power cut of the agent alone) can be followed by one that
// kills what the old one left running and tells the server those commands failed.
//
// DIR/running-commands.json holds one entry per running attempt: the task, its report
// template, and how to find its process tree again (pid + start time + environment marker, see
// commandRunner.ts). An entry is added when the child starts and removed when the attempt ends
// (its tree is then gone, or it left daemons behind on purpose, as START commands do).
// Writes are atomic (temp file + rename, mode 0600).
//
// It also keeps the attempts' promises, so that a stopping agent can wait until every tree it
// killed is really gone before it exits.
import { readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { isPlainObject } from '../caches/json.js';
import { writeFileAtomic } from '../caches/persistence.js';
import type { SpawnedProcess } from './commandRunner.js';

export const RUNNING_COMMANDS_FILE = 'running-commands.json';

export interface RunningEntry {
  taskId: number;
  /** reportTemplate(command): what every report of the task starts from. */
  template: Record<string, unknown>;
  process: SpawnedProcess;
  files: { output: string; errors: string };
  /** The agent that started it. */
  agentPid: number;
  startedAt: number;
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
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const entries = parseEntries(text);
    if (entries === undefined) {
      const aside = `${this.file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
      renameSync(this.file, aside);
      warn(`${this.file} is corrupt; leftover command processes of a previous run cannot be looked for (the file was moved to ${aside})`);
      return [];
    }
    return entries;
  }

  add(entry: RunningEntry): void {
    this.entries.set(entry.taskId, entry);
    this.persist();
  }

  remove(taskId: number): void {
    if (this.entries.delete(taskId)) this.persist();
  }

  /** Forgets the previous run's entries once they are dealt with (keeps this run's). */
  clearLeftovers(): void {
    this.persist();
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
    writeFileAtomic(this.file, `${JSON.stringify({ version: 1, running: [...this.entries.values()] })}\n`, 0o600);
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
    if (!isPlainObject(item) || !Number.isInteger(item.taskId) || !isPlainObject(item.template) || !isPlainObject(item.process) || !isPlainObject(item.files)) return undefined;
    const proc = item.process;
    if (!Number.isInteger(proc.pid) || typeof proc.startTime !== 'string' || typeof proc.marker !== 'string') return undefined;
    if (typeof item.files.output !== 'string' || typeof item.files.errors !== 'string') return undefined;
    entries.push(item as unknown as RunningEntry);
  }
  return entries;
}
