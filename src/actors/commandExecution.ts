// The command machine's `run` actor for real: one attempt of one execution command through
// the command runner, with the reports the server sees while it runs, and the bookkeeping
// that lets a later agent clean up after this one if it dies mid-command.
//
// - Script: commandParams.script, relative to CACHE_DIR/commandParams.service_package_folder
//   (an absolute script path is taken as is, as os.path.join does in the original).
// - Interpreter: commandParams.script_type, PYTHON (python3) or SHELL (/bin/sh, an extension).
// - Timeout: commandParams.command_timeout seconds (DEFAULT_COMMAND_TIMEOUT when absent).
// - Reports: an IN_PROGRESS report at the start of each attempt, kept up to date with the output
//   so far when command_update_output=1 (without output otherwise); the reporter actor sends
//   what is pending every command_reports_interval.
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { fromPromise } from 'xstate';
import type { LogFn } from '../logging/logger.js';
import { reportTemplate, type AttemptResult, type ExecutionCommand } from '../machines/command.js';
import { commandFiles, killLeftoverTree, MAX_CAPTURE_BYTES, runCommand } from './commandRunner.js';
import type { StatusRun } from './hostComponents.js';
import type { ReportStore } from './reportStore.js';
import type { RunningCommands } from './runningCommands.js';

export const DEFAULT_COMMAND_TIMEOUT = 600;
/** The original's exit code in IN_PROGRESS reports. */
export const IN_PROGRESS_EXIT_CODE = 777;
/** Output changes are folded into the pending IN_PROGRESS report at most this often. */
const PROGRESS_EVERY_MS = 200;

export interface ExecutionSettings {
  prefixDir: string;
  cacheDir: string;
  logLevel: string;
  /** [agent] command_update_output=1: IN_PROGRESS reports carry the output so far. */
  updateOutput: boolean;
  store: ReportStore;
  running: RunningCommands;
  log: LogFn;
}

const params = (command: ExecutionCommand): Record<string, unknown> => command.commandParams ?? {};

/** The script to run and its base dir (the service package folder under the cache dir). */
export function resolveScript(cacheDir: string, commandParams: Record<string, unknown>): { script: string; baseDir: string } {
  const script = commandParams.script;
  if (typeof script !== 'string' || script === '') throw new Error('commandParams.script is missing');
  const folder = typeof commandParams.service_package_folder === 'string' ? commandParams.service_package_folder : '';
  const baseDir = resolve(cacheDir, folder);
  return { script: resolve(baseDir, script), baseDir };
}

/** The command name the script is given: the custom command's name for CUSTOM_COMMAND. */
export function commandName(command: ExecutionCommand): string {
  const role = String(command.roleCommand ?? '');
  if (role === 'CUSTOM_COMMAND') {
    for (const custom of [(command.hostLevelParams as Record<string, unknown> | undefined)?.custom_command, params(command).custom_command]) {
      if (typeof custom === 'string' && custom !== '') return custom;
    }
  }
  return role;
}

export function timeoutSeconds(command: ExecutionCommand): number {
  const value = params(command).command_timeout;
  if (value === undefined || value === null || value === '') return DEFAULT_COMMAND_TIMEOUT;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`commandParams.command_timeout ${JSON.stringify(value)} is not a number of seconds`);
  return seconds;
}

/** Keeps the last MAX_CAPTURE_BYTES (roughly: by characters) of a growing text. */
function appendTail(text: string, more: string): string {
  const joined = text + more;
  return joined.length > MAX_CAPTURE_BYTES ? joined.slice(joined.length - MAX_CAPTURE_BYTES) : joined;
}

export function createRunAttempt(settings: ExecutionSettings) {
  const { store, running, log } = settings;
  return fromPromise<AttemptResult, { command: ExecutionCommand; attempt: number; signal: AbortSignal }>(({ input, signal: stopped }) => {
    const { command } = input;
    const taskId = command.taskId;
    const template = reportTemplate(command);
    const files = commandFiles(settings.prefixDir, taskId);
    let stdout = '';
    let stderr = '';
    const progress = (): void => {
      store.put({
        ...template,
        status: 'IN_PROGRESS',
        exitCode: IN_PROGRESS_EXIT_CODE,
        stdout: settings.updateOutput ? stdout : '',
        stderr: settings.updateOutput ? stderr : '',
        structuredOut: {},
        tmpout: files.output,
        tmperr: files.errors,
      });
    };
    let progressTimer: NodeJS.Timeout | undefined;
    const onOutput = (chunk: { stdout?: string; stderr?: string }): void => {
      if (chunk.stdout) stdout = appendTail(stdout, chunk.stdout);
      if (chunk.stderr) stderr = appendTail(stderr, chunk.stderr);
      if (settings.updateOutput && !progressTimer) {
        progressTimer = setTimeout(() => {
          progressTimer = undefined;
          progress();
        }, PROGRESS_EVERY_MS);
      }
    };

    const attempt = (async () => {
      const { script, baseDir } = resolveScript(settings.cacheDir, params(command));
      progress();
      log(`task-${taskId}`, 'info', `Running ${commandName(command)} of ${String(command.role)} (task ${taskId}, attempt ${input.attempt}): ${script}`);
      try {
        const result = await runCommand({
          command,
          taskId,
          prefixDir: settings.prefixDir,
          script,
          scriptType: String(params(command).script_type ?? 'PYTHON'),
          commandName: commandName(command),
          baseDir,
          logLevel: settings.logLevel,
          tmpDir: tmpdir(),
          timeoutSeconds: timeoutSeconds(command),
          // A CANCEL aborts input.signal; a stopped actor (the agent going away) aborts `stopped`.
          signal: AbortSignal.any([input.signal, stopped]),
          // Output is collected only for IN_PROGRESS reports that carry it.
          onOutput: settings.updateOutput ? onOutput : undefined,
          onSpawn: (spawned) =>
            running.add({ taskId, template, process: spawned, files: { output: files.output, errors: files.errors }, agentPid: process.pid, startedAt: Date.now() }),
        });
        log(`task-${taskId}`, result.exitCode === 0 ? 'info' : 'warn', `${commandName(command)} of ${String(command.role)} (task ${taskId}) exited with ${result.exitCode}${result.timedOut ? ' (timed out)' : result.cancelled ? ' (cancelled)' : ''} after ${result.durationMs} ms`);
        return result;
      } finally {
        clearTimeout(progressTimer);
        running.attemptEnded(taskId);
      }
    })();
    return running.track(attempt);
  });
}

/**
 * A status command of one component (STATUS, SECURITY_STATUS, GET_VERSION) through the same
 * runner, outside the action queue (status checks must not wait behind a long INSTALL). Its
 * files are command-status-COMPONENT-COMMAND.json etc., overwritten by the next check.
 */
export function createStatusRun(settings: Pick<ExecutionSettings, 'prefixDir' | 'cacheDir' | 'logLevel'>) {
  return async (request: StatusRun): Promise<{ exitCode: number; structuredOut: Record<string, unknown> }> => {
    const command: ExecutionCommand = {
      taskId: -1,
      commandType: 'STATUS_COMMAND',
      clusterId: request.clusterId,
      serviceName: request.serviceName,
      role: request.componentName,
      roleCommand: request.commandName,
      commandParams: request.commandParams,
    };
    const { script, baseDir } = resolveScript(settings.cacheDir, request.commandParams);
    const result = await runCommand({
      command,
      taskId: `status-${request.componentName}-${request.commandName}`.replace(/[^A-Za-z0-9_.-]/g, '_'),
      prefixDir: settings.prefixDir,
      script,
      scriptType: String(request.commandParams.script_type ?? 'PYTHON'),
      commandName: request.commandName,
      baseDir,
      logLevel: settings.logLevel,
      tmpDir: tmpdir(),
      timeoutSeconds: request.timeoutSeconds,
      signal: request.signal,
    });
    return { exitCode: result.exitCode, structuredOut: result.structuredOut };
  };
}

/** How much of a leftover command's output files goes into its report. */
async function readTail(file: string): Promise<string> {
  try {
    const handle = await open(file, 'r');
    try {
      const { size } = await handle.stat();
      const start = Math.max(0, size - MAX_CAPTURE_BYTES);
      const buffer = Buffer.alloc(size - start);
      await handle.read(buffer, 0, buffer.length, start);
      return buffer.toString('utf8');
    } finally {
      await handle.close();
    }
  } catch {
    return '';
  }
}

/**
 * Deals with the commands a previous agent left running (see runningCommands.ts): kills what
 * is left of each tree and stores a FAILED final report for it (persisted, so it reaches the
 * server after registration even if this agent dies too). Returns how many there were.
 */
export async function recoverLeftoverCommands(settings: Pick<ExecutionSettings, 'store' | 'running' | 'log' | 'prefixDir'>): Promise<number> {
  const { store, running, log } = settings;
  const leftovers = running.leftovers((message) => log('recovery', 'warn', message));
  for (const entry of leftovers) {
    let note: string;
    if (entry.process) {
      const killed = await killLeftoverTree(entry.process);
      const what = killed.length > 0 ? `killed ${killed.length} leftover process(es) (${killed.join(', ')})` : 'none of its processes was left';
      log('recovery', 'warn', `Task ${entry.taskId} was running when agent ${entry.agentPid} stopped; ${what}; reporting it FAILED`);
      note = `\nThe agent (pid ${entry.agentPid}) stopped while this command ran; the next agent (pid ${process.pid}) ${what}.`;
    } else {
      // Queued or between retries: it is not run now (a command may not be safe to repeat).
      log('recovery', 'warn', `Task ${entry.taskId} was waiting to run when agent ${entry.agentPid} stopped; reporting it FAILED`);
      note = `\nThe agent (pid ${entry.agentPid}) stopped while this command waited to run; it was not run again.`;
    }
    const files = entry.files ?? commandFiles(settings.prefixDir, entry.taskId);
    store.put({
      ...entry.template,
      taskId: entry.taskId,
      status: 'FAILED',
      exitCode: 1,
      stdout: `${await readTail(files.output)}${note}\n\nCommand failed\n`,
      stderr: `${await readTail(files.errors)}${note}`,
      structuredOut: {},
    } as Parameters<ReportStore['put']>[0]);
    running.remove(entry.taskId);
  }
  return leftovers.length;
}
