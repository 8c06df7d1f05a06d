// TopicRouter against a fake STOMP client and real AgentCaches on a temp dir: routing of the
// server's MESSAGEs to the caches and agent actions, delivery confirmations on
// /reports/responses, the sync request with its queue of events that arrive meanwhile, and a
// seeded fuzz run whose every message is checked against a model (a shadow AgentCaches fed the
// same bodies directly).
import { ALERT_EVENTS, TOPOLOGY_EVENTS, fixtureText } from '../../../support/fixtures.js';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RESPONSES_DESTINATION, TopicRouter, type CommandBatch } from '../../../../src/actors/link/topicRouter.js';
import { AgentCaches, CACHE_NAMES, SYNC_ORDER, cacheForTopic, type CacheName, type CacheSnapshot } from '../../../../src/caches/index.js';
import type { LogLevel } from '../../../../src/logging/logger.js';
import type { InboundMessage, StompClient } from '../../../../src/protocol/stompClient.js';

// ---------------------------------------------------------------------------------------------
// Fixtures and helpers

const FIXTURE_NAMES = [
  'topology_create.json',
  ...TOPOLOGY_EVENTS,
  'topology_cache_expected.json',
  'metadata_after_registration.json',
  'metadata_update.json',
  'configurations_update.json',
  'host_level_params.json',
  'alert_definitions.json',
  'alert_definitions_small.json',
  ...ALERT_EVENTS,
  'alert_definition_expected.json',
  'execution_commands.json',
  'registration_response.json',
  'heartbeat_request.json',
] as const;
type FixtureName = (typeof FIXTURE_NAMES)[number];

const FIXTURE_TEXT = Object.fromEntries(
  FIXTURE_NAMES.map((name) => [name, fixtureText(name)]),
) as Record<FixtureName, string>;

function fixture(name: FixtureName): Record<string, unknown> {
  return JSON.parse(FIXTURE_TEXT[name]) as Record<string, unknown>;
}

const TOPOLOGY_CREATE_HASH = '1a49a0f19639c5c2528220bfc5ad0778';


const TOPIC: Record<CacheName, string> = Object.fromEntries(SYNC_ORDER.map((entry) => [entry.cache, entry.topic])) as Record<CacheName, string>;
const REQUEST: Record<CacheName, string> = Object.fromEntries(SYNC_ORDER.map((entry) => [entry.cache, entry.request])) as Record<CacheName, string>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

// ---------------------------------------------------------------------------------------------
// The fake STOMP client: just the members TopicRouter uses.

interface Sent {
  destination: string;
  body: unknown;
  headers: Record<string, string>;
}

interface PendingRequest {
  destination: string;
  body: unknown;
  resolve: (body: unknown) => void;
  reject: (error: Error) => void;
}

class FakeClient {
  readonly subscriptions = new Map<string, string>();
  readonly subscribed: string[] = [];
  readonly sent: Sent[] = [];
  readonly requests: PendingRequest[] = [];
  readonly handlers: Array<(message: InboundMessage) => void> = [];
  /** When set, send() throws it (a connection that went away). */
  sendError: Error | undefined;

  onMessage(handler: (message: InboundMessage) => void): void {
    this.handlers.push(handler);
  }

  subscribe(destination: string): string {
    const id = `sub-${this.subscribed.length}`;
    this.subscribed.push(destination);
    this.subscriptions.set(destination, id);
    return id;
  }

  send(destination: string, body: unknown, headers: Record<string, string> = {}): void {
    if (this.sendError) throw this.sendError;
    this.sent.push({ destination, body, headers });
  }

  request(destination: string, body: unknown): Promise<unknown> {
    return new Promise((resolve, reject) => this.requests.push({ destination, body, resolve, reject }));
  }

  /** A MESSAGE frame from the server, handed to every onMessage handler (as StompClient does). */
  deliver(destination: string, body: string, headers: Record<string, string> = {}): void {
    for (const handler of this.handlers) handler({ destination, headers, body });
  }

  confirmations(): unknown[] {
    return this.sent.filter((sent) => sent.destination === RESPONSES_DESTINATION).map((sent) => sent.body);
  }
}

interface LogLine {
  actor: string;
  level: LogLevel;
  msg: string;
}

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'topic-router-'));
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function setup() {
  const dir = mkdtempSync(join(root, 'cache-'));
  const client = new FakeClient();
  const caches = new AgentCaches(dir);
  const logs: LogLine[] = [];
  const router = new TopicRouter(client as unknown as StompClient, caches, (actor, level, msg) => {
    logs.push({ actor, level, msg });
  });
  const restarts: string[] = [];
  router.onRestart = (reason) => restarts.push(reason);
  const warnings = () => logs.filter((line) => line.level === 'warn').map((line) => line.msg);
  const onDisk = (name: CacheName): unknown => JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8'));
  return { dir, client, caches, logs, router, restarts, warnings, onDisk };
}

/** A sync request whose promise the test settles by hand. */
function lastRequest(client: FakeClient): PendingRequest {
  const request = client.requests.at(-1);
  if (!request) throw new Error('no request was made');
  return request;
}

// ---------------------------------------------------------------------------------------------

describe('routing to the caches', () => {
  const cases: Array<{ cache: CacheName; destination: string; file: FixtureName }> = [
    { cache: 'topologies', destination: '/events/topologies', file: 'topology_create.json' },
    { cache: 'configurations', destination: '/user/configs', file: 'configurations_update.json' },
    { cache: 'host_level_params', destination: '/user/host_level_params', file: 'host_level_params.json' },
    { cache: 'metadata', destination: '/events/metadata', file: 'metadata_after_registration.json' },
    { cache: 'alert_definitions', destination: '/user/alert_definitions', file: 'alert_definitions.json' },
  ];

  it.each(cases)('$file on $destination replaces the $cache cache and persists it', ({ cache, destination, file }) => {
    const { client, caches, dir, onDisk, logs, warnings } = setup();
    const message = fixture(file);
    client.deliver(destination, FIXTURE_TEXT[file]);

    expect(warnings()).toEqual([]);
    expect(caches.hash(cache)).toBe(message.hash);
    expect(typeof message.hash).toBe('string');
    expect(caches.get(cache).clusters).toEqual(message.clusters);
    const stored: Record<string, unknown> = { hash: message.hash, clusters: message.clusters };
    if (cache === 'configurations') {
      expect(caches.get(cache).timestamp).toBe(1510577217);
      stored.timestamp = 1510577217;
    }
    expect(onDisk(cache)).toStrictEqual(stored);
    // Only that cache changed, only its file was written.
    for (const other of CACHE_NAMES.filter((name) => name !== cache)) {
      expect(caches.hash(other), other).toBeNull();
      expect(caches.get(other).clusters, other).toEqual({});
    }
    expect(readdirSync(dir).sort()).toEqual([`${cache}.json`]);
    expect(logs).toContainEqual({ actor: 'session', level: 'info', msg: `Updated ${cache} from ${destination} (hash ${String(message.hash)})` });
    // No messageId header: nothing to confirm.
    expect(client.sent).toEqual([]);
  });

  it('merges the bare metadata event (metadata_update.json) into the synced metadata', () => {
    const { client, caches, onDisk } = setup();
    client.deliver('/events/metadata', FIXTURE_TEXT['metadata_after_registration.json']);
    client.deliver('/events/metadata', FIXTURE_TEXT['metadata_update.json']);
    const cluster = caches.get('metadata').clusters['0'] as Record<string, unknown>;
    expect(cluster.status_commands_to_run).toEqual(['STATUS', 'SECURITY_STATUS']);
    expect(cluster.security_type).toBe('kerberos');
    expect(cluster.clusterLevelParams).toEqual(((fixture('metadata_after_registration.json').clusters as Record<string, Record<string, unknown>>)['0']).clusterLevelParams);
    expect((onDisk('metadata') as { clusters: unknown }).clusters).toEqual(caches.get('metadata').clusters);
  });

  it('the topology events, in order, leave topology_cache_expected.json (cache and file)', () => {
    const { client, caches, onDisk, warnings } = setup();
    client.deliver('/events/topologies', FIXTURE_TEXT['topology_create.json']);
    for (const event of TOPOLOGY_EVENTS) client.deliver('/events/topologies', FIXTURE_TEXT[event], { messageId: String(TOPOLOGY_EVENTS.indexOf(event)) });
    expect(warnings()).toEqual([]);
    expect(caches.get('topologies').clusters).toEqual(fixture('topology_cache_expected.json'));
    expect(onDisk('topologies')).toEqual({ hash: '686bca74a23019ce8865d759beeccb0a', clusters: fixture('topology_cache_expected.json') });
    expect(client.confirmations()).toEqual(TOPOLOGY_EVENTS.map((_, index) => ({ messageId: index, status: 'OK' })));
  });

  it('the alert definition events leave alert_definition_expected.json', () => {
    const { client, caches, onDisk } = setup();
    client.deliver('/user/alert_definitions', FIXTURE_TEXT['alert_definitions_small.json']);
    for (const event of ALERT_EVENTS) client.deliver('/user/alert_definitions', FIXTURE_TEXT[event]);
    expect(caches.get('alert_definitions').clusters).toEqual(fixture('alert_definition_expected.json'));
    expect(onDisk('alert_definitions')).toEqual({ hash: '11c34a65239dde7ce330b1eb7819b788', clusters: fixture('alert_definition_expected.json') });
  });
});

describe('delivery confirmations on /reports/responses', () => {
  it('confirms a handled message with messageId 17 as {messageId: 17, status: OK}', () => {
    const { client, caches } = setup();
    client.deliver('/events/topologies', FIXTURE_TEXT['topology_create.json'], { messageId: '17', destination: '/events/topologies', subscription: 'sub-0' });
    expect(caches.hash('topologies')).toBe(TOPOLOGY_CREATE_HASH);
    expect(client.sent).toHaveLength(1);
    expect(client.sent[0].destination).toBe('/reports/responses');
    expect(client.sent[0].body).toStrictEqual({ messageId: 17, status: 'OK' });
  });

  it('answers a malformed message with status ERROR and a reason, leaving the cache and its file alone', () => {
    const { client, caches, dir, warnings } = setup();
    client.deliver('/events/topologies', FIXTURE_TEXT['topology_create.json'].slice(0, 200), { messageId: '18' });
    client.deliver('/events/topologies', JSON.stringify({ eventType: 'CREATE', hash: 'h', clusters: [1, 2] }), { messageId: '19' });
    client.deliver('/user/configs', JSON.stringify({ hash: 7, clusters: {} }), { messageId: 'not-a-number' });

    expect(client.confirmations()).toStrictEqual([
      { messageId: 18, status: 'ERROR', reason: 'body is not valid JSON' },
      { messageId: 19, status: 'ERROR', reason: expect.stringMatching(/clusters is not an object/) },
      { messageId: 'not-a-number', status: 'ERROR', reason: expect.stringMatching(/hash is not a string/) },
    ]);
    expect(caches.hash('topologies')).toBeNull();
    expect(caches.get('topologies').clusters).toEqual({});
    expect(readdirSync(dir)).toEqual([]);
    expect(warnings()).toHaveLength(3);
    expect(warnings()[0]).toBe('Dropped message on /events/topologies: body is not valid JSON');
  });

  it('sends nothing for messages without a messageId header, handled or not', () => {
    const { client, caches, warnings } = setup();
    client.deliver('/events/topologies', FIXTURE_TEXT['topology_create.json']);
    client.deliver('/events/topologies', 'garbage');
    client.deliver('/user/agent_actions', '{"actionName":"NOPE"}', { 'message-id': '5', MessageId: '6' });
    expect(caches.hash('topologies')).toBe(TOPOLOGY_CREATE_HASH);
    expect(warnings()).toHaveLength(2);
    expect(client.sent).toEqual([]);
  });

  it('keeps going when the confirmation cannot be sent (connection gone)', () => {
    const { client, caches } = setup();
    client.sendError = new Error('connection closed');
    expect(() => client.deliver('/events/topologies', FIXTURE_TEXT['topology_create.json'], { messageId: '1' })).not.toThrow();
    expect(() => client.deliver('/events/topologies', '{', { messageId: '2' })).not.toThrow();
    expect(caches.hash('topologies')).toBe(TOPOLOGY_CREATE_HASH);
  });
});

describe('agent actions, commands and other destinations', () => {
  it('RESTART_AGENT on /user/agent_actions asks for a restart, once', () => {
    const { client, restarts, warnings } = setup();
    client.deliver('/user/agent_actions', JSON.stringify({ actionName: 'RESTART_AGENT' }), { messageId: '3' });
    expect(restarts).toEqual(['RESTART_AGENT from the server']);
    expect(client.confirmations()).toStrictEqual([{ messageId: 3, status: 'OK' }]);
    expect(warnings()).toEqual([]);
  });

  it('an unknown agent action is logged and dropped, without a restart', () => {
    const { client, restarts, warnings } = setup();
    client.deliver('/user/agent_actions', JSON.stringify({ actionName: 'SHUTDOWN_AGENT' }), { messageId: '4' });
    client.deliver('/user/agent_actions', JSON.stringify({ actionName: 'restart_agent' }));
    client.deliver('/user/agent_actions', 'null');
    client.deliver('/user/agent_actions', '["RESTART_AGENT"]');
    client.deliver('/user/agent_actions', '"RESTART_AGENT"');
    client.deliver('/user/agent_actions', 'RESTART_AGENT');
    expect(restarts).toEqual([]);
    expect(warnings()).toHaveLength(6);
    expect(warnings()[0]).toBe('Dropped message on /user/agent_actions: unknown agent action "SHUTDOWN_AGENT" ignored');
    for (const line of warnings()) expect(line).toMatch(/^Dropped message on \/user\/agent_actions: /);
    expect(client.confirmations()).toStrictEqual([{ messageId: 4, status: 'ERROR', reason: 'unknown agent action "SHUTDOWN_AGENT" ignored' }]);
  });

  it('without an action queue refuses /user/commands with a log line and an ERROR confirmation, touching no cache', () => {
    const { client, caches, dir, warnings, restarts } = setup();
    client.deliver('/user/commands', FIXTURE_TEXT['execution_commands.json'], { messageId: '21' });
    expect(warnings()).toEqual(['Dropped message on /user/commands: the action queue is not running']);
    expect(client.confirmations()).toStrictEqual([{ messageId: 21, status: 'ERROR', reason: 'the action queue is not running' }]);
    for (const name of CACHE_NAMES) expect(caches.hash(name)).toBeNull();
    expect(readdirSync(dir)).toEqual([]);
    expect(restarts).toEqual([]);
  });

  it('hands the fixture commands to the action queue, cluster id from the key, and confirms OK', () => {
    const { client, router, warnings } = setup();
    const batches: CommandBatch[] = [];
    router.onCommands = (batch) => batches.push(batch);
    client.deliver('/user/commands', FIXTURE_TEXT['execution_commands.json'], { messageId: '22' });
    expect(warnings()).toEqual([]);
    expect(client.confirmations()).toStrictEqual([{ messageId: 22, status: 'OK' }]);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.commands.map((c) => [c.taskId, c.clusterId, c.roleCommand])).toEqual([[9, '0', 'INSTALL'], [9, '0', 'INSTALL'], [2, 'null', 'ACTIONEXECUTE']]);
    expect(batches[0]!.cancels).toEqual([]);
  });

  it('takes cancels and the valid commands of a partly broken message, and says what it could not take', () => {
    const { client, router } = setup();
    const batches: CommandBatch[] = [];
    router.onCommands = (batch) => batches.push(batch);
    const body = { clusters: { '4': { commands: [{ taskId: '12', role: 'R' }, { role: 'no id' }, { taskId: 0 }, { taskId: -3 }], cancelCommands: [{ target_task_id: 11, reason: 'stop it' }, {}] } } };
    client.deliver('/user/commands', JSON.stringify(body), { messageId: '23' });
    expect(batches[0]!.commands).toEqual([{ taskId: 12, role: 'R', clusterId: '4' }]);
    expect(batches[0]!.cancels).toEqual([{ taskId: 11, reason: 'stop it' }]);
    expect(client.confirmations()).toStrictEqual([
      {
        messageId: 23,
        status: 'ERROR',
        reason:
          'cluster 4: a command without a positive whole taskId (none); cluster 4: a command without a positive whole taskId (0); cluster 4: a command without a positive whole taskId (-3); cluster 4: a cancel command without a positive whole target_task_id (none)',
      },
    ]);
  });

  it('drops a message on an unknown destination with a log line naming it', () => {
    const { client, caches, warnings } = setup();
    for (const destination of ['/user/nowhere', '/events/topologies/', '/EVENTS/TOPOLOGIES', '', '/reports/responses']) {
      client.deliver(destination, FIXTURE_TEXT['topology_create.json'], { messageId: '9' });
    }
    expect(warnings()).toEqual([
      'Dropped message on /user/nowhere: unknown destination',
      'Dropped message on /events/topologies/: unknown destination',
      'Dropped message on /EVENTS/TOPOLOGIES: unknown destination',
      'Dropped message on : unknown destination',
      'Dropped message on /reports/responses: unknown destination',
    ]);
    expect(caches.hash('topologies')).toBeNull();
    expect(client.confirmations()).toHaveLength(5);
    for (const confirmation of client.confirmations()) expect(confirmation).toStrictEqual({ messageId: 9, status: 'ERROR', reason: 'unknown destination' });
  });

  it('takes the encryption key from /events/encryption_key and ignores a non-string one', () => {
    const { client, router, warnings } = setup();
    const told: string[] = [];
    router.onEncryptionKey = (key) => told.push(key);
    client.deliver('/events/encryption_key', JSON.stringify({ encryptionKey: 'k3y' }));
    expect(router.encryptionKey).toBe('k3y');
    client.deliver('/events/encryption_key', JSON.stringify({ encryptionKey: 42 }));
    client.deliver('/events/encryption_key', 'null');
    expect(router.encryptionKey).toBe('k3y');
    expect(told).toEqual(['k3y']);
    expect(warnings()).toEqual(['Dropped message on /events/encryption_key: no encryptionKey string', 'Dropped message on /events/encryption_key: no encryptionKey string']);
  });
});

describe('sync()', () => {
  it('subscribes the topic, asks with hash null first and with the cache hash next time, and persists', async () => {
    const { client, router, caches, onDisk } = setup();
    const first = router.sync('topologies', '/agents/topologies', '/events/topologies');
    expect(client.subscribed).toEqual(['/events/topologies']);
    expect(client.requests).toHaveLength(1);
    expect(lastRequest(client).destination).toBe('/agents/topologies');
    expect(lastRequest(client).body).toStrictEqual({ hash: null });
    lastRequest(client).resolve(fixture('topology_create.json'));
    await first;
    expect(caches.hash('topologies')).toBe(TOPOLOGY_CREATE_HASH);
    expect(onDisk('topologies')).toEqual({ hash: TOPOLOGY_CREATE_HASH, clusters: fixture('topology_create.json').clusters });

    const second = router.sync('topologies', '/agents/topologies', '/events/topologies');
    expect(client.subscribed).toEqual(['/events/topologies']); // already subscribed
    expect(client.requests).toHaveLength(2);
    expect(lastRequest(client).body).toStrictEqual({ hash: TOPOLOGY_CREATE_HASH });
    lastRequest(client).resolve({ hash: TOPOLOGY_CREATE_HASH }); // nothing new
    await second;
    expect(caches.get('topologies').clusters).toEqual(fixture('topology_create.json').clusters);
  });

  it('applies an event that arrives while the request is pending after the answer (add_host survives a CREATE)', async () => {
    const { client, router, caches, onDisk } = setup();
    const syncing = router.sync('topologies', '/agents/topologies', '/events/topologies');
    client.deliver('/events/topologies', FIXTURE_TEXT['topology_add_host.json'], { messageId: '40' });
    // Queued: not applied, not confirmed yet.
    expect(caches.hash('topologies')).toBeNull();
    expect(client.confirmations()).toEqual([]);

    lastRequest(client).resolve(fixture('topology_create.json'));
    await syncing;

    const hosts = (caches.get('topologies').clusters['0'] as { hosts: Array<{ hostId: number }> }).hosts;
    expect(hosts.map((host) => host.hostId)).toContain(2);
    expect(hosts.map((host) => host.hostId)).toEqual([0, 1, 2]);
    expect(caches.hash('topologies')).toBe(fixture('topology_add_host.json').hash);
    expect(onDisk('topologies')).toEqual({ hash: fixture('topology_add_host.json').hash, clusters: caches.get('topologies').clusters });
    expect(client.confirmations()).toStrictEqual([{ messageId: 40, status: 'OK' }]);
  });

  it('keeps the queued events in arrival order, and does not queue other topics', async () => {
    const { client, router, caches } = setup();
    const syncing = router.sync('alert_definitions', '/agents/alert_definitions', '/user/alert_definitions');
    for (const event of ALERT_EVENTS) client.deliver('/user/alert_definitions', FIXTURE_TEXT[event]);
    client.deliver('/user/configs', FIXTURE_TEXT['configurations_update.json']);
    expect(caches.hash('configurations')).toBe('a1a71f4b46feaf72bf33627d78bbdc3e');
    expect(caches.hash('alert_definitions')).toBeNull();
    lastRequest(client).resolve(fixture('alert_definitions_small.json'));
    await syncing;
    expect(caches.get('alert_definitions').clusters).toEqual(fixture('alert_definition_expected.json'));
    // A message after the sync is applied at once again.
    client.deliver('/user/alert_definitions', FIXTURE_TEXT['alert_definitions_small.json']);
    expect(caches.hash('alert_definitions')).toBe('37fe2bd73438980c619c2b8c2f95d160');
  });

  it('when the request fails, still applies what queued and passes the error on', async () => {
    const { client, router, caches, dir } = setup();
    const syncing = router.sync('topologies', '/agents/topologies', '/events/topologies');
    client.deliver('/events/topologies', FIXTURE_TEXT['topology_add_host.json'], { messageId: '41' });
    client.deliver('/events/topologies', '{broken', { messageId: '42' });
    lastRequest(client).reject(new Error('10 seconds timeout expired waiting for response'));
    await expect(syncing).rejects.toThrow('10 seconds timeout expired waiting for response');

    expect(caches.hash('topologies')).toBe(fixture('topology_add_host.json').hash);
    expect((caches.get('topologies').clusters['0'] as { hosts: unknown[] }).hosts).toHaveLength(1);
    expect(existsSync(join(dir, 'topologies.json'))).toBe(true);
    expect(client.confirmations()).toStrictEqual([
      { messageId: 41, status: 'OK' },
      { messageId: 42, status: 'ERROR', reason: 'body is not valid JSON' },
    ]);
    // Not syncing any more: the next event is applied at once.
    client.deliver('/events/topologies', FIXTURE_TEXT['topology_create.json']);
    expect(caches.hash('topologies')).toBe(TOPOLOGY_CREATE_HASH);
  });

  it('a malformed answer rejects the sync, leaves the cache as it was and still applies the queue', async () => {
    const { client, router, caches } = setup();
    client.deliver('/user/configs', FIXTURE_TEXT['configurations_update.json']);
    const syncing = router.sync('configurations', '/agents/configs', '/user/configs');
    expect(lastRequest(client).body).toStrictEqual({ hash: 'a1a71f4b46feaf72bf33627d78bbdc3e' });
    client.deliver('/user/configs', JSON.stringify({ timestamp: 99 }), { messageId: '7' });
    lastRequest(client).resolve({ hash: 'x', clusters: 'not an object' });
    await expect(syncing).rejects.toThrow(/clusters is not an object/);
    expect(caches.hash('configurations')).toBe('a1a71f4b46feaf72bf33627d78bbdc3e');
    expect(caches.get('configurations').timestamp).toBe(99);
    expect(client.confirmations()).toStrictEqual([{ messageId: 7, status: 'OK' }]);
  });
});

// ---------------------------------------------------------------------------------------------
// Keys that name Object.prototype members. A cluster id or config key is server data and must
// stay data: these must neither change Object.prototype / Object nor vanish from the cache.

describe('keys named like Object.prototype members', () => {
  const POLLUTION = ['routerPollutedA', 'routerPollutedB', 'hosts', 'components', 'alertDefinitions'];
  afterEach(() => {
    for (const key of POLLUTION) {
      delete (Object.prototype as Record<string, unknown>)[key];
      delete (Object as unknown as Record<string, unknown>)[key];
    }
  });

  function polluted(): string[] {
    return POLLUTION.filter((key) => Object.hasOwn(Object.prototype, key) || Object.hasOwn(Object, key));
  }

  it('a metadata event with a "__proto__" key does not pollute Object.prototype', () => {
    const { client } = setup();
    client.deliver('/events/metadata', FIXTURE_TEXT['metadata_after_registration.json']);
    client.deliver('/events/metadata', '{"0":{"__proto__":{"routerPollutedA":"yes"}}}', { messageId: '1' });
    client.deliver('/events/metadata', '{"eventType":"UPDATE","clusters":{"__proto__":{"routerPollutedB":"yes"}}}', { messageId: '2' });
    expect(polluted()).toEqual([]);
    expect(({} as Record<string, unknown>).routerPollutedA).toBeUndefined();
  });

  it('a topology UPDATE for cluster "__proto__" does not pollute Object.prototype', () => {
    const { client } = setup();
    client.deliver('/events/topologies', '{"eventType":"UPDATE","hash":"p","clusters":{"__proto__":{"hosts":[{"hostId":7}],"components":[{"serviceName":"S","componentName":"C","hostIds":[7]}]}}}');
    expect(polluted()).toEqual([]);
  });

  it('an alert definitions UPDATE for cluster "__proto__" does not pollute Object.prototype', () => {
    const { client } = setup();
    client.deliver('/user/alert_definitions', '{"eventType":"UPDATE","hash":"p","clusters":{"__proto__":{"routerPollutedA":1,"alertDefinitions":[{"definitionId":1}]}}}');
    expect(polluted()).toEqual([]);
  });

  it('a topology UPDATE for a new cluster "constructor" is stored as that cluster (or refused), not written onto Object', () => {
    const { client, caches } = setup();
    client.deliver('/events/topologies', '{"eventType":"UPDATE","hash":"c","clusters":{"constructor":{"hosts":[{"hostId":1}]}}}', { messageId: '5' });
    expect(polluted()).toEqual([]);
    const [confirmation] = client.confirmations() as Array<{ status: string }>;
    if (confirmation.status === 'OK') expect(Object.keys(caches.get('topologies').clusters)).toEqual(['constructor']);
  });
});

// ---------------------------------------------------------------------------------------------
// Fuzz

/** mulberry32: a small seeded PRNG returning floats in [0, 1). */
function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Gen {
  constructor(readonly next: () => number) {}
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  text(length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) {
      const r = this.next();
      if (r < 0.65) out += String.fromCharCode(32 + this.int(95));
      else if (r < 0.8) out += String.fromCharCode(this.int(32));
      else if (r < 0.9) out += this.pick(['{', '}', '[', ']', '"', ':', ',', '\\', 'null', 'true', '1e400', '-0']);
      else out += String.fromCharCode(this.int(0x10000)); // includes lone surrogates
    }
    return out;
  }
}

const MEANINGFUL_KEYS = [
  'hash', 'eventType', 'clusters', 'timestamp', 'hosts', 'components', 'hostId', 'hostIds', 'hostName',
  'componentName', 'serviceName', 'alertDefinitions', 'definitionId', 'actionName', 'encryptionKey', '0', '1', '-1', '',
];
const EVENT_TYPES = ['CREATE', 'UPDATE', 'DELETE', 'create', 'Update', '', 'RESTART_AGENT'];

function randomJson(g: Gen, depth: number): unknown {
  const r = g.next();
  if (depth <= 0 || r < 0.35) {
    return g.pick<() => unknown>([
      () => null,
      () => g.chance(0.5),
      () => g.int(10),
      () => g.int(2 ** 31) * (g.chance(0.5) ? -1 : 1),
      () => g.pick([0.5, -0, 1e308, -1e-308, Number.MAX_SAFE_INTEGER + 2]),
      () => g.text(g.int(12)),
      () => g.pick(EVENT_TYPES),
      () => g.pick(['RESTART_AGENT', TOPOLOGY_CREATE_HASH, 'HDFS', 'NAMENODE']),
    ])();
  }
  if (r < 0.6) return Array.from({ length: g.int(4) }, () => randomJson(g, depth - 1));
  const object: Record<string, unknown> = {};
  for (let i = g.int(5); i > 0; i--) object[g.chance(0.7) ? g.pick(MEANINGFUL_KEYS) : g.text(1 + g.int(6))] = randomJson(g, depth - 1);
  return object;
}

/** Every (container, key) pair in a JSON value, for picking a place to mutate. */
function places(value: unknown, out: Array<{ owner: Record<string, unknown> | unknown[]; key: string | number }> = []) {
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      out.push({ owner: value, key: index });
      places(item, out);
    });
  } else if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      out.push({ owner: value, key });
      places(item, out);
    }
  }
  return out;
}

function swapType(g: Gen, value: unknown): unknown {
  if (typeof value === 'string') return g.chance(0.5) ? Number(value.length) : [value];
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return g.chance(0.5) ? Object.fromEntries(value.map((item, index) => [String(index), item])) : value.length;
  if (isPlainObject(value)) return g.chance(0.5) ? Object.values(value) : JSON.stringify(value).slice(0, 20);
  if (value === null) return {};
  return g.chance(0.5) ? null : 'true';
}

function mutate(g: Gen, message: unknown): unknown {
  const all = places(message);
  if (all.length === 0) return randomJson(g, 2);
  for (let count = 1 + g.int(4); count > 0; count--) {
    const { owner, key } = g.pick(all);
    const current = (owner as Record<string | number, unknown>)[key];
    const what = g.int(7);
    if (what === 0) {
      if (Array.isArray(owner)) owner.splice(key as number, 1);
      else delete owner[key as string];
    } else if (what === 1) {
      (owner as Record<string | number, unknown>)[key] = swapType(g, current);
    } else if (what === 2) {
      (owner as Record<string | number, unknown>)[key] = randomJson(g, 3);
    } else if (what === 3 && isPlainObject(message)) {
      message.eventType = g.chance(0.8) ? g.pick(EVENT_TYPES) : randomJson(g, 1);
    } else if (what === 4 && isPlainObject(message)) {
      message.hash = g.pick<unknown>([null, undefined, 5, [], {}, g.text(8), TOPOLOGY_CREATE_HASH, `fuzz-${g.int(1000)}`]);
    } else if (what === 5 && Array.isArray(current) && current.length > 0) {
      current.push(structuredClone(current[g.int(current.length)]));
    } else if (isPlainObject(owner)) {
      owner[g.chance(0.5) ? g.pick(MEANINGFUL_KEYS) : g.text(3)] = randomJson(g, 2);
    }
  }
  return message;
}

/** A small topology/alert/metadata message that often applies, so the caches keep changing. */
function plausible(g: Gen, cache: CacheName): unknown {
  const clusterId = g.pick(['0', '1', '2']);
  const hash = g.chance(0.7) ? `fuzz-${g.int(50)}` : undefined;
  const eventType = g.pick(['CREATE', 'UPDATE', 'UPDATE', 'DELETE']);
  switch (cache) {
    case 'topologies':
      return {
        eventType,
        hash,
        clusters: {
          [clusterId]: g.chance(0.2)
            ? {}
            : {
                hosts: Array.from({ length: g.int(3) }, () => ({ hostId: g.int(5), hostName: `h${g.int(5)}` })),
                components: Array.from({ length: g.int(3) }, () => ({
                  serviceName: g.pick(['HDFS', 'YARN']),
                  componentName: g.pick(['NAMENODE', 'DATANODE', 'NODEMANAGER']),
                  hostIds: Array.from({ length: g.int(3) }, () => g.int(5)),
                })),
              },
        },
      };
    case 'alert_definitions':
      return {
        eventType,
        hash,
        clusters: { [clusterId]: g.chance(0.2) ? {} : { alertDefinitions: Array.from({ length: g.int(3) }, () => ({ definitionId: g.int(6), name: g.text(4) })) } },
      };
    case 'metadata':
      return g.chance(0.5)
        ? { [clusterId]: { clusterLevelParams: { [g.pick(['a', 'b'])]: g.int(9) } } }
        : { eventType: g.pick(['CREATE', 'UPDATE', 'DELETE']), hash, clusters: { [clusterId]: g.chance(0.3) ? {} : { x: randomJson(g, 2) } } };
    default:
      return { hash, timestamp: g.chance(0.5) ? g.int(1e9) : undefined, clusters: { [clusterId]: { configurations: randomJson(g, 2) } } };
  }
}

const FIXTURES_FOR: Record<CacheName, FixtureName[]> = {
  topologies: ['topology_create.json', ...TOPOLOGY_EVENTS],
  metadata: ['metadata_after_registration.json', 'metadata_update.json'],
  configurations: ['configurations_update.json'],
  host_level_params: ['host_level_params.json'],
  alert_definitions: ['alert_definitions_small.json', 'alert_definitions_small.json', 'alert_definitions_small.json', ...ALERT_EVENTS, 'alert_definitions.json'],
};
const CACHE_FIXTURES = Object.values(FIXTURES_FOR).flat();

const ODD_BODIES = [
  '', ' ', '{}', '[]', 'null', '0', '-0', '1e400', 'NaN', 'undefined', 'true', '"text"', '{"hash":null}', '{"clusters":{}}',
  '{"clusters":null,"eventType":null,"hash":null}', '{"timestamp":1e400}', '{"timestamp":"now","clusters":{}}',
  '{"eventType":"CREATE","eventType":"BOGUS","clusters":{}}', '\uFEFF{"hash":"bom","clusters":{}}', '{"hash":"a"}garbage',
  '{"actionName":"RESTART_AGENT","actionName":"NO"}', '{"actionName":"RESTART_AGENT "}', '{"encryptionKey":""}',
  `{"0":${'['.repeat(50000)}${']'.repeat(50000)}}`, `{"eventType":"CREATE","clusters":{"0":${'{"a":'.repeat(20000)}1${'}'.repeat(20000)}}}`,
];

function fuzzDestination(g: Gen): string {
  const r = g.next();
  if (r < 0.72) return SYNC_ORDER[g.int(SYNC_ORDER.length)].topic;
  if (r < 0.77) return '/user/agent_actions';
  if (r < 0.81) return '/user/commands';
  if (r < 0.85) return '/events/encryption_key';
  return g.pick<() => string>([
    () => '/user/',
    () => '',
    () => '/reports/responses',
    () => `${g.pick(SYNC_ORDER).topic}${g.pick([' ', '/', '/x', '\n'])}`,
    () => g.pick(SYNC_ORDER).topic.toUpperCase(),
    () => g.pick(SYNC_ORDER).request,
    () => `/${g.text(1 + g.int(20))}`,
    () => g.text(g.int(30)),
  ])();
}

function fuzzHeaders(g: Gen, counter: number): Record<string, string> {
  const headers: Record<string, string> = {};
  if (g.chance(0.65)) {
    headers.messageId = g.chance(0.6)
      ? String(counter)
      : g.pick(['0', '007', '', '-1', 'abc', '1.5', ' 17', '17 ', '１２', '9'.repeat(25), '1e3', 'null', g.text(g.int(8))]);
  }
  if (g.chance(0.3)) headers['message-id'] = String(counter);
  if (g.chance(0.2)) headers.MessageId = String(counter);
  if (g.chance(0.3)) headers.subscription = `sub-${g.int(9)}`;
  if (g.chance(0.2)) headers['content-type'] = g.pick(['application/json;charset=UTF-8', 'text/plain', g.text(5)]);
  return headers;
}

function fuzzBody(g: Gen, destination: string): string {
  const cache = cacheForTopic(destination);
  const own = cache && g.chance(0.75) ? g.pick(FIXTURES_FOR[cache]) : g.pick(CACHE_FIXTURES);
  const r = g.next();
  if (r < 0.1) {
    if (destination === '/user/agent_actions') return JSON.stringify({ actionName: g.pick(['RESTART_AGENT', 'RESTART_AGENT', 'STOP', '']) });
    if (destination === '/events/encryption_key') return JSON.stringify({ encryptionKey: g.text(10) });
    if (destination === '/user/commands') return FIXTURE_TEXT['execution_commands.json'];
    return FIXTURE_TEXT[own];
  }
  if (r < 0.18) return g.text(g.int(200));
  if (r < 0.3) {
    const text = FIXTURE_TEXT[own];
    return text.slice(0, g.int(text.length));
  }
  if (r < 0.45) return JSON.stringify(g.pick<() => unknown>([() => [], () => g.int(100), () => null, () => randomJson(g, 5), () => [randomJson(g, 3)], () => g.text(20)])());
  if (r < 0.78) return JSON.stringify(mutate(g, fixture(own)));
  if (r < 0.83) {
    const huge = g.text(50) + 'x'.repeat(20_000 + g.int(60_000));
    const message = mutate(g, fixture(own));
    if (isPlainObject(message)) message[g.pick(['hash', 'eventType', 'timestamp', g.text(3)])] = huge;
    return g.chance(0.2) ? huge : JSON.stringify(message);
  }
  if (r < 0.9) return g.pick(ODD_BODIES);
  return JSON.stringify(plausible(g, cache ?? g.pick(CACHE_NAMES)));
}

function validSnapshot(snapshot: CacheSnapshot): boolean {
  return (snapshot.hash === null || typeof snapshot.hash === 'string') && isPlainObject(snapshot.clusters) && Object.values(snapshot.clusters).every(isPlainObject);
}

describe('fuzz: ~5000 junk messages', () => {
  it('never throws to the client, confirms each messageId once, matches the model and keeps the caches sound', async () => {
    const started = performance.now();
    const g = new Gen(mulberry32(0x5eed_2024));
    const { client, router, caches, dir, logs, restarts } = setup();
    const shadow = new AgentCaches(join(root, 'shadow-never-written'));
    expect(client.handlers).toHaveLength(1);

    type Outcome = { ok: true } | { ok: false; reason: string };
    /** What TopicRouter should do with a message it handles now: the model. */
    const model = { restarts: 0, encryptionKey: undefined as string | undefined };
    function expected(destination: string, body: string): Outcome {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        return { ok: false, reason: 'body is not valid JSON' };
      }
      const cache = cacheForTopic(destination);
      if (cache) {
        try {
          shadow.apply(cache, parsed);
          return { ok: true };
        } catch (err) {
          return { ok: false, reason: (err as Error).message };
        }
      }
      if (destination === '/user/agent_actions') {
        const action = isPlainObject(parsed) ? parsed.actionName : undefined;
        if (action === 'RESTART_AGENT') {
          model.restarts += 1;
          return { ok: true };
        }
        return { ok: false, reason: `unknown agent action ${JSON.stringify(action)} ignored` };
      }
      if (destination === '/events/encryption_key') {
        const key = isPlainObject(parsed) ? parsed.encryptionKey : undefined;
        if (typeof key !== 'string') return { ok: false, reason: 'no encryptionKey string' };
        model.encryptionKey = key;
        return { ok: true };
      }
      if (destination === '/user/commands') return { ok: false, reason: 'the action queue is not running' };
      return { ok: false, reason: 'unknown destination' };
    }
    const idOf = (value: string): number | string => (/^\d+$/.test(value) ? Number(value) : value);
    const confirmationOf = (headers: Record<string, string>, outcome: Outcome): unknown[] =>
      Object.hasOwn(headers, 'messageId')
        ? [outcome.ok ? { messageId: idOf(headers.messageId), status: 'OK' } : { messageId: idOf(headers.messageId), status: 'ERROR', reason: outcome.reason }]
        : [];
    const warningsOf = (destination: string, outcome: Outcome): string[] => (outcome.ok ? [] : [`Dropped message on ${destination}: ${outcome.reason}`]);

    const TOTAL = 5000;
    const SYNC_FROM = 1500;
    const SYNC_UNTIL = 3500;
    const syncCache = g.pick(CACHE_NAMES);
    let sync: { settled: Promise<Error | null>; queue: Array<{ destination: string; body: string; headers: Record<string, string> }> } | undefined;
    const tally = { ok: 0, error: 0, confirmations: 0, queued: 0, okByCache: {} as Record<string, number> };
    const mismatch = (index: number, destination: string, body: string) => `message #${index} on ${JSON.stringify(destination)}: ${JSON.stringify(body.slice(0, 300))}`;

    for (let index = 0; index < TOTAL; index++) {
      if (index === SYNC_FROM) {
        const hashBefore = shadow.hash(syncCache);
        const promise = router.sync(syncCache, REQUEST[syncCache], TOPIC[syncCache]);
        sync = { settled: promise.then(() => null, (err: Error) => err), queue: [] };
        expect(lastRequest(client).destination).toBe(REQUEST[syncCache]);
        expect(lastRequest(client).body).toStrictEqual({ hash: hashBefore });
        expect(client.subscriptions.has(TOPIC[syncCache])).toBe(true);
      }
      if (index === SYNC_UNTIL && sync) {
        const sentBefore = client.sent.length;
        const warnBefore = logs.filter((line) => line.level === 'warn').length;
        const reject = g.chance(0.25);
        const answer = g.chance(0.5) ? fixture(g.pick(FIXTURES_FOR[syncCache])) : mutate(g, fixture(g.pick(FIXTURES_FOR[syncCache])));
        let expectedError: string | null = null;
        if (reject) {
          expectedError = 'fuzz: request timed out';
          lastRequest(client).reject(new Error(expectedError));
        } else {
          try {
            shadow.apply(syncCache, structuredClone(answer));
          } catch (err) {
            expectedError = (err as Error).message;
          }
          lastRequest(client).resolve(answer);
        }
        const error = await sync.settled;
        expect(error?.message ?? null).toBe(expectedError);
        // The queue, in arrival order, after the answer.
        const wantSent: unknown[] = [];
        const wantWarnings: string[] = [];
        for (const message of sync.queue) {
          const outcome = expected(message.destination, message.body);
          wantSent.push(...confirmationOf(message.headers, outcome));
          wantWarnings.push(...warningsOf(message.destination, outcome));
        }
        expect(client.sent.slice(sentBefore).map((sent) => sent.body)).toStrictEqual(wantSent);
        expect(logs.filter((line) => line.level === 'warn').slice(warnBefore).map((line) => line.msg)).toStrictEqual(wantWarnings);
        tally.confirmations += wantSent.length;
        sync = undefined;
      }

      const destination = fuzzDestination(g);
      const headers = fuzzHeaders(g, index);
      const body = fuzzBody(g, destination);
      const sentBefore = client.sent.length;
      const logBefore = logs.length;
      const restartsBefore = restarts.length;

      try {
        client.deliver(destination, body, headers);
      } catch (err) {
        throw new Error(`handler threw ${String(err)} for ${mismatch(index, destination, body)}`);
      }

      if (sync && destination === TOPIC[syncCache]) {
        // Queued while the sync request is pending: nothing happens yet.
        sync.queue.push({ destination, body, headers });
        tally.queued += 1;
        if (client.sent.length !== sentBefore || logs.length !== logBefore) throw new Error(`queued message acted on: ${mismatch(index, destination, body)}`);
        continue;
      }

      const outcome = expected(destination, body);
      const got = client.sent.slice(sentBefore).map((sent) => sent.body);
      const want = confirmationOf(headers, outcome);
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        expect(got, mismatch(index, destination, body)).toStrictEqual(want);
      }
      const warned = logs.slice(logBefore).filter((line) => line.level === 'warn').map((line) => line.msg);
      if (JSON.stringify(warned) !== JSON.stringify(warningsOf(destination, outcome))) {
        expect(warned, mismatch(index, destination, body)).toStrictEqual(warningsOf(destination, outcome));
      }
      if (restarts.length - restartsBefore !== (outcome.ok && destination === '/user/agent_actions' ? 1 : 0)) {
        throw new Error(`restart count off after ${mismatch(index, destination, body)}`);
      }
      tally.confirmations += want.length;
      if (outcome.ok) {
        tally.ok += 1;
        const cache = cacheForTopic(destination);
        if (cache) tally.okByCache[cache] = (tally.okByCache[cache] ?? 0) + 1;
      } else {
        tally.error += 1;
      }
    }
    if (sync) throw new Error('the sync was never settled');

    // Every messageId got exactly one confirmation, and nothing else was sent.
    expect(client.sent.every((sent) => sent.destination === RESPONSES_DESTINATION)).toBe(true);
    expect(client.sent).toHaveLength(tally.confirmations);
    expect(restarts).toHaveLength(model.restarts);
    expect(router.encryptionKey).toBe(model.encryptionKey);

    // The run was not vacuous: every cache took some messages and refused others.
    for (const name of CACHE_NAMES) expect(tally.okByCache[name] ?? 0, name).toBeGreaterThan(5);
    expect(tally.error).toBeGreaterThan(1000);
    expect(tally.queued).toBeGreaterThan(50);
    expect(model.restarts).toBeGreaterThan(0);

    // The caches: valid shape, the model's content, files that parse and load back the same.
    const reloaded = AgentCaches.load(dir);
    expect(reloaded.warnings).toEqual([]);
    for (const name of CACHE_NAMES) {
      const snapshot = caches.get(name);
      expect(validSnapshot(snapshot), name).toBe(true);
      expect(snapshot.hash, name).toBe(shadow.hash(name));
      expect(snapshot.clusters, name).toStrictEqual(shadow.get(name).clusters);
      const file = join(dir, `${name}.json`);
      if (existsSync(file)) {
        const stored = JSON.parse(readFileSync(file, 'utf8')) as { hash: unknown; clusters: unknown };
        expect(stored.hash, name).toBe(snapshot.hash);
        expect(stored.clusters, name).toStrictEqual(snapshot.clusters);
        expect(reloaded.caches.get(name).clusters, name).toStrictEqual(snapshot.clusters);
      } else {
        expect(snapshot.hash, name).toBeNull();
        expect(snapshot.clusters, name).toEqual({});
      }
    }
    expect(readdirSync(dir).filter((name) => name.includes('.tmp-'))).toEqual([]);

    // A real topology still applies. (A CREATE carrying the hash the cache already has is
    // "nothing new" by design, so move off the fixture's hash first.)
    client.deliver('/events/topologies', JSON.stringify({ eventType: 'CREATE', hash: 'before-final', clusters: {} }), { messageId: '900001' });
    client.deliver('/events/topologies', FIXTURE_TEXT['topology_create.json'], { messageId: '900002' });
    expect(client.sent.slice(-2).map((sent) => sent.body)).toStrictEqual([
      { messageId: 900001, status: 'OK' },
      { messageId: 900002, status: 'OK' },
    ]);
    expect(caches.hash('topologies')).toBe(TOPOLOGY_CREATE_HASH);
    expect(caches.get('topologies').clusters).toStrictEqual(fixture('topology_create.json').clusters);
    expect(JSON.parse(readFileSync(join(dir, 'topologies.json'), 'utf8'))).toStrictEqual({ hash: TOPOLOGY_CREATE_HASH, clusters: fixture('topology_create.json').clusters });

    const elapsed = performance.now() - started;
    console.log(`fuzz: ${TOTAL} messages in ${Math.round(elapsed)} ms; ok ${tally.ok}, error ${tally.error}, queued ${tally.queued}, confirmations ${tally.confirmations}, sync of ${syncCache}; ok by cache ${JSON.stringify(tally.okByCache)}`);
  }, 30_000);
});

describe('overlapping syncs of one cache', () => {
  it('keep every queued message and apply the queue once the last sync ends', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aa-router-overlap-'));
    try {
      const caches = new AgentCaches(dir);
      const answers: Array<(body: unknown) => void> = [];
      const sent: unknown[] = [];
      let deliver!: (message: { destination: string; headers: Record<string, string>; body: string }) => void;
      const client = {
        subscriptions: new Map<string, string>(),
        onMessage: (handler: typeof deliver) => (deliver = handler),
        subscribe: (destination: string) => client.subscriptions.set(destination, 'sub'),
        send: (_destination: string, body: unknown) => void sent.push(body),
        request: () => new Promise((resolve) => answers.push(resolve)),
      };
      const router = new TopicRouter(client as never, caches, () => {});
      const create = fixture('topology_create.json');
      const addHost = fixtureText('topology_add_host.json');
      const first = router.sync('topologies', '/agents/topologies', '/events/topologies');
      deliver({ destination: '/events/topologies', headers: { messageId: '1' }, body: addHost });
      const second = router.sync('topologies', '/agents/topologies', '/events/topologies');
      answers[0]!(create);
      await first;
      // The second sync is still in flight: the event is still waiting.
      expect(sent).toEqual([]);
      answers[1]!(create);
      await second;
      expect(sent).toEqual([{ messageId: 1, status: 'OK' }]);
      const hosts = (caches.get('topologies').clusters['0'] as { hosts: Array<{ hostId: number }> }).hosts.map((h) => h.hostId);
      expect(hosts).toContain(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('parseCommandsMessage: alert execution commands', () => {
  it('takes an ALERT_EXECUTION_COMMAND (no task id) as a run-now of its definition', async () => {
    const { parseCommandsMessage } = await import('../../../../src/actors/link/topicRouter.js');
    const batch = parseCommandsMessage({
      clusters: {
        '0': {
          commands: [
            { commandType: 'ALERT_EXECUTION_COMMAND', clusterName: 'c1', hostName: 'h1', alertDefinition: { name: 'ambari_agent_disk_usage', definitionId: 3 } },
            { commandType: 'ALERT_EXECUTION_COMMAND', alertDefinition: {} },
            { commandType: 'EXECUTION_COMMAND', taskId: 7, role: 'ZOOKEEPER_SERVER' },
          ],
        },
      },
    });
    expect(batch.alertRuns).toEqual(['ambari_agent_disk_usage']);
    expect(batch.commands.map((c) => c.taskId)).toEqual([7]);
    expect(batch.problems).toEqual(['cluster 0: an alert execution command without alertDefinition.name']);
  });
});
