// Alerts and recovery through the dev server, black-box: STOMP test clients as agents against
// an in-process server (127.0.0.1, free ports). Alert definitions made, changed and removed
// through the API reach the agents they apply to as the Java server sends them (the CREATE
// sync answer, UPDATE and DELETE events on /user/alert_definitions, which the agent's own cache
// code applies, with the hash the next sync agrees with); alerts_status reports and heartbeat
// staleAlerts are kept per host (API and state page); the recovery settings reach cluster-env
// (/user/configs) and each host's recoveryConfig (/user/host_level_params).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { applyMessage, type CacheSnapshot } from '../../../src/caches/handlers.js';
import type { DevServer } from '../../../src/server/devServer.js';
import { startLoopbackDevServer } from '../../support/inProcessDevServer.js';
import { messagesOn, registeredClient } from '../../support/registeredClients.js';
import { closeAllClients, TestStompClient } from '../../support/stompTestClient.js';

type Json = Record<string, any>;

const ALERTS_TOPIC = '/user/alert_definitions';
const HLP_TOPIC = '/user/host_level_params';
const CONFIGS_TOPIC = '/user/configs';
const DEFS = '/api/v1/clusters/dev/alert_definitions';

let dataDir: string;
let server: DevServer;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'aa-devserver-alerts-'));
  server = await startLoopbackDevServer(dataDir);
});

afterAll(async () => {
  await closeAllClients();
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function api(method: string, path: string, body?: unknown, contentType = 'application/json', on = server): Promise<{ status: number; body: Json }> {
  const response = await fetch(`http://127.0.0.1:${on.apiPort}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': contentType },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(5_000),
  });
  return { status: response.status, body: JSON.parse(await response.text()) as Json };
}

const agent = (hostName: string, topics: string[] = [ALERTS_TOPIC], on = server): Promise<TestStompClient> => registeredClient(on.securedUrlPort, hostName, topics);

async function nextMessage(client: TestStompClient, destination: string): Promise<Json> {
  return JSON.parse((await client.waitFor((f) => f.command === 'MESSAGE' && f.headers.destination === destination, `a message on ${destination}`)).body) as Json;
}

const syncDefinitions = async (client: TestStompClient, hash: string | null = null) => (await client.request('/agents/alert_definitions', { hash })).body as Json;
const cache = (message: Json): CacheSnapshot => ({ hash: message.hash as string, clusters: message.clusters as CacheSnapshot['clusters'] });

const ZK = { service_name: 'ZOOKEEPER', component_name: 'ZOOKEEPER_SERVER', script: 'scripts/zookeeper_server.py' };
const zkPort = (name: string) => ({ name, serviceName: 'ZOOKEEPER', componentName: 'ZOOKEEPER_SERVER', interval: 1, source: { type: 'PORT', uri: '{{zoo.cfg/clientPort}}', default_port: 2181, reporting: { ok: { text: 'TCP OK - {0:.3f}s response on port {1}' }, critical: { text: 'Connection failed: {0} to {1}:{2}' } } } });
const agentScoped = (name: string) => ({ name, serviceName: 'AMBARI', componentName: 'AMBARI_AGENT', scope: 'HOST', interval: 2, source: { type: 'SCRIPT', path: 'alert_disk_space.py' } });

describe('alert definitions API', () => {
  it('validates as the Java server (400 naming the field), 404 for another cluster or id, 415 for a non-JSON PUT, 405 for an unknown method', async () => {
    expect(await api('POST', DEFS, { ...zkPort('bad'), interval: 0 })).toEqual({ status: 400, body: { error: expect.stringMatching(/"interval" must be a whole number >= 1/) } });
    expect((await api('POST', DEFS, { ...zkPort('bad'), source: { type: 'NOPE' } })).body.error).toMatch(/"source.type" must be one of/);
    expect((await api('GET', '/api/v1/clusters/other/alert_definitions')).status).toBe(404);
    expect((await api('PUT', `${DEFS}/999`, { interval: 2 })).status).toBe(404);
    expect((await api('DELETE', `${DEFS}/999`)).status).toBe(404);
    expect((await api('GET', `${DEFS}/x`)).status).toBe(400);
    expect((await api('PUT', `${DEFS}/1`, { interval: 2 }, 'text/plain')).status).toBe(415);
    expect((await api('DELETE', DEFS)).status).toBe(405);
  });

  it('the CREATE sync answer has, per host, only the definitions that apply to it, with staleIntervalMultiplier and hostName', async () => {
    await agent('zk1.test');
    const other = await agent('plain1.test');
    expect((await api('POST', '/api/v1/hosts/zk1.test/components', ZK)).status).toBe(201);
    const zk = (await api('POST', DEFS, zkPort('zk_port_sync'))).body.definition as Json;
    const disk = (await api('POST', DEFS, agentScoped('disk_sync'))).body.definition as Json;
    expect(zk).toMatchObject({ definitionId: expect.any(Number), uuid: expect.stringMatching(/^[0-9a-f-]{36}$/), clusterId: 0, enabled: true, scope: 'ANY' });

    const zkClient = await agent('zk1.test');
    const answer = await syncDefinitions(zkClient);
    // AlertDefinitionsAgentUpdateEvent {hash, eventType, clusters, hostName}; AlertCluster {alertDefinitions, hostName, staleIntervalMultiplier}.
    expect(Object.keys(answer).sort()).toEqual(['clusters', 'eventType', 'hash', 'hostName']);
    expect(answer).toMatchObject({ eventType: 'CREATE', hostName: 'zk1.test' });
    expect(Object.keys(answer.clusters['0']).sort()).toEqual(['alertDefinitions', 'hostName', 'staleIntervalMultiplier']);
    const names = (answer.clusters['0'].alertDefinitions as Json[]).map((d) => d.name);
    expect(names).toEqual(expect.arrayContaining(['zk_port_sync', 'disk_sync']));
    expect((answer.clusters['0'].alertDefinitions as Json[]).find((d) => d.name === 'disk_sync')).toEqual(disk);
    const otherNames = ((await syncDefinitions(other)).clusters['0'].alertDefinitions as Json[]).map((d) => d.name);
    expect(otherNames).toContain('disk_sync');
    expect(otherNames).not.toContain('zk_port_sync');
    // Hash current: the holder's empty event.
    expect(await syncDefinitions(zkClient, answer.hash as string)).toEqual({});
  });

  it('add, change, delete: UPDATE / DELETE events to the hosts concerned only, applied by the agent cache, the hash the next sync agrees with', async () => {
    await agent('zk2.test');
    expect((await api('POST', '/api/v1/hosts/zk2.test/components', ZK)).status).toBe(201);
    const zkAgent = await agent('zk2.test');
    const plain = await agent('plain2.test');
    let agentCache = cache(await syncDefinitions(zkAgent));

    const created = await api('POST', DEFS, zkPort('zk_port_events'));
    expect(created.status).toBe(201);
    const definition = created.body.definition as Json;
    const update = await nextMessage(zkAgent, ALERTS_TOPIC);
    expect(update).toEqual({ hash: expect.any(String), eventType: 'UPDATE', hostName: 'zk2.test', clusters: { '0': { alertDefinitions: [definition], hostName: 'zk2.test' } } });
    agentCache = applyMessage('alert_definitions', agentCache, update).next;
    expect(await syncDefinitions(zkAgent, update.hash as string)).toEqual({});
    expect(messagesOn(plain, ALERTS_TOPIC)).toEqual([]);

    const changed = await api('PATCH', `${DEFS}/${definition.definitionId}`, { interval: 5, enabled: false });
    expect(changed.status).toBe(200);
    expect(changed.body.definition).toMatchObject({ definitionId: definition.definitionId, interval: 5, enabled: false });
    expect(changed.body.definition.uuid).not.toBe(definition.uuid);
    const changeEvent = await nextMessage(zkAgent, ALERTS_TOPIC);
    expect(changeEvent).toMatchObject({ eventType: 'UPDATE', clusters: { '0': { alertDefinitions: [changed.body.definition] } } });
    agentCache = applyMessage('alert_definitions', agentCache, changeEvent).next;

    const removed = await api('DELETE', `${DEFS}/${definition.definitionId}`);
    expect(removed.status).toBe(200);
    const deleteEvent = await nextMessage(zkAgent, ALERTS_TOPIC);
    expect(deleteEvent).toMatchObject({ eventType: 'DELETE', hostName: 'zk2.test', clusters: { '0': { alertDefinitions: [{ definitionId: definition.definitionId }], hostName: 'zk2.test' } } });
    agentCache = applyMessage('alert_definitions', agentCache, deleteEvent).next;
    const full = await syncDefinitions(zkAgent);
    expect(full.hash).toBe(deleteEvent.hash);
    expect((agentCache.clusters['0'] as Json).alertDefinitions).toEqual(full.clusters['0'].alertDefinitions);
    expect(messagesOn(plain, ALERTS_TOPIC)).toEqual([]);
    expect((await api('GET', DEFS)).body.items.map((d: Json) => d.name)).not.toContain('zk_port_events');
  });

  it('a host that gains a component gets its definitions as an UPDATE', async () => {
    await api('POST', DEFS, { name: 'dn_process', serviceName: 'HDFS', componentName: 'DATANODE', interval: 1, source: { type: 'PORT', uri: '{{hdfs-site/dfs.datanode.address}}' } });
    const client = await agent('dn.test');
    const added = await api('POST', '/api/v1/hosts/dn.test/components', { service_name: 'HDFS', component_name: 'DATANODE', script: 'scripts/datanode.py' });
    expect(added.body.pushed[ALERTS_TOPIC]).toBe(1);
    const update = await nextMessage(client, ALERTS_TOPIC);
    expect(update).toMatchObject({ eventType: 'UPDATE', clusters: { '0': { alertDefinitions: [{ name: 'dn_process' }] } } });
  });
});

describe('alert reports', () => {
  it('alerts_status answers {"status":"OK"}; the latest per alert is kept with count and first/last timestamps; staleAlerts too; the state page has the tables', async () => {
    const client = await agent('reporter.test', []);
    const result = (state: string, timestamp: number, text: string) => ({ name: 'disk', clusterId: '0', definitionId: 7, timestamp, state, text });
    expect((await client.request('/reports/alerts_status', [result('OK', 1000, 'fine')])).body).toEqual({ status: 'OK' });
    await client.request('/reports/alerts_status', [result('OK', 2000, 'still fine')]);
    expect((await client.request('/heartbeat', { id: 0, staleAlerts: [{ id: 8, timestamp: 500 }, { id: 7, timestamp: 400 }] })).body).toMatchObject({ status: 'OK' });
    let seen = (await api('GET', '/api/v1/hosts/reporter.test/alerts')).body;
    expect(seen.alerts).toEqual([
      expect.objectContaining({ cluster_id: '0', name: 'disk', definition_id: 7, state: 'OK', text: 'still fine', count: 2, first_timestamp: 1000, last_timestamp: 2000 }),
    ]);
    expect(seen.stale_alerts).toEqual([{ id: 8, timestamp: 500 }, { id: 7, timestamp: 400 }]);

    // A new state starts a new run; a result for definition 7 clears its stale entry.
    await client.request('/reports/alerts_status', [result('CRITICAL', 3000, 'full')]);
    seen = (await api('GET', '/api/v1/hosts/reporter.test/alerts')).body;
    expect(seen.alerts[0]).toMatchObject({ state: 'CRITICAL', count: 1, first_timestamp: 3000, last_timestamp: 3000 });
    expect(seen.stale_alerts).toEqual([{ id: 8, timestamp: 500 }]);

    const tables = server.stateSource.view().tables ?? [];
    expect(tables.find((t) => t.title === 'alerts on reporter.test')).toEqual({
      title: 'alerts on reporter.test',
      columns: ['name', 'state', 'text', 'timestamp', 'count'],
      rows: [['disk', 'CRITICAL', 'full', new Date(3000).toISOString(), 1]],
    });
    expect(tables.find((t) => t.title === 'stale alerts on reporter.test')?.rows).toEqual([[8, '', new Date(500).toISOString()]]);

    // Strict: a body Jackson cannot read as Alert[] (an unknown AlertState) is refused, nothing kept.
    const refused = await client.request('/reports/alerts_status', [result('BROKEN', 4000, 'x')]);
    expect(refused.body).toHaveProperty('payload'); // Spring's ErrorMessage (serverErrors.ts)
    expect((await api('GET', '/api/v1/hosts/reporter.test/alerts')).body.alerts[0]).toMatchObject({ state: 'CRITICAL' });
  });
});

describe('recovery configuration', () => {
  it('PUT sets cluster-env (pushed on /user/configs) and each host recoveryConfig.components (pushed on /user/host_level_params)', async () => {
    await agent('rec.test', []);
    await api('POST', '/api/v1/hosts/rec.test/components', { service_name: 'HBASE', component_name: 'HBASE_MASTER', script: 'scripts/master.py', desired_state: 'INSTALLED' });
    const client = await agent('rec.test', [HLP_TOPIC, CONFIGS_TOPIC]);
    expect((await api('PUT', '/api/v1/clusters/dev/recovery', { recovery_enabled: 'yes please', recovery_max_count: -1.5 })).body.error).toMatch(/"recovery_max_count" must be a whole number/);
    expect((await api('PUT', '/api/v1/clusters/dev/recovery', { components: 'HBASE_MASTER' })).status).toBe(400);

    const set = await api('PUT', '/api/v1/clusters/dev/recovery', { recovery_enabled: true, recovery_type: 'AUTO_START', recovery_max_count: 6, recovery_window_in_minutes: 60, recovery_retry_interval: 5, recovery_lifetime_max_count: 1024, components: ['HBASE_MASTER'] });
    expect(set.status).toBe(200);
    const configs = await nextMessage(client, CONFIGS_TOPIC);
    expect(configs.clusters['0'].configurations['cluster-env']).toEqual({
      recovery_enabled: 'true', recovery_type: 'AUTO_START', recovery_max_count: '6', recovery_window_in_minutes: '60', recovery_retry_interval: '5', recovery_lifetime_max_count: '1024',
    });
    expect(configs).toEqual({ hash: expect.any(String), timestamp: expect.any(Number), clusters: expect.any(Object) });
    const hlp = await nextMessage(client, HLP_TOPIC);
    expect(hlp).toEqual({ hash: expect.any(String), clusters: { '0': { recoveryConfig: { components: [{ component_name: 'HBASE_MASTER', service_name: 'HBASE', desired_state: 'INSTALLED' }] } } } });
    expect((await client.request('/agents/host_level_params', { hash: hlp.hash })).body).toEqual({});

    // The component's desired state changes: the host's list is pushed again.
    expect((await api('POST', '/api/v1/hosts/rec.test/components', { ...{ service_name: 'HBASE', component_name: 'HBASE_MASTER', script: 'scripts/master.py' }, desired_state: 'STARTED' })).status).toBe(200);
    expect((await nextMessage(client, HLP_TOPIC)).clusters['0'].recoveryConfig.components[0].desired_state).toBe('STARTED');
    expect((await api('GET', '/api/v1/clusters/dev/recovery')).body.hosts['rec.test']).toEqual([{ component_name: 'HBASE_MASTER', service_name: 'HBASE', desired_state: 'STARTED' }]);

    // null removes a key; the same settings again push nothing.
    await api('PUT', '/api/v1/clusters/dev/recovery', { recovery_type: null });
    expect((await nextMessage(client, CONFIGS_TOPIC)).clusters['0'].configurations['cluster-env']).not.toHaveProperty('recovery_type');
    expect((await api('PUT', '/api/v1/clusters/dev/recovery', { components: ['HBASE_MASTER'] })).body.pushed).toEqual({});
  });
});

describe('persistence', () => {
  it('a server restarted on the same data dir has the definitions (same ids and uuids) and the recovery settings', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aa-devserver-alerts-restart-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const first = await startLoopbackDevServer(dir);
    const created = (await api('POST', DEFS, agentScoped('restart_disk'), undefined, first)).body.definition;
    await api('PUT', '/api/v1/clusters/dev/recovery', { recovery_enabled: false, components: ['X'] }, undefined, first);
    await first.close();
    const second = await startLoopbackDevServer(dir);
    onTestFinished(() => second.close());
    expect((await api('GET', DEFS, undefined, undefined, second)).body.items).toEqual([created]);
    expect((await api('GET', '/api/v1/clusters/dev/recovery', undefined, undefined, second)).body).toMatchObject({ cluster_env: { recovery_enabled: 'false' }, components: ['X'] });
    const client = await agent('restart.test', [], second);
    expect((await syncDefinitions(client)).clusters['0'].alertDefinitions).toEqual([created]);
  });
});
