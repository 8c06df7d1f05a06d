// One attempt of one execution command: the effectful core of the original agent's
// CustomServiceOrchestrator.runCommand + PythonExecutor.run_file (reference §9). An attempt
// runs a sequence of scripts (before-hooks, the command's script, after-hooks), each as
//
//   INTERPRETER SCRIPT COMMAND_NAME JSON_PATH BASEDIR STRUCTURED_OUT_PATH LOGLEVEL TMPDIR
//               PROTOCOL CA_CERT_PATH [-o]
//
// (ScriptEnvironment: the interpreter, TMPDIR and what follows it); the first non-zero exit,
// timeout or cancel ends the sequence and its exit code is the attempt's.
//
// Files under the prefix dir (auto_* variants for recovery commands):
//   command-ID.json         the full command JSON (commandJson.ts), pretty, mode 0600, written atomically
//   output-ID.txt           the scripts' stdout (truncated at the start of the attempt, after the
//                           one left by an earlier attempt was moved to output-ID.txt.N unless
//                           backupOutput is false), appended to by the later scripts
//   errors-ID.txt           the scripts' stderr (ditto), plus the timeout line when one timed out
//   structured-out-ID.json  written by the scripts; removed before the attempt, read back after
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
// - Package managers in the tree (PACKAGE_MANAGERS) and their descendants are never signalled
//   (shell.kill_process_with_children's exception_list): with one in the tree the others are
//   signalled one by one (no group signal, no tree-kill), the kill does not wait for them, the
//   pipes stay open for them (read and dropped), and the errors file names them.
// - Timeout: exit code 999 and "\nPython script has been killed due to timeout after waiting N
//   secs" appended to stderr (result and errors file), as the original. A timeout above the
//   setTimeout range (~24.8 days), or Infinity, means no watchdog. Each script of the sequence
//   has the whole timeout, as run_file is given it for each.
// - Cancel: cancelled: true; the exit code is the one the kill produced (128 + signal number
//   when killed by a signal). A script that swallows SIGTERM and exits 0 is still reported as
//   143 (128 + SIGTERM) so that a cancelled command can never look successful. A signal that is
//   already aborted before the start runs nothing (files are prepared, exit code 143, no pid).
// - A non-zero exit, a timeout and a cancel are results; only setup problems throw (unknown
//   script type, any script of the sequence missing, an empty sequence, unusable timeout,
//   interpreter that cannot be spawned, files or tmp_dir that cannot be written).
import { TIMEOUT_EXIT_CODE, type AttemptResult } from '../../machines/command.js';
import { scriptProcessEnv, type ScriptEnvironment } from './scriptEnvironment.js';
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
  /** The full command JSON (commandJson.ts), written as command-ID.json, pretty JSON. */
  command: Record<string, unknown>;
  taskId: number | string;
  /** [agent] prefix. */
  prefixDir: string;
  /**
   * Run in order (before-hooks, the command's script, after-hooks); the first non-zero exit
   * stops the sequence. Each script gets its own baseDir as BASEDIR (and as cwd when it is a
   * directory, else prefixDir). Every script must exist before anything runs.
   */
  scripts: Array<{ script: string; baseDir: string; scriptType?: string }>;
  /**
   * 'PYTHON' -> environment.interpreter, 'SHELL' -> /bin/sh (extension), anything else -> Error;
   * a script's own scriptType wins (hooks are hook.py, whatever the command's script is).
   */
  scriptType: string;
  /** The command name, e.g. the roleCommand INSTALL / START / ... */
  commandName: string;
  /** Default 'INFO'. */
  logLevel?: string;
  /** Interpreter, TMPDIR, the arguments after it and the scripts' environment. */
  environment: ScriptEnvironment;
  /** commandParams.command_timeout: the limit of EACH script of the sequence, as the original. */
  timeoutSeconds: number;
  /**
   * Move output-ID.txt / errors-ID.txt left by an earlier attempt to FILE.0, FILE.1, ...
   * before truncating them (the naming of PythonExecutor.back_up_log_file_if_exists); false for
   * status commands (CustomServiceOrchestrator.DONT_BACKUP_LOGS_FOR_COMMANDS). Unlike the
   * original, whose retries append to the files, every attempt starts them afresh: a report
   * holds the last attempt's output, the earlier ones stay in the backups.
   */
  backupOutput: boolean;
  /** How many characters of each stream the result keeps (the tail); DEFAULT_OUTPUT_CHARS. */
  outputChars?: number;
  /** Use the auto_* file names (recovery commands). */
  auto?: boolean;
  /** Cancel: kills the running script's tree; nothing after it runs. */
  signal?: AbortSignal;
  /** Live output, e.g. for IN_PROGRESS reports. Exceptions it throws are ignored. */
  onOutput?: (chunk: { stdout?: string; stderr?: string }) => void;
  /**
   * Called once each script of the sequence runs, with what identifies its tree after the
   * agent itself is gone (a SIGKILLed agent's successor kills a leftover tree with
   * killLeftoverTree); a later call replaces what an earlier one said. Exceptions it throws
   * are ignored.
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

/** A package manager (or one of its descendants) that a kill left running, see PACKAGE_MANAGERS. */
export interface SparedProcess {
  pid: number;
  /** Its /proc/PID/comm. */
  name: string;
}

/**
 * One attempt's result: what the command machine's `run` actor returns (AttemptResult; stdout
 * and stderr hold the files' last `outputChars`, stderr with the timeout line on timeout), and
 * the process facts.
 */
export interface RunResult extends AttemptResult {
  /** The last script spawned. */
  pid?: number;
  durationMs: number;
  /** What a timeout or cancel left running on purpose (package managers). */
  spared: SparedProcess[];
}

export function interpreterFor(scriptType: string, python = 'python3'): string {
  switch (scriptType.toUpperCase()) {
    case 'PYTHON':
      return python;
    case 'SHELL':
      return '/bin/sh';
    default:
      throw new Error(`Unsupported script type ${JSON.stringify(scriptType)} (expected PYTHON or SHELL)`);
  }
}

export function timeoutMessage(timeoutSeconds: number): string {
  return `\nPython script has been killed due to timeout after waiting ${timeoutSeconds} secs`;
}

/** "PID (NAME), PID (NAME)". */
export function sparedList(spared: SparedProcess[]): string {
  return spared.map((p) => `${p.pid} (${p.name})`).join(', ');
}

export function sparedMessage(spared: SparedProcess[]): string {
  return `\nThe package manager process(es) ${sparedList(spared)} were left to finish.`;
}

/** How one script of the sequence ended. */
interface ScriptOutcome {
  exitCode: number;
  timedOut: boolean;
  cancelled: boolean;
  pid?: number;
  spared: SparedProcess[];
}

export async function runCommand(req: RunRequest): Promise<RunResult> {
  // ---- setup: everything here may throw ----
  const interpreters = req.scripts.map((entry) => interpreterFor(entry.scriptType ?? req.scriptType, req.environment.interpreter));
  if (!(req.timeoutSeconds > 0)) {
    throw new Error(`Invalid command timeout ${String(req.timeoutSeconds)} (expected seconds > 0)`);
  }
  if (req.scripts.length === 0) throw new Error('No script to run (the sequence of hooks and script is empty)');
  // Independent steps run side by side: each is a round trip to the thread pool, and they
  // all stand between the command's arrival and its script's start.
  const [stats] = await Promise.all([Promise.all(req.scripts.map(({ script }) => stat(script).catch(() => undefined))), ensureTmpDir(req.environment.tmpDir), mkdir(req.prefixDir, { recursive: true })]);
  const missing = req.scripts.find((_, index) => !stats[index]?.isFile());
  if (missing) throw new Error(`Script ${missing.script} does not exist`);

  const files = commandFiles(req.prefixDir, req.taskId, req.auto);
  await Promise.all([
    writeJsonAtomic(files.commandJson, req.command),
    // Kept across the sequence: hooks and script may all write to it.
    rm(files.structuredOut, { force: true }),
    req.backupOutput ? backUpIfExists(files.output) : undefined,
    req.backupOutput ? backUpIfExists(files.errors) : undefined,
  ]);
  // Opened once for the whole sequence: the first script starts them, later ones append.
  const [outFile, errFile] = await Promise.all([openTruncated(files.output), openTruncated(files.errors)]);
  const started = Date.now();

  let outcome: ScriptOutcome = { exitCode: 128 + SIGTERM_NUMBER, timedOut: false, cancelled: true, spared: [] };
  let lastPid: number | undefined;
  try {
    for (const [index, entry] of req.scripts.entries()) {
      // Aborted before the start, or between two scripts: the rest is not run.
      if (req.signal?.aborted) {
        outcome = { exitCode: 128 + SIGTERM_NUMBER, timedOut: false, cancelled: true, pid: lastPid, spared: [] };
        break;
      }
      outcome = await runScript(req, entry, { interpreter: interpreters[index]!, files, outFile, errFile });
      lastPid = outcome.pid;
      if (outcome.exitCode !== 0 || outcome.timedOut || outcome.cancelled) break;
    }
  } catch (err) {
    await Promise.all([closeStream(outFile), closeStream(errFile)]);
    throw err;
  }

  if (outcome.timedOut) errFile.write(timeoutMessage(req.timeoutSeconds));
  if (outcome.spared.length > 0) errFile.write(sparedMessage(outcome.spared));
  await Promise.all([closeStream(outFile), closeStream(errFile)]);
  const outputChars = req.outputChars ?? DEFAULT_OUTPUT_CHARS;
  const [stdout, stderr] = await Promise.all([readTail(files.output, outputChars), readTail(files.errors, outputChars)]);

  return {
    exitCode: outcome.exitCode,
    stdout: stdout.text,
    stderr: stderr.text,
    structuredOut: await readStructuredOut(files.structuredOut),
    timedOut: outcome.timedOut,
    cancelled: outcome.cancelled,
    ...(outcome.pid !== undefined ? { pid: outcome.pid } : {}),
    durationMs: Date.now() - started,
    spared: outcome.spared,
  };
}

/** One script of the sequence, to its end (or its killed tree's end). */
async function runScript(
  req: RunRequest,
  entry: { script: string; baseDir: string },
  shared: { interpreter: string; files: CommandFiles; outFile: WriteStream; errFile: WriteStream },
): Promise<ScriptOutcome> {
  const { interpreter, files, outFile, errFile } = shared;
  const cwd = (await isDirectory(entry.baseDir)) ? entry.baseDir : req.prefixDir;
  const args = [
    entry.script,
    req.commandName,
    files.commandJson,
    entry.baseDir,
    files.structuredOut,
    req.logLevel ?? 'INFO',
    req.environment.tmpDir,
    ...req.environment.extraArgs,
  ];

  // One marker per script: a daemon an earlier script (START) left on purpose is not part of
  // a later script's (an after-hook's) tree.
  const marker = `${process.pid}-${String(req.taskId)}-${randomBytes(12).toString('hex')}`;
  let child: ChildProcess;
  try {
    child = spawn(interpreter, args, {
      cwd,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: scriptProcessEnv(req.environment, { [MARKER_ENV]: marker }),
    });
  } catch (err) {
    throw new Error(`Cannot start ${interpreter} ${entry.script}: ${(err as Error).message}`);
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  if (child.pid === undefined) {
    const err = await new Promise<Error>((resolve) => child.once('error', resolve));
    throw new Error(`Cannot start ${interpreter} ${entry.script}: ${err.message}`);
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
  const live = { on: true };
  const pipeEnded = [pump(child.stdout!, outFile, 'stdout', req.onOutput, live), pump(child.stderr!, errFile, 'stderr', req.onOutput, live)];

  let childExited = false;
  let killing: Promise<SparedProcess[]> | undefined;
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
  const spared = killing ? await killing : [];

  // Drain what is left in the pipes; do not wait for a leftover daemon holding them.
  await Promise.race([Promise.all(pipeEnded), delay(DRAIN_AFTER_EXIT_MS)]);
  live.on = false;
  if (spared.length > 0) {
    // A spared package manager may still write to the pipes: closing them would kill it with
    // SIGPIPE. They are read (and dropped) until it is done, without keeping the agent alive.
    for (const pipe of [child.stdout, child.stderr]) {
      pipe?.resume();
      (pipe as { unref?: () => void } | null)?.unref?.();
    }
  } else {
    child.stdout?.destroy();
    child.stderr?.destroy();
    await Promise.all(pipeEnded);
  }

  let exitCode: number;
  if (exit.code !== null) exitCode = exit.code;
  else exitCode = 128 + (exit.signal ? (osConstants.signals[exit.signal] ?? 0) : 0);
  if (timedOut) exitCode = TIMEOUT_EXIT_CODE;
  else if (cancelled && exitCode === 0) exitCode = 128 + SIGTERM_NUMBER;
  return { exitCode, timedOut, cancelled, pid, spared };
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

/** [agent] tmp_dir, made (mode 0700) when missing; a one-line setup error when it cannot be. */
async function ensureTmpDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if (!(await isDirectory(dir))) throw new Error('not a directory');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`Cannot create [agent] tmp_dir ${dir}: ${code ?? (err as Error).message}`);
  }
}

/** FILE -> the first free FILE.N (N = 0, 1, ...), as PythonExecutor.back_up_log_file_if_exists. */
async function backUpIfExists(file: string): Promise<void> {
  if (!(await stat(file).catch(() => undefined))?.isFile()) return;
  for (let n = 0; ; n++) {
    const backup = `${file}.${n}`;
    if (await stat(backup).catch(() => undefined)) continue;
    await rename(file, backup);
    return;
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
  live: { on: boolean },
): Promise<void> {
  const decoder = new StringDecoder('utf8');
  const emit = (text: string): void => {
    if (!onOutput || text === '' || !live.on) return;
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

/**
 * Never signalled by a timeout or cancel, nor anything below them (dpkg under apt, maintainer
 * scripts under dpkg): a killed package manager can leave its database broken (AMBARI-22888;
 * the exception_list of ambari_commons.shell.kill_process_with_children, plus dpkg and dnf).
 */
export const PACKAGE_MANAGERS: ReadonlySet<string> = new Set(['apt-get', 'apt', 'dpkg', 'yum', 'dnf', 'zypper', 'zypp']);

interface ProcStat {
  pid: number;
  comm: string;
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
  const close = text.lastIndexOf(')');
  const fields = text.slice(close + 2).split(' ');
  if (fields.length < 20) return undefined;
  const comm = text.slice(text.indexOf('(') + 1, close);
  return { pid, comm, state: fields[0]!, ppid: Number(fields[1]), pgrp: Number(fields[2]), start: fields[19]! };
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
 * Package managers found in it and their descendants are kept apart (`spared`): never
 * signalled, and not waited for.
 */
class ProcessTree {
  private readonly known = new Map<number, string>();
  private readonly spared = new Map<number, { start: string; name: string }>();
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

  /** Known processes still running (after a scan), the spared ones left out. */
  members(): number[] {
    return this.alive();
  }

  /** Every process spared so far. */
  sparedProcesses(): SparedProcess[] {
    return [...this.spared].map(([pid, { name }]) => ({ pid, name }));
  }

  /** Re-scans /proc; returns the pids (not spared) found for the first time. */
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

    // Package managers and everything below them (also below one spared before that was
    // re-parented since) are spared from now on, even one that was a member before (a
    // shell that exec'd apt-get).
    const sparing: number[] = [];
    for (const pid of found) if (PACKAGE_MANAGERS.has(byPid.get(pid)!.comm.toLowerCase())) sparing.push(pid);
    for (const [pid, { start }] of this.spared) if (byPid.get(pid)?.start === start) sparing.push(pid);
    const sparedNow = new Set<number>();
    while (sparing.length > 0) {
      const pid = sparing.pop()!;
      if (sparedNow.has(pid) || pid === process.pid || pid <= 1) continue;
      sparedNow.add(pid);
      sparing.push(...(children.get(pid) ?? []));
    }
    for (const pid of sparedNow) {
      const p = byPid.get(pid)!;
      if (this.spared.get(pid)?.start !== p.start) this.spared.set(pid, { start: p.start, name: p.comm });
      if (this.known.get(pid) === p.start) this.known.delete(pid);
    }

    // Every pid found is in the tree now (reached from a live, identity-checked member), so a
    // known pid with a new start time is a recycled pid that a member forked: record it anew.
    const fresh: number[] = [];
    for (const pid of found) {
      if (sparedNow.has(pid)) continue;
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
    // A spared root (a script that exec'd a package manager) is not waited for here.
    return (this.rootExited() || this.spared.has(this.root)) && this.alive().length === 0;
  }

  private signalAll(sig: NodeJS.Signals, only?: number[]): void {
    // The group signal and tree-kill would hit a spared process too: with one in the tree,
    // the members are signalled one by one.
    const wholeTree = this.spared.size === 0;
    if (wholeTree && this.signalGroup) signal(-this.root, sig);
    if (wholeTree && !this.rootExited()) this.helpers.push(treeKillAsync(this.root, sig));
    for (const pid of only ?? this.alive()) signal(pid, sig);
  }

  /**
   * SIGTERM, grace, freeze + SIGKILL; resolves when the root exited (or is spared) and no
   * known process runs, with the processes it spared.
   */
  async kill(): Promise<SparedProcess[]> {
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
    return this.sparedProcesses();
  }
}

/** What killLeftoverTree found: the pids it killed and the package managers it left running. */
export interface LeftoverKill {
  killed: number[];
  spared: SparedProcess[];
}

/**
 * Kills what is left of a command tree started by an agent that is gone (SIGKILLed, crashed):
 * its processes were re-parented to init, so they are found by the marker in their environment,
 * and by the root itself when it still runs with the same start time (a recycled pid is never
 * signalled). Same SIGTERM, grace, freeze and SIGKILL as a timeout, and the same package
 * managers spared. Both lists are empty when nothing was left.
 */
export async function killLeftoverTree(spawned: SpawnedProcess): Promise<LeftoverKill> {
  const rootStat = readProcStat(spawned.pid);
  const rootAlive = rootStat !== undefined && spawned.startTime !== '' && rootStat.start === spawned.startTime && rootStat.state !== 'Z';
  const tree = new ProcessTree(spawned.pid, spawned.marker, () => true, rootAlive);
  if (rootAlive) tree.adopt(spawned.pid, rootStat.start);
  tree.scan();
  const killed = tree.members();
  const spared = killed.length > 0 ? await tree.kill() : tree.sparedProcesses();
  return { killed, spared };
}
