// `ambari-agent simulate` at scale: N simulated hosts (one process, the real CLI) against one
// dev server (its own process), both on this machine. Per N: the simulator's and the server's
// RSS and CPU over a steady window once every host has registered, heartbeat lateness p50/p99
// as the simulator measured it (the whole run, and once all had registered), and the
// registration rate.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDevServer } from '../test/support/devServer.mjs';
import { CLK_TCK, cpuTicks, rssKb } from './procStats.mjs';

const CLI = join(fileURLToPath(new URL('..', import.meta.url)), 'bin/ambari-agent');
/** Hosts started per second: what the dev server registers without falling behind here. */
export const SIMULATE_RAMP = Number(process.env.BENCH_SIMULATE_RAMP ?? 200);
/** The steady window, after every host has registered: several heartbeat intervals. */
const STEADY_SECONDS = Number(process.env.BENCH_SIMULATE_STEADY_SECONDS ?? 60);

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The node process `ambari-agent simulate` runs the hosts in (its launcher's child). */
function simulatorPid(launcherPid) {
  const children = readFileSync(`/proc/${launcherPid}/task/${launcherPid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  if (children.length !== 1) throw new Error(`simulate (pid ${launcherPid}) has ${children.length} child processes, not one`);
  return children[0];
}

async function registeredCount(server, prefix) {
  const { body } = await server.api('/api/v1/hosts');
  return body.items.filter((h) => h.host_name.startsWith(`${prefix}-`) && h.connected && h.state !== 'lost').length;
}

/** One size: the dev server and the simulator started fresh, measured, stopped. */
export async function simulateBench(agents) {
  const server = await startDevServer();
  const prefix = `bench${agents}`;
  let child;
  try {
    child = spawn(process.execPath, [CLI, 'simulate', '--agents', String(agents), '--server', '127.0.0.1', '--url-port', String(server.urlPort), '--secured-url-port', String(server.securedUrlPort), '--hostname-prefix', prefix, '--ramp', String(SIMULATE_RAMP), '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    // Every host registered (or a deadline: the ramp's time and as long again, plus a minute).
    const deadline = performance.now() + ((agents / SIMULATE_RAMP) * 2 + 60) * 1000;
    let registered = 0;
    while ((registered = await registeredCount(server, prefix)) < agents && performance.now() < deadline) await sleep(1000);
    const simulator = simulatorPid(child.pid);
    const simTicks0 = cpuTicks(simulator);
    const serverTicks0 = cpuTicks(server.pid);
    const t0 = performance.now();
    await sleep(STEADY_SECONDS * 1000);
    const seconds = (performance.now() - t0) / 1000;
    const figures = {
      agents,
      registeredBeforeWindow: registered,
      simulatorCpu: ((cpuTicks(simulator) - simTicks0) / CLK_TCK / seconds) * 100,
      serverCpu: ((cpuTicks(server.pid) - serverTicks0) / CLK_TCK / seconds) * 100,
      simulatorRssMiB: rssKb(simulator) / 1024,
      serverRssMiB: rssKb(server.pid) / 1024,
      registeredAtEnd: await registeredCount(server, prefix),
    };
    child.kill('SIGINT');
    const code = await exited;
    const summary = JSON.parse(stdout.trim().split('\n').pop() ?? '{}');
    if (summary.hosts !== agents) throw new Error(`simulate --agents ${agents} exited ${code} without a summary:\n${stderr.slice(-2000)}`);
    return { ...figures, summary, exitCode: code };
  } finally {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await server.stop();
  }
}
