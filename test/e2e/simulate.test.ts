// `ambari-agent simulate` as a user runs it: the real CLI as a child process, 50 simulated
// hosts against the real dev server (a child process too), on 127.0.0.1.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevServer } from '../support/devServer.mjs';
import { BIN } from '../support/cli.mjs';
import { alive, cleanup, newHome, processesMentioning, waitFor, type DevServer } from './helpers.js';

const AGENTS = 50;
const PREFIX = `simtest${process.pid}`;
const names = Array.from({ length: AGENTS }, (_, i) => `${PREFIX}-${String(i + 1).padStart(5, '0')}`);

interface HostView {
  host_name: string;
  state: string;
  heartbeats: number;
  connected: boolean;
}

let server: DevServer;
let home: string;
let simulator: ChildProcess;
let stdout = '';
let stderr = '';
let exited: Promise<number | string | null>;

async function hostsOf(dev: DevServer): Promise<Map<string, HostView>> {
  const { body } = await dev.api('/api/v1/hosts');
  return new Map((body.items as HostView[]).filter((h) => h.host_name.startsWith(`${PREFIX}-`)).map((h) => [h.host_name, h]));
}

/** Every simulated host registered and heartbeating, with at least `beats` heartbeats each. */
async function allHeartbeating(dev: DevServer, beats: number, timeoutMs: number) {
  return waitFor(
    async () => {
      const hosts = await hostsOf(dev);
      const ok = names.every((name) => hosts.get(name)?.connected && (hosts.get(name)?.heartbeats ?? 0) >= beats);
      return ok ? hosts : undefined;
    },
    { timeoutMs, intervalMs: 250, what: `${AGENTS} hosts with ${beats} heartbeat(s) each` },
  );
}

beforeAll(async () => {
  server = (await startDevServer()) as DevServer;
  // The home's ini: quick reconnects (the server restart below) and frequent status checks.
  home = await newHome({ urlPort: server.urlPort, set: [`server.secured_url_port=${server.securedUrlPort}`, 'server.connect_retry_delay=1', 'server.reconnect_delay=1', 'agent.status_commands_run_interval=2', 'agent.command_reports_interval=1'] });
  simulator = spawn(process.execPath, [BIN, 'simulate', '--home', home, '--agents', String(AGENTS), '--server', '127.0.0.1', '--hostname-prefix', PREFIX, '--ramp', '25', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  simulator.stdout!.on('data', (d) => (stdout += d));
  simulator.stderr!.on('data', (d) => (stderr += d));
  exited = new Promise((resolve) => simulator.on('exit', (code, signal) => resolve(code ?? signal)));
}, 60_000);

afterAll(async () => {
  if (simulator.exitCode === null && simulator.signalCode === null) simulator.kill('SIGKILL');
  await exited;
  await server.stop();
  await cleanup();
}, 60_000);

describe('ambari-agent simulate', () => {
  it('registers every host at the dev server, each under its own name, and their heartbeats advance', async () => {
    const first = await allHeartbeating(server, 1, 60_000);
    expect([...first.keys()].sort()).toEqual(names);
    const before = new Map([...first].map(([name, host]) => [name, host.heartbeats]));
    // One heartbeat interval (10 s) later every host has sent more.
    const later = await waitFor(
      async () => {
        const hosts = await hostsOf(server);
        return names.every((name) => (hosts.get(name)?.heartbeats ?? 0) > before.get(name)!) ? hosts : undefined;
      },
      { timeoutMs: 40_000, intervalMs: 500, what: 'every host heartbeating again' },
    );
    expect(later.size).toBe(AGENTS);
  }, 120_000);

  it('runs a command sent to one host on that host only, and reports it once', async () => {
    const target = names[7]!;
    const placed = await server.api(`/api/v1/hosts/${target}/components`, { service_name: 'HDFS', component_name: 'DATANODE', script: 'scripts/datanode.py' });
    expect(placed.status).toBe(201);
    const submitted = await server.api(`/api/v1/hosts/${target}/commands`, { role: 'DATANODE', command: 'START' });
    expect(submitted.status).toBe(201);
    const taskId = submitted.body.task_id;
    const task = await waitFor(
      async () => {
        const { body } = await server.api(`/api/v1/tasks/${taskId}`);
        return body.status === 'COMPLETED' || body.status === 'FAILED' ? body : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250, what: `task ${taskId} finished` },
    );
    expect(task.status).toBe('COMPLETED');
    expect(task.host_name).toBe(target);
    expect(String(task.stdout)).toContain(`Host: ${target}`);
    // Reported once: the server kept one final report for the task.
    expect(task.final_reports).toHaveLength(1);
    // No other simulated host got a task.
    const { body: all } = await server.api('/api/v1/tasks');
    const simulatedTasks = (all.items as Array<{ host_name: string; task_id: number }>).filter((t) => t.host_name.startsWith(`${PREFIX}-`));
    expect(simulatedTasks.map((t) => [t.host_name, t.task_id])).toEqual([[target, taskId]]);
    // The PERF stack's rule: after START, that host's status checks say STARTED.
    const status = await waitFor(
      async () => {
        const host = await server.host(target);
        const entry = (host?.component_status ?? []).find((c: { componentName: string }) => c.componentName === 'DATANODE');
        return entry?.status === 'STARTED' ? entry : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 250, what: `DATANODE STARTED on ${target}` },
    );
    expect(status.status).toBe('STARTED');
  }, 90_000);

  it('comes back, every host, after the server restarts', async () => {
    await server.stop({ keep: true });
    const restarted = (await startDevServer({ urlPort: server.urlPort, securedUrlPort: server.securedUrlPort, apiPort: server.apiPort, dataDir: server.dataDir })) as DevServer;
    const dataDir = server.dataDir;
    server = restarted;
    await allHeartbeating(server, 1, 90_000);
    expect(server.dataDir).toBe(dataDir);
  }, 150_000);

  it('stops on SIGINT: every connection closed, the process gone, the summary printed', async () => {
    simulator.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(alive(simulator.pid!)).toBe(false);
    // Nor the simulator process the command started (its arguments name the prefix).
    expect(processesMentioning(PREFIX)).toEqual([]);
    const summary = JSON.parse(stdout.trim().split('\n').pop()!);
    expect(summary.hosts).toBe(AGENTS);
    expect(summary.counts.everRegistered).toBe(AGENTS);
    expect(summary.counts.failed).toBe(0);
    expect(summary.stopReason).toBe('received SIGINT');
    expect(summary.heartbeats).toBeGreaterThanOrEqual(AGENTS * 2);
    // The server sees every connection gone.
    const hosts = await waitFor(
      async () => {
        const now = await hostsOf(server);
        return names.every((name) => now.get(name)?.connected === false) ? now : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 100, what: 'no simulated host connected' },
    );
    expect(hosts.size).toBe(AGENTS);
    expect(stderr).toMatch(/simulate \d+ s: 50\/50 started/);
  }, 60_000);
});

describe('ambari-agent simulate, its launcher killed', () => {
  it('stops the simulator process too: nothing is left running', async () => {
    const dev = (await startDevServer()) as DevServer;
    const prefix = `simorphan${process.pid}`;
    const child = spawn(process.execPath, [BIN, 'simulate', '--agents', '2', '--server', '127.0.0.1', '--url-port', String(dev.urlPort), '--secured-url-port', String(dev.securedUrlPort), '--hostname-prefix', prefix], { stdio: 'ignore' });
    try {
      await waitFor(async () => (await dev.host(`${prefix}-00002`))?.connected === true, { timeoutMs: 30_000, intervalMs: 250, what: 'both hosts connected' });
      const [simulatorPid] = processesMentioning(prefix).filter((pid) => pid !== child.pid);
      expect(simulatorPid).toBeDefined();
      child.kill('SIGKILL');
      await waitFor(() => !alive(simulatorPid!), { timeoutMs: 20_000, intervalMs: 100, what: 'the simulator process gone' });
      expect(processesMentioning(prefix)).toEqual([]);
    } finally {
      for (const pid of processesMentioning(prefix)) process.kill(pid, 'SIGKILL');
      await dev.stop();
    }
  }, 60_000);
});

describe('ambari-agent simulate --commands real', () => {
  it("runs the server's script through the agent's runner, in the host's own data dir under the home", async () => {
    const dev = (await startDevServer()) as DevServer;
    const realHome = await newHome({ urlPort: dev.urlPort, set: [`server.secured_url_port=${dev.securedUrlPort}`, 'agent.command_reports_interval=1'] });
    const prefix = `simreal${process.pid}`;
    const child = spawn(process.execPath, [BIN, 'simulate', '--home', realHome, '--agents', '3', '--server', '127.0.0.1', '--hostname-prefix', prefix, '--commands', 'real', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const done = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    const scripts = mkdtempSync(join(tmpdir(), 'aa-simreal-'));
    try {
      const script = join(scripts, 'where.sh');
      // A SHELL script's first arguments: the command and its JSON file (the host's data dir).
      writeFileSync(script, '#!/bin/sh\necho "real script: $1 $2"\n');
      const host = `${prefix}-00002`;
      await waitFor(async () => (await dev.host(host))?.connected === true, { timeoutMs: 30_000, intervalMs: 250, what: `${host} connected` });
      const { status, body } = await dev.api(`/api/v1/hosts/${host}/commands`, { role: 'TEST_CLIENT', command: 'INSTALL', script, script_type: 'SHELL', timeout: 30 });
      expect(status).toBe(201);
      const task = await waitFor(
        async () => {
          const { body: t } = await dev.api(`/api/v1/tasks/${body.task_id}`);
          return t.status === 'COMPLETED' || t.status === 'FAILED' ? t : undefined;
        },
        { timeoutMs: 30_000, intervalMs: 250, what: 'the real command finished' },
      );
      expect(task.status).toBe('COMPLETED');
      expect(task.stdout).toMatch(new RegExp(`real script: INSTALL \\S*/simulated/${host}/command-${body.task_id}\\.json`));
    } finally {
      rmSync(scripts, { recursive: true, force: true });
      child.kill('SIGINT');
      expect(await done).toBe(0);
      await dev.stop();
    }
  }, 90_000);
});
