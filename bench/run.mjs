// `npm run bench`: start-up, connect, stop and memory figures of the real agent, measured
// through the real CLI against the dev server on 127.0.0.1. Prints one table.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { alive, parentPid } from '../test/support/cli.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'bin/ambari-agent');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const IDLE_SETTLE_MS = 3000;

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

function askState(socketPath) {
  return new Promise((resolve) => {
    const socket = connect(socketPath);
    let data = '';
    socket.on('connect', () => socket.write('{"cmd":"status"}\n'));
    socket.on('data', (d) => (data += d));
    socket.on('error', () => resolve(undefined));
    socket.on('close', () => {
      try {
        resolve(JSON.parse(data).state);
      } catch {
        resolve(undefined);
      }
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rssKb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

async function startDevServer(dataDir) {
  const server = spawn(process.execPath, [join(ROOT, 'bin/ambari-dev-server'), '--url-port', '0', '--secured-url-port', '0', '--api-port', '0', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise((resolve) => createInterface({ input: server.stdout }).once('line', resolve));
  return { server, urlPort: JSON.parse(line).url_port };
}

async function oneRun(urlPort) {
  const home = mkdtempSync(join(tmpdir(), 'aa-bench-'));
  try {
    await run(['init', '--home', home, '--server', '127.0.0.1', '--url-port', String(urlPort), '--set', 'server.connect_retry_delay=1']);
    const socket = join(home, 'var/run/ambari-agent/ambari-agent.sock');
    const pidFile = join(home, 'var/run/ambari-agent/ambari-agent.pid');

    const t0 = performance.now();
    await run(['start', '--home', home]);
    const startReturned = performance.now() - t0;
    while ((await askState(socket)) !== 'connected') await sleep(2);
    const connected = performance.now() - t0;

    await sleep(IDLE_SETTLE_MS);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    const wrapper = parentPid(pid);
    const agentRss = rssKb(pid);
    const wrapperRss = rssKb(wrapper);

    const t1 = performance.now();
    await run(['stop', '--home', home]);
    const stopCli = performance.now() - t1;

    // Agent-side stop latency: SIGTERM straight to a fresh agent, until its process is gone.
    await run(['start', '--home', home]);
    while ((await askState(socket)) !== 'connected') await sleep(2);
    const pid2 = Number(readFileSync(pidFile, 'utf8'));
    const t2 = performance.now();
    process.kill(pid2, 'SIGTERM');
    while (alive(pid2)) await sleep(1);
    const sigtermToExit = performance.now() - t2;
    await run(['stop', '--home', home]);

    return { startReturned, connected, stopCli, sigtermToExit, agentRss, wrapperRss };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted.at(-1) };
};

const dataDir = mkdtempSync(join(tmpdir(), 'aa-bench-server-'));
const { server, urlPort } = await startDevServer(dataDir);
const results = [];
try {
  for (let i = 0; i < RUNS; i++) results.push(await oneRun(urlPort));
} finally {
  server.kill('SIGTERM');
  rmSync(dataDir, { recursive: true, force: true });
}

const rows = [
  ['`ambari-agent start` wall time (until it returns)', 'ms', results.map((r) => r.startReturned)],
  ['start -> `connected` (local /ca server)', 'ms', results.map((r) => r.connected)],
  ['`ambari-agent stop` wall time', 'ms', results.map((r) => r.stopCli)],
  ['SIGTERM -> agent process gone', 'ms', results.map((r) => r.sigtermToExit)],
  ['idle agent RSS (connected, +3 s)', 'MiB', results.map((r) => r.agentRss / 1024)],
  ['idle wrapper RSS', 'MiB', results.map((r) => r.wrapperRss / 1024)],
];
console.log(`\nambari-agent benchmark: ${RUNS} runs, node ${process.versions.node}, ${new Date().toISOString()}\n`);
console.log('| metric | unit | median | min | max |');
console.log('|---|---|---:|---:|---:|');
for (const [name, unit, values] of rows) {
  const { median, min, max } = stats(values);
  console.log(`| ${name} | ${unit} | ${median.toFixed(1)} | ${min.toFixed(1)} | ${max.toFixed(1)} |`);
}
