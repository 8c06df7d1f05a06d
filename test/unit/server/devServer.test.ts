// The dev server, run in-process on 127.0.0.1 with free ports: the STOMP agent endpoint spoken
// to by raw WebSocket clients (good ones and misbehaving ones), the JSON API, lost-host
// detection, many concurrent agents, and the url_port HTTPS resources.
import { DEFAULT_AMBARI_VERSION } from '../../../src/version.js';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { encodeFrame } from '../../../src/protocol/stompFrame.js';
import type { DevServer } from '../../../src/server/devServer.js';
import { startLoopbackDevServer } from '../../support/inProcessDevServer.js';
import { closeAllClients, TestStompClient } from '../../support/stompTestClient.js';
// The black-box launcher of the built server (dist/), used only for the crash proofs below.
import { startDevServer as spawnDevServer } from '../../support/devServer.mjs';

// AgentDataHolder.getHash: SHA-512, hex.
const HEX128 = /^[0-9a-f]{128}$/;
const SYNC = ['/agents/topologies', '/agents/metadata', '/agents/configs', '/agents/host_level_params', '/agents/alert_definitions'];

let dataDir: string;
const logs: string[] = [];

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'aa-devserver-test-'));
});

afterAll(async () => {
  await closeAllClients();
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(heartbeatIntervalMs?: number): Promise<DevServer> {
  // All servers share the data dir, so the CA is made (with openssl) once only.
  return startLoopbackDevServer(dataDir, { heartbeatIntervalMs, log: (level, msg) => logs.push(`${level} ${msg}`) });
}

/** A client closed when the current test finishes. */
async function openClient(server: DevServer): Promise<TestStompClient> {
  const client = await TestStompClient.open(server.securedUrlPort);
  onTestFinished(() => client.close());
  return client;
}

async function api(server: DevServer, path: string, init: { method?: string; body?: unknown; rawBody?: string } = {}) {
  const body = init.rawBody ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
  const response = await fetch(`http://127.0.0.1:${server.apiPort}${path}`, {
    method: init.method ?? (body === undefined ? 'GET' : 'POST'),
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body,
    signal: AbortSignal.timeout(5_000),
  });
  const text = await response.text();
  return { status: response.status, contentType: response.headers.get('content-type'), body: JSON.parse(text) as Record<string, any> };
}

function httpsGet(port: number, path: string, method = 'GET'): Promise<{ status: number; contentType: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, method, rejectUnauthorized: false, agent: false, timeout: 5_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, contentType: res.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: timeout`)));
    req.on('error', reject);
    req.end();
  });
}

async function heartbeat(client: TestStompClient, id: number): Promise<number> {
  const { body } = await client.request('/heartbeat', { id });
  expect(Object.keys(body)).toEqual(['status', 'id']); // HeartBeatResponse (agent/HeartBeatResponse.java)
  return body.id as number;
}

describe('dev server, in-process', () => {
  let server: DevServer;

  beforeAll(async () => {
    server = await start();
  });

  afterAll(async () => {
    await closeAllClients();
    await server?.close();
  });

  describe('a good agent client', () => {
    it('connects, registers, heartbeats in sequence, syncs with hashes and reports', async () => {
      const client = await openClient(server);

      client.send({ command: 'CONNECT', headers: { 'accept-version': '1.2', host: '127.0.0.1', 'heart-beat': '10000,10000' }, body: '' });
      const connected = await client.waitFor((f) => f.command === 'CONNECTED' || f.command === 'ERROR', 'CONNECTED');
      expect(connected.command).toBe('CONNECTED');
      expect(connected.headers.version).toBe('1.2');
      expect(connected.headers['heart-beat']).toMatch(/^\d+,\d+$/);

      client.subscribe('/user/', 'sub-0');
      const registration = { hostname: 'h1.test', agentVersion: DEFAULT_AMBARI_VERSION };
      client.send({ command: 'SEND', headers: { destination: '/register', correlationId: '0' }, body: JSON.stringify(registration) });
      const registered = await client.waitFor((f) => f.command !== 'CONNECTED', 'the /register answer');
      expect(registered.command).toBe('MESSAGE');
      expect(registered.headers).toMatchObject({ destination: '/user/', subscription: 'sub-0', correlationId: '0' });
      expect(registered.headers['message-id']).toBeTruthy();
      expect(JSON.parse(registered.body)).toMatchObject({ id: 0, exitstatus: 0 });

      client.send({ command: 'SEND', headers: { destination: '/heartbeat', correlationId: '1' }, body: JSON.stringify({ id: 0 }) });
      const first = await client.waitFor((f) => f.command === 'MESSAGE' && f.headers.correlationId === '1', 'heartbeat answer 1');
      expect(JSON.parse(first.body)).toEqual({ status: 'OK', id: 1 });
      client.send({ command: 'SEND', headers: { destination: '/heartbeat', correlationId: '2' }, body: JSON.stringify({ id: 1 }) });
      const second = await client.waitFor((f) => f.command === 'MESSAGE' && f.headers.correlationId === '2', 'heartbeat answer 2');
      expect(JSON.parse(second.body)).toEqual({ status: 'OK', id: 2 });

      for (const destination of SYNC) {
        const full = (await client.request(destination, { hash: null })).body;
        expect(full.hash, destination).toMatch(HEX128);
        expect(full.clusters, destination).toBeTypeOf('object');
        // MetadataUpdateEvent adds the cluster-independent "-1" entry.
        expect(Object.keys(full.clusters as object).sort(), destination).toEqual(destination === '/agents/metadata' ? ['-1', '0'] : ['0']);
        // An agent whose hash is current gets the holder's empty event (AgentConfigsUpdateEvent keeps its timestamp).
        const again = (await client.request(destination, { hash: full.hash })).body;
        expect(again, destination).toEqual(destination === '/agents/configs' ? { timestamp: expect.any(Number) } : {});
        // A stale hash gets the full content again.
        const stale = (await client.request(destination, { hash: '0'.repeat(64) })).body;
        expect(stale, destination).toEqual(full);
      }
      // The "-1" entry (getMetadataAmbariLevelParams) names the server's own API address: this dev server's.
      const metadata = (await client.request('/agents/metadata', { hash: null })).body as { clusters: Record<string, any> };
      expect(metadata.clusters['-1'].clusterLevelParams).toMatchObject({ ambari_server_host: '127.0.0.1', ambari_server_port: String(server.apiPort), jdk_location: `http://127.0.0.1:${server.apiPort}/resources` });
      const alerts = (await client.request('/agents/alert_definitions', { hash: null })).body as { clusters: Record<string, { hostName: string }> };
      expect(alerts.clusters['0']!.hostName).toBe('h1.test');

      expect((await client.request('/reports/component_status', { clusters: {} })).body).toEqual({ status: 'OK' });
      // Every answer went to /user/ with its own correlationId; nothing unexpected came.
      expect(client.frames.filter((f) => f.command !== 'MESSAGE' && f.command !== 'CONNECTED')).toEqual([]);
      expect(client.decodeError).toBeUndefined();
      expect(client.isOpen).toBe(true);
    });

    it('keeps registered hosts out of the topology (membership is the API\'s: devServerMembership.test.ts), so its hash does not follow registrations', async () => {
      const one = await openClient(server);
      await one.register('h1.test');
      const before = (await one.request('/agents/topologies', { hash: null })).body as { hash: string; eventType: string; clusters: Record<string, { hosts?: Array<{ hostName: string }> }> };
      expect(before.eventType).toBe('CREATE');
      expect(before.hash).toMatch(HEX128);
      expect((before.clusters['0']!.hosts ?? []).map((h) => h.hostName)).not.toContain('h1.test');

      const two = await openClient(server);
      expect(await two.register('H0.Test', { hardwareProfile: { ipaddress: '10.0.0.7' } })).toMatchObject({ id: 0, exitstatus: 0 });
      // TopologyUpdateEvent.emptyUpdate(): both agents have the current topology.
      expect((await one.request('/agents/topologies', { hash: before.hash })).body).toEqual({});
      expect((await two.request('/agents/topologies', { hash: before.hash })).body).toEqual({});
      const listed = (await api(server, '/api/v1/hosts')).body.items.map((h: { host_name: string }) => h.host_name);
      expect(listed).toEqual(expect.arrayContaining(['h0.test', 'h1.test']));
    });
  });

  describe('misbehaving clients', () => {
    let good: TestStompClient;
    let goodId = 0;

    beforeAll(async () => {
      good = await TestStompClient.open(server.securedUrlPort);
      await good.register('good.test');
      goodId = await heartbeat(good, 0);
      expect(goodId).toBe(1);
    });

    afterAll(async () => {
      await good?.close();
    });

    const cases: Array<{ name: string; error: RegExp; act: (client: TestStompClient) => Promise<void> | void }> = [
      {
        name: 'garbage bytes',
        error: /NUL inside frame headers/,
        act: (c) => c.sendRaw(Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0xff, 0x0a, 0x00])),
      },
      {
        name: 'an unknown command',
        error: /unknown command "HELLO"/,
        act: (c) => c.sendRaw('HELLO\nfoo:bar\n\n\0'),
      },
      {
        name: 'SEND before CONNECT',
        error: /SEND before CONNECT/,
        act: (c) => c.send({ command: 'SEND', headers: { destination: '/heartbeat', correlationId: '0' }, body: '{"id":0}' }),
      },
      {
        name: 'SEND to an unknown destination after /register',
        error: /unknown destination \/agents\/nowhere/,
        act: async (c) => {
          expect(await c.register('bad-unknown.test')).toMatchObject({ id: 0, exitstatus: 0 });
          c.send({ command: 'SEND', headers: { destination: '/agents/nowhere', correlationId: '1' }, body: '{}' });
        },
      },
      {
        name: '/heartbeat before /register',
        error: /\/heartbeat before \/register/,
        act: async (c) => {
          await c.connect();
          c.subscribe('/user/', 'sub-0');
          c.send({ command: 'SEND', headers: { destination: '/heartbeat', correlationId: '0' }, body: '{"id":0}' });
        },
      },
      {
        name: 'CONNECT offering only STOMP 1.0',
        error: /unsupported STOMP version/,
        act: (c) => c.send({ command: 'CONNECT', headers: { 'accept-version': '1.0', host: '127.0.0.1' }, body: '' }),
      },
      {
        name: 'a second CONNECT',
        error: /second CONNECT/,
        act: async (c) => {
          await c.connect();
          c.send({ command: 'CONNECT', headers: { 'accept-version': '1.2' }, body: '' });
        },
      },
      {
        name: 'a frame with a 70 KiB header (over the 64 KiB limit)',
        error: /headers exceed 65536 bytes/,
        act: async (c) => {
          await c.connect();
          c.sendRaw(`SEND\ndestination:/heartbeat\nx-padding:${'a'.repeat(70 * 1024)}\n\n{}\0`);
        },
      },
    ];

    it.each(cases)('$name: ERROR frame, disconnected; the good client keeps working', async ({ act, error }) => {
      const bad = await openClient(server);
      await act(bad);
      const frame = await bad.waitFor((f) => f.command === 'ERROR', 'an ERROR frame');
      expect(frame.headers.message).toMatch(error);
      const closed = await bad.waitClosed();
      expect(closed.code).toBe(1000);
      // Nothing after the ERROR frame.
      expect(bad.frames.at(-1)).toBe(frame);
      expect(bad.decodeError).toBeUndefined();

      expect(good.isOpen).toBe(true);
      const expected = goodId + 1;
      goodId = await heartbeat(good, goodId); // before asserting, so one failure does not cascade
      expect(goodId).toBe(expected);
    });

    // Bodies Jackson cannot read are not protocol errors for the Java server: the message
    // handler throws and RootStompConfig.ExceptionHandlingAdvice answers an ErrorMessage.
    it.each([
      { name: 'an invalid JSON body', body: '{"hostname": "bad.test",', message: /^Could not read JSON: Unexpected character/ },
      { name: 'a JSON body that is not an object', body: '["bad.test"]', message: /^Could not read JSON: Cannot deserialize value of type `org\.apache\.ambari\.server\.agent\.Register` from Array value/ },
    ])('/register with $name: answered with the ErrorMessage shape (RootStompConfig.java), connection kept', async ({ body, message }) => {
      const bad = await openClient(server);
      await bad.connect();
      bad.subscribe('/user/', 'sub-0');
      bad.send({ command: 'SEND', headers: { destination: '/register', correlationId: '0' }, body });
      const answer = await bad.waitFor((f) => f.command === 'MESSAGE' && f.headers.correlationId === '0', 'the error answer');
      const error = JSON.parse(answer.body) as { payload: { message: string } };
      expect(Object.keys(error)).toEqual(['payload', 'headers', 'originalMessage']);
      expect(error.payload.message).toMatch(message);
      expect(bad.isOpen).toBe(true);
    });

    it('the server lets go of a host whose connection was closed for a protocol error', async () => {
      const record = await api(server, '/api/v1/hosts/bad-unknown.test');
      expect(record.status).toBe(200);
      expect(record.body.connected).toBe(false);
      expect((await api(server, '/api/v1/hosts/good.test')).body).toMatchObject({ connected: true, response_id: goodId, state: 'heartbeating' });
    });
  });

  describe('JSON API', () => {
    let agent: TestStompClient;
    let lastId = 0;
    const registration = { hostname: 'h1.test', agentVersion: DEFAULT_AMBARI_VERSION, publicHostname: 'h1.public.test', hardwareProfile: { ipaddress: '192.0.2.1', cpu_count: 4 } };

    beforeAll(async () => {
      agent = await TestStompClient.open(server.securedUrlPort);
      await agent.connect();
      agent.subscribe('/user/', 'sub-0');
      expect((await agent.request('/register', registration)).body).toMatchObject({ id: 0, exitstatus: 0 });
      lastId = await heartbeat(agent, 0);
    });

    afterAll(async () => {
      await agent?.close();
    });

    /** The server's current response_id for h1.test, so one failing test does not cascade. */
    async function currentId(): Promise<number> {
      return (await api(server, '/api/v1/hosts/h1.test')).body.response_id as number;
    }

    it('GET /api/v1/hosts lists h1.test with its summary', async () => {
      const { status, contentType, body } = await api(server, '/api/v1/hosts');
      expect(status).toBe(200);
      expect(contentType).toMatch(/^application\/json/);
      const h1 = body.items.find((h: { host_name: string }) => h.host_name === 'h1.test');
      expect(h1).toBeDefined();
      expect(h1).toMatchObject({ host_name: 'h1.test', state: 'heartbeating', response_id: 1, agent_version: DEFAULT_AMBARI_VERSION });
      expect(h1.last_heartbeat).toBeTypeOf('number');
      expect(h1.registered_at).toBeTypeOf('number');
      expect(h1.last_heartbeat).toBeGreaterThanOrEqual(h1.registered_at);
      expect(Math.abs(Date.now() - h1.registered_at)).toBeLessThan(60_000);
      // Sorted by name.
      const names = body.items.map((h: { host_name: string }) => h.host_name);
      expect(names).toEqual([...names].sort());
    });

    it('GET /api/v1/hosts/h1.test includes the registration body', async () => {
      const { status, body } = await api(server, '/api/v1/hosts/h1.test');
      expect(status).toBe(200);
      expect(body).toMatchObject({ host_name: 'h1.test', state: 'heartbeating', response_id: 1, agent_version: DEFAULT_AMBARI_VERSION, connected: true });
      expect(body.registration).toEqual(registration);
      expect((await api(server, '/api/v1/hosts/H1.TEST/')).body.host_name).toBe('h1.test');
    });

    it('answers 404 for unknown hosts and paths, 405 for wrong methods, as JSON', async () => {
      const unknown = await api(server, '/api/v1/hosts/nobody.test');
      expect(unknown.status).toBe(404);
      expect(unknown.contentType).toMatch(/^application\/json/);
      expect(unknown.body.error).toMatch(/nobody\.test/);
      expect((await api(server, '/api/v1/nothing')).status).toBe(404);
      for (const [method, path] of [
        ['DELETE', '/api/v1/hosts'],
        ['PUT', '/api/v1/hosts/h1.test'],
        ['GET', '/api/v1/hosts/h1.test/faults'],
      ] as const) {
        const answer = await api(server, path, { method });
        expect(answer.status, `${method} ${path}`).toBe(405);
        expect(answer.contentType).toMatch(/^application\/json/);
        expect(answer.body.error).toMatch(new RegExp(`^${method} not allowed`));
      }
    });

    it('fault injection: the next heartbeat answer is out of sequence, the one after is back in it', async () => {
      lastId = await currentId();
      const injected = await api(server, '/api/v1/hosts/h1.test/faults', { body: { wrong_heartbeat_id: true } });
      expect(injected.status).toBe(200);
      expect(injected.body).toEqual({ host_name: 'h1.test', wrong_heartbeat_id: true });

      const before = lastId;
      const wrong = await heartbeat(agent, before);
      expect(wrong).not.toBe(before + 1);
      // The server's own sequence went on (response_id before + 1): the answer after the
      // wrong one is the next in that sequence.
      const back = await heartbeat(agent, wrong);
      expect(back).toBe(before + 2);
      expect((await api(server, '/api/v1/hosts/h1.test')).body.response_id).toBe(before + 2);
      lastId = await heartbeat(agent, back);
      expect(lastId).toBe(before + 3);

      // Switched on and off again: no effect.
      await api(server, '/api/v1/hosts/h1.test/faults', { body: { wrong_heartbeat_id: true } });
      expect((await api(server, '/api/v1/hosts/h1.test/faults', { body: { wrong_heartbeat_id: false } })).status).toBe(200);
      const normal = await heartbeat(agent, lastId);
      expect(normal).toBe(lastId + 1);
      lastId = normal;
    });

    it('rejects bad fault bodies with 400 and faults for unknown hosts with 404', async () => {
      lastId = await currentId();
      for (const body of [{ wrong_heartbeat_id: 'yes' }, {}, [true], null]) {
        const answer = await api(server, '/api/v1/hosts/h1.test/faults', { body });
        expect(answer.status, JSON.stringify(body)).toBe(400);
        expect(answer.body.error).toBeTypeOf('string');
      }
      expect((await api(server, '/api/v1/hosts/h1.test/faults', { rawBody: '{"wrong_heartbeat_id": tru' })).status).toBe(400);
      expect((await api(server, '/api/v1/hosts/nobody.test/faults', { body: { wrong_heartbeat_id: true } })).status).toBe(404);
      // None of these set the fault.
      const next = await heartbeat(agent, lastId);
      expect(next).toBe(lastId + 1);
      lastId = next;
    });

    it('messages: 409 until the agent subscribes the destination, then delivered', async () => {
      lastId = await currentId();
      const message = { destination: '/user/agent_actions', body: { actionName: 'RESTART_AGENT' } };
      const refused = await api(server, '/api/v1/hosts/h1.test/messages', { body: message });
      expect(refused.status).toBe(409);
      expect(refused.body.subscribed).toEqual(['/user/']);
      expect(agent.frames.some((f) => f.headers.destination === '/user/agent_actions')).toBe(false);

      agent.subscribe('/user/agent_actions', 'sub-1');
      // Frames are handled in order: once this is answered, the SUBSCRIBE was too.
      lastId = await heartbeat(agent, lastId);

      const sent = await api(server, '/api/v1/hosts/h1.test/messages', { body: message });
      expect(sent.status).toBe(200);
      const frame = await agent.waitFor((f) => f.command === 'MESSAGE' && f.headers.destination === '/user/agent_actions', 'the agent_actions MESSAGE');
      expect(frame.headers.subscription).toBe('sub-1');
      expect(JSON.parse(frame.body)).toEqual({ actionName: 'RESTART_AGENT' });

      // A string body is sent as it is.
      expect((await api(server, '/api/v1/hosts/h1.test/messages', { body: { destination: '/user/agent_actions', body: 'not {json' } })).status).toBe(200);
      const text = await agent.waitFor((f) => f.command === 'MESSAGE' && f.headers.destination === '/user/agent_actions', 'the text MESSAGE');
      expect(text.body).toBe('not {json');

      // Bad requests.
      expect((await api(server, '/api/v1/hosts/h1.test/messages', { body: { body: {} } })).status).toBe(400);
      expect((await api(server, '/api/v1/hosts/nobody.test/messages', { body: message })).status).toBe(404);
    });

    it('messages: {raw} arrives verbatim', async () => {
      lastId = await currentId();
      const raw = encodeFrame({ command: 'MESSAGE', headers: { destination: '/user/', subscription: 'sub-0', 'message-id': 'raw-1', correlationId: 'raw' }, body: '{"raw":"yes, \\u0000 and all"}' });
      const seen = agent.raw.length;
      const sent = await api(server, '/api/v1/hosts/h1.test/messages', { body: { raw } });
      expect(sent.status).toBe(200);
      expect(sent.body).toEqual({ sent: 'raw', bytes: Buffer.byteLength(raw) });
      const frame = await agent.waitFor((f) => f.headers.correlationId === 'raw', 'the raw frame');
      expect(agent.raw.slice(seen)).toContain(raw);
      expect(JSON.parse(frame.body)).toEqual({ raw: 'yes, \u0000 and all' });
      // Still a working agent connection.
      const next = await heartbeat(agent, lastId);
      expect(next).toBe(lastId + 1);
      lastId = next;
    });

    it('messages: {destination, large_body_bytes} sends a JSON body of that many bytes made by the server', async () => {
      lastId = await currentId();
      const sent = await api(server, '/api/v1/hosts/h1.test/messages', { body: { destination: '/user/agent_actions', large_body_bytes: 5000 } });
      expect(sent.status).toBe(200);
      const frame = await agent.waitFor((f) => f.command === 'MESSAGE' && f.headers.destination === '/user/agent_actions' && f.body.length === 5000, 'the large MESSAGE');
      expect(JSON.parse(frame.body)).toEqual({ padding: 'x'.repeat(5000 - '{"padding":""}'.length) });
      for (const large_body_bytes of [1, 1.5, '5000', 200 * 1024 * 1024]) {
        expect((await api(server, '/api/v1/hosts/h1.test/messages', { body: { destination: '/user/agent_actions', large_body_bytes } })).status, String(large_body_bytes)).toBe(400);
      }
      expect((await api(server, '/api/v1/hosts/h1.test/messages', { body: { destination: '/user/agent_actions', large_body_bytes: 100, body: {} } })).status).toBe(400);
    });
  });

  describe('url_port (HTTPS)', () => {
    it('GET /ca gives the CA certificate (PEM) that the WSS endpoint certificate is signed with', async () => {
      const ca = await httpsGet(server.urlPort, '/ca');
      expect(ca.status).toBe(200);
      expect(ca.contentType).toBe('application/x-pem-file');
      expect(ca.body).toMatch(/^-----BEGIN CERTIFICATE-----\r?\n[\s\S]+-----END CERTIFICATE-----\s*$/);
      const certificate = new X509Certificate(ca.body);
      expect(certificate.ca).toBe(true);
      expect((await httpsGet(server.urlPort, '/cert/ca/')).body).toBe(ca.body);

      // Trusting only that CA, a verifying client can open the agent endpoint.
      const verified = await TestStompClient.open(server.securedUrlPort, { ca: Buffer.from(ca.body), rejectUnauthorized: true });
      onTestFinished(() => verified.close());
      expect((await verified.connect()).headers.version).toBe('1.2');
    });

    it('GET /connection_info tells one-way SSL', async () => {
      const info = await httpsGet(server.urlPort, '/connection_info');
      expect(info.status).toBe(200);
      expect(info.contentType).toMatch(/^application\/json/);
      expect(JSON.parse(info.body)).toEqual({ 'security.server.two_way_ssl': 'false' });
    });

    it('answers 404 for unknown resources', async () => {
      const unknown = await httpsGet(server.urlPort, '/no/such/thing');
      expect(unknown.status).toBe(404);
      expect(JSON.parse(unknown.body).error).toMatch(/\/no\/such\/thing/);
      expect((await httpsGet(server.urlPort, '/ca', 'POST')).status).toBe(404);
    });
  });
});

describe('lost hosts (heartbeatIntervalMs 100)', () => {
  let server: DevServer;

  beforeAll(async () => {
    server = await start(100);
  });

  afterAll(async () => {
    await closeAllClients();
    await server?.close();
  });

  async function stateOf(name: string): Promise<string> {
    return (await api(server, `/api/v1/hosts/${name}`)).body.state as string;
  }

  it('a host that stops heartbeating is lost within ~1.5 s and back when it heartbeats again', async () => {
    const agent = await openClient(server);
    await agent.register('lost.test');
    expect(await heartbeat(agent, 0)).toBe(1);
    const lastBeat = Date.now();
    expect(await stateOf('lost.test')).toBe('heartbeating');

    // A host that registered and never heartbeated, on another connection.
    const silent = await openClient(server);
    await silent.register('silent.test');
    expect(await stateOf('silent.test')).toBe('registered');

    let lostAfter: number | undefined;
    while (Date.now() - lastBeat < 3_000) {
      if ((await stateOf('lost.test')) === 'lost') {
        lostAfter = Date.now() - lastBeat;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(lostAfter, 'lost.test was never marked lost').toBeDefined();
    // Not before 3 intervals (300 ms) without a heartbeat; at most that plus one sweep (1 s).
    expect(lostAfter!).toBeGreaterThanOrEqual(250);
    expect(lostAfter!).toBeLessThanOrEqual(1_600);
    // Lost is about heartbeats, not the connection: still connected.
    expect((await api(server, '/api/v1/hosts/lost.test')).body.connected).toBe(true);
    await expect.poll(() => stateOf('silent.test'), { timeout: 1_500, interval: 25 }).toBe('lost');

    expect(await heartbeat(agent, 1)).toBe(2);
    expect(await stateOf('lost.test')).toBe('heartbeating');
  });
});

describe('many connections', () => {
  let server: DevServer;

  beforeAll(async () => {
    server = await start();
  });

  afterAll(async () => {
    await closeAllClients();
    await server?.close();
  });

  it('200 agents connect, register and heartbeat concurrently', async () => {
    const count = 200;
    const started = Date.now();
    const clients = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const client = await TestStompClient.open(server.securedUrlPort, { timeoutMs: 9_000 });
        onTestFinished(() => client.close());
        const registered = await client.register(`agent-${String(i).padStart(3, '0')}.test`);
        expect(registered).toMatchObject({ id: 0, exitstatus: 0 });
        expect((await client.request('/heartbeat', { id: 0 })).body).toEqual({ status: 'OK', id: 1 });
        return client;
      }),
    );
    // Each client got exactly its two answers, with its own correlationIds.
    for (const client of clients) {
      expect(client.frames.map((f) => `${f.command}:${f.headers.correlationId ?? ''}`)).toEqual(['CONNECTED:', 'MESSAGE:0', 'MESSAGE:1']);
    }
    const { body } = await api(server, '/api/v1/hosts');
    expect(body.items).toHaveLength(count);
    expect(body.items.map((h: { host_name: string }) => h.host_name)).toEqual(Array.from({ length: count }, (_, i) => `agent-${String(i).padStart(3, '0')}.test`));
    for (const host of body.items) expect(host).toMatchObject({ state: 'heartbeating', response_id: 1, connected: true });
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 20_000);
});

// Requests that once made the dev server process die (an exception thrown out of a request or
// message handler). They run against a spawned server (dist/, built by `tsc -p .`), so that a
// crash would not take the test worker down with it. The server must survive each.
describe('dev server survives hostile requests', () => {
  interface Spawned {
    apiPort: number;
    securedUrlPort: number;
    api: (path: string, body?: unknown) => Promise<{ status: number; body: unknown }>;
    log: () => string;
    stop: () => Promise<void>;
  }

  async function spawned(): Promise<Spawned> {
    const child = (await spawnDevServer({ dataDir: join(dataDir, 'spawned') })) as Spawned;
    onTestFinished(() => child.stop());
    return child;
  }

  /** Runs the steps; a failure carries the server's stderr (where the crash's stack is). */
  async function withLog(child: Spawned, steps: () => Promise<void>): Promise<void> {
    try {
      await steps();
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- dev server stderr ---\n${child.log().slice(-2_000)}`);
    }
  }

  async function alive(child: Spawned): Promise<void> {
    const { status } = await fetch(`http://127.0.0.1:${child.apiPort}/api/v1/hosts`, { signal: AbortSignal.timeout(3_000) }).catch((err: Error) => {
      throw new Error(`the dev server is gone (${err.message}):\n${child.log()}`);
    });
    expect(status).toBe(200);
  }

  async function registeredAgent(child: Spawned, name: string): Promise<TestStompClient> {
    const client = await TestStompClient.open(child.securedUrlPort);
    onTestFinished(() => client.close());
    await client.register(name);
    return client;
  }

  // The control: the same harness and the same requests with well-formed values work, so the
  // tests below are about the hostile values and not a broken harness.
  it('(control) the spawned server answers the well-formed versions of those requests', async () => {
    const child = await spawned();
    expect((await fetch(`http://127.0.0.1:${child.apiPort}/api/v1/hosts/%41`, { signal: AbortSignal.timeout(3_000) })).status).toBe(404);
    const client = await registeredAgent(child, 'victim.test');
    const answer = await fetch(`http://127.0.0.1:${child.apiPort}/api/v1/hosts/victim.test/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ destination: '/user/', body: {}, headers: { priority: '1' } }),
      signal: AbortSignal.timeout(3_000),
    });
    expect(answer.status).toBe(200);
    expect((await client.waitFor((f) => f.headers.priority === '1', 'the pushed MESSAGE')).body).toBe('{}');
    // Strict mode: HeartBeat.id is a long and Register.agentVersion a String, so Jackson refuses
    // these bodies and the answer is the ErrorMessage shape; the well-formed ones are answered.
    expect((await client.request('/heartbeat', { id: { to: 'string' } })).body).toMatchObject({ payload: { message: expect.stringMatching(/^Could not read JSON/) } });
    expect((await client.request('/heartbeat', { id: 0 })).body).toEqual({ status: 'OK', id: 1 });
    const other = await TestStompClient.open(child.securedUrlPort);
    onTestFinished(() => other.close());
    expect(await other.register('fine.test', { agentVersion: { major: 9 } })).toMatchObject({ payload: { message: expect.stringContaining('java.lang.String') } });
    expect((await other.request('/register', { hostname: 'fine.test', agentVersion: DEFAULT_AMBARI_VERSION })).body).toMatchObject({ id: 0, exitstatus: 0 });
    await alive(child);
  });

  // src/server/apiServer.ts, the host routes' `decodeURIComponent(name!)`: URIError on a
  // malformed escape; createApiServer calls `void respond(...)`, so the rejection is unhandled
  // and Node 20 exits. Expected: a 400/404 answer.
  it('GET /api/v1/hosts/%E0 (malformed percent-escape) is a 400, not a crash', async () => {
    const child = await spawned();
    await withLog(child, async () => {
      const answer = await fetch(`http://127.0.0.1:${child.apiPort}/api/v1/hosts/%E0`, { signal: AbortSignal.timeout(3_000) });
      expect(answer.status).toBe(400);
      await alive(child);
    });
  });

  // src/server/apiServer.ts, the /messages route casts `message.headers` to
  // Record<string, string> unchecked; encodeFrame's escapeHeader calls value.replace on the
  // number -> TypeError, unhandled as above. Expected: a 400 answer.
  it('POST /messages with a non-string header value is a 400, not a crash', async () => {
    const child = await spawned();
    await withLog(child, async () => {
      await registeredAgent(child, 'victim.test');
      const answer = await fetch(`http://127.0.0.1:${child.apiPort}/api/v1/hosts/victim.test/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ destination: '/user/', body: {}, headers: { priority: 1 } }),
        signal: AbortSignal.timeout(3_000),
      });
      expect(answer.status).toBe(400);
      await alive(child);
    });
  });

  // src/server/agentEndpoint.ts, route() '/register': the log line's
  // String(body.agentVersion ?? '?') throws "Cannot convert object to primitive value" for
  // {"toString": 1}, inside the WebSocket 'message' listener: an uncaught exception, the
  // process exits. Expected: an answer (or an ERROR frame for this connection only).
  it('/register with agentVersion {"toString": 1} is answered, not a crash', async () => {
    const child = await spawned();
    await withLog(child, async () => {
      const client = await TestStompClient.open(child.securedUrlPort);
      onTestFinished(() => client.close());
      await client.connect();
      client.subscribe('/user/', 'sub-0');
      client.send({ command: 'SEND', headers: { destination: '/register', correlationId: '0' }, body: '{"hostname":"evil.test","agentVersion":{"toString":1}}' });
      await client.waitFor((f) => f.command === 'MESSAGE' || f.command === 'ERROR', 'an answer to /register');
      await alive(child);
    });
  });

  // src/server/agentEndpoint.ts, route() '/heartbeat': String(body.id) in the debug log line,
  // the same failure.
  it('/heartbeat with id {"toString": 1} is answered, not a crash', async () => {
    const child = await spawned();
    await withLog(child, async () => {
      const client = await registeredAgent(child, 'evil.test');
      client.send({ command: 'SEND', headers: { destination: '/heartbeat', correlationId: '1' }, body: '{"id":{"toString":1}}' });
      await client.waitFor((f) => f.headers.correlationId === '1' || f.command === 'ERROR', 'an answer to /heartbeat');
      await alive(child);
    });
  });
});

// Keeps the log of the in-process servers useful when a test fails.
afterAll(() => {
  if (process.env.DEV_SERVER_TEST_LOG) process.stderr.write(`${logs.join('\n')}\n`);
});
