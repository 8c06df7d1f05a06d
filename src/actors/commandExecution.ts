// The command machine's `run` actor for real: one attempt of one execution command through
// the command runner, with the reports the server sees while it runs, and the bookkeeping
// that lets a later agent clean up after this one if it dies mid-command.
//
// - Script: commandParams.script, relative to CACHE_DIR/commandParams.service_package_folder
//   (an absolute script path is taken as is, as os.path.join does in the original).
// - Interpreter: commandParams.script_type, PYTHON (python3) or SHELL (/bin/sh, an extension).
// - Timeout: commandParams.command_timeout seconds (DEFAULT_COMMAND_TIMEOUT when absent).
// - Reports: the task is marked IN_PROGRESS in the report store at the start of each attempt
//   (the reporter sends that at once, and again every command_reports_interval with the last
//   lines of the output files when command_update_output=1); nothing of the output is held in
//   memory here. The final report is cut to log_max_symbols_size (commandReport.ts).
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { fromPromise } from 'xstate';
import type { LogFn } from '../logging/logger.js';
import { reportTemplate, type AttemptResult, type CommandReport, type ExecutionCommand } from '../machines/command.js';
import { finalReport, reportHeader } from './commandReport.js';
import { commandFiles, DEFAULT_OUTPUT_CHARS, killLeftoverTree, runCommand } from './commandRunner.js';
import { readTail } from './outputTail.js';
import { busyingComponent, type ComponentActivity } from './componentActivity.js';
import type { StatusRun } from './hostComponents.js';
import type { ReportStore } from './reportStore.js';
import type { RunningCommands } from './runningCommands.js';

export const DEFAULT_COMMAND_TIMEOUT = 600;

export interface ExecutionSettings {
  prefixDir: string;
  cacheDir: string;
  logLevel: string;
  /** [agent] command_update_output=1: IN_PROGRESS reports carry the output so far. */
  updateOutput: boolean;
  /** [heartbeat] log_max_symbols_size: how much of each stream a report keeps (the tail). */
  maxOutputChars?: number;
  store: ReportStore;
  running: RunningCommands;
  /** Which components have a command running (the status reporter skips them meanwhile). */
  activity: ComponentActivity;
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

export function createRunAttempt(settings: ExecutionSettings) {
  const { store, running, log } = settings;
  return fromPromise<AttemptResult, { command: ExecutionCommand; attempt: number; signal: AbortSignal }>(({ input, signal: stopped }) => {
    const { command } = input;
    const taskId = command.taskId;
    const template = reportTemplate(command);
    const files = commandFiles(settings.prefixDir, taskId);
    const progress = (): void => {
      store.putInProgress({ header: reportHeader(template), files, withOutput: settings.updateOutput });
    };

    const attempt = (async () => {
      // Busy from before the script starts until its tree is gone (CustomServiceOrchestrator.runCommand).
      const component = busyingComponent(command);
      const idle = component ? settings.activity.begin(component) : undefined;
      try {
        return await runAttempt();
      } finally {
        idle?.();
      }
    })();
    return running.track(attempt);

    async function runAttempt(): Promise<AttemptResult> {
      const { script, baseDir } = resolveScript(settings.cacheDir, params(command));
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
          outputChars: settings.maxOutputChars,
          onSpawn: (spawned) => {
            running.add({ taskId, template, process: spawned, files: { output: files.output, errors: files.errors }, agentPid: process.pid, startedAt: Date.now() });
            // IN_PROGRESS once the script runs: its report round (file reads, a request) then
            // never delays the start itself.
            progress();
          },
        });
        log(`task-${taskId}`, result.exitCode === 0 ? 'info' : 'warn', `${commandName(command)} of ${String(command.role)} (task ${taskId}) exited with ${result.exitCode}${result.timedOut ? ' (timed out)' : result.cancelled ? ' (cancelled)' : ''} after ${result.durationMs} ms`);
        return result;
      } finally {
        running.attemptEnded(taskId);
      }
    }
  });
}

/**
 * A status command of one component (STATUS, SECURITY_STATUS, GET_VERSION) through the same
 * runner, outside the action queue (status checks must not wait behind a long INSTALL). Its
 * files are command-status-COMPONENT-COMMAND.json etc., overwritten by the next check; the
 * JSON is removed after each run.
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
    const taskId = `status-${request.componentName}-${request.commandName}`.replace(/[^A-Za-z0-9_.-]/g, '_');
    const result = await runCommand({
      command,
      taskId,
      prefixDir: settings.prefixDir,
      script,
      scriptType: String(request.commandParams.script_type ?? 'PYTHON'),
      commandName: request.commandName,
      baseDir,
      logLevel: settings.logLevel,
      tmpDir: tmpdir(),
      timeoutSeconds: request.timeoutSeconds,
      signal: request.signal,
      // The JSON holds the component's commandParams: CustomServiceOrchestrator.runCommand
      // unlinks a status command's file after the run, ignoring a failure.
    }).finally(() => rm(commandFiles(settings.prefixDir, taskId).commandJson, { force: true }).catch(() => {}));
    return { exitCode: result.exitCode, structuredOut: result.structuredOut };
  };
}

/**
 * Deals with the commands a previous agent left running (see runningCommands.ts): kills what
 * is left of each tree and stores a FAILED final report for it (persisted, so it reaches the
 * server after registration even if this agent dies too). Returns how many there were.
 */
export async function recoverLeftoverCommands(settings: Pick<ExecutionSettings, 'store' | 'running' | 'log' | 'prefixDir' | 'maxOutputChars'>): Promise<number> {
  const { store, running, log } = settings;
  const maxChars = settings.maxOutputChars ?? DEFAULT_OUTPUT_CHARS;
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
    // Only the tails are read (bounded), however big the files grew.
    const [out, err] = await Promise.all([readTail(files.output, maxChars), readTail(files.errors, maxChars)]);
    const outcome = {
      ...(entry.template as Partial<CommandReport>),
      taskId: entry.taskId,
      status: 'FAILED' as const,
      exitCode: 1,
      stdout: `${out.text}${note}\n\nCommand failed\n`,
      stderr: `${err.text}${note}`,
      structuredOut: {},
    };
    store.putFinal(finalReport(outcome, maxChars));
    running.remove(entry.taskId);
  }
  return leftovers.length;
}
