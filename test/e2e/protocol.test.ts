// The agent against the real dev server over STOMP/WSS: registration, heartbeats, a server
// that dies and comes back, a heartbeat out of sequence (restart through the wrapper), TLS
// modes, and malformed input from the server.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import getPort from 'get-port';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
// @ts-ignore plain .mjs helper without type declarations
import { startDevServer } from '../support/devServer.mjs';
import { alive, cleanup, cli, homeFiles, logText, newHome, readPidFile, startAgent, waitFor, waitForLog, waitForState, type DevServer } from './helpers.js';

const servers: DevServer[] = [];
const scriptDir = mkdtempSync(join(tmpdir(), 'aa-proto-'));

afterEach(async () => {
  await cleanup();
  for (const server of servers.splice(0)) await server.stop();
});
afterAll(() => rmSync(scriptDir, { recursive: true, force: true }));

async function devServer(options: Record<string, unknown> = {}): Promise<DevServer> {
  const server = (await startDevServer(options)) as DevServer;
  servers.push(server);
  return server;
}

/** A home whose agent calls itself `name` (hostname_script) and talks to `server`. */
async function agentHome(server: DevServer, name: string, set: string[] = []): Promise<string> {
  const script = join(scriptDir, `${name}.sh`);
  writeFileSync(script, `#!/bin/sh\necho ${name}\n`);
  chmodSync(script, 0o755);
  return newHome({
    servers: ['127.0.0.1'],
    urlPort: server.urlPort,
    set: ['server.connect_retry_delay=1', `server.secured_url_port=${server.securedUrlPort}`, `agent.hostname_script=${script}`, ...set],
  });
}

async function startRegistered(home: string) {
  const started = await startAgent(home);
  expect(started.code, started.output).toBe(0);
  await waitForState(home, 'connected', 5000);
  return started.pid!;
}

describe('registration and heartbeat', () => {
  it('registers within 2 s of start, with a full registration body, and heartbeats advance', async () => {
    const server = await devServer();
    const home = await agentHome(server, 'agent-one.test');
    const started = await startAgent(home);
    expect(started.code, started.output).toBe(0);
    // The bar: registered within 2 s of `start` returning.
    await waitForState(home, 'connected', 2000);

    const host = await server.host('agent-one.test');
    expect(host).toMatchObject({ host_name: 'agent-one.test', agent_version: expect.any(String) });
    const body = host.registration;
    expect(body).toMatchObject({ id: -1, hostname: 'agent-one.test', publicHostname: 'agent-one.test', prefix: homeFiles(home).prefix });
    expect(body.currentPingPort).toBe(Number(/ping_port=(\d+)/.exec(readFileSync(homeFiles(home).ini, 'utf8'))![1]));
    expect(body.hardwareProfile).toMatchObject({ fqdn: 'agent-one.test', hostname: 'agent-one', processorcount: expect.any(Number), mounts: expect.any(Array) });
    expect(body.agentEnv).toMatchObject({ hostHealth: expect.any(Object), umask: expect.any(String) });
    expect(typeof body.agentStartTime).toBe('number');

    // The first heartbeat goes at once (id 0 -> 1), the next one interval later (-> 2).
    await waitFor(async () => ((await server.host('agent-one.test'))?.response_id >= 2 ? true : undefined), { timeoutMs: 15000, what: 'response_id 2' });
    const later = await server.host('agent-one.test');
    expect(later.state).toBe('heartbeating');
    const status = await cli(['status', '--home', home]);
    expect(status.stdout).toMatch(/^Response id: [2-9]\d*$/m);
    // SIGUSR1 and the control channel's tree work on a registered agent (live sockets inside).
    process.kill(readPidFile(home)!, 'SIGUSR1');
    const dump = await waitForLog(home, '*** ACTOR TREE - END ***', 5000);
    expect(dump).toMatch(/^ {3}[├└]─ heartbeat (waiting|beating) for .* responseId=\d+/m);
    expect(dump).toMatch(/^[├└]─ session online\.registered for .* server=127\.0\.0\.1/m);
    expect((await cli(['status', '--home', home])).stdout).toContain('State: connected');
    // The caches were synced and persisted for the next start.
    for (const name of ['topologies', 'metadata', 'configurations', 'host_level_params', 'alert_definitions']) {
      const cache = JSON.parse(readFileSync(join(home, 'var/lib/ambari-agent/cache', `${name}.json`), 'utf8'));
      // The Java holders hash with SHA-512 (hex), as the dev server does.
      expect(cache.hash, name).toMatch(/^[0-9a-f]{128}$/);
    }
  });

  it('a restarted agent syncs with its persisted hashes: the server has nothing new to send', async () => {
    const server = await devServer();
    const home = await agentHome(server, 'agent-hashes.test');
    await startRegistered(home);
    const all = { topologies: 'sent', metadata: 'sent', configs: 'sent', host_level_params: 'sent', alert_definitions: 'sent' };
    expect((await server.host('agent-hashes.test')).last_sync).toEqual(all);
    expect((await cli(['stop', '--home', home])).code).toBe(0);
    await startRegistered(home);
    const unchanged = Object.fromEntries(Object.keys(all).map((name) => [name, 'unchanged']));
    expect((await server.host('agent-hashes.test')).last_sync).toEqual(unchanged);
  });

  it('a killed server is noticed, and the agent registers again when it is back, without restarting', async () => {
    const urlPort = await getPort({ host: '127.0.0.1' });
    const securedUrlPort = await getPort({ host: '127.0.0.1' });
    const dataDir = mkdtempSync(join(tmpdir(), 'aa-devsrv-'));
    try {
      const first = await devServer({ urlPort, securedUrlPort, dataDir });
      const home = await agentHome(first, 'agent-two.test');
      const pid = await startRegistered(home);

      await first.kill();
      // Noticed within one heartbeat interval plus the request timeout (10 s + 10 s).
      await waitFor(async () => ((await cli(['status', '--home', home])).stdout.includes('State: connected') ? undefined : true), {
        timeoutMs: 20000,
        what: 'the agent to notice',
      });
      await waitForLog(home, /Unregistering from 127\.0\.0\.1/, 5000);

      const second = await devServer({ urlPort, securedUrlPort, dataDir });
      await waitForState(home, 'connected', 40000);
      expect(readPidFile(home)).toBe(pid);
      expect(alive(pid)).toBe(true);
      expect(await second.host('agent-two.test')).toMatchObject({ host_name: 'agent-two.test' });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('a server that goes silent (socket open, nothing answered) is detected, and the agent registers again once it answers', async () => {
    const server = await devServer();
    const home = await agentHome(server, 'agent-silent.test');
    const pid = await startRegistered(home);
    process.kill(server.pid, 'SIGSTOP');
    try {
      // The next heartbeat's 10 s request timeout, or two silent heart-beat periods (20 s).
      await waitForLog(home, /Unregistering from 127\.0\.0\.1 \((Heartbeat failed: 10 seconds timeout expired|server silent)/, 32000);
    } finally {
      process.kill(server.pid, 'SIGCONT');
    }
    await waitForState(home, 'connected', 40000);
    expect(readPidFile(home)).toBe(pid);
  });

  it('a heartbeat answer out of sequence restarts the agent through the wrapper, which registers again', async () => {
    const server = await devServer();
    const home = await agentHome(server, 'agent-three.test');
    const pid = await startRegistered(home);
    const fault = await server.api('/api/v1/hosts/agent-three.test/faults', { wrong_heartbeat_id: true });
    expect(fault.status).toBe(200);

    const newPid = await waitFor(() => {
      const current = readPidFile(home);
      return current !== undefined && current !== pid && alive(current) ? current : undefined;
    }, { timeoutMs: 25000, what: 'a new agent pid' });
    expect(alive(pid)).toBe(false);
    await waitForState(home, 'connected', 15000);
    expect(readPidFile(home)).toBe(newPid);
    expect(logText(home)).toMatch(/Error in responseId sequence - restarting/);
    expect(readFileSync(homeFiles(home).outFile, 'utf8')).toMatch(/exited with code 77, restarting/);
  });
});

describe('TLS', () => {
  it('two-way SSL: the agent gets its CSR signed and connects with its certificate', async () => {
    const server = await devServer({ twoWaySsl: true });
    const home = await agentHome(server, 'agent-tls.test');
    await startRegistered(home);
    const keys = homeFiles(home).keysdir;
    for (const file of ['ca.crt', 'agent-tls.test.key', 'agent-tls.test.csr', 'agent-tls.test.crt']) expect(existsSync(join(keys, file)), file).toBe(true);
    expect(logText(home)).toContain('(two-way SSL)');
    expect(await server.host('agent-tls.test')).toMatchObject({ host_name: 'agent-tls.test' });
  });

  it('two-way SSL with a wrong passphrase: no connection, and the log says to check the passphrase', async () => {
    const server = await devServer({ twoWaySsl: true, env: { AMBARI_PASSPHRASE: 'server-secret' } });
    const home = await agentHome(server, 'agent-badpass.test');
    const started = await startAgent(home);
    expect(started.code, started.output).toBe(0);
    await waitForLog(home, /Certificate signing failed.*passphrase/, 10000);
    expect((await cli(['status', '--home', home])).stdout).not.toContain('State: connected');
    expect(await server.host('agent-badpass.test')).toBeUndefined();
  });

  it('ssl_verify_cert=1: the server CA is fetched into keysdir and the server verified against it', async () => {
    const server = await devServer();
    const home = await agentHome(server, 'agent-verify.test', ['security.ssl_verify_cert=1']);
    await startRegistered(home);
    const ca = join(homeFiles(home).keysdir, 'ca.crt');
    expect(readFileSync(ca, 'utf8')).toBe(readFileSync(join(server.dataDir, 'ca.crt'), 'utf8'));
    expect(logText(home)).toContain('(server certificate verified)');
  });

  it('ssl_verify_cert=1 with a CA that did not sign the server: refused', async () => {
    const server = await devServer();
    const other = mkdtempSync(join(tmpdir(), 'aa-devsrv-'));
    const otherServer = await devServer({ dataDir: other });
    await otherServer.stop();
    const home = await agentHome(server, 'agent-wrongca.test', ['security.ssl_verify_cert=1']);
    writeFileSync(join(homeFiles(home).keysdir, 'ca.crt'), readFileSync(join(other, 'ca.crt')));
    rmSync(other, { recursive: true, force: true });
    const started = await startAgent(home);
    expect(started.code, started.output).toBe(0);
    // Discovery's probe already verifies against keysdir/ca.crt, so the server is never reached.
    await waitForLog(home, /(is not reachable|Cannot connect to 127\.0\.0\.1).*(certificate|self[- ]signed|unable to verify)/i, 10000);
    expect(await server.host('agent-wrongca.test')).toBeUndefined();
  });
});

describe('malformed input from the server', () => {
  it('bad messages are logged and dropped; the agent stays registered', async () => {
    const server = await devServer();
    const home = await agentHome(server, 'agent-fuzz.test');
    const pid = await startRegistered(home);
    const send = (message: unknown) => server.api('/api/v1/hosts/agent-fuzz.test/messages', message);

    const bad = [
      { destination: '/events/topologies', body: '{not json' },
      { destination: '/events/topologies', body: { eventType: 'EXPLODE', clusters: {} } },
      { destination: '/events/topologies', body: { eventType: 'UPDATE', clusters: { '0': { hosts: [{ hostName: 'no-id' }] } } } },
      { destination: '/user/configs', body: [1, 2, 3] },
      { destination: '/user/agent_actions', body: { actionName: 'FORMAT_DISKS' } },
      { destination: '/user/agent_actions', body: 'null' },
      { destination: '/user/', body: { unexpected: 'response without correlationId' } },
      { destination: '/events/encryption_key', body: { encryptionKey: 42 } },
    ];
    for (const message of bad) expect((await send(message)).status, JSON.stringify(message)).toBe(200);
    await waitForLog(home, /Dropped message on \/events\/encryption_key/, 5000);
    const log = logText(home);
    expect(log).toMatch(/Dropped message on \/events\/topologies: body is not valid JSON/);
    expect(log).toMatch(/Dropped message on \/user\/agent_actions: unknown agent action "FORMAT_DISKS" ignored/);
    expect((await cli(['status', '--home', home])).stdout).toContain('State: connected');
    expect(readPidFile(home)).toBe(pid);
    // A good event still applies after all that.
    await send({ destination: '/events/topologies', body: { eventType: 'UPDATE', hash: 'h-after-fuzz', clusters: { '0': { hosts: [{ hostId: 9, hostName: 'x9' }] } } } });
    await waitForLog(home, /Updated topologies from \/events\/topologies \(hash h-after-fuzz\)/, 5000);
  });

  it('broken frames drop the connection; the same agent process registers again', async () => {
    const server = await devServer();
    const home = await agentHome(server, 'agent-frames.test');
    const pid = await startRegistered(home);
    const frames = [
      'MESSAGE\ndestination:/user/\n\n{"truncated":',
      `MESSAGE\n${'x'.repeat(70 * 1024)}:y\n\n\0`,
      'BOGUS\n\n\0',
      'MESSAGE\ncontent-length:abc\n\n\0',
    ];
    for (const raw of frames) {
      await waitForState(home, 'connected', 30000);
      const before = (await server.host('agent-frames.test')).registered_at;
      expect((await server.api('/api/v1/hosts/agent-frames.test/messages', { raw })).status).toBe(200);
      if (raw.startsWith('MESSAGE\ndestination:/user/\n\n{"truncated":')) {
        // An incomplete frame is simply waited for; close it with a bad continuation.
        await server.api('/api/v1/hosts/agent-frames.test/messages', { raw: '\0BOGUS\n\n\0' });
      }
      await waitFor(async () => ((await server.host('agent-frames.test')).registered_at > before ? true : undefined), {
        timeoutMs: 30000,
        what: `re-registration after ${JSON.stringify(raw.slice(0, 30))}`,
      });
    }
    expect(readPidFile(home)).toBe(pid);
    expect(alive(pid)).toBe(true);
    expect(logText(home)).toMatch(/bad frame from server/);
  });
});
