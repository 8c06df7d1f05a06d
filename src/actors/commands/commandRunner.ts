// One attempt of one execution command: the effectful core of the original agent's
// CustomServiceOrchestrator.runCommand + PythonExecutor.run_file (reference §9). An attempt
// runs a sequence of scripts (before-hooks, the command's script, after-hooks), each as
//
//   INTERPRETER SCRIPT COMMAND_NAME JSON_PATH BASEDIR STRUCTURED_OUT_PATH LOGLEVEL TMPDIR
//               PROTOCOL CA_CERT_PATH [-o]
//
// (ScriptEnvironment: the interpreter, TMPDIR and what follows it); the first non-zero exit,
// timeout or cancel ends the sequence and its exit code is the attempt's. Its files are
// commandFiles.ts's, its output goes through outputCapture.ts, and a timeout or cancel kills
// the script's tree as processTree.ts does.
//
// Choices (differences from, or additions to, the original):
// - scriptType 'SHELL' runs the script with /bin/sh and the same argument list. This is an
//   extension: the original only runs PYTHON scripts. Any other type is a setup error.
// - The result's stdout/stderr are read back from the files' ends once they are closed, cut to
//   `outputChars` characters as PythonExecutor.condense_output cuts with log_max_symbols_size
//   (the tail, whole lines, outputTail.ts), reading at most 3 bytes per kept character.
// - Package managers spared by a kill (processTree.ts) are named in the errors file.
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
import { closeStream, commandFiles, ensureTmpDir, isDirectory, openTruncated, prepareCommandFiles, readStructuredOut, type CommandFiles } from './commandFiles.js';
import { captureOutput, type OutputListener } from './outputCapture.js';
import { readTail } from './outputTail.js';
import { MARKER_ENV, newMarker, ProcessTree, sparedMessage, spawnedProcess, type SpawnedProcess, type SparedProcess } from './processTree.js';
import { scriptProcessEnv, type ScriptEnvironment } from './scriptEnvironment.js';
import { spawn, type ChildProcess } from 'node:child_process';
import type { WriteStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';

/** [heartbeat] log_max_symbols_size's default: the result's streams keep this many characters (the tail). */
export const DEFAULT_OUTPUT_CHARS = 900_000;

const MAX_TIMER_MS = 2 ** 31 - 1;
const SIGTERM_NUMBER = osConstants.signals.SIGTERM;

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
  onOutput?: OutputListener;
  /**
   * Called once each script of the sequence runs, with what identifies its tree after the
   * agent itself is gone (a SIGKILLed agent's successor kills a leftover tree with
   * killLeftoverTree); a later call replaces what an earlier one said. Exceptions it throws
   * are ignored.
   */
  onSpawn?: (process: SpawnedProcess) => void;
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
  await prepareCommandFiles(files, req.command, req.backupOutput);
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
  const marker = newMarker(req.taskId);
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
      req.onSpawn(spawnedProcess(pid, marker));
    } catch {
      // the run goes on; only recovery after a crash would miss it
    }
  }

  // ---- run ----
  const output = captureOutput(child, outFile, errFile, req.onOutput);

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

  // Drain what is left in the pipes; do not wait for a leftover daemon holding them, nor
  // close them on a spared package manager.
  await output.finish(spared.length > 0);

  let exitCode: number;
  if (exit.code !== null) exitCode = exit.code;
  else exitCode = 128 + (exit.signal ? (osConstants.signals[exit.signal] ?? 0) : 0);
  if (timedOut) exitCode = TIMEOUT_EXIT_CODE;
  else if (cancelled && exitCode === 0) exitCode = 128 + SIGTERM_NUMBER;
  return { exitCode, timedOut, cancelled, pid, spared };
}
