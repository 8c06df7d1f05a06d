// `ambari-agent state` against real agents at each lifecycle stage (discovering, connected,
// running a command, stopping), `state --watch --json` seeing a transition arrive, and the
// agent behaving the same with the Stately inspector bridge on, which streams its events.
import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import getPort from 'get-port';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
// @ts-ignore plain .mjs helper without type declarations
import { startDevServer } from '../support/devServer.mjs';
import type { StateReport, StateReportNode } from '../../src/introspection/stateReport.js';
import { cleanup, cli, devServerAgent, newHome, readPidFile, ROOT, startAgent, waitFor, type DevServer } from './helpers.js';

let server: DevServer;
let dir: string;
let seq = 0;

beforeAll(async () => {
  server = (await startDevServer()) as DevServer;
  dir = mkdtempSync(join(tmpdir(), 'aa-state-'));
});
afterEach(cleanup);
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const find = (node: StateReportNode, id: string): StateReportNode | undefined =>
  node.id === id ? node : node.children.map((child) => find(child, id)).find(Boolean);

async function stateJson(home: string): Promise<StateReport> {
  const result = await cli(['state', '--home', home, '--json']);
  expect(result.code, result.output).toBe(0);
  return JSON.parse(result.stdout) as StateReport;
}

/** An agent of the dev server under its own name; `extra` goes to `start`. */
const connectedAgent = (extra: string[] = []) => devServerAgent(server, { name: 'state', startArgs: extra });

/** A command whose script sleeps (ignoring SIGTERM when asked, so a stop takes the kill grace). */
async function sleepingCommand(host: string, seconds: number, ignoreTerm = false): Promise<number> {
  const script = join(dir, `sleep-${++seq}.sh`);
  writeFileSync(script, `${ignoreTerm ? "trap '' TERM\n" : ''}sleep ${seconds}\n`);
  const { status, body } = await server.api(`/api/v1/hosts/${host}/commands`, { role: 'SLEEPER', command: 'START', script, script_type: 'SHELL', timeout: 60 });
  expect(status, JSON.stringify(body)).toBe(201);
  return body.task_id;
}

describe('ambari-agent state', () => {
  it('not running: exit 3 and the words of `status`', async () => {
    const home = await newHome();
    const result = await cli(['state', '--home', home]);
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('ambari-agent currently not running');
  });

  it('discovering: the supervisor, the discovery actor with its server, attempt and next retry', async () => {
    const closed = await getPort({ host: '127.0.0.1' });
    const home = await newHome({ servers: ['127.0.0.1'], urlPort: closed, set: ['server.connect_retry_delay=30'] });
    expect((await startAgent(home)).code).toBe(0);
    await waitFor(async () => find((await stateJson(home)).root, 'discovery')?.state === 'waiting', { what: 'discovery waiting' });
    const report = await stateJson(home);
    expect(report.pid).toBe(readPidFile(home));
    expect(report.root).toMatchObject({ id: 'supervisor', machine: 'supervisor', state: 'discovering', since: expect.any(Number), inStateMs: expect.any(Number) });
    const discovery = find(report.root, 'discovery')!;
    expect(discovery.details).toMatchObject({ server: '127.0.0.1', attempt: 1 });
    expect(discovery.details.nextRetryInS).toBeGreaterThan(0);
    expect(discovery.details.nextRetryInS).toBeLessThanOrEqual(30);
    const text = await cli(['state', '--home', home]);
    expect(text.stdout).toMatch(/^supervisor discovering for /m);
    expect(text.stdout).toMatch(/[├└]─ discovery waiting for .* server=127\.0\.0\.1 attempt=1 .*nextRetryInS=/);
  });

  it('connected, then running a command, then stopping', async () => {
    const { home, host } = await connectedAgent();
    let report = await stateJson(home);
    expect(report.root.state).toBe('connected');
    expect(find(report.root, 'session')).toMatchObject({ state: 'online.registered', details: { server: '127.0.0.1' } });
    expect(find(report.root, 'heartbeat')?.details.responseId).toEqual(expect.any(Number));

    const taskId = await sleepingCommand(host, 60, true);
    await waitFor(async () => find((await stateJson(home)).root, `task-${taskId}`)?.state === 'running', { what: 'the task running' });
    report = await stateJson(home);
    expect(find(report.root, 'actionQueue')).toMatchObject({ state: 'busy', details: { running: [taskId], queued: [] } });
    expect(find(report.root, `task-${taskId}`)).toMatchObject({ machine: 'command', details: { command: 'START SLEEPER', attempts: 1 } });

    // A stop kills the SIGTERM-deaf command after the grace: `stopping` lasts long enough to see.
    process.kill(readPidFile(home)!, 'SIGTERM');
    let stopping: StateReport | undefined;
    await waitFor(
      async () => {
        const result = await cli(['state', '--home', home, '--json']);
        if (result.code === 0 && result.stdout.includes('"state": "stopping"')) stopping = JSON.parse(result.stdout) as StateReport;
        return stopping !== undefined;
      },
      { timeoutMs: 5000, what: 'stopping' },
    );
    expect(stopping!.root.details).toMatchObject({ stopReason: 'received SIGTERM' });
    expect(find(stopping!.root, `task-${taskId}`)?.details.cancelReason).toMatch(/The agent is stopping/);
    await waitFor(() => readPidFile(home) === undefined, { timeoutMs: 15000, what: 'the agent gone' });
  });

  it('--watch --json streams a new report when the state changes, and ends when the agent stops', async () => {
    const { home, host } = await connectedAgent();
    const watcher = spawn(process.execPath, [join(ROOT, 'bin/ambari-agent'), 'state', '--home', home, '--watch', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const reports: StateReport[] = [];
    createInterface({ input: watcher.stdout! }).on('line', (line) => reports.push(JSON.parse(line) as StateReport));
    const exited = new Promise<number | null>((resolve) => watcher.on('exit', resolve));
    try {
      await waitFor(() => reports.length > 0, { what: 'the first report' });
      expect(reports[0]!.root.state).toBe('connected');
      const taskId = await sleepingCommand(host, 1);
      await waitFor(() => reports.some((r) => find(r.root, `task-${taskId}`)?.state === 'running'), { what: 'a report with the task running' });
      await waitFor(() => reports.some((r) => find(r.root, 'actionQueue')?.details.completed === 1), { what: 'a report with the task done' });
      expect((await cli(['stop', '--home', home])).code).toBe(0);
      expect(await exited).toBe(0);
    } finally {
      watcher.kill();
    }
  });
});

describe('the Stately inspector bridge', () => {
  it('with --inspect the agent behaves the same, and the bridge streams its actors and events', async () => {
    const plain = await connectedAgent();
    const inspected = await connectedAgent(['--inspect']);
    const status = await cli(['status', '--home', inspected.home]);
    const url = /^Inspector: (http:\/\/127\.0\.0\.1:\d+\/)$/m.exec(status.stdout)?.[1];
    expect(url, status.stdout).toBeDefined();
    expect((await cli(['status', '--home', plain.home])).stdout).not.toContain('Inspector:');

    const page = await fetch(url!);
    expect(page.status).toBe(200);
    // A page served under another name (DNS rebinding) is refused.
    const foreign = await new Promise<number | undefined>((resolve, reject) =>
      request(url!, { headers: { host: 'inspector.example.com' } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      })
        .on('error', reject)
        .end(),
    );
    expect(foreign).toBe(421);
    const html = await page.text();
    expect(html).toContain('<iframe id="inspector" src="https://stately.ai/inspect">');
    // Events go to the inspector's origin only (never postMessage(..., '*')).
    expect(html).toContain('const INSPECTOR = "https://stately.ai";');
    expect(html).not.toContain("'*'");
    // A page of another origin may not open the event socket (it carries command output).
    const refused = await new Promise<number | string>((resolve) => {
      const evil = new WebSocket(url!.replace('http', 'ws'), { origin: 'http://evil.example' });
      evil.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      evil.on('open', () => {
        evil.close();
        resolve('open');
      });
      evil.on('error', (err) => resolve(err.message));
    });
    expect(refused).toBe(401);

    const messages: Array<{ type: string; name?: string; event?: { type?: string } }> = [];
    const ws = new WebSocket(url!.replace('http', 'ws'));
    ws.on('message', (data) => messages.push(JSON.parse(String(data))));
    try {
      // Replayed on connect: the whole live tree.
      await waitFor(() => messages.some((m) => m.type === '@xstate.actor' && m.name === 'supervisor'), { what: 'the supervisor actor' });
      expect(messages.some((m) => m.type === '@xstate.actor' && m.name === 'session')).toBe(true);
      // The same command on both agents, the same result; the inspected one's events stream live.
      const before = messages.length;
      const results = [];
      for (const agent of [plain, inspected]) {
        const taskId = await sleepingCommand(agent.host, 0);
        await waitFor(async () => ['COMPLETED', 'FAILED'].includes((await server.api(`/api/v1/tasks/${taskId}`)).body.status), { what: `task ${taskId} done` });
        const { body } = await server.api(`/api/v1/tasks/${taskId}`);
        results.push([body.status, body.exit_code]);
      }
      expect(results).toEqual([['COMPLETED', 0], ['COMPLETED', 0]]);
      await waitFor(() => messages.slice(before).some((m) => m.type === '@xstate.event' && m.event?.type === 'EXECUTE'), { what: 'the EXECUTE event streamed' });
      for (const agent of [plain, inspected]) expect((await stateJson(agent.home)).root.state).toBe('connected');
    } finally {
      ws.close();
    }
  });
});
