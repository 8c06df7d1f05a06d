// One `ambari-agent simulate` run: the ini and options made into the fleet's settings, the
// simulation machine given its effects, signals and --duration turned into STOP, the progress
// line on stderr, and the summary (or JSON) on stdout once every host has stopped.
import { readFileSync } from 'node:fs';
import { hostname as machineHostname } from 'node:os';
import { join } from 'node:path';
import { createActor, fromPromise } from 'xstate';
import { CacheInterner } from '../caches/cacheInterner.js';
import { autoCacheUpdateEnabled } from '../actors/commands/commandJson.js';
import { readAmbariVersionSync } from '../actors/link/ambariVersion.js';
import { FileCache } from '../actors/resources/fileCache.js';
import { configFromText, loadConfig, type LoadedConfig } from '../config/loadConfig.js';
import { createAgentLogger, levelFromIni, type LogFn, type LogLevel } from '../logging/logger.js';
import { simulationMachine } from '../machines/simulation.js';
import { DEFAULT_AMBARI_VERSION } from '../version.js';
import { errorMessage } from '../util/errorMessage.js';
import { etcHostsLines, hostNames } from './hostNames.js';
import { HostFleet, type FleetCounts } from './hostFleet.js';
import { progressLine, summaryOf, summaryTable } from './runReport.js';
import { SharedHostFacts } from './sharedHostFacts.js';
import type { FleetSettings } from './simulatedHost.js';
import type { SimulateOptions } from './simulateOptions.js';

/** A mistake in what the run was given (no home for real commands, too few file descriptors): one line, exit 1. */
export class SimulateError extends Error {}

/** Sockets and files beyond one per host: the logger, stdio, DNS, the probe's short connections. */
const SPARE_FDS = 64;
const PROGRESS_TTY_MS = 1000;
const PROGRESS_LINE_MS = 10_000;

export interface SimulationIo {
  out: (text: string) => void;
  err: (text: string) => void;
  /** stderr is a terminal: the progress line is redrawn in place. */
  tty: boolean;
}

/** The ini the hosts run with: the home's, or the defaults, with the server and ports of the command line. */
function fleetConfig(home: string, options: SimulateOptions): LoadedConfig {
  const config = home !== '' ? loadConfig(home) : configFromText('', '(simulate: the ini defaults)');
  const { server } = config.ini;
  if (options.server !== undefined) server.hostname = options.server;
  if (options.urlPort !== undefined) server.url_port = options.urlPort;
  if (options.securedUrlPort !== undefined) server.secured_url_port = options.securedUrlPort;
  return config;
}

function agentVersionOf(home: string, config: LoadedConfig, options: SimulateOptions): string {
  if (options.ambariVersion !== undefined) return options.ambariVersion;
  if (home === '') return DEFAULT_AMBARI_VERSION;
  return readAmbariVersionSync(config.ini.agent.prefix);
}

/** The soft limit on open files (from /proc/self/limits), undefined where it cannot be read. */
function openFilesLimit(): number | undefined {
  try {
    const line = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return line?.[1] === 'unlimited' ? Infinity : line ? Number(line[1]) : undefined;
  } catch {
    return undefined;
  }
}

export async function runSimulation(home: string, options: SimulateOptions, io: SimulationIo): Promise<number> {
  const config = fleetConfig(home, options);
  const server = options.server ?? config.ini.server.hostname.split(',')[0]!.trim();
  if (server === '') throw new SimulateError(`no server: give --server HOST (the ini ${config.file} names none)`);
  const names = hostNames(options.hostnamePrefix, options.startIndex, options.agents);
  const facts = new SharedHostFacts(machineHostname(), config.ini.agent.ignore_mount_points);
  if (options.etcHosts) {
    for (const line of etcHostsLines(await facts.ipAddress(), names)) io.out(`${line}\n`);
    return 0;
  }
  if (options.commands === 'real' && home === '') throw new SimulateError('--commands real needs --home DIR (an agent home made by init): the hosts run scripts from its cache dir and keep their data under its prefix');
  const limit = openFilesLimit();
  if (limit !== undefined && options.agents + SPARE_FDS > limit) {
    throw new SimulateError(`--agents ${options.agents} needs about ${options.agents + SPARE_FDS} open files (one socket per host), but this process may open ${limit}; raise it (ulimit -n) or simulate fewer hosts`);
  }

  const logger = home !== '' ? createAgentLogger({ file: join(config.ini.agent.logdir, 'ambari-agent-simulate.log'), level: options.verbose ? 'debug' : levelFromIni(config.ini.agent.loglevel), alsoStdout: false }) : undefined;
  let lastProblem: string | undefined;
  const log: LogFn = (actor, level, msg) => {
    if (level === 'warn' || level === 'error') lastProblem = `${actor}: ${msg}`;
    logger?.log(actor, level, msg);
    if (options.verbose && !logger) io.err(`${level.toUpperCase()} ${actor}: ${msg}\n`);
  };
  const interner = new CacheInterner();
  const settings: FleetSettings = {
    server,
    config,
    commands: options.commands,
    agentVersion: agentVersionOf(home, config, options),
    facts,
    interner,
    log,
    allowTwoWaySsl: home !== '',
  };
  if (options.commands === 'real') {
    const { agent, security } = config.ini;
    // One stack cache for all hosts: the same server sends them the same files and metadata.
    let metadata: Record<string, unknown> = {};
    const files = new FileCache({
      cacheDir: agent.cache_dir,
      tolerateDownloadFailures: agent.tolerate_download_failures,
      autoUpdate: () => autoCacheUpdateEnabled(metadata),
      log: (actor, level, msg) => log(actor, level as LogLevel, msg),
      caFile: security.ca_cert_path !== '' ? security.ca_cert_path : undefined,
    });
    settings.realCommands = { dataDir: join(agent.prefix, 'simulated'), files, noteMetadata: (clusters) => (metadata = clusters) };
  }

  const fleet = new HostFleet(names, settings);
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const simulation = createActor(
    simulationMachine.provide({
      actions: {
        startHosts: (_, { count }) => {
          for (let i = 0; i < count; i++) fleet.startNext();
        },
      },
      actors: { stopHosts: fromPromise(({ input }) => fleet.stopAll(input.reason)) },
    }),
    { input: { agents: options.agents, rampPerSecond: options.rampPerSecond } },
  );

  const elapsed = () => (performance.now() - started) / 1000;
  const progress = setInterval(
    () => {
      const line = progressLine(fleet, elapsed(), lastProblem);
      lastProblem = undefined;
      fleet.recentLateness.reset();
      io.err(io.tty ? `\r\x1b[K${line}` : `${line}\n`);
    },
    io.tty ? PROGRESS_TTY_MS : PROGRESS_LINE_MS,
  );
  // Counted as STOP comes, before the hosts stop: "registered when stopped" means then.
  let countsAtStop: FleetCounts | undefined;
  const stop = (reason: string) => {
    countsAtStop ??= fleet.counts();
    simulation.send({ type: 'STOP', reason });
  };
  const duration = options.durationSeconds !== undefined ? setTimeout(() => stop(`--duration ${options.durationSeconds} s`), options.durationSeconds * 1000) : undefined;
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    // A second Ctrl-C does not wait for the hosts' commands any more.
    if (signals > 1) {
      io.err(`\n${signal} again: exiting without waiting for the hosts\n`);
      process.exit(130);
    }
    stop(`received ${signal}`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const done = new Promise<{ stopReason: string }>((resolve, reject) => {
    simulation.subscribe({ complete: () => resolve(simulation.getSnapshot().output!), error: reject });
  });
  simulation.start();
  let output;
  try {
    output = await done;
  } catch (err) {
    throw new SimulateError(`the simulation failed: ${errorMessage(err)}`);
  } finally {
    clearInterval(progress);
    if (duration) clearTimeout(duration);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (io.tty) io.err('\n');
  const cpu = process.cpuUsage(cpuBefore);
  const seconds = elapsed();
  const summary = summaryOf(
    fleet,
    {
      durationSeconds: seconds,
      cpuPercent: ((cpu.user + cpu.system) / 1000 / (seconds * 1000)) * 100,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
      caches: { distinct: interner.size, shared: interner.reused },
      stopReason: output.stopReason,
    },
    countsAtStop ?? fleet.counts(),
  );
  io.out(options.json ? `${JSON.stringify(summary)}\n` : `${summaryTable(summary)}\n`);
  logger?.close();
  // Every started host registered and none failed: what a script checks first.
  return summary.counts.everRegistered === summary.counts.started && summary.counts.failed === 0 ? 0 : 1;
}
