// The agent process (main.py's role): config, logging, signals, then the root supervisor
// actor, which drives the agent to `connected` or `stopped`. Started by the wrapper.
import { parseArgs } from 'node:util';
import { createActor, type AnyActorRef, type InspectionEvent } from 'xstate';
import { ConfigError, systemErrorLine } from '../config/errors.js';
import { loadConfig } from '../config/loadConfig.js';
import { agentPaths, checkControlDirs } from '../config/paths.js';
import { SUPERVISOR_SYSTEM_ID, type Viewers } from '../actors/local/controlChannel.js';
import { MARKER_ENV } from '../actors/commands/processTree.js';
import { removePidFileIfOwned } from '../actors/local/pidFile.js';
import { recordRestart } from '../actors/local/restartRecord.js';
import { RESTART_EXIT_CODE } from '../machines/supervisor.js';
import type { InspectorBridge } from '../introspection/inspectorBridge.js';
import { describeActor } from '../introspection/actorTree.js';
import { StateRecorder } from '../introspection/stateRecorder.js';
import { formatStateReport, stateReport } from '../introspection/stateReport.js';
import { isLogFormat } from '../logging/logFormats.js';
import { createAgentLogger, levelFromIni, type AgentLogger, type LogLevel } from '../logging/logger.js';
import { AGENT_VERSION } from '../version.js';
import { daemonMachine, supervisorInput } from './wiring.js';

const SIGNAL_NUMBERS: Record<string, number> = { SIGINT: 2, SIGTERM: 15 };

async function main(): Promise<void> {
  // Started from a command script (e.g. `ambari-agent restart` in one): not part of its tree.
  delete process.env[MARKER_ENV];
  const { values } = parseArgs({
    options: {
      home: { type: 'string', default: '' },
      verbose: { type: 'boolean', short: 'v', default: false },
      'expected-hostname': { type: 'string', short: 'e' },
      foreground: { type: 'boolean', default: false },
      inspect: { type: 'boolean', default: false },
      'status-page': { type: 'string' },
      'log-format': { type: 'string', default: 'ambari' },
    },
    strict: true,
  });

  let config;
  try {
    config = loadConfig(values.home);
    // As the CLI checks them: the daemon may be started without it (the wrapper, a service manager).
    checkControlDirs(config.ini);
  } catch (err) {
    if (err instanceof ConfigError) fatalBeforeLogging(err.message);
    throw err;
  }
  const paths = agentPaths(config.ini);
  let logger: AgentLogger;
  try {
    logger = createAgentLogger({
      file: paths.logFile,
      level: values.verbose ? 'debug' : levelFromIni(config.ini.agent.loglevel),
      alsoStdout: values.foreground,
      format: isLogFormat(values['log-format']) ? values['log-format'] : 'ambari',
    });
  } catch (err) {
    fatalBeforeLogging(`cannot open log file ${paths.logFile}: ${(err as Error).message}`);
  }
  const { log } = logger;
  // The alerts log: every alert result that changed, and what kept an alert from running.
  let alertsLogger: AgentLogger;
  try {
    alertsLogger = createAgentLogger({ file: paths.alertsLogFile, level: logger.pino.level as LogLevel, alsoStdout: false, format: isLogFormat(values['log-format']) ? values['log-format'] : 'ambari' });
  } catch (err) {
    fatalBeforeLogging(`cannot open log file ${paths.alertsLogFile}: ${(err as Error).message}`);
  }

  log('agent', 'info', `Starting ambari-agent ${AGENT_VERSION} (pid ${process.pid}, node ${process.versions.node}), config ${config.file}`);
  for (const warning of config.warnings) {
    log('config', 'warn', warning);
    process.stderr.write(`WARNING: ${warning}\n`);
  }
  if (config.ini.agent.ulimit_open_files !== undefined) {
    log('config', 'warn', `[agent] ulimit_open_files=${config.ini.agent.ulimit_open_files} is not applied by this agent; set the limit in its service manager (e.g. systemd LimitNOFILE)`);
  }
  if (config.ini.logging.syslog_enabled) {
    log('config', 'warn', '[logging] syslog_enabled=1 is not supported by this agent; logs go to the log file only');
  }

  // Since-when per actor and the last events, for `state`, SIGUSR1 and the state page.
  const recorder = new StateRecorder();
  const logTransition = transitionLogger(logger);
  const viewers: Viewers = {};
  // The inspector must exist before the actor system it watches: started here, not as an actor.
  const inspector = values.inspect || config.ini.agent.inspect === 1 ? await startInspector(config.ini.agent.inspect_port, log) : undefined;
  viewers.inspectorUrl = inspector?.url;
  const root = createActor(daemonMachine({ config, paths, log, alertsLog: alertsLogger.log, expectedHostname: values['expected-hostname'], recorder, viewers }), {
    id: SUPERVISOR_SYSTEM_ID,
    systemId: SUPERVISOR_SYSTEM_ID,
    input: supervisorInput({ config, paths, log }),
    inspect: inspector
      ? (event) => {
          recorder.inspect(event);
          logTransition(event);
          watchSafely(() => inspector.inspect(event));
        }
      : (event) => {
          recorder.inspect(event);
          logTransition(event);
        },
  });
  // Watching must never break what is watched: an inspector failure is logged once.
  let inspectorFailed = false;
  function watchSafely(send: () => void): void {
    try {
      send();
    } catch (err) {
      if (inspectorFailed) return;
      inspectorFailed = true;
      log('agent', 'warn', `The inspector could not take an event (${(err as Error).message}); it may miss some from now on`);
    }
  }
  const statePagePort = statePagePortOf(values['status-page'], config.ini.agent.status_page_port);
  if (statePagePort !== undefined) {
    viewers.statePageUrl = await startViewer(
      'state page',
      async () => {
        // Loaded only when asked for, like the inspector: an agent without a page pays nothing.
        const [{ agentStateSource }, { createStatePage }] = await Promise.all([import('../introspection/agentStateSource.js'), import('../introspection/statePage/index.js')]);
        const source = agentStateSource(root as AnyActorRef, recorder, () => `ambari-agent (pid ${process.pid}${values.home ? `, home ${values.home}` : ''})`);
        return createStatePage({ source, port: statePagePort });
      },
      log,
    );
  }

  // Deferred one turn so the inspection of the final transition is logged before we go.
  const exit = (code: number) =>
    setImmediate(() => {
      logger.close();
      alertsLogger.close();
      process.exit(code);
    });

  root.subscribe({
    complete: () => {
      const { exitCode, error } = root.getSnapshot().output ?? { exitCode: 1, error: 'no output' };
      if (error) process.stderr.write(`ERROR: ${error}\n`);
      if (exitCode === RESTART_EXIT_CODE) recordRestart(paths.restartFile, root.getSnapshot().context.stopReason ?? 'restart');
      log('agent', 'info', `Cleanup finished, exiting with code:${exitCode}`);
      exit(exitCode);
    },
    error: (err) => {
      // The supervisor itself broke: log it, release what is ours, exit non-zero.
      log('supervisor', 'error', `Supervisor crashed: ${(err as Error)?.stack ?? String(err)}`);
      process.stderr.write(`ERROR: supervisor crashed: ${(err as Error)?.message ?? String(err)}\n`);
      removePidFileIfOwned(paths.pidFile, process.pid);
      exit(1);
    },
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      // Ctrl-C in the foreground reaches us twice (terminal and wrapper): say it once.
      const snapshot = root.getSnapshot();
      if (snapshot.status !== 'active' || snapshot.matches('stopping')) return;
      log('agent', 'info', `Ambari-agent received ${SIGNAL_NUMBERS[signal]} signal, stopping...`);
      root.send({ type: 'STOP', reason: `received ${signal}` });
    });
  }
  process.on('SIGUSR1', () => {
    // The same tree as `ambari-agent state` prints.
    const tree = formatStateReport(stateReport(describeActor(root as AnyActorRef, { sinceOf: (ref) => recorder.sinceOf(ref) })));
    log('agent', 'info', `*** ACTOR TREE - START ***\n${tree}\n*** ACTOR TREE - END ***`);
  });
  process.on('SIGUSR2', () => {
    const level = logger.toggleDebug();
    if (alertsLogger.toggleDebug() !== level) alertsLogger.toggleDebug();
    log('agent', level === 'debug' ? 'debug' : 'info', `Log level is now ${level.toUpperCase()}`);
  });
  const fatal = (err: unknown) => {
    log('agent', 'error', `Unhandled error: ${(err as Error)?.stack ?? String(err)}`);
    if (root.getSnapshot().status === 'active') root.send({ type: 'FATAL', error: (err as Error)?.message ?? String(err) });
    else exit(1);
  };
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);

  root.start();
}

/** Logs every state change, tagged with the actor that changed: INFO for the root, DEBUG below. */
function transitionLogger(logger: AgentLogger) {
  const last = new Map<string, string>();
  return (event: InspectionEvent) => {
    if (event.type !== '@xstate.snapshot') return;
    const snapshot = event.snapshot as { value?: unknown; status?: string };
    if (snapshot.value === undefined) return;
    const value = typeof snapshot.value === 'string' ? snapshot.value : JSON.stringify(snapshot.value);
    const key = event.actorRef.sessionId;
    const before = last.get(key);
    // An ended actor is forgotten (one per command and per reconnect would pile up).
    if (snapshot.status !== 'active') last.delete(key);
    if (before === value) return;
    if (snapshot.status === 'active') last.set(key, value);
    const ref = event.actorRef as AnyActorRef;
    const isRoot = ref.sessionId === event.rootId;
    logger.log(ref.id, isRoot ? 'info' : 'debug', before === undefined ? `state ${value}` : `state ${before} -> ${value}`);
  };
}

/** --status-page wins over [agent] status_page_port; undefined: no page. */
function statePagePortOf(flag: string | undefined, ini: number | undefined): number | undefined {
  if (flag === undefined) return ini;
  const port = Number(flag);
  if (!/^\d+$/.test(flag) || port > 65535) fatalBeforeLogging(`--status-page ${flag}: not a port number (0-65535)`);
  return port;
}

/** A viewer that cannot start is a warning, never a reason to stop the agent. */
async function startViewer(what: string, start: () => Promise<{ url: string }>, log: AgentLogger['log']): Promise<string | undefined> {
  try {
    const { url } = await start();
    log('agent', 'info', `The ${what} is at ${url}`);
    return url;
  } catch (err) {
    const message = `cannot start the ${what}: ${(err as Error).message}`;
    log('agent', 'warn', message);
    process.stderr.write(`WARNING: ${message}\n`);
    return undefined;
  }
}

/** Loaded only when asked for: without --inspect the agent never loads @statelyai/inspect. */
async function startInspector(port: number, log: AgentLogger['log']) {
  let bridge: InspectorBridge | undefined;
  await startViewer(
    'Stately inspector bridge (open it in a browser that can reach https://stately.ai)',
    async () => {
      const { startInspectorBridge } = await import('../introspection/inspectorBridge.js');
      bridge = await startInspectorBridge(port);
      return bridge;
    },
    log,
  );
  return bridge;
}

function fatalBeforeLogging(message: string): never {
  process.stderr.write(`ERROR: ${message}\n`);
  process.exit(1);
}

// A path of the ini that is not what it should be (prefix under a regular file, ...): one line.
main().catch((err: unknown) => fatalBeforeLogging(systemErrorLine(err) ?? `agent start-up failed: ${(err as Error)?.stack ?? String(err)}`));
