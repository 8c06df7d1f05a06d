// One attempt of one execution command: the effectful core of the original agent's
// CustomServiceOrchestrator.runCommand + PythonExecutor.run_file (reference §9).
//
//   INTERPRETER SCRIPT COMMAND_NAME JSON_PATH BASEDIR STRUCTURED_OUT_PATH LOGLEVEL TMPDIR
//
// Files under the prefix dir (auto_* variants for recovery commands):
//   command-ID.json         the command as received, pretty JSON, mode 0600, written atomically
//   output-ID.txt           the script's stdout (truncated at the start of the attempt)
//   errors-ID.txt           the script's stderr (ditto), plus the timeout line when it timed out
//   structured-out-ID.json  written by the script; removed before the attempt, read back after
//
// Choices (differences from, or additions to, the original):
// - scriptType 'SHELL' runs the script with /bin/sh and the same argument list. This is an
//   extension: the original only runs PYTHON scripts. Any other type is a setup error.
// - stdout/stderr go through pipes (not straight into the files) so that they can be streamed
//   live to `onOutput` as well as into the files. Nothing is kept in memory: the result's
//   stdout/stderr are read back from the files' ends once they are closed, cut to
//   `outputChars` characters as PythonExecutor.condense_output cuts with log_max_symbols_size
//   (the tail, whole lines, outputTail.ts), reading at most 3 bytes per kept character.
// - After the direct child exits the pipes are drained for at most DRAIN_AFTER_EXIT_MS; a
//   daemon the script left behind that still holds them does not hold up the result (its later
//   writes to the pipe then fail: it should redirect its output, as Ambari's daemons do).
// - The child is started in its own session / process group (detached). On timeout or cancel
//   the whole tree is killed: SIGTERM to the group, to every recorded descendant and through
//   tree-kill; after KILL_GRACE_MS (or as soon as the tree is gone) the tree is frozen with
//   SIGSTOP, re-scanned until no new process shows up, and SIGKILLed the same three ways.
//   "The tree" is re-scanned from /proc on every step (ppid links from the child and from every
//   process recorded before, the child's process group, and an environment marker, see
//   MARKER_ENV) and remembered by (pid, start time) so that a recycled pid is never signalled.
//   The marker catches descendants that left both the process group (setsid) and the ppid tree
//   (their parent died, they were re-parented to init) before the kill started. Only a process
//   that did all of that AND scrubbed its environment can escape (cgroups would be needed).
// - Timeout: exit code 999 and "\nPython script has been killed due to timeout after waiting N
//   secs" appended to stderr (result and errors file), as the original. A timeout above the
//   setTimeout range (~24.8 days), or Infinity, means no watchdog.
// - Cancel: cancelled: true; the exit code is the one the kill produced (128 + signal number
//   when killed by a signal). A script that swallows SIGTERM and exits 0 is still reported as
//   143 (128 + SIGTERM) so that a cancelled command can never look successful. A signal that is
//   already aborted before the start runs nothing (files are prepared, exit code 143, no pid).
// - A non-zero exit, a timeout and a cancel are results; only setup problems throw (unknown
//   script type, missing script, unusable timeout, interpreter that cannot be spawned, files
//   that cannot be written).
import { TIMEOUT_EXIT_CODE, type AttemptResult } from '../machines/command.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, type WriteStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import treeKill from 'tree-kill';
import { readTail } from './outputTail.js';

export { TIMEOUT_EXIT_CODE };
/** [heartbeat] log_max_symbols_size's default: the result's streams keep this many characters (the tail). */
export const DEFAULT_OUTPUT_CHARS = 900_000;
/**
 * Between SIGTERM and SIGKILL. Under 2 s so that even a tree that ignores SIGTERM is gone
 * within 2 s of its timeout (freezing and SIGKILL take a few ms more).
 */
export const KILL_GRACE_MS = 1500;
/** How long the pipes are drained after the direct child exited. */
export const DRAIN_AFTER_EXIT_MS = 500;
/** Environment variable set (to a fresh random value) for every attempt, see the header. */
export const MARKER_ENV = 'AMBARI_AGENT_RUN_MARKER';

const MAX_TIMER_MS = 2 ** 31 - 1;
const POLL_MS = 50;
const SIGTERM_NUMBER = osConstants.signals.SIGTERM;

export interface CommandFiles {
  commandJson: string;
  output: string;
  errors: string;
  structuredOut: string;
}

export function commandFiles(prefixDir: string, taskId: number | string, auto = false): CommandFiles {
  const p = auto ? 'auto_' : '';
  return {
    commandJson: join(prefixDir, `${p}command-${taskId}.json`),
    output: join(prefixDir, `${p}output-${taskId}.txt`),
    errors: join(prefixDir, `${p}errors-${taskId}.txt`),
    structuredOut: join(prefixDir, `${p}structured-out-${taskId}.json`),
  };
}

export interface RunRequest {
  /** The execution command as received (written as command-ID.json, pretty JSON). */
  command: Record<string, unknown>;
  taskId: number | string;
  /** [agent] prefix. */
  prefixDir: string;
  /** Absolute path of the script to run. */
  script: string;
  /** 'PYTHON' -> python3, 'SHELL' -> /bin/sh (extension), anything else -> Error. */
  scriptType: string;
  /** The command name, e.g. the roleCommand INSTALL / START / ... */
  commandName: string;
  /** The service package folder (also the cwd when it exists, else prefixDir). */
  baseDir: string;
  /** Default 'INFO'. */
  logLevel?: string;
  /** A temp dir for the script. */
  tmpDir: string;
  /** commandParams.command_timeout. */
  timeoutSeconds: number;
  /** How many characters of each stream the result keeps (the tail); DEFAULT_OUTPUT_CHARS. */
  outputChars?: number;
  /** Use the auto_* file names (recovery commands). */
  auto?: boolean;
  /** Cancel: kills the whole tree. */
  signal?: AbortSignal;
  /** Live output, e.g. for IN_PROGRESS reports. Exceptions it throws are ignored. */
  onOutput?: (chunk: { stdout?: string; stderr?: string }) => void;
  /**
   * Called once the child runs, with what identifies its tree after the agent itself is gone
   * (a SIGKILLed agent's successor kills a leftover tree with killLeftoverTree). Exceptions
   * it throws are ignored.
   */
  onSpawn?: (process: SpawnedProcess) => void;
}

/** The facts that find a command's process tree again: see killLeftoverTree. */
export interface SpawnedProcess {
  pid: number;
  /** The child's start time in /proc/PID/stat (clock ticks since boot): tells a recycled pid. */
  startTime: string;
  /** The value of MARKER_ENV in the tree's environment. */
  marker: string;
}

/**
 * One attempt's result: what the command machine's `run` actor returns (AttemptResult; stdout
 * and stderr hold the files' last `outputChars`, stderr with the timeout line on timeout), and
 * the process facts.
 */
export interface RunResult extends AttemptResult {
  pid?: number;
  durationMs: number;
}

export function interpreterFor(scriptType: string): string {
  switch (scriptType.toUpperCase()) {
    case 'PYTHON':
      return 'python3';
    case 'SHELL':
      return '/bin/sh';
    default:
      throw new Error(`Unsupported script type ${JSON.stringify(scriptType)} (expected PYTHON or SHELL)`);
  }
}

export function timeoutMessage(timeoutSeconds: number): string {
  return `\nPython script has been killed due to timeout after waiting ${timeoutSeconds} secs`;
}

export async function runCommand(req: RunRequest): Promise<RunResult> {
  // ---- setup: everything here may throw ----
  const interpreter = interpreterFor(req.scriptType);
  if (!(req.timeoutSeconds > 0)) {
    throw new Error(`Invalid command timeout ${String(req.timeoutSeconds)} (expected seconds > 0)`);
  }
  const scriptStat = await stat(req.script).catch(() => undefined);
  if (!scriptStat?.isFile()) throw new Error(`Script ${req.script} does not exist`);

  const files = commandFiles(req.prefixDir, req.taskId, req.auto);
  await mkdir(req.prefixDir, { recursive: true });
  await writeJsonAtomic(files.commandJson, req.command);
  await rm(files.structuredOut, { force: true });
  const outFile = await openTruncated(files.output);
  const errFile = await openTruncated(files.errors);

  const cwd = (await isDirectory(req.baseDir)) ? req.baseDir : req.prefixDir;
  const args = [
    req.script,
    req.commandName,
    files.commandJson,
    req.baseDir,
    files.structuredOut,
    req.logLevel ?? 'INFO',
    req.tmpDir,
  ];
  const started = Date.now();

  if (req.signal?.aborted) {
    await Promise.all([closeStream(outFile), closeStream(errFile)]);
    return {
      exitCode: 128 + SIGTERM_NUMBER,
      stdout: '',
      stderr: '',
      structuredOut: {},
      timedOut: false,
      cancelled: true,
      durationMs: Date.now() - started,
    };
  }

  const marker = `${process.pid}-${String(req.taskId)}-${randomBytes(12).toString('hex')}`;
  let child: ChildProcess;
  try {
    child = spawn(interpreter, args, {
      cwd,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, [MARKER_ENV]: marker },
    });
  } catch (err) {
    await Promise.all([closeStream(outFile), closeStream(errFile)]);
    throw new Error(`Cannot start ${interpreter} ${req.script}: ${(err as Error).message}`);
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  if (child.pid === undefined) {
    const err = await new Promise<Error>((resolve) => child.once('error', resolve));
    await Promise.all([closeStream(outFile), closeStream(errFile)]);
    throw new Error(`Cannot start ${interpreter} ${req.script}: ${err.message}`);
  }
  child.on('error', () => {}); // later errors (a failed kill) are not fatal
  const pid = child.pid;
  if (req.onSpawn) {
    try {
      req.onSpawn({ pid, startTime: readProcStat(pid)?.start ?? '', marker });
    } catch {
      // the run goes on; only recovery after a crash would miss it
    }
  }

  // ---- run ----
  const pipeEnded = [pump(child.stdout!, outFile, 'stdout', req.onOutput), pump(child.stderr!, errFile, 'stderr', req.onOutput)];

  let childExited = false;
  let killing: Promise<void> | undefined;
  let timedOut = false;
  let cancelled = false;
  const tree = new ProcessTree(pid, marker, () => childExited);
  const startKill = (): void => {
    if (childExited || killing) return;
    killing = tree.kill();
  };

  let timer: NodeJS.Timeout | undefined;
  const timeoutMs = req.timeoutSeconds * 1000;
  if (timeoutMs <= MAX_TIMER_MS) {
    timer = setTimeout(() => {
      if (childExited || killing) return;
      timedOut = true;
      startKill();
    }, timeoutMs);
  }
  const onAbort = (): void => {
    if (childExited || killing) return;
    cancelled = true;
    startKill();
  };
  req.signal?.addEventListener('abort', onAbort, { once: true });

  const exit = await exited;
  childExited = true;
  if (timer) clearTimeout(timer);
  req.signal?.removeEventListener('abort', onAbort);
  if (killing) await killing;

  // Drain what is left in the pipes; do not wait for a leftover daemon holding them.
  await Promise.race([Promise.all(pipeEnded), delay(DRAIN_AFTER_EXIT_MS)]);
  child.stdout?.destroy();
  child.stderr?.destroy();
  await Promise.all(pipeEnded);

  let exitCode: number;
  if (exit.code !== null) exitCode = exit.code;
  else exitCode = 128 + (exit.signal ? (osConstants.signals[exit.signal] ?? 0) : 0);
  if (timedOut) {
    exitCode = TIMEOUT_EXIT_CODE;
    errFile.write(timeoutMessage(req.timeoutSeconds));
  } else if (cancelled && exitCode === 0) {
    exitCode = 128 + SIGTERM_NUMBER;
  }
  await Promise.all([closeStream(outFile), closeStream(errFile)]);
  const outputChars = req.outputChars ?? DEFAULT_OUTPUT_CHARS;
  const [stdout, stderr] = await Promise.all([readTail(files.output, outputChars), readTail(files.errors, outputChars)]);

  return {
    exitCode,
    stdout: stdout.text,
    stderr: stderr.text,
    structuredOut: await readStructuredOut(files.structuredOut),
    timedOut,
    cancelled,
    pid,
    durationMs: Date.now() - started,
  };
}

// ---------------------------------------------------------------------------------------------
// Files and streams

async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temp, JSON.stringify(value, null, 2), { mode: 0o600, flag: 'wx' });
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** Opened (and truncated) up front so that a failure is a setup error, not a stream event. */
async function openTruncated(file: string): Promise<WriteStream> {
  const handle = await open(file, 'w', 0o600);
  const stream = handle.createWriteStream();
  stream.on('error', () => {}); // a full disk must not crash the agent; the run goes on
  return stream;
}

function closeStream(stream: WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.closed || stream.destroyed) return resolve();
    stream.once('close', () => resolve());
    stream.end();
  });
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

/**
 * Past this a structured output could not go in any report frame (the server's default
 * stomp.max_incoming.message.size is 2 MiB), so it is not read into memory at all.
 */
const MAX_STRUCTURED_OUT_BYTES = 2 * 1024 * 1024;

async function readStructuredOut(file: string): Promise<Record<string, unknown>> {
  try {
    const { size } = await stat(file);
    if (size > MAX_STRUCTURED_OUT_BYTES) {
      return { msg: `The structured output (${size} bytes, ${file}) is over ${MAX_STRUCTURED_OUT_BYTES} bytes and was not read` };
    }
    const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/** Pipe -> file + live callback; resolves when the pipe ended or was destroyed. */
function pump(
  pipe: Readable,
  file: WriteStream,
  name: 'stdout' | 'stderr',
  onOutput: RunRequest['onOutput'],
): Promise<void> {
  const decoder = new StringDecoder('utf8');
  const emit = (text: string): void => {
    if (!onOutput || text === '') return;
    try {
      onOutput(name === 'stdout' ? { stdout: text } : { stderr: text });
    } catch {
      // a failing listener must not break the run
    }
  };
  pipe.on('data', (chunk: Buffer) => {
    // Back-pressure: a script writing faster than the disk must not pile its output up in memory.
    if (!file.destroyed && !file.write(chunk)) {
      pipe.pause();
      const resume = (): void => {
        file.off('drain', resume);
        file.off('error', resume);
        file.off('close', resume);
        pipe.resume();
      };
      file.on('drain', resume);
      file.on('error', resume);
      file.on('close', resume);
    }
    emit(decoder.write(chunk));
  });
  return new Promise((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      emit(decoder.end());
      resolve();
    };
    pipe.once('end', finish);
    pipe.once('close', finish);
    pipe.once('error', finish);
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------------
// The process tree and its killing

interface ProcStat {
  pid: number;
  ppid: number;
  pgrp: number;
  state: string;
  start: string;
}

function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime
  //  stime cutime cstime priority nice threads itrealvalue starttime ..."; comm may hold spaces.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  if (fields.length < 20) return undefined;
  return { pid, state: fields[0]!, ppid: Number(fields[1]), pgrp: Number(fields[2]), start: fields[19]! };
}

function readProcTable(): ProcStat[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const table: ProcStat[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const entry = readProcStat(Number(name));
    if (entry) table.push(entry);
  }
  return table;
}

function hasMarker(pid: number, needle: Buffer): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`).includes(needle);
  } catch {
    return false;
  }
}

function signal(target: number, sig: NodeJS.Signals): void {
  try {
    process.kill(target, sig);
  } catch {
    // ESRCH: already gone; EPERM: not ours to kill
  }
}

function treeKillAsync(pid: number, sig: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => {
    try {
      treeKill(pid, sig, () => resolve());
    } catch {
      resolve();
    }
  });
}

/**
 * The descendants of one spawned child, remembered by (pid, start time) across re-scans so
 * that processes re-parented to init are still known and recycled pids are never signalled.
 */
class ProcessTree {
  private readonly known = new Map<number, string>();
  private readonly needle: Buffer;
  private readonly helpers: Promise<void>[] = [];

  constructor(
    private readonly root: number,
    marker: string,
    private readonly rootExited: () => boolean,
    /** False for a leftover tree whose root is gone: its process group id may be reused. */
    private readonly signalGroup = true,
  ) {
    this.needle = Buffer.from(`${MARKER_ENV}=${marker}\0`);
  }

  /** Adopts a process known by (pid, start time), e.g. the live root of a leftover tree. */
  adopt(pid: number, start: string): void {
    this.known.set(pid, start);
  }

  /** Known processes still running (after a scan). */
  members(): number[] {
    return this.alive();
  }

  /** Re-scans /proc; returns the pids found for the first time. */
  scan(): number[] {
    const table = readProcTable();
    const byPid = new Map(table.map((p) => [p.pid, p]));
    const children = new Map<number, number[]>();
    for (const p of table) {
      const list = children.get(p.ppid);
      if (list) list.push(p.pid);
      else children.set(p.ppid, [p.pid]);
    }
    const found = new Set<number>();
    const queue: number[] = [];
    const add = (pid: number): void => {
      if (found.has(pid) || pid === process.pid || pid <= 1) return;
      found.add(pid);
      queue.push(pid);
    };
    // The root's pid is ours until node reaped it, i.e. until 'exit' was emitted.
    if (!this.rootExited() && byPid.has(this.root)) add(this.root);
    for (const [pid, start] of this.known) if (byPid.get(pid)?.start === start) add(pid);
    for (const p of table) {
      if ((this.signalGroup && p.pgrp === this.root) || (!found.has(p.pid) && hasMarker(p.pid, this.needle))) add(p.pid);
    }
    while (queue.length > 0) for (const kid of children.get(queue.pop()!) ?? []) add(kid);

    // Every pid found is in the tree now (reached from a live, identity-checked member), so a
    // known pid with a new start time is a recycled pid that a member forked: record it anew.
    const fresh: number[] = [];
    for (const pid of found) {
      const start = byPid.get(pid)!.start;
      if (this.known.get(pid) === start) continue;
      this.known.set(pid, start);
      fresh.push(pid);
    }
    return fresh;
  }

  /** Known processes (the root included) that still run; zombies count as gone. */
  private alive(): number[] {
    const live: number[] = [];
    for (const [pid, start] of this.known) {
      const now = readProcStat(pid);
      if (now && now.start === start && now.state !== 'Z' && now.state !== 'X') live.push(pid);
    }
    return live;
  }

  private gone(): boolean {
    return this.rootExited() && this.alive().length === 0;
  }

  private signalAll(sig: NodeJS.Signals, only?: number[]): void {
    if (this.signalGroup) signal(-this.root, sig);
    if (!this.rootExited()) this.helpers.push(treeKillAsync(this.root, sig));
    for (const pid of only ?? this.alive()) signal(pid, sig);
  }

  /** SIGTERM, grace, freeze + SIGKILL; resolves when the root exited and no known process runs. */
  async kill(): Promise<void> {
    this.scan();
    this.signalAll('SIGTERM');
    const graceEnd = Date.now() + KILL_GRACE_MS;
    while (Date.now() < graceEnd) {
      await delay(POLL_MS);
      const fresh = this.scan();
      if (fresh.length > 0) this.signalAll('SIGTERM', fresh);
      if (this.gone()) break;
    }

    if (!this.gone()) {
      // Freeze first, so that nothing can fork (and orphan a child) between scan and kill.
      for (let round = 0; round < 20; round++) {
        this.signalAll('SIGSTOP');
        if (this.scan().length === 0) break;
      }
      this.signalAll('SIGKILL');
    }
    // Stragglers (a fork racing the freeze, a slow exit): keep scanning and SIGKILLing until
    // the root exited and every known process is gone (or a few seconds passed: a process in
    // uninterruptible sleep cannot be helped).
    const hardEnd = Date.now() + 5000;
    while (!this.gone() && Date.now() < hardEnd) {
      await delay(POLL_MS);
      this.scan();
      this.signalAll('SIGKILL');
    }
    await Promise.all(this.helpers);
  }
}

/**
 * Kills what is left of a command tree started by an agent that is gone (SIGKILLed, crashed):
 * its processes were re-parented to init, so they are found by the marker in their environment,
 * and by the root itself when it still runs with the same start time (a recycled pid is never
 * signalled). Same SIGTERM, grace, freeze and SIGKILL as a timeout. Resolves with the pids it
 * found (empty when nothing was left).
 */
export async function killLeftoverTree(spawned: SpawnedProcess): Promise<number[]> {
  const rootStat = readProcStat(spawned.pid);
  const rootAlive = rootStat !== undefined && spawned.startTime !== '' && rootStat.start === spawned.startTime && rootStat.state !== 'Z';
  const tree = new ProcessTree(spawned.pid, spawned.marker, () => true, rootAlive);
  if (rootAlive) tree.adopt(spawned.pid, rootStat.start);
  tree.scan();
  const found = tree.members();
  if (found.length > 0) await tree.kill();
  return found;
}
