// Gives the pure machines their real effects: every injected actor and the `log` action.
// Tests build the same machines with fakes; this file is the only place the two differ.
import { fromPromise, waitFor, type AnyActorRef } from 'xstate';
import type { LoadedConfig } from '../config/loadConfig.js';
import type { AgentPaths } from '../config/paths.js';
import { restartQuietUntil } from '../actors/local/restartRecord.js';
import { join } from 'node:path';
import { createControlChannel } from '../actors/local/controlChannel.js';
import { createCleanPass } from '../actors/local/dataCleaner.js';
import { removePidFileIfOwned, writePidFileAtomic } from '../actors/local/pidFile.js';
import { pingPortListener } from '../actors/local/pingPortListener.js';
import { createRunCheck } from '../actors/local/preflightChecks.js';
import { createServerProbe } from '../actors/link/serverProbe.js';
import { createRegistrationBody } from '../actors/link/registrationBody.js';
import { ambariVersionFile } from '../actors/link/ambariVersion.js';
import { TakenTasks } from '../actors/commands/takenTasks.js';
import { linkActors, linkRequest, linkSettingsFromIni, type LinkSettings } from '../actors/link/serverLink.js';
import { createRunAttempt, createStatusRun, recoverLeftoverCommands } from '../actors/commands/commandExecution.js';
import { autoCacheUpdateEnabled } from '../actors/commands/commandJson.js';
import { FileCache } from '../actors/resources/fileCache.js';
import { createComponentReporters } from '../actors/reporters/componentReporters.js';
import { collectHostStatus, createHostStatusReporter } from '../actors/reporters/hostStatusReporter.js';
import { createCommandReporter } from '../actors/reporters/commandReporter.js';
import { ReportStore } from '../actors/reporters/reportStore.js';
import { finalReport } from '../actors/commands/commandReport.js';
import { fitReport, MIN_REPORT_FRAME_BYTES, reportBudget } from '../actors/reporters/reportFrames.js';
import { RunningCommands } from '../actors/commands/runningCommands.js';
import { ComponentActivity } from '../actors/commands/componentActivity.js';
import { commandOutputMessages, outputLogTurnedOff } from '../actors/commands/commandOutputLog.js';
import { retainOrRemoveCommandFile } from '../actors/commands/commandFileRetention.js';
import { commandFiles } from '../actors/commands/commandFiles.js';
import { retentionPolicyOf } from '../config/schema.js';
import { ACTION_QUEUE_ID, actionQueueMachine } from '../machines/actionQueue.js';
import { recoveryMachine } from '../machines/recovery.js';
import { createRecoveryFeed, StatusChanges } from '../actors/recovery/recoveryFeed.js';
import { commandMachine, reportTemplate } from '../machines/command.js';
import { AgentCaches, SYNC_ORDER } from '../caches/index.js';
import { resolvePassphrase } from '../config/envFile.js';
import { executionSettings } from '../actors/commands/executionSettings.js';
import { heartbeatMachine } from '../machines/heartbeat.js';
import { registrationMachine } from '../machines/registration.js';
import { sessionMachine } from '../machines/session.js';
import type { StateRecorder } from '../introspection/stateRecorder.js';
import type { Viewers } from '../actors/local/controlChannel.js';
import type { LogFn } from '../logging/logger.js';
import { dataCleanerMachine } from '../machines/dataCleaner.js';
import { alertMachine } from '../machines/alert.js';
import { alertSchedulerMachine } from '../machines/alertScheduler.js';
import { AlertResults } from '../actors/alerts/alertResults.js';
import { createAlertCheck } from '../actors/alerts/alertCheck.js';
import { createAlertDefinitionsFeed } from '../actors/alerts/alertDefinitionsFeed.js';
import { alertKindFor, createAlertKinds } from '../actors/alerts/alertKinds.js';
import type { AlertResult } from '../actors/alerts/alertTypes.js';
import { repeatToleranceOf } from '../actors/alerts/repeatTolerance.js';
import { scriptAlertKind, scriptSearchDirs } from '../actors/alerts/scriptAlert.js';
import { definitionName, StaleAlertsMonitor } from '../actors/alerts/staleAlerts.js';
import { createAlertStatusReporter } from '../actors/reporters/alertStatusReporter.js';
import { recoveryAlertKind } from '../actors/alerts/recoveryAlert.js';
import { recoveryActionsOf } from '../actors/recovery/recoveryView.js';
import { RECOVERY_ID } from '../machines/systemIds.js';
import { daemonizeMachine } from '../machines/daemonize.js';
import { discoveryMachine, serverList } from '../machines/discovery.js';
import type { LogParams } from '../machines/logParams.js';
import { pingPortMachine } from '../machines/pingPort.js';
import { preflightMachine } from '../machines/preflight.js';
import { supervisorMachine, type SupervisorInput } from '../machines/supervisor.js';

/**
 * How long a stopping agent waits for its cancelled commands (their trees get SIGTERM, 1.5 s,
 * then SIGKILL; a process in uninterruptible sleep may take longer).
 */
const COMMANDS_STOP_TIMEOUT_MS = 15_000;

export interface DaemonOptions {
  config: LoadedConfig;
  paths: AgentPaths;
  log: LogFn;
  expectedHostname?: string;
  /** Since-when per actor, for the control channel's `state` and `watch`. */
  recorder?: StateRecorder;
  /** Where the inspector bridge and the state page are, for `status`. */
  viewers?: Viewers;
  /** The alerts log (ambari-alerts.log); the agent log when not given. */
  alertsLog?: LogFn;
}

/** The `log` action every machine declares, writing through the agent logger as that actor. */
export function logAction(log: LogFn) {
  return ({ self }: { self: AnyActorRef }, params: LogParams) => log(self.id, params.level, params.msg);
}

export function supervisorInput({ config, paths }: DaemonOptions): SupervisorInput {
  const { agent, server } = config.ini;
  return {
    pidFile: paths.pidFile,
    pingPort: agent.ping_port,
    servers: serverList(server.hostname),
    urlPort: server.url_port,
    retryDelaySeconds: server.connect_retry_delay,
    reconnectDelaySeconds: Math.max(1, server.reconnect_delay),
    syncSteps: SYNC_ORDER.map((step) => step.cache),
    cleaner:
      agent.data_cleanup_interval > 0
        ? {
            dir: agent.prefix,
            intervalSeconds: agent.data_cleanup_interval,
            maxAgeSeconds: agent.data_cleanup_max_age,
            maxSizeBytes: agent.data_cleanup_max_size_MB * 1_000_000,
          }
        : undefined,
    parallelExecution: agent.parallel_execution === 1,
  };
}

/** What this agent knows about itself once preflight has run (the hostname is cached, as the original). */
interface Identity {
  hostname?: string;
  /** As last sent in /register (public_hostname_script, else the hostname). */
  publicHostname?: string;
}

export function daemonMachine(options: DaemonOptions) {
  const { config, paths, log } = options;
  const { agent, security } = config.ini;
  const logActionImpl = logAction(log);
  const identity: Identity = {};
  const startedAt = Date.now();
  const { caches, warnings } = AgentCaches.load(agent.cache_dir);
  for (const warning of warnings) log('caches', 'warn', warning);
  const passphraseVar = security.passphrase_env_var_name;
  const { taken: takenTasks, warnings: takenWarnings } = TakenTasks.load(agent.prefix);
  for (const warning of takenWarnings) log('actionQueue', 'warn', warning);

  const registrationBody = createRegistrationBody({ agent, hostname: () => identity.hostname, startedAt });
  // The stack cache (FileCache.py): folders of the server's resources under cache_dir.
  const stackCache = new FileCache({
    cacheDir: agent.cache_dir,
    tolerateDownloadFailures: agent.tolerate_download_failures,
    autoUpdate: () => autoCacheUpdateEnabled(caches.get('metadata').clusters),
    log,
    caFile: security.ca_cert_path !== '' ? security.ca_cert_path : undefined,
  });
  const link: LinkSettings = {
    ...linkSettingsFromIni(config.ini),
    // `start` ran with ambari-env.sh sourced into this process's environment.
    passphrase: resolvePassphrase(passphraseVar, process.env),
    hostname: () => identity.hostname ?? 'localhost',
    // Read once: the quiet window belongs to the restart this process came from.
    restartQuietUntil: restartQuietUntil(paths.restartFile),
    caches,
    log,
    takenTasks,
    versionFile: ambariVersionFile(agent.prefix),
    registrationBody: async (system) => {
      const body = await registrationBody(system);
      if (typeof body.publicHostname === 'string') identity.publicHostname = body.publicHostname;
      return body;
    },
    onRegistered: () => stackCache.reset(),
  };
  // The latest key, kept across sessions (CustomServiceOrchestrator.encryption_key).
  let encryptionKey: string | undefined;
  link.onEncryptionKey = (key) => (encryptionKey = key);
  const protocol = linkActors(link);

  // Command execution: the store of reports (persisted) and the running attempts, shared by
  // the queue's command actors, the reporter of each session and the recovery at start.
  const { store: reports, warnings: reportWarnings } = ReportStore.load(agent.prefix);
  for (const warning of reportWarnings) log('commandReporter', 'warn', warning);
  const running = new RunningCommands(agent.prefix);
  const maxFrameBytes = Math.max(MIN_REPORT_FRAME_BYTES, agent.max_report_frame_bytes);
  // 0 means "no cut" to the original (condense_output); the frame still bounds what is read.
  reports.fit = (report, key) => fitReport(report, reportBudget(maxFrameBytes, key));
  const maxOutputChars = config.ini.heartbeat.log_max_symbols_size > 0 ? config.ini.heartbeat.log_max_symbols_size : maxFrameBytes;
  // Outlives sessions, as the queue does: a command running across a reconnect keeps its
  // component busy for the next session's status reporter.
  const activity = new ComponentActivity();
  const retentionPolicy = retentionPolicyOf(agent.command_file_retention_policy) ?? 'keep';
  const logCommandExecutes = config.ini.logging.log_command_executes;
  /** Accepted tasks whose output stays out of the agent log (commandParams.log_output "false"). */
  const unloggedOutput = new Set<number>();
  const execution = executionSettings(config, {
    prefixDir: agent.prefix,
    store: reports,
    running,
    activity,
    log,
    caches,
    maxOutputChars,
    encryptionKey: () => encryptionKey,
    hostname: link.hostname,
    publicHostname: () => identity.publicHostname,
    files: stackCache,
  });

  const runStatus = createStatusRun(execution);
  // The session's status reporter tells the recovery actor (which outlives sessions) what changed.
  const statusChanges = new StatusChanges();

  // Alerts: one actor per definition, their results kept until the server has them.
  const alertsLog = options.alertsLog ?? log;
  const alertResults = new AlertResults(agent.send_alert_changes_only === 1 ? { tolerance: repeatToleranceOf(caches) } : undefined);
  const alertUnitMs = agent.alert_interval_unit_seconds * 1000;
  const staleAlerts = new StaleAlertsMonitor(alertResults.lastRun, alertUnitMs);
  const alertKinds = createAlertKinds({ python: execution.environment.interpreter, caCertFile: security.ca_cert_path !== '' ? security.ca_cert_path : undefined });
  alertKinds.set('SCRIPT', scriptAlertKind({ environment: execution.environment, searchDirs: scriptSearchDirs(agent.cache_dir), kinitTimeoutMs: agent.alert_kinit_timeout, log: (level, message) => alertsLog('alerts', level, message) }));
  const reportedStale = new Set<number>();
  link.heartbeatExtras = () => {
    const { clusters } = caches.get('alert_definitions');
    const stale = staleAlerts.stale(clusters, Date.now());
    for (const { id } of stale) if (!reportedStale.has(id)) alertsLog('alerts', 'warn', `Alert ${definitionName(clusters, id) ?? id} got stale. Reporting to the server.`);
    reportedStale.clear();
    for (const { id } of stale) reportedStale.add(id);
    return stale.length > 0 ? { staleAlerts: stale } : {};
  };
  const lastAlertState = new Map<number, string>();
  // What is kept per definition goes with the definition.
  const keepAlertsOf = (ids: Set<number>) => {
    alertResults.keepOnly(ids);
    staleAlerts.keepOnly(ids);
    for (const id of lastAlertState.keys()) if (!ids.has(id)) lastAlertState.delete(id);
  };
  const keepAlertResult = fromPromise<void, AlertResult>(async ({ input }) => {
    alertResults.put(input);
    // The alerts log says what changed (every result at DEBUG).
    const changed = lastAlertState.get(input.definitionId) !== input.state;
    lastAlertState.set(input.definitionId, input.state);
    alertsLog('alerts', changed ? 'info' : 'debug', `[${input.name}] ${input.state}: ${input.text}`);
  });

  return supervisorMachine.provide({
    actions: { log: logActionImpl },
    actors: {
      preflight: preflightMachine.provide({
        actions: { log: logActionImpl },
        actors: {
          runCheck: createRunCheck({
            expectedHostname: options.expectedHostname,
            hostnameScript: agent.hostname_script,
            pidFile: paths.pidFile,
            prefixDir: agent.prefix,
            logDir: agent.logdir,
            pidDir: agent.piddir,
            tmpDir: agent.tmp_dir,
            log,
            onHostname: (hostname) => (identity.hostname = hostname),
          }),
        },
      }),
      dataCleaner: dataCleanerMachine.provide({ actions: { log: logActionImpl }, actors: { cleanPass: createCleanPass(log) } }),
      pingPort: pingPortMachine.provide({ actions: { log: logActionImpl }, actors: { listener: pingPortListener } }),
      daemonize: daemonizeMachine.provide({
        actors: {
          writePidFile: fromPromise(async ({ input }) => {
            writePidFileAtomic(input.pidFile, process.pid);
            return process.pid;
          }),
        },
      }),
      discovery: discoveryMachine.provide({
        actions: { log: logActionImpl },
        actors: {
          probe: createServerProbe({ verifyCert: security.ssl_verify_cert !== 0, caFile: join(security.keysdir, security.server_crt), log }),
        },
      }),
      session: sessionMachine.provide({
        actions: { log: logActionImpl },
        actors: {
          connect: protocol.connect,
          listen: protocol.listen,
          disconnect: protocol.disconnect,
          registration: registrationMachine.provide({
            actions: { log: logActionImpl },
            actors: { subscribe: protocol.subscribe, register: protocol.register, sync: protocol.sync },
          }),
          heartbeat: heartbeatMachine.provide({ actions: { log: logActionImpl }, actors: { beat: protocol.beat } }),
          commandReporter: createCommandReporter({
            store: reports,
            intervalSeconds: agent.command_reports_interval,
            maxOutputChars,
            maxFrameBytes,
            send: linkRequest,
            log,
          }),
          ...createComponentReporters({ agent, caches, hostname: link.hostname, runStatus, send: linkRequest, log, activity, statusChanges }),
          alertStatus: createAlertStatusReporter({ intervalSeconds: agent.alert_reports_interval, maxFrameBytes, results: alertResults, send: linkRequest, log }),
          hostStatus: createHostStatusReporter({
            intervalSeconds: config.ini.heartbeat.state_interval_seconds,
            collect: () => collectHostStatus(link.hostname(), agent.ignore_mount_points),
            send: linkRequest,
            log,
          }),
        },
      }),
      actionQueue: actionQueueMachine.provide({
        actions: {
          commandDone: (_, { report, kind }) => {
            const actor = `task-${report.taskId}`;
            log(actor, report.status === 'COMPLETED' ? 'info' : 'warn', `Task ${report.taskId} (${kind}) ${report.status}, exit code ${report.exitCode}`);
            // A recovery command's report goes to the log only (the original drops it from the reports).
            if (kind === 'auto') {
              retainOrRemoveCommandFile(commandFiles(agent.prefix, report.taskId, true).commandJson, retentionPolicy, 'execution', report.exitCode, log, actor);
              if (logCommandExecutes === 1) for (const message of commandOutputMessages(report)) log(actor, 'info', message);
              return;
            }
            // Before the report is stored, so that the file is gone when the server sees the result.
            retainOrRemoveCommandFile(commandFiles(agent.prefix, report.taskId).commandJson, retentionPolicy, kind, report.exitCode, log, actor);
            const turnedOff = unloggedOutput.delete(report.taskId);
            // ActionQueue.execute_command logs execution commands' output only.
            if (logCommandExecutes === 1 && kind !== 'status' && !turnedOff) for (const message of commandOutputMessages(report)) log(actor, 'info', message);
            try {
              reports.putFinal(finalReport(report, maxOutputChars));
              running.remove(report.taskId);
            } catch (err) {
              // Kept in memory (putFinal stores before it persists), and still listed as unfinished,
              // so that after a crash the next agent reports it FAILED rather than nothing.
              log('commandReporter', 'error', `Cannot persist the report of task ${report.taskId}: ${(err as Error).message}`);
            }
          },
          commandsAccepted: (_, { commands }) => {
            for (const command of commands) {
              if (logCommandExecutes === 1 && outputLogTurnedOff(command.commandParams)) unloggedOutput.add(command.taskId);
            }
            try {
              running.accept(commands.map((command) => ({ taskId: command.taskId, template: reportTemplate(command) })));
            } catch (err) {
              log('actionQueue', 'error', `Cannot record accepted task(s) in ${running.file}: ${(err as Error).message}`);
            }
          },
        },
        actors: { command: commandMachine.provide({ actors: { run: createRunAttempt(execution) } }) },
      }),
      alerts: alertSchedulerMachine.provide({
        actions: { log: logActionImpl },
        actors: {
          definitions: createAlertDefinitionsFeed({ caches, unitMs: alertUnitMs, runs: (type) => type === 'RECOVERY' || alertKindFor(alertKinds, type) !== undefined, onDefinitionsEdited: () => alertResults.forgetAcknowledged(), onDefinitionIds: keepAlertsOf, log }),
          alert: alertMachine.provide({
            actions: { log: logActionImpl },
            actors: {
              check: createAlertCheck({
                caches,
                // RECOVERY reads the counts of the recovery actor (a supervisor child beside the scheduler).
                kindOf: (type, system) => (type === 'RECOVERY' ? recoveryAlertKind(() => recoveryActionsOf(system.get(RECOVERY_ID))) : alertKindFor(alertKinds, type)),
                agentFacts: execution.agentFacts,
              }),
              report: keepAlertResult,
            },
          }),
        },
      }),
      recovery: recoveryMachine.provide({ actions: { log: logActionImpl }, actors: { feed: createRecoveryFeed({ caches, statusChanges }) } }),
      recoverCommands: fromPromise(() => recoverLeftoverCommands(execution)),
      controlChannel: createControlChannel(paths.controlSocket, { recorder: options.recorder, viewers: options.viewers }),
      shutdown: fromPromise(async ({ input, system }) => {
        // Cancelled commands first: their trees killed, their reports persisted.
        const queue = system.get(ACTION_QUEUE_ID) as AnyActorRef | undefined;
        // One deadline for both waits, well inside `stop`'s 30 s before it SIGKILLs.
        const deadline = Date.now() + COMMANDS_STOP_TIMEOUT_MS;
        const gaveUp = () => log('supervisor', 'error', `Commands still running after ${COMMANDS_STOP_TIMEOUT_MS} ms; exiting anyway (the next start kills what is left)`);
        if (queue && !queue.getSnapshot().matches('idle')) {
          log('supervisor', 'info', 'Waiting for the cancelled commands to end');
          await waitFor(queue, (snapshot) => snapshot.matches('idle'), { timeout: COMMANDS_STOP_TIMEOUT_MS }).catch(gaveUp);
        }
        if (!(await running.drain(Math.max(0, deadline - Date.now())))) gaveUp();
        if (removePidFileIfOwned(input.pidFile, process.pid)) log('supervisor', 'info', `Removed pid file ${input.pidFile}`);
      }),
    },
  });
}
