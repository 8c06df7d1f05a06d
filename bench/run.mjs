// `npm run bench`: figures of the real agent, measured through the real CLI against the real
// dev server on 127.0.0.1. Prints one table. BENCH_RUNS (default 5) start/stop runs;
// BENCH_AGENTS (default 200) agent processes for the capacity run (0 skips it); BENCH_VIEWERS_SECONDS
// (default 60) for the idle cost of the inspector and state page (0 skips it); BENCH_ALERTS
// (default 500) alert definitions at a 1-minute interval for BENCH_ALERTS_SECONDS (default 150;
// either 0 skips the alert run); BENCH_SIMULATE (default 1000,5000,10000) the host counts of
// the `simulate` rows (0 skips them; BENCH_SIMULATE_RAMP hosts started per second, default 200);
// BENCH_IDLE_SECONDS (default 60: one whole host status cycle, the idle agent's one scan of
// /proc) of the steady agent left alone, beside the Node floor.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { alive, parentPid } from '../test/support/cli.mjs';
import { startDevServer } from '../test/support/devServer.mjs';
import { CLK_TCK, cpuTicks, rssKb } from './procStats.mjs';
import { loadConfig } from '../dist/config/loadConfig.js';
import { alertBench, percentile } from './alerts.mjs';
import { commandBench, topologyBench } from './commands.mjs';
import { cpuNs, cpuPercent, idleWindow, startNodeFloor } from './nodeFloor.mjs';
import { registerSyntheticHosts, SyntheticHostsError } from './syntheticHosts.mjs';
import { SIMULATE_RAMP, simulateBench } from './simulate.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'bin/ambari-agent');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const AGENTS = Number(process.env.BENCH_AGENTS ?? 200);
const IDLE_SETTLE_MS = 3000;
const VIEWERS_SECONDS = Number(process.env.BENCH_VIEWERS_SECONDS ?? 60);
const ALERTS = Number(process.env.BENCH_ALERTS ?? 500);
const ALERTS_SECONDS = Number(process.env.BENCH_ALERTS_SECONDS ?? 150);
const SIMULATE_SIZES = (process.env.BENCH_SIMULATE ?? '1000,5000,10000').split(',').map(Number).filter((n) => n > 0);
const IDLE_SECONDS = Number(process.env.BENCH_IDLE_SECONDS ?? 60);
const IDLE_QUIET_MS = 15_000;
/** Hosts in the topology of the placed-component dispatch rows: the agent and synthetic ones. */
const TOPOLOGY_HOSTS = 100;

function run(args) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`ambari-agent ${args.join(' ')} exited ${code}:\n${output}`))));
  });
}

function ask(socketPath, cmd) {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    let data = '';
    socket.on('connect', () => socket.write(`${JSON.stringify({ cmd })}\n`));
    socket.on('data', (d) => (data += d));
    socket.on('error', () => resolve(undefined));
    socket.on('close', () => {
      try {
        resolve(JSON.parse(data));
      } catch {
        resolve(undefined);
      }
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const findNode = (node, id) => (node?.id === id ? node : node?.children?.map((c) => findNode(c, id)).find(Boolean));

/** A home for one agent named `name`, pointing at `server`. */
async function makeHome(server, name) {
  const home = mkdtempSync(join(tmpdir(), 'aa-bench-'));
  const script = join(home, 'hostname.sh');
  writeFileSync(script, `#!/bin/sh\necho ${name}\n`);
  chmodSync(script, 0o755);
  await run(['init', '--home', home, '--server', '127.0.0.1', '--url-port', String(server.urlPort), '--secured-url-port', String(server.securedUrlPort),
    '--set', 'server.connect_retry_delay=1', '--set', `agent.hostname_script=${script}`]);
  return { home, socket: join(home, 'var/run/ambari-agent/ambari-agent.sock'), pidFile: join(home, 'var/run/ambari-agent/ambari-agent.pid') };
}

async function waitState(socket, state) {
  while ((await ask(socket, 'status'))?.state !== state) await sleep(2);
}

async function startStopRun(server, i) {
  const agent = await makeHome(server, `bench-${i}.test`);
  try {
    const t0 = performance.now();
    await run(['start', '--home', agent.home]);
    const startReturned = performance.now() - t0;
    await waitState(agent.socket, 'connected');
    const registered = performance.now() - t0;
    await sleep(IDLE_SETTLE_MS);
    const pid = Number(readFileSync(agent.pidFile, 'utf8'));
    const wrapperRss = rssKb(parentPid(pid));

    const t1 = performance.now();
    await run(['stop', '--home', agent.home]);
    const stopCli = performance.now() - t1;

    await run(['start', '--home', agent.home]);
    await waitState(agent.socket, 'connected');
    const pid2 = Number(readFileSync(agent.pidFile, 'utf8'));
    const t2 = performance.now();
    process.kill(pid2, 'SIGTERM');
    while (alive(pid2)) await sleep(1);
    const sigtermToExit = performance.now() - t2;
    await run(['stop', '--home', agent.home]);
    return { startReturned, registered, stopCli, sigtermToExit, wrapperRss };
  } finally {
    rmSync(agent.home, { recursive: true, force: true });
  }
}

/**
 * One agent for 35 s: heartbeat round trips (the heartbeat actor's lastRoundTripMs), RSS and
 * CPU (with the bench asking for its tree every 200 ms); then, 15 s later, IDLE_SECONDS left alone, beside
 * the Node floor (bench/nodeFloor.mjs) over the same window.
 */
async function steadyRun(server) {
  const agent = await makeHome(server, 'bench-steady.test');
  const floor = await startNodeFloor();
  try {
    await run(['start', '--home', agent.home]);
    await waitState(agent.socket, 'connected');
    const pid = Number(readFileSync(agent.pidFile, 'utf8'));
    const roundTrips = [];
    let lastBeats = 0;
    const ns0 = cpuNs(pid);
    const deadline = Date.now() + 35_000;
    while (Date.now() < deadline) {
      const heartbeat = findNode(await ask(agent.socket, 'tree'), 'heartbeat');
      const beats = heartbeat?.context?.beats ?? 0;
      if (beats > lastBeats) {
        roundTrips.push(heartbeat.context.lastRoundTripMs);
        lastBeats = beats;
      }
      await sleep(200);
    }
    const cpu = cpuPercent(ns0, cpuNs(pid), 35);
    const rss = rssKb(pid);
    // V8's memory reducer collects for a while after the polling's allocations stop: let it finish.
    await sleep(IDLE_QUIET_MS);
    const [idle, wrapper, floorIdle] = await idleWindow([pid, parentPid(pid), floor.pid], IDLE_SECONDS, rssKb);
    await run(['stop', '--home', agent.home]);
    return { roundTrips, rss, cpuPercent: cpu, idle, wrapper, floor: floorIdle };
  } finally {
    await floor.stop();
    rmSync(agent.home, { recursive: true, force: true });
  }
}

/**
 * Idle cost of the viewers: two agents side by side for VIEWERS_SECONDS, one plain, one with
 * the inspector bridge and the state page on and watched (a WebSocket client on the bridge,
 * an SSE client on the page), CPU and RSS of each.
 */
async function viewersRun(server) {
  const plain = await makeHome(server, 'bench-plain.test');
  const viewed = await makeHome(server, 'bench-viewed.test');
  const clients = [];
  try {
    await run(['start', '--home', plain.home]);
    const started = await run(['start', '--home', viewed.home, '--inspect', '--status-page', '0']);
    await Promise.all([waitState(plain.socket, 'connected'), waitState(viewed.socket, 'connected')]);
    const reply = await ask(viewed.socket, 'status');
    if (!reply?.inspectorUrl || !reply?.statePageUrl) throw new Error(`viewers not up: ${JSON.stringify(reply)}\n${started}`);
    const { default: WebSocket } = await import('ws');
    const ws = new WebSocket(reply.inspectorUrl.replace('http', 'ws'));
    let inspectorMessages = 0;
    ws.on('message', () => inspectorMessages++);
    clients.push(() => ws.close());
    const sse = new AbortController();
    clients.push(() => sse.abort());
    let sseBytes = 0;
    fetch(`${reply.statePageUrl}events`, { signal: sse.signal })
      .then(async (res) => {
        for await (const chunk of res.body) sseBytes += chunk.length;
      })
      .catch(() => {});
    await sleep(IDLE_SETTLE_MS);
    const pids = [plain, viewed].map((a) => Number(readFileSync(a.pidFile, 'utf8')));
    const ticks0 = pids.map(cpuTicks);
    await sleep(VIEWERS_SECONDS * 1000);
    const cpu = pids.map((pid, i) => ((cpuTicks(pid) - ticks0[i]) / CLK_TCK / VIEWERS_SECONDS) * 100);
    const rss = pids.map(rssKb);
    return { plain: { cpu: cpu[0], rss: rss[0] }, viewed: { cpu: cpu[1], rss: rss[1] }, inspectorMessages, sseBytes };
  } finally {
    for (const close of clients) close();
    for (const agent of [plain, viewed]) {
      await run(['stop', '--home', agent.home]).catch(() => {});
      rmSync(agent.home, { recursive: true, force: true });
    }
  }
}

/** One agent running commands (see commands.mjs). */
async function commandsRun(server) {
  const agent = await makeHome(server, 'bench-commands.test');
  try {
    await run(['start', '--home', agent.home]);
    await waitState(agent.socket, 'connected');
    return await commandBench({ server, host: 'bench-commands.test', dir: agent.home });
  } finally {
    await run(['stop', '--home', agent.home]).catch(() => {});
    rmSync(agent.home, { recursive: true, force: true });
  }
}

/**
 * A placed component's commands (the full command JSON) with TOPOLOGY_HOSTS hosts in the
 * topology: the agent and TOPOLOGY_HOSTS - 1 synthetic hosts, registered before it so that
 * its topology sync has them all, on a server of their own (so the topology is exactly them).
 */
async function topologyRun() {
  const server = await startDevServer();
  let synthetic;
  let agent;
  try {
    synthetic = await registerSyntheticHosts({ server, count: TOPOLOGY_HOSTS - 1 });
    agent = await makeHome(server, 'bench-topology.test');
    await run(['start', '--home', agent.home]);
    await waitState(agent.socket, 'connected');
    const hosts = ['bench-topology.test', ...synthetic.names];
    const result = await topologyBench({ server, host: 'bench-topology.test', hosts, cacheDir: loadConfig(agent.home).ini.agent.cache_dir, dir: agent.home });
    return { ...result, syntheticProblems: synthetic.problems() };
  } finally {
    if (agent) {
      await run(['stop', '--home', agent.home]).catch(() => {});
      rmSync(agent.home, { recursive: true, force: true });
    }
    await synthetic?.close();
    await server.stop();
  }
}

/** N agents as separate processes on one dev server: how many stay registered, and its CPU. */
async function capacityRun(n) {
  const server = await startDevServer();
  const agents = [];
  try {
    const t0 = performance.now();
    const queue = Array.from({ length: n }, (_, i) => i);
    const worker = async () => {
      for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
        const agent = await makeHome(server, `cap-${i}.test`);
        agents.push(agent);
        await run(['start', '--home', agent.home]);
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    const hosts = async () => (await server.api('/api/v1/hosts')).body.items;
    while ((await hosts()).filter((h) => h.state !== 'lost').length < n && performance.now() - t0 < 600_000) await sleep(500);
    const allUp = performance.now() - t0;
    // Three heartbeat intervals of steady state.
    const ticks0 = cpuTicks(server.pid);
    const responseBefore = Object.fromEntries((await hosts()).map((h) => [h.host_name, h.response_id]));
    await sleep(30_000);
    const serverCpu = ((cpuTicks(server.pid) - ticks0) / CLK_TCK / 30) * 100;
    const after = await hosts();
    const heartbeating = after.filter((h) => h.state === 'heartbeating' && h.response_id >= (responseBefore[h.host_name] ?? 0) + 2).length;
    const serverRss = rssKb(server.pid);
    return { n, allUp, heartbeating, serverCpu, serverRss };
  } finally {
    const stopQueue = [...agents];
    const stopper = async () => {
      for (let a = stopQueue.shift(); a; a = stopQueue.shift()) {
        await run(['stop', '--home', a.home]).catch(() => {});
        rmSync(a.home, { recursive: true, force: true });
      }
    };
    await Promise.all([stopper(), stopper(), stopper()]);
    await server.stop();
  }
}

/** The STOMP decoder on a large frame in many chunks (a big configs message, say). */
async function decoderRun() {
  const { FrameDecoder, SERVER_COMMANDS, encodeFrame } = await import('../dist/protocol/stompFrame.js');
  const bytes = Buffer.from(encodeFrame({ command: 'MESSAGE', headers: { destination: '/user/configs' }, body: 'x'.repeat(8 * 1024 * 1024) }));
  const times = [];
  for (let round = 0; round < 5; round++) {
    const decoder = new FrameDecoder(SERVER_COMMANDS);
    const t = performance.now();
    for (let i = 0; i < bytes.length; i += 16 * 1024) decoder.push(bytes.subarray(i, i + 16 * 1024));
    times.push(performance.now() - t);
  }
  return times;
}

/**
 * The agent's stack cache (FileCache.provide) against the dev server's --resources: a package
 * folder of ~20 MB of random bytes in 320 files, fetched (.hash + archive.zip) and unpacked into
 * a fresh cache dir each run (the first run includes the server computing hash and zip), then
 * re-checked after reset() with the .hash unchanged.
 */
async function stackDownloadRun(runs = 5) {
  const { FileCache } = await import('../dist/actors/resources/fileCache.js');
  const resources = mkdtempSync(join(tmpdir(), 'aa-bench-resources-'));
  const subdir = 'stacks/BENCH/1.0/services/BIG/package';
  mkdirSync(join(resources, subdir, 'files'), { recursive: true });
  writeFileSync(join(resources, 'stacks/BENCH/1.0/metainfo.xml'), '<metainfo/>');
  let bytes = 0;
  for (let i = 0; i < 320; i++) {
    const chunk = randomBytes(64 * 1024);
    writeFileSync(join(resources, subdir, i % 2 ? 'files' : '', `part-${i}.bin`), chunk);
    bytes += chunk.length;
  }
  const server = await startDevServer({ args: ['--resources', resources] });
  const prefix = `http://127.0.0.1:${server.apiPort}/resources`;
  const cacheDirs = [];
  const options = (cacheDir) => ({ cacheDir, tolerateDownloadFailures: false, autoUpdate: () => true, log: () => {} });
  try {
    const download = [];
    let cache;
    for (let i = 0; i < runs; i++) {
      const cacheDir = mkdtempSync(join(tmpdir(), 'aa-bench-cache-'));
      cacheDirs.push(cacheDir);
      cache = new FileCache(options(cacheDir));
      const t = performance.now();
      const dir = await cache.provide(subdir, prefix);
      download.push(performance.now() - t);
      if (readdirSync(join(dir, 'files')).length !== 160) throw new Error(`stack download bench: ${dir} was not unpacked`);
    }
    const recheck = [];
    for (let i = 0; i < runs; i++) {
      cache.reset();
      const t = performance.now();
      await cache.provide(subdir, prefix);
      recheck.push(performance.now() - t);
    }
    return { download, recheck, bytes };
  } finally {
    await server.stop();
    for (const dir of [resources, ...cacheDirs]) rmSync(dir, { recursive: true, force: true });
  }
}

/** One agent running ALERTS alert definitions (bench/alerts.mjs). */
async function alertsRun(server) {
  const host = 'bench-alerts.test';
  const agent = await makeHome(server, host);
  try {
    await run(['start', '--home', agent.home]);
    await waitState(agent.socket, 'connected');
    const pid = Number(readFileSync(agent.pidFile, 'utf8'));
    const result = await alertBench({ server, host, pid, definitions: ALERTS, seconds: ALERTS_SECONDS, cpuTicks, rssKb });
    await run(['stop', '--home', agent.home]);
    return result;
  } finally {
    rmSync(agent.home, { recursive: true, force: true });
  }
}

const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted.at(-1) };
};

// First: a topology that cannot be built fails the bench at once, in one line.
let topology;
try {
  topology = await topologyRun();
} catch (err) {
  if (!(err instanceof SyntheticHostsError)) throw err;
  console.error(`bench: ${err.message}`);
  process.exit(1);
}

const server = await startDevServer();
const results = [];
let steady;
let commands;
let viewers;
let alerts;
try {
  for (let i = 0; i < RUNS; i++) results.push(await startStopRun(server, i));
  steady = await steadyRun(server);
  commands = await commandsRun(server);
  viewers = VIEWERS_SECONDS > 0 ? await viewersRun(server) : undefined;
  alerts = ALERTS > 0 && ALERTS_SECONDS > 0 ? await alertsRun(server) : undefined;
} finally {
  await server.stop();
}
const decoderTimes = await decoderRun();
const stack = await stackDownloadRun();
const capacity = AGENTS > 0 ? await capacityRun(AGENTS) : undefined;
const simulated = [];
for (const agents of SIMULATE_SIZES) simulated.push(await simulateBench(agents));

const rows = [
  ['`ambari-agent start` wall time (until it returns)', 'ms', results.map((r) => r.startReturned)],
  ['start -> registered (`connected`) with the dev server', 'ms', results.map((r) => r.registered)],
  ['`ambari-agent stop` wall time', 'ms', results.map((r) => r.stopCli)],
  ['SIGTERM -> agent process gone', 'ms', results.map((r) => r.sigtermToExit)],
  ['heartbeat round trip (agent-measured)', 'ms', steady.roundTrips],
  ['agent RSS, registered, after 35 s', 'MiB', [steady.rss / 1024]],
  ['agent CPU, registered, 35 s, tree asked every 200 ms', '%', [steady.cpuPercent]],
  ['wrapper RSS', 'MiB', results.map((r) => r.wrapperRss / 1024)],
  [`agent RSS, registered, then left alone ${IDLE_SECONDS} s`, 'MiB', [steady.idle.rss / 1024]],
  [`agent CPU, left alone ${IDLE_SECONDS} s`, '%', [steady.idle.cpu]],
  [`agent + wrapper RSS, left alone ${IDLE_SECONDS} s`, 'MiB', [(steady.idle.rss + steady.wrapper.rss) / 1024]],
  [`Node floor RSS (bare node, no flags, one TCP listener), same ${IDLE_SECONDS} s`, 'MiB', [steady.floor.rss / 1024]],
  [`Node floor CPU, same ${IDLE_SECONDS} s`, '%', [steady.floor.cpu]],
  ['agent RSS / Node floor RSS, left alone', 'x', [steady.idle.rss / steady.floor.rss]],
  ['STOMP decoder: 8 MiB frame in 16 KiB chunks', 'ms', decoderTimes],
  ['command dispatch: server push -> script starts (trivial sh)', 'ms', commands.pushToStart],
  ['command dispatch: script exits -> final report at the server', 'ms', commands.exitToReport],
  [`command dispatch, full JSON, ${TOPOLOGY_HOSTS}-host topology: server push -> script starts`, 'ms', topology.pushToStart],
  [`command dispatch, full JSON, ${TOPOLOGY_HOSTS}-host topology: script exits -> final report at the server`, 'ms', topology.exitToReport],
  [`stack download: ${(stack.bytes / 2 ** 20).toFixed(0)} MiB archive (320 files), .hash + archive.zip + unpack`, 'ms', stack.download],
  ['stack cache: unchanged .hash re-check', 'ms', stack.recheck],
];
console.log(`\nambari-agent benchmark: node ${process.versions.node}, ${RUNS} start/stop runs, ${new Date().toISOString()}\n`);
console.log('| metric | unit | median | min | max | samples |');
console.log('|---|---|---:|---:|---:|---:|');
for (const [name, unit, values] of rows) {
  // A row without samples (its runs failed) is shown all the same, so its absence is noticed.
  if (values.length === 0) {
    console.log(`| ${name} | ${unit} | – | – | – | 0 |`);
    continue;
  }
  const { median, min, max } = stats(values);
  // Idle CPU is a few hundredths of a percent: shown to 0.001 %.
  const digits = unit === '%' ? 3 : unit === 'x' ? 2 : 1;
  console.log(`| ${name} | ${unit} | ${median.toFixed(digits)} | ${min.toFixed(digits)} | ${max.toFixed(digits)} | ${values.length} |`);
}
console.log('\n| commands | value |');
console.log('|---|---:|');
console.log(`| 100 queued trivial commands, one at a time: all reported | ${commands.completed} / 100 COMPLETED in ${commands.queuedSeconds.toFixed(2)} s (${(100 / commands.queuedSeconds).toFixed(1)} commands/s) |`);
const lists = topology.components.map((c) => c.hosts).join('/');
console.log(`| placed component's START (full command JSON), ${topology.topologyHosts}-host topology, ${topology.components.length} components on ${lists} hosts: runs COMPLETED | ${topology.completed} / ${topology.runs}${topology.failures.length > 0 ? ` (first failure: ${topology.failures[0].replaceAll('|', '\\|')})` : ''} |`);
if (topology.syntheticProblems.length > 0) console.log(`| (synthetic hosts: ${topology.syntheticProblems.length} problem(s) during the run; first: ${topology.syntheticProblems[0].replaceAll('|', '\\|')}) | |`);
for (const [how, t] of Object.entries(commands.treeGone)) {
  console.log(`| timeout (1 s) -> last of a ${t.processes}-process tree gone, tree ${how} SIGTERM | ${t.ms} ms after the deadline (exit code ${t.exitCode}) |`);
}
if (viewers) {
  console.log(`\n| idle over ${VIEWERS_SECONDS} s, registered, two agents side by side | CPU | RSS |`);
  console.log('|---|---:|---:|');
  console.log(`| inspector and state page off | ${viewers.plain.cpu.toFixed(2)} % | ${(viewers.plain.rss / 1024).toFixed(1)} MiB |`);
  console.log(`| --inspect and --status-page on, each watched by a client | ${viewers.viewed.cpu.toFixed(2)} % | ${(viewers.viewed.rss / 1024).toFixed(1)} MiB |`);
  console.log(`| (what the watchers received: ${viewers.inspectorMessages} inspector messages, ${(viewers.sseBytes / 1024).toFixed(0)} KiB of state page events) | | |`);
}
if (alerts) {
  const ms = (values, p) => (values.length === 0 ? '–' : `${percentile(values, p).toFixed(0)} ms`);
  console.log(`\n| alerts: ${alerts.definitions} PORT definitions at a 1-minute interval, ${alerts.seconds} s, ${alerts.results} results | value |`);
  console.log('|---|---:|');
  console.log(`| agent CPU while running them | ${alerts.cpuPercent.toFixed(2)} % of one core |`);
  console.log(`| agent RSS at the end | ${(alerts.rss / 1024).toFixed(1)} MiB |`);
  console.log(`| lateness, due -> checked: p50 / p99 | ${ms(alerts.checked, 50)} / ${ms(alerts.checked, 99)} |`);
  console.log(`| lateness, due -> at the server (reports every 5 s): p50 / p99 | ${ms(alerts.reported, 50)} / ${ms(alerts.reported, 99)} |`);
}
if (capacity) {
  console.log(`\n| capacity: ${capacity.n} agent processes, one dev server, 10 s heartbeat | value |`);
  console.log('|---|---:|');
  console.log(`| agents registered and heartbeating (response id +2 over 30 s) | ${capacity.heartbeating} / ${capacity.n} |`);
  console.log(`| time until all registered (3 starts at a time) | ${(capacity.allUp / 1000).toFixed(1)} s |`);
  console.log(`| dev server CPU, steady state (30 s) | ${capacity.serverCpu.toFixed(2)} % of one core |`);
  console.log(`| dev server RSS | ${(capacity.serverRss / 1024).toFixed(1)} MiB |`);
}
if (simulated.length > 0) {
  const ms = (value) => (value === null || value === undefined ? '–' : `${value} ms`);
  console.log(`\n| \`ambari-agent simulate\`: hosts (${SIMULATE_RAMP}/s ramp) | registered | simulator RSS (peak) | dev server RSS | simulator CPU | dev server CPU | heartbeat lateness p50 / p99, all registered | p50 / p99, whole run | registrations/s |`);
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of simulated) {
    const { summary } = r;
    console.log(`| ${r.agents} | ${r.registeredAtEnd} | ${r.simulatorRssMiB.toFixed(0)} MiB (${summary.peakRssMiB.toFixed(0)}) | ${r.serverRssMiB.toFixed(0)} MiB | ${r.simulatorCpu.toFixed(1)} % | ${r.serverCpu.toFixed(1)} % | ${ms(summary.steadyLatenessMs.p50)} / ${ms(summary.steadyLatenessMs.p99)} | ${ms(summary.latenessMs.p50)} / ${ms(summary.latenessMs.p99)} | ${summary.registrationsPerSecond ?? '–'} |`);
  }
  console.log('(CPU in % of one core over the steady window; the machine has 2 cores, shared by both processes.)');
}
if (topology.completed < topology.runs) {
  console.error(`bench: command dispatch, full JSON, ${topology.topologyHosts}-host topology: ${topology.completed} / ${topology.runs} COMPLETED; first failure: ${topology.failures[0]}`);
}
