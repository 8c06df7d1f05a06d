// How the dev server holds many agents: the dev server runs as its own process (as `npm run
// bench` starts it: bin/ambari-dev-server on loopback, a fresh data dir) and this process
// registers synthetic hosts with it (syntheticHosts.mjs: one TLS WebSocket with STOMP each, the
// agent's five sync requests, then a heartbeat every 10 s), level after level (1,000, 5,000,
// 10,000 by default), adding them to the cluster through the API. Per level: how fast the new
// hosts registered, then over a hold of SCALE_HOLD_SECONDS with all of them heartbeating the
// dev server's CPU (utime+stime from /proc, % of one core), its RSS at the end, this load
// generator's CPU, and the heartbeats' round trips (send -> answer, p50/p99; both processes
// share the machine's cores, so the figure includes this process's own delays).
//
//   node bench/devServerScale.mjs                      (SCALE_LEVELS=1000,5000,10000 SCALE_HOLD_SECONDS=40)
//   SCALE_PROFILE=DIR node bench/devServerScale.mjs    (the dev server runs with --cpu-prof into DIR)
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { registerSyntheticHosts } from './syntheticHosts.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLK_TCK = 100;
const HEARTBEAT_MS = 10_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The dev server as a child process; `nodeArgs` go to node (e.g. --cpu-prof). */
async function startServer({ dataDir, nodeArgs = [] }) {
  const args = [...nodeArgs, join(ROOT, 'bin/ambari-dev-server'), '--host', '127.0.0.1', '--url-port', '0', '--secured-url-port', '0', '--api-port', '0', '--data-dir', dataDir];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  // Only the last lines: the server logs every registration.
  child.stderr.on('data', (d) => (tail = (tail + d).slice(-4000)));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  const ready = await Promise.race([
    new Promise((resolve) => createInterface({ input: child.stdout }).once('line', (line) => resolve(JSON.parse(line)))),
    exited.then((code) => {
      throw new Error(`ambari-dev-server exited (${code}) before it was ready:\n${tail}`);
    }),
  ]);
  return {
    pid: child.pid,
    securedUrlPort: ready.secured_url_port,
    apiPort: ready.api_port,
    tail: () => tail,
    alive: () => child.exitCode === null && child.signalCode === null,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** utime+stime of a process in seconds, and its RSS in MiB. */
function usage(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpu = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;
  return { cpu, rss };
}

const percentile = (sorted, p) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]);

/**
 * @param {{ levels?: number[]; holdSeconds?: number; profileDir?: string; connectAtOnce?: number; joinCluster?: boolean; log?: (line: string) => void }} [options]
 * @returns {Promise<Array<{ hosts: number; registerSeconds: number; hostsPerSecond: number; serverCpuPercent: number; serverRssMiB: number; generatorCpuPercent: number; heartbeats: number; p50: number; p99: number; problems: number }>>}
 */
export async function devServerScaleBench({ levels = [1000, 5000, 10000], holdSeconds = 40, profileDir, connectAtOnce = 32, joinCluster = true, log = () => {} } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'aa-devscale-'));
  const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const server = await startServer({ dataDir, nodeArgs });
  const groups = [];
  const rows = [];
  let window;
  const onHeartbeat = (ms) => window?.push(ms);
  try {
    let registered = 0;
    for (const level of levels) {
      const started = performance.now();
      groups.push(await registerSyntheticHosts({ server, count: level - registered, first: registered, prefix: 'scale', heartbeatIntervalMs: HEARTBEAT_MS, connectAtOnce, sync: true, joinCluster, onHeartbeat }));
      const registerSeconds = (performance.now() - started) / 1000;
      const hostsPerSecond = (level - registered) / registerSeconds;
      registered = level;
      log(`${level} hosts: registered ${level - (rows.at(-1)?.hosts ?? 0)} in ${registerSeconds.toFixed(1)} s`);
      // One interval to settle (every host heartbeating), then the measured hold.
      await sleep(HEARTBEAT_MS);
      window = [];
      const before = usage(server.pid);
      const generatorBefore = process.cpuUsage();
      const t0 = performance.now();
      await sleep(holdSeconds * 1000);
      const wall = (performance.now() - t0) / 1000;
      const after = usage(server.pid);
      const generator = process.cpuUsage(generatorBefore);
      const sorted = window.sort((a, b) => a - b);
      window = undefined;
      const row = {
        hosts: level,
        registerSeconds,
        hostsPerSecond,
        serverCpuPercent: ((after.cpu - before.cpu) / wall) * 100,
        serverRssMiB: after.rss,
        generatorCpuPercent: ((generator.user + generator.system) / 1e6 / wall) * 100,
        heartbeats: sorted.length,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        problems: groups.reduce((n, g) => n + g.problems().length, 0),
      };
      rows.push(row);
      log(JSON.stringify(row));
      if (!server.alive()) throw new Error(`the dev server died:\n${server.tail()}`);
    }
    return rows;
  } finally {
    for (const group of groups) await group.close();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function table(rows) {
  const lines = ['| hosts | register (hosts/s) | server CPU % | server RSS MiB | generator CPU % | heartbeats | heartbeat RTT p50 / p99 ms | problems |', '|---|---|---|---|---|---|---|---|'];
  for (const r of rows) {
    lines.push(`| ${r.hosts} | ${r.hostsPerSecond.toFixed(0)} | ${r.serverCpuPercent.toFixed(0)} | ${r.serverRssMiB.toFixed(0)} | ${r.generatorCpuPercent.toFixed(0)} | ${r.heartbeats} | ${r.p50.toFixed(1)} / ${r.p99.toFixed(1)} | ${r.problems} |`);
  }
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const levels = (process.env.SCALE_LEVELS ?? '1000,5000,10000').split(',').map(Number);
  const rows = await devServerScaleBench({
    levels,
    holdSeconds: Number(process.env.SCALE_HOLD_SECONDS ?? 40),
    connectAtOnce: Number(process.env.SCALE_CONNECT_AT_ONCE ?? 32),
    joinCluster: process.env.SCALE_JOIN !== '0',
    ...(process.env.SCALE_PROFILE ? { profileDir: process.env.SCALE_PROFILE } : {}),
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${table(rows)}\n`);
}
