// Alerts, black-box: definitions created, changed, disabled and deleted through the dev
// server's API reach the agent as the Java server sends them; the agent checks each on its own
// actor and reports to /reports/alerts_status; a stale alert goes in the heartbeat; a result
// made while the server is away arrives once it is back. The interval unit is 1 s here
// ([agent] alert_interval_unit_seconds), so "1 minute" is one second.
import { createServer, type Server } from 'node:net';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import getPort from 'get-port';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
// @ts-ignore plain .mjs helper without type declarations
import { startDevServer } from '../support/devServer.mjs';
import { cleanup, cli, devServerAgent, homeFiles, waitFor, type DevServer } from './helpers.js';

let dir: string;
const servers: Array<Server | HttpServer> = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'aa-alerts-'));
});
afterEach(async () => {
  await cleanup();
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FAST = ['agent.alert_interval_unit_seconds=1', 'agent.alert_reports_interval=1'];

async function listen<T extends Server | HttpServer>(server: T): Promise<number> {
  const port = await getPort({ host: '127.0.0.1' });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  servers.push(server);
  return port;
}

/** An agent-level definition (AMBARI / AMBARI_AGENT): it applies to every host. */
function agentDefinition(name: string, source: Record<string, unknown>, more: Record<string, unknown> = {}) {
  return { name, label: name, serviceName: 'AMBARI', componentName: 'AMBARI_AGENT', interval: 1, scope: 'HOST', source, ...more };
}

async function create(server: DevServer, definition: Record<string, unknown>): Promise<number> {
  const answer = await server.api('/api/v1/clusters/dev/alert_definitions', definition);
  expect(answer.status, JSON.stringify(answer.body)).toBe(201);
  return answer.body.definition.definitionId;
}

async function alertsOf(server: DevServer, host: string): Promise<{ alerts: any[]; stale_alerts: any[] }> {
  const answer = await server.api(`/api/v1/hosts/${host}/alerts`);
  return answer.status === 200 ? answer.body : { alerts: [], stale_alerts: [] };
}

/** PATCH, PUT and DELETE on the dev server's API (its `api` helper does GET and POST). */
async function request(server: DevServer, method: string, path: string, body?: unknown): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${server.apiPort}${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  await response.text();
  return response.status;
}

const alertNamed = async (server: DevServer, host: string, name: string) => (await alertsOf(server, host)).alerts.find((a) => a.name === name);

describe('alerts', () => {
  let server: DevServer;
  beforeAll(async () => {
    server = (await startDevServer()) as DevServer;
  });
  afterAll(async () => server?.stop());

  it('PORT and WEB alerts are checked and reported; a definition updated, disabled and deleted', async () => {
    const open = createServer((socket) => socket.end());
    const openPort = await listen(open);
    let status = 200;
    let delayMs = 0;
    const web = createHttpServer((_req, res) => {
      res.statusCode = status;
      setTimeout(() => res.end('ok'), delayMs);
    });
    const webPort = await listen(web);
    const { home, host } = await devServerAgent(server, { set: FAST });

    const portId = await create(server, agentDefinition('test_port', { type: 'PORT', uri: `127.0.0.1:${openPort}`, default_port: openPort, reporting: { ok: { text: 'TCP OK - {0:.3f}s on port {1}' }, warning: { text: 'slow', value: 1.5 }, critical: { text: 'Connection failed: {0} to {1}:{2}', value: 5 } } }));
    const webId = await create(server, agentDefinition('test_web', { type: 'WEB', uri: { http: `127.0.0.1:${webPort}`, connection_timeout: 1 }, reporting: { ok: { text: 'HTTP {0} response in {2:.3f} seconds' }, warning: { text: 'HTTP {0} response from {1}' }, critical: { text: 'Connection failed to {1}' } } }));

    await waitFor(async () => (await alertNamed(server, host, 'test_port'))?.state === 'OK', { timeoutMs: 20_000, what: 'test_port OK' });
    const port = await alertNamed(server, host, 'test_port');
    expect(port.text).toMatch(new RegExp(`^TCP OK - \\d+\\.\\d{3}s on port ${openPort}$`));
    expect(port.latest).toMatchObject({ name: 'test_port', clusterId: '0', definitionId: portId, state: 'OK' });
    await waitFor(async () => (await alertNamed(server, host, 'test_web'))?.state === 'OK', { timeoutMs: 20_000, what: 'test_web OK' });
    expect((await alertNamed(server, host, 'test_web')).text).toMatch(/^HTTP 200 response in \d+\.\d{3} seconds$/);

    // The web server answers 500: WARNING, as WebAlert makes every HTTP error code.
    status = 500;
    await waitFor(async () => (await alertNamed(server, host, 'test_web'))?.state === 'WARNING', { timeoutMs: 20_000, what: 'test_web WARNING' });
    expect((await alertNamed(server, host, 'test_web')).text).toBe(`HTTP 500 response from http://127.0.0.1:${webPort}`);

    // Slower than its connection_timeout (1 s): CRITICAL, the request timed out.
    status = 200;
    delayMs = 2500;
    await waitFor(async () => (await alertNamed(server, host, 'test_web'))?.state === 'CRITICAL', { timeoutMs: 20_000, what: 'test_web CRITICAL' });
    expect((await alertNamed(server, host, 'test_web')).text).toBe(`Connection failed to http://127.0.0.1:${webPort}`);
    delayMs = 0;

    // The port closes: CRITICAL.
    await new Promise((resolve) => open.close(resolve));
    servers.splice(servers.indexOf(open), 1);
    await waitFor(async () => (await alertNamed(server, host, 'test_port'))?.state === 'CRITICAL', { timeoutMs: 20_000, what: 'test_port CRITICAL' });
    expect((await alertNamed(server, host, 'test_port')).text).toMatch(new RegExp(`^Connection failed: .+ to 127\\.0\\.0\\.1:${openPort}$`));

    // UPDATE: a new text reaches the agent.
    expect(await request(server, 'PATCH', `/api/v1/clusters/dev/alert_definitions/${portId}`, { source: { type: 'PORT', uri: `127.0.0.1:${openPort}`, reporting: { critical: { text: 'down: {1}:{2}', value: 5 } } } })).toBe(200);
    await waitFor(async () => (await alertNamed(server, host, 'test_port'))?.text === `down: 127.0.0.1:${openPort}`, { timeoutMs: 20_000, what: 'the updated text' });

    // Disabled: its actor stops (the state shows one alert less); deleted: the other one stops too.
    expect(await request(server, 'PATCH', `/api/v1/clusters/dev/alert_definitions/${portId}`, { enabled: false })).toBe(200);
    const alertActors = async () => {
      const state = JSON.parse((await cli(['state', '--home', home, '--json'])).stdout);
      const names: string[] = [];
      const walk = (node: any) => {
        if (node.machine === 'alert') names.push(node.details?.name);
        for (const child of node.children ?? []) walk(child);
      };
      walk(state.root);
      return names.sort();
    };
    await waitFor(async () => JSON.stringify(await alertActors()) === JSON.stringify(['test_web']), { timeoutMs: 15_000, what: 'test_port stopped' });
    expect(await request(server, 'DELETE', `/api/v1/clusters/dev/alert_definitions/${webId}`)).toBe(200);
    await waitFor(async () => (await alertActors()).length === 0, { timeoutMs: 15_000, what: 'test_web stopped' });

    // The alerts log says what changed.
    const alertsLog = readFileSync(join(dirname(homeFiles(home).logFile), 'ambari-alerts.log'), 'utf8');
    expect(alertsLog).toMatch(/\[test_port\] CRITICAL: Connection failed/);
  });

  it('METRIC reads a JMX-like endpoint through a value expression; SCRIPT runs execute() with its parameters', async () => {
    let load = 0.2;
    const jmx = createHttpServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ beans: [{ name: 'java.lang:type=OperatingSystem', SystemCpuLoad: load, AvailableProcessors: 4 }] }));
    });
    const jmxPort = await listen(jmx);
    const script = join(dir, 'threshold_alert.py');
    writeFileSync(
      script,
      `def execute(configurations={}, parameters={}, host_name=None):
    limit = float(parameters.get('limit', 0))
    return ('CRITICAL' if limit > 10 else 'OK', ['limit %s on %s' % (limit, host_name)])
`,
    );
    const { host } = await devServerAgent(server, { set: FAST });
    await create(server, agentDefinition('test_cpu', {
      type: 'METRIC',
      uri: { http: `127.0.0.1:${jmxPort}` },
      jmx: { property_list: ['java.lang:type=OperatingSystem/SystemCpuLoad', 'java.lang:type=OperatingSystem/AvailableProcessors'], value: '{0} * 100' },
      reporting: { ok: { text: '{1} CPU, load {2:.1f}%' }, warning: { text: '{1} CPU, load {2:.1f}%', value: 50 }, critical: { text: '{1} CPU, load {2:.1f}%', value: 80 } },
    }));
    await create(server, agentDefinition('test_script', { type: 'SCRIPT', path: script, parameters: [{ name: 'limit', value: 42, type: 'NUMERIC' }] }));

    await waitFor(async () => (await alertNamed(server, host, 'test_cpu'))?.text === '4 CPU, load 20.0%', { timeoutMs: 20_000, what: 'test_cpu OK' });
    expect((await alertNamed(server, host, 'test_cpu')).state).toBe('OK');
    load = 0.9;
    await waitFor(async () => (await alertNamed(server, host, 'test_cpu'))?.state === 'CRITICAL', { timeoutMs: 20_000, what: 'test_cpu CRITICAL' });
    expect((await alertNamed(server, host, 'test_cpu')).text).toBe('4 CPU, load 90.0%');
    await waitFor(async () => (await alertNamed(server, host, 'test_script'))?.state === 'CRITICAL', { timeoutMs: 20_000, what: 'test_script CRITICAL' });
    expect((await alertNamed(server, host, 'test_script')).text).toBe(`limit 42.0 on ${host}`);
  });

  it('an alert whose check does not come back goes stale: the heartbeat lists it', { timeout: 60_000 }, async () => {
    const hung = join(dir, 'hung_alert.py');
    writeFileSync(hung, `import time\ndef execute(configurations={}, parameters={}, host_name=None):\n    time.sleep(120)\n    return ('OK', ['late'])\n`);
    const { host } = await devServerAgent(server, { set: FAST });
    const id = await create(server, agentDefinition('test_hung', { type: 'SCRIPT', path: hung }));
    // Checked once a second, it is stale after 2 s (staleIntervalMultiplier 2); heartbeats come every 10 s.
    await waitFor(async () => (await alertsOf(server, host)).stale_alerts.some((stale) => stale.id === id), { timeoutMs: 30_000, what: 'a stale alert in a heartbeat' });
    const stale = (await alertsOf(server, host)).stale_alerts.find((entry) => entry.id === id);
    expect(stale.timestamp).toEqual(expect.any(Number));
  });
});

describe('alerts across a server restart', () => {
  it('a result checked while the server is away reaches it once the agent registers again', { timeout: 90_000 }, async () => {
    const dataDir = mkdtempSync(join(dir, 'devsrv-'));
    const options = { urlPort: await getPort({ host: '127.0.0.1' }), securedUrlPort: await getPort({ host: '127.0.0.1' }), apiPort: await getPort({ host: '127.0.0.1' }), dataDir };
    const first = (await startDevServer(options)) as DevServer;
    let second: DevServer | undefined;
    try {
      const open = createServer((socket) => socket.end());
      const openPort = await listen(open);
      const { host } = await devServerAgent(first, { set: [...FAST, 'server.reconnect_delay=1'] });
      await create(first, agentDefinition('test_away', { type: 'PORT', uri: `127.0.0.1:${openPort}` }, { interval: 8 }));
      await waitFor(async () => (await alertNamed(first, host, 'test_away'))?.state === 'OK', { timeoutMs: 30_000, what: 'the first result' });

      // Stopped within about a second of that check: the next check (8 s after it) comes while
      // no server is there, and the one after that only once the agent has registered again.
      await first.stop({ keep: true });
      await new Promise((resolve) => setTimeout(resolve, 8500));
      const restartedAt = Date.now();
      second = (await startDevServer(options)) as DevServer;
      await waitFor(async () => (await alertNamed(second!, host, 'test_away'))?.state === 'OK', { timeoutMs: 30_000, what: 'a result at the restarted server' });
      // The first result the new server got (the start of its run of OK results) was checked before it was up.
      expect((await alertNamed(second, host, 'test_away')).first_timestamp).toBeLessThan(restartedAt);
    } finally {
      await cleanup();
      await second?.stop();
      await first.stop().catch(() => {});
    }
  });
});
