// The command machine's `run` actor for real: one attempt of one execution command through
// the command runner, with the reports the server sees while it runs, and the bookkeeping
// that lets a later agent clean up after this one if it dies mid-command.
//
// - Command JSON: the command completed from the caches as the original does (commandJson.ts);
//   a command that needs newer configurations than the cache holds (requiredConfigTimestamp)
//   waits for them, at most configWaitMs, then fails saying which timestamps it saw.
// - Scripts: found through the command's and the metadata's keys, their folders brought up to
//   date from the server's resources first, with the stack hooks around them (scriptLocation.ts).
// - Interpreter: commandParams.script_type, PYTHON (the environment's interpreter: $PYTHON or
//   python3) or SHELL (/bin/sh, an extension).
// - Timeout: commandParams.command_timeout seconds (DEFAULT_COMMAND_TIMEOUT when absent).
// - Reports: the task is marked IN_PROGRESS in the report store once the script runs (the
//   reporter sends that at once, and again every command_reports_interval with the last lines
//   of the output files when command_update_output=1); nothing of the output is held in
//   memory here. The final report is cut to log_max_symbols_size (commandReport.ts).
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { JsonObject } from '../../caches/json.js';
import type { LogFn } from '../../logging/logger.js';
import { fromCancellablePromise } from '../../machines/cancellableAttempt.js';
import { reportTemplate, type AttemptResult, type CommandReport, type ExecutionCommand, type RunInput } from '../../machines/command.js';
import { buildCommandJson, configurationsLag, type AgentFacts, type CommandCaches } from './commandJson.js';
import { finalReport, reportHeader } from './commandReport.js';
import { commandFiles } from './commandFiles.js';
import { DEFAULT_OUTPUT_CHARS, runCommand } from './commandRunner.js';
import { killLeftoverTree, sparedList, sparedMessage } from './processTree.js';
import type { ScriptEnvironment } from './scriptEnvironment.js';
import { readTail } from './outputTail.js';
import { busyingComponent, type ComponentActivity } from './componentActivity.js';
import type { StatusRun } from '../host/hostComponents.js';
import type { ReportStore } from '../reporters/reportStore.js';
import type { RunningCommands } from './runningCommands.js';
import { planScripts, type DirectoryProvider } from './scriptLocation.js';
import { errorMessage } from '../../util/errorMessage.js';

export const DEFAULT_COMMAND_TIMEOUT = 600;
/** How long a command waits for the configurations it requires (requiredConfigTimestamp). */
export const DEFAULT_CONFIG_WAIT_MS = 30_000;
const CONFIG_POLL_MS = 100;

export interface ExecutionSettings {
  prefixDir: string;
  cacheDir: string;
  logLevel: string;
  /** [agent] command_update_output=1: IN_PROGRESS reports carry the output so far. */
  updateOutput: boolean;
  /** [heartbeat] log_max_symbols_size: how much of each stream a report keeps (the tail). */
  maxOutputChars?: number;
  /** Interpreter, TMPDIR, the arguments after it and the scripts' environment (wiring builds it). */
  environment: ScriptEnvironment;
  store: ReportStore;
  running: RunningCommands;
  /** Which components have a command running (the status reporter skips them meanwhile). */
  activity: ComponentActivity;
  log: LogFn;
  /** The caches the command JSON is completed from, read at each attempt. Default: empty caches. */
  commandCaches?: () => CommandCaches;
  /** This agent's facts for agentLevelParams. Default: localhost names. */
  agentFacts?: () => AgentFacts;
  /** Brings cache folders up to date (fileCache.ts). Default: the cache dir as it is. */
  files?: DirectoryProvider;
  /** DEFAULT_CONFIG_WAIT_MS. */
  configWaitMs?: number;
}

const EMPTY_CACHES: CommandCaches = { topologies: {}, metadata: {}, configurations: {}, configurationsTimestamp: undefined, hostLevelParams: {} };

/** The cache folders as they are, nothing downloaded (the original with agent.auto.cache.update=false). */
export function localCacheDir(cacheDir: string): DirectoryProvider {
  return { provide: async (subdir) => join(cacheDir, subdir) };
}

function completeSettings(settings: ExecutionSettings) {
  return {
    caches: settings.commandCaches ?? (() => EMPTY_CACHES),
    facts: settings.agentFacts ?? (() => ({ hostname: 'localhost', publicHostname: 'localhost', cacheDir: settings.cacheDir, parallelExecution: 0, useSystemProxySettings: true })),
    files: settings.files ?? localCacheDir(settings.cacheDir),
    configWaitMs: settings.configWaitMs ?? DEFAULT_CONFIG_WAIT_MS,
  };
}

const params = (command: ExecutionCommand | JsonObject): Record<string, unknown> => (command.commandParams as Record<string, unknown> | undefined) ?? {};

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

export function timeoutSeconds(command: ExecutionCommand | JsonObject): number {
  const value = params(command).command_timeout;
  if (value === undefined || value === null || value === '') return DEFAULT_COMMAND_TIMEOUT;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`commandParams.command_timeout ${JSON.stringify(value)} is not a number of seconds`);
  return seconds;
}

/**
 * The full command JSON once the configurations it requires are in the cache: waits (polling
 * the cache) at most waitMs, then throws naming both timestamps.
 */
export async function commandWithConfigurations(header: JsonObject, caches: () => CommandCaches, agent: AgentFacts, waitMs: number, signal?: AbortSignal): Promise<JsonObject> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const current = caches();
    const lag = configurationsLag(header, current.configurationsTimestamp);
    if (!lag) return buildCommandJson(header, current, agent);
    if (signal?.aborted) throw new Error(`Cancelled while waiting for configurations with timestamp ${lag.required} (the agent's have ${lag.have ?? 'none'})`);
    if (Date.now() >= deadline) {
      throw new Error(`The command requires configurations with timestamp ${lag.required}, but the agent's have timestamp ${lag.have ?? 'none'} (waited ${+(waitMs / 1000).toFixed(1)} s for newer ones from the server)`);
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(CONFIG_POLL_MS, Math.max(1, deadline - Date.now()))));
  }
}

/**
 * `files` whose provide() a cancel or a stop stops waiting for: the download itself goes on
 * (another command may share it) and its result lands in the cache.
 */
function abortable(files: DirectoryProvider, signal: AbortSignal): DirectoryProvider {
  const provide = (subdir: string, url: string): Promise<string> => {
    if (signal.aborted) return Promise.reject(new Error(`Cancelled before ${subdir} was brought up to date`));
    return new Promise((resolve, reject) => {
      const onAbort = (): void => reject(new Error(`Cancelled while ${subdir} was brought up to date from the server`));
      signal.addEventListener('abort', onAbort, { once: true });
      files.provide(subdir, url).then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
    });
  };
  return files.failure ? { provide, failure: (dir) => files.failure!(dir) } : { provide };
}

export function createRunAttempt(settings: ExecutionSettings) {
  const { store, running, log } = settings;
  const { caches, facts, files, configWaitMs } = completeSettings(settings);
  // `signal`: aborted by the machine's CANCEL (sent to this actor) and by a stop (the agent going away).
  return fromCancellablePromise<AttemptResult, RunInput>(({ input, signal }) => {
    const header = input.command;
    const taskId = header.taskId;
    const template = reportTemplate(header);
    // A recovery command: auto_* files, no report to the server (IN_PROGRESS or otherwise),
    // and not in the running list (a successor would report it FAILED to a server that never sent it).
    const auto = header.commandType === 'AUTO_EXECUTION_COMMAND';
    const outputFiles = commandFiles(settings.prefixDir, taskId, auto);
    const progress = (): void => {
      if (auto) return;
      store.putInProgress({ header: reportHeader(template), files: outputFiles, withOutput: settings.updateOutput });
    };

    const attempt = (async () => {
      // Busy from before the script starts until its tree is gone (CustomServiceOrchestrator.runCommand).
      const component = busyingComponent(header);
      const idle = component ? settings.activity.begin(component) : undefined;
      try {
        return await runAttempt();
      } catch (err) {
        // The report says it too (the command machine's set-up failure); the log must not be silent.
        log(`task-${taskId}`, 'error', `Cannot run ${String(header.roleCommand ?? 'the command')} of ${String(header.role)} (task ${taskId}, attempt ${input.attempt}): ${errorMessage(err)}`);
        throw err;
      } finally {
        idle?.();
      }
    })();
    return running.track(attempt);

    async function runAttempt(): Promise<AttemptResult> {
      const command = await commandWithConfigurations(header, caches, facts(), configWaitMs, signal);
      // CommandStatusDict / ActionQueue: a retry tells the script so (it may skip one-off steps).
      if (input.attempt > 1) (command.agentLevelParams as JsonObject).commandBeingRetried = 'true';
      const name = commandName(command as ExecutionCommand);
      const plan = await planScripts({ header, command, commandName: name, roleCommand: String(header.roleCommand ?? ''), statusCommand: header.commandType === 'STATUS_COMMAND', files: abortable(files, signal) });
      const hooks = plan.scripts.length - 1;
      // CustomServiceOrchestrator: a background command runs its script alone.
      if (hooks > 0 && header.commandType === 'BACKGROUND_EXECUTION_COMMAND') throw new Error(`Background commands are supported without hooks only (${hooks} hook(s) found for ${name})`);
      log(`task-${taskId}`, 'info', `Running ${name} of ${String(header.role)} (task ${taskId}, attempt ${input.attempt}): ${plan.main.script}${hooks > 0 ? ` with ${hooks} hook(s)` : ''}`);
      let spawnedBefore = false;
      try {
        const result = await runCommand({
          command,
          taskId,
          prefixDir: settings.prefixDir,
          scripts: plan.scripts,
          scriptType: String(params(command).script_type ?? 'PYTHON'),
          commandName: name,
          logLevel: settings.logLevel,
          environment: settings.environment,
          timeoutSeconds: timeoutSeconds(command),
          backupOutput: true,
          auto,
          signal,
          outputChars: settings.maxOutputChars,
          onSpawn: (spawned) => {
            // Each script of the sequence: the latest one's tree replaces the earlier one's.
            if (!auto) running.add({ taskId, template, process: spawned, files: { output: outputFiles.output, errors: outputFiles.errors }, agentPid: process.pid, startedAt: Date.now() });
            // IN_PROGRESS once the first script runs: its report round (file reads, a request)
            // then never delays the start itself.
            if (!spawnedBefore) progress();
            spawnedBefore = true;
          },
        });
        log(`task-${taskId}`, result.exitCode === 0 ? 'info' : 'warn', `${name} of ${String(header.role)} (task ${taskId}) exited with ${result.exitCode}${result.timedOut ? ' (timed out)' : result.cancelled ? ' (cancelled)' : ''} after ${result.durationMs} ms`);
        if (result.spared.length > 0) log(`task-${taskId}`, 'warn', sparedMessage(result.spared).trim());
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
 * JSON is built as the original's requestComponentStatus builds it: serviceName, role,
 * clusterId and commandType STATUS_COMMAND completed from the caches (no hooks). Its files are
 * command-status-COMPONENT-COMMAND.json etc., overwritten by the next check; the
 * JSON is removed after each run.
 */
export function createStatusRun(settings: Pick<ExecutionSettings, 'prefixDir' | 'cacheDir' | 'logLevel' | 'environment' | 'commandCaches' | 'agentFacts' | 'files'>) {
  const { caches, facts, files } = completeSettings(settings as ExecutionSettings);
  return async (request: StatusRun): Promise<{ exitCode: number; structuredOut: Record<string, unknown> }> => {
    // ComponentStatusExecutor.check_component_status's command_dict.
    const header: JsonObject = { serviceName: request.serviceName, role: request.componentName, clusterId: request.clusterId, commandType: 'STATUS_COMMAND' };
    const command = buildCommandJson(header, caches(), facts());
    const plan = await planScripts({ header, command, commandName: request.commandName, roleCommand: '', statusCommand: true, files });
    const taskId = `status-${request.componentName}-${request.commandName}`.replace(/[^A-Za-z0-9_.-]/g, '_');
    const result = await runCommand({
      command,
      taskId,
      prefixDir: settings.prefixDir,
      scripts: plan.scripts,
      scriptType: String(params(command).script_type ?? 'PYTHON'),
      commandName: request.commandName,
      logLevel: settings.logLevel,
      environment: settings.environment,
      timeoutSeconds: request.timeoutSeconds,
      // STATUS is in DONT_BACKUP_LOGS_FOR_COMMANDS: its files are overwritten every check.
      backupOutput: false,
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
      const { killed, spared } = await killLeftoverTree(entry.process);
      let what = killed.length > 0 ? `killed ${killed.length} leftover process(es) (${killed.join(', ')})` : 'none of its processes was left';
      if (spared.length > 0) what += `; it left the package manager process(es) ${sparedList(spared)} to finish`;
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
