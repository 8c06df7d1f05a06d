// One simulated host: the agent's own supervisor machine and every machine under it (session,
// registration, heartbeat, reporters, action queue, commands, recovery), given effects that
// keep the host in memory. What differs from the daemon's wiring (daemon/wiring.ts), and why:
//  - no home of its own: no pid file, ping port, control socket, data cleaner or prestart
//    checks (the simulator is one process; its hosts share its lifetime);
//  - caches, reports and taken task ids in memory, the caches' content shared between hosts
//    that hold the same hash (CacheInterner);
//  - hardware profile and host status collected once for all hosts (SharedHostFacts);
//  - commands: `instant` as Ambari's PERF stack (instantCommands.ts), or `real` through the
//    agent's own runner, in a data dir per host under the simulator's home;
//  - alerts are not run (the scheduler is given no definitions).
// The connection, STOMP, registration body shape, heartbeats and reports are the agent's own.
// The machines are provided once per run (fleetMachine); each host's effects are found through
// its actor system (hostBinding.ts), so a host costs its state, not a copy of every machine.
import { join } from 'node:path';
import { createActor, fromCallback, fromPromise, waitFor, type AnyActorLogic, type AnyActorRef } from 'xstate';
import { AgentCaches, SYNC_ORDER } from '../caches/index.js';
import type { CacheInterner } from '../caches/cacheInterner.js';
import type { LoadedConfig } from '../config/loadConfig.js';
import type { LogFn } from '../logging/logger.js';
import type { LogParams } from '../machines/logParams.js';
import { createServerProbe } from '../actors/link/serverProbe.js';
import { linkActors, linkRequest, linkSettingsFromIni, type LinkSettings } from '../actors/link/serverLink.js';
import { TakenTasks } from '../actors/commands/takenTasks.js';
import { ReportStore } from '../actors/reporters/reportStore.js';
import { RunningCommands } from '../actors/commands/runningCommands.js';
import { ComponentActivity } from '../actors/commands/componentActivity.js';
import { createRunAttempt, createStatusRun } from '../actors/commands/commandExecution.js';
import { finalReport } from '../actors/commands/commandReport.js';
import type { DirectoryProvider } from '../actors/commands/scriptLocation.js';
import { executionSettings } from '../actors/commands/executionSettings.js';
import { createCommandReporter } from '../actors/reporters/commandReporter.js';
import { createComponentReporters } from '../actors/reporters/componentReporters.js';
import { createHostStatusReporter } from '../actors/reporters/hostStatusReporter.js';
import { fitReport, MIN_REPORT_FRAME_BYTES, reportBudget } from '../actors/reporters/reportFrames.js';
import { createRecoveryFeed, StatusChanges } from '../actors/recovery/recoveryFeed.js';
import { ACTION_QUEUE_ID, actionQueueMachine } from '../machines/actionQueue.js';
import { commandMachine, reportTemplate, type AttemptResult, type RunInput } from '../machines/command.js';
import type { PromiseActorLogic } from 'xstate';
import { daemonizeMachine } from '../machines/daemonize.js';
import { discoveryMachine } from '../machines/discovery.js';
import { HEARTBEAT_INTERVAL_SECONDS, heartbeatMachine } from '../machines/heartbeat.js';
import { pingPortMachine } from '../machines/pingPort.js';
import { preflightMachine } from '../machines/preflight.js';
import { recoveryMachine } from '../machines/recovery.js';
import { registrationMachine } from '../machines/registration.js';
import { sessionMachine } from '../machines/session.js';
import { supervisorMachine, type SupervisorInput } from '../machines/supervisor.js';
import { bindHost, hostOf, perHost } from './hostBinding.js';
import { InstantComponents, instantRunAttempt, instantStatusRun } from './instantCommands.js';
import type { SharedHostFacts } from './sharedHostFacts.js';
import type { RunStatusFn } from '../actors/host/hostComponents.js';

export type CommandMode = 'instant' | 'real';

/** What every simulated host of one run shares. */
export interface FleetSettings {
  server: string;
  /** The ini the hosts run with: the home's, or the defaults, with the server and ports given. */
  config: LoadedConfig;
  commands: CommandMode;
  agentVersion: string;
  facts: SharedHostFacts;
  interner: CacheInterner;
  log: LogFn;
  /** `real` commands: per host data dirs go under this dir; the stack cache is shared, and told the latest metadata. */
  realCommands?: { dataDir: string; files: DirectoryProvider; noteMetadata: (clusters: Record<string, unknown>) => void };
  /** Certificates may be made (two-way SSL): only with a home, whose keys dir holds them. */
  allowTwoWaySsl: boolean;
  /** Told of every heartbeat answer and how late it came (ms; undefined for a session's first). */
  onHeartbeat?: (hostname: string, latenessMs: number | undefined) => void;
}

/** One host's own objects and the logic of its effects (what the shared machines delegate to). */
export interface HostEffects {
  hostname: string;
  log: LogFn;
  caches: AgentCaches;
  reports: ReportStore;
  running?: RunningCommands;
  maxOutputChars: number;
  /** Instant commands only: which components a START left running. */
  components?: InstantComponents;
  protocol: ReturnType<typeof linkActors>;
  run: PromiseActorLogic<AttemptResult, RunInput>;
  probe: ReturnType<typeof createServerProbe>;
  commandReporter: AnyActorLogic;
  componentStatus: AnyActorLogic;
  componentVersion: AnyActorLogic;
  hostStatus: AnyActorLogic;
  recoveryFeed: AnyActorLogic;
}

export interface SimulatedHost {
  hostname: string;
  effects: HostEffects;
  input: SupervisorInput;
}

/** How long a stopping host waits for its cancelled commands (real ones: their trees are killed). */
const COMMANDS_STOP_TIMEOUT_MS = 15_000;

/** The host's objects: its caches, stores, link and reporters, and its command runner. */
export function simulatedHost(hostname: string, fleet: FleetSettings): SimulatedHost {
  const { config, log } = fleet;
  const { agent, server, security } = config.ini;
  const hostLog: LogFn = (actor, level, msg) => log(`${hostname} ${actor}`, level, msg);
  const caches = new AgentCaches(null, fleet.interner);
  const startedAt = Date.now();
  const prefix = fleet.realCommands ? join(fleet.realCommands.dataDir, hostname) : agent.prefix;
  const link: LinkSettings = {
    ...linkSettingsFromIni(config.ini),
    passphrase: process.env[security.passphrase_env_var_name] ?? '',
    hostname: () => hostname,
    caches,
    log: hostLog,
    takenTasks: TakenTasks.inMemory(),
    versionFile: `${fleet.agentVersion} (the simulator's --ambari-version)`,
    registrationBody: () => fleet.facts.registrationBody({ hostname, pingPort: agent.ping_port, agentVersion: fleet.agentVersion, prefix, startedAt }),
    allowTwoWaySsl: fleet.allowTwoWaySsl,
  };
  if (fleet.onHeartbeat) link.onHeartbeatAnswer = heartbeatTimer(HEARTBEAT_INTERVAL_SECONDS * 1000, hostname, fleet.onHeartbeat);

  const reports = ReportStore.inMemory();
  const maxFrameBytes = Math.max(MIN_REPORT_FRAME_BYTES, agent.max_report_frame_bytes);
  reports.fit = (report, key) => fitReport(report, reportBudget(maxFrameBytes, key));
  const maxOutputChars = config.ini.heartbeat.log_max_symbols_size > 0 ? config.ini.heartbeat.log_max_symbols_size : maxFrameBytes;
  const activity = new ComponentActivity();
  const statusChanges = new StatusChanges();

  // Commands: the PERF stack's instant results, or the agent's runner on real scripts.
  let components: InstantComponents | undefined;
  let run: PromiseActorLogic<AttemptResult, RunInput>;
  let runStatus: RunStatusFn;
  let running: RunningCommands | undefined;
  if (fleet.realCommands) {
    const { noteMetadata } = fleet.realCommands;
    caches.onChange(({ cache }) => cache === 'metadata' && noteMetadata(caches.get('metadata').clusters));
    running = new RunningCommands(prefix);
    let encryptionKey: string | undefined;
    link.onEncryptionKey = (key) => (encryptionKey = key);
    const execution = executionSettings(config, {
      prefixDir: prefix,
      store: reports,
      running,
      activity,
      log: hostLog,
      caches,
      maxOutputChars,
      encryptionKey: () => encryptionKey,
      hostname: () => hostname,
      files: fleet.realCommands.files,
    });
    run = createRunAttempt(execution);
    runStatus = createStatusRun(execution);
  } else {
    components = new InstantComponents(hostname);
    run = instantRunAttempt(components);
    runStatus = instantStatusRun(components);
  }

  const effects: HostEffects = {
    hostname,
    log: hostLog,
    caches,
    reports,
    ...(running ? { running } : {}),
    maxOutputChars,
    ...(components ? { components } : {}),
    protocol: linkActors(link),
    run,
    probe: createServerProbe({ verifyCert: false, caFile: join(security.keysdir, security.server_crt), log: hostLog }),
    commandReporter: createCommandReporter({ store: reports, intervalSeconds: agent.command_reports_interval, maxOutputChars, maxFrameBytes, send: linkRequest, log: hostLog }),
    ...createComponentReporters({ agent, caches, hostname: link.hostname, runStatus, send: linkRequest, log: hostLog, activity, statusChanges }),
    hostStatus: createHostStatusReporter({ intervalSeconds: config.ini.heartbeat.state_interval_seconds, collect: () => fleet.facts.hostStatus(), send: linkRequest, log: hostLog }),
    recoveryFeed: createRecoveryFeed({ caches, statusChanges }),
  };
  const input: SupervisorInput = {
    pidFile: '',
    pingPort: agent.ping_port,
    servers: [fleet.server],
    urlPort: server.url_port,
    retryDelaySeconds: server.connect_retry_delay,
    reconnectDelaySeconds: Math.max(1, server.reconnect_delay),
    syncSteps: SYNC_ORDER.map((step) => step.cache),
    parallelExecution: agent.parallel_execution === 1,
  };
  return { hostname, effects, input };
}

/** A host's root actor: the fleet's machine, its system bound to the host's effects. */
export function createHostActor(machine: FleetMachine, host: SimulatedHost) {
  const actor = createActor(machine, { input: host.input });
  bindHost(actor.system, host.effects);
  return actor;
}

export type FleetMachine = ReturnType<typeof fleetMachine>;

/** The supervisor tree for every host of a run, provided once; `sample` is any host's effects (see perHost). */
export function fleetMachine(sample: () => HostEffects) {
  const host = <L extends AnyActorLogic>(pick: (effects: HostEffects) => L) => perHost(pick, sample);
  const effectsOf = (system: unknown) => hostOf<HostEffects>(system as never);
  const log = ({ self, system }: { self: AnyActorRef; system: unknown }, params: LogParams) => effectsOf(system).log(self.id, params.level, params.msg);
  return supervisorMachine.provide({
    actions: { log },
    actors: {
      // No home to check: the hostname is given, and nothing is written.
      preflight: preflightMachine.provide({ actions: { log }, actors: { runCheck: fromPromise(async () => {}) } }),
      // No ping port: simulated hosts are one process, which holds no per-host lock.
      pingPort: pingPortMachine.provide({
        actors: {
          listener: fromCallback(({ sendBack, input }) => {
            sendBack({ type: 'LISTENING', port: (input as { port: number }).port });
          }),
        },
      }),
      daemonize: daemonizeMachine.provide({ actors: { writePidFile: fromPromise(async () => process.pid) } }),
      discovery: discoveryMachine.provide({ actions: { log }, actors: { probe: host((e) => e.probe) } }),
      session: sessionMachine.provide({
        actions: { log },
        actors: {
          connect: host((e) => e.protocol.connect),
          listen: host((e) => e.protocol.listen),
          disconnect: host((e) => e.protocol.disconnect),
          registration: registrationMachine.provide({ actions: { log }, actors: { subscribe: host((e) => e.protocol.subscribe), register: host((e) => e.protocol.register), sync: host((e) => e.protocol.sync) } }),
          heartbeat: heartbeatMachine.provide({ actions: { log }, actors: { beat: host((e) => e.protocol.beat) } }),
          commandReporter: host((e) => e.commandReporter),
          componentStatus: host((e) => e.componentStatus),
          componentVersion: host((e) => e.componentVersion),
          // Alerts are not simulated: nothing to report.
          alertStatus: fromCallback(() => {}),
          hostStatus: host((e) => e.hostStatus),
        },
      }),
      actionQueue: actionQueueMachine.provide({
        actions: {
          commandDone: ({ system }, { report, kind }) => {
            const e = effectsOf(system);
            e.log(`task-${report.taskId}`, report.status === 'COMPLETED' ? 'info' : 'warn', `Task ${report.taskId} (${kind}) ${report.status}, exit code ${report.exitCode}`);
            // A recovery command's report goes to the log only (the original drops it from the reports).
            if (kind === 'auto') return;
            e.reports.putFinal(finalReport(report, e.maxOutputChars));
            e.running?.remove(report.taskId);
          },
          commandsAccepted: ({ system }, { commands }) => {
            effectsOf(system).running?.accept(commands.map((command) => ({ taskId: command.taskId, template: reportTemplate(command) })));
          },
        },
        actors: { command: commandMachine.provide({ actors: { run: host((e) => e.run) } }) },
      }),
      recovery: recoveryMachine.provide({ actions: { log }, actors: { feed: host((e) => e.recoveryFeed) } }),
      controlChannel: fromCallback(() => {}),
      shutdown: fromPromise(async ({ system }) => {
        const e = effectsOf(system);
        const queue = system.get(ACTION_QUEUE_ID) as AnyActorRef | undefined;
        if (queue && !queue.getSnapshot().matches('idle')) {
          await waitFor(queue, (snapshot) => snapshot.matches('idle'), { timeout: COMMANDS_STOP_TIMEOUT_MS }).catch(() => e.log('supervisor', 'error', `Commands still running after ${COMMANDS_STOP_TIMEOUT_MS} ms; stopping anyway`));
        }
        if (e.running && !(await e.running.drain(COMMANDS_STOP_TIMEOUT_MS))) e.log('supervisor', 'error', 'Command processes still running; stopping anyway');
      }),
    },
  });
}

/**
 * Heartbeat lateness, per session link: heartbeats are due one interval after the previous
 * answer (HeartbeatThread waits heartbeat_interval between them), so an answer's lateness is
 * how long after that it came. A session's first heartbeat has none.
 */
function heartbeatTimer(intervalMs: number, hostname: string, onHeartbeat: NonNullable<FleetSettings['onHeartbeat']>) {
  const lastAnswer = new WeakMap<object, number>();
  return (link: unknown) => {
    const now = performance.now();
    const previous = lastAnswer.get(link as object);
    lastAnswer.set(link as object, now);
    onHeartbeat(hostname, previous === undefined ? undefined : now - (previous + intervalMs));
  };
}
