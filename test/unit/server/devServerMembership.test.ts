// Cluster membership as the Java server keeps it: a host gets a stable id when it first
// registers, registering does not make it a member, POST /api/v1/clusters/dev/hosts adds a batch
// with one topology UPDATE (TopologyUpdateEvent with a TopologyCluster of the TopologyHosts) and
// a host level params event per added host, DELETE sends a topology DELETE; ids and membership
// survive a restart (hosts.json). In-process server, 127.0.0.1, free ports.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { applyMessage, type CacheSnapshot } from '../../../src/caches/handlers.js';
import type { DevServer } from '../../../src/server/devServer.js';
import { startLoopbackDevServer } from '../../support/inProcessDevServer.js';
import { messagesOn, registeredClient, roundTrip } from '../../support/registeredClients.js';
import { closeAllClients, TestStompClient } from '../../support/stompTestClient.js';

type Json = Record<string, any>;

const TOPOLOGY = '/events/topologies';
const HOST_LEVEL_PARAMS = '/user/host_level_params';

let dataDir: string;
let server: DevServer;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'aa-devserver-members-'));
  server = await startLoopbackDevServer(dataDir);
});

afterAll(async () => {
  await closeAllClients();
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function api(path: string, init: { method?: string; body?: unknown } = {}, on: DevServer = server): Promise<{ status: number; body: Json }> {
  const text = init.body === undefined ? undefined : JSON.stringify(init.body);
  const response = await fetch(`http://127.0.0.1:${on.apiPort}${path}`, {
    method: init.method ?? (text === undefined ? 'GET' : 'POST'),
    headers: text === undefined ? {} : { 'content-type': 'application/json' },
    body: text,
    signal: AbortSignal.timeout(5_000),
  });
  return { status: response.status, body: JSON.parse(await response.text()) as Json };
}

const hostsBody = (...names: string[]) => names.map((host_name) => ({ Hosts: { host_name } }));

/** A registered agent (closed when the test finishes), subscribed to `topics`. */
const agent = (hostName: string, topics: string[] = [], on: DevServer = server, ipaddress = '10.1.0.1'): Promise<TestStompClient> =>
  registeredClient(on.securedUrlPort, hostName, topics, { hardwareProfile: { ipaddress } });

async function topology(client: TestStompClient): Promise<Json> {
  return (await client.request('/agents/topologies', { hash: null })).body as Json;
}

const cache = (message: Json): CacheSnapshot => ({ hash: message.hash as string, clusters: message.clusters as CacheSnapshot['clusters'] });

describe('cluster membership', () => {
  it('a batch joins with ONE topology UPDATE to every agent (TopologyHosts with their ids) and a host level params event per added host', async () => {
    const watchers = [await agent('watch-a.test', [TOPOLOGY]), await agent('watch-b.test', [TOPOLOGY])];
    const joining = await Promise.all(['join-1.test', 'join-2.test', 'join-3.test'].map((name, i) => agent(name, [HOST_LEVEL_PARAMS], server, `10.1.1.${i + 1}`)));
    const before = await topology(watchers[0]!);
    expect((before.clusters['0'].hosts ?? []).map((h: Json) => h.hostName)).not.toContain('join-1.test');

    const added = await api('/api/v1/clusters/dev/hosts', { body: hostsBody('join-1.test', 'JOIN-2.test', 'join-3.test') });
    expect(added.status).toBe(201);
    expect(added.body).toEqual({ added: ['join-1.test', 'join-2.test', 'join-3.test'], pushed: { [TOPOLOGY]: 2, [HOST_LEVEL_PARAMS]: 3 } });

    const after = await topology(watchers[0]!);
    const members = (await api('/api/v1/clusters/dev/hosts')).body.items as Json[];
    const idOf = (name: string) => members.find((m) => m.host_name === name)!.host_id as number;
    const expectedHosts = ['join-1.test', 'join-2.test', 'join-3.test'].map((hostName, i) => ({ hostId: idOf(hostName), hostName, rackName: '/default-rack', ipv4: `10.1.1.${i + 1}` }));
    for (const watcher of watchers) {
      await roundTrip(watcher);
      const events = messagesOn(watcher, TOPOLOGY);
      expect(events).toEqual([{ eventType: 'UPDATE', hash: after.hash, clusters: { '0': { hosts: expectedHosts } } }]);
      // The agent's own cache code applies it to what the sync gave: the same as the new sync answer.
      expect(applyMessage('topologies', cache(before), events[0]).next).toEqual(cache(after));
    }
    expect(after.clusters['0'].hosts).toEqual(expect.arrayContaining(expectedHosts));
    // HostLevelParamsUpdateEvent to each added host, with the hash its next sync agrees with.
    for (const client of joining) {
      const [event, ...more] = messagesOn(client, HOST_LEVEL_PARAMS);
      expect(more).toEqual([]);
      expect(event).toMatchObject({ clusters: { '0': { recoveryConfig: { components: [] } } } });
      expect((await client.request('/agents/host_level_params', { hash: event!.hash })).body).toEqual({});
    }
    // Already members: a 200 that pushes nothing.
    expect(await api('/api/v1/clusters/dev/hosts/join-1.test', { method: 'POST', body: {} })).toEqual({ status: 200, body: { added: [], pushed: {} } });
  });

  it('ids are given at first registration and stay: re-registering or joining later changes none', async () => {
    const first = await agent('stable-1.test');
    await agent('stable-2.test');
    const id1 = server.cluster.members.get('stable-1.test')!.host_id;
    const id2 = server.cluster.members.get('stable-2.test')!.host_id;
    expect(id2).toBeGreaterThan(id1);
    expect((await api('/api/v1/clusters/dev/hosts', { body: hostsBody('stable-2.test') })).status).toBe(201);
    const topologyBefore = await topology(first);

    await first.close();
    const again = await agent('stable-1.test', [], server, '10.1.0.1');
    await agent('stable-0.test'); // a new host sorting first gets a new id, moving nobody
    expect(server.cluster.members.get('stable-1.test')!.host_id).toBe(id1);
    expect(server.cluster.members.get('stable-0.test')!.host_id).toBeGreaterThan(id2);
    // Registrations of non-members leave the topology as it was.
    expect((await again.request('/agents/topologies', { hash: topologyBefore.hash })).body).toEqual({});

    expect((await api('/api/v1/clusters/dev/hosts/stable-1.test', { method: 'POST', body: {} })).status).toBe(201);
    const members = (await api('/api/v1/clusters/dev/hosts')).body.items as Json[];
    expect(members.filter((m) => m.host_name.startsWith('stable-'))).toEqual([
      { host_name: 'stable-1.test', host_id: id1, ipv4: '10.1.0.1', state: 'registered', connected: true },
      { host_name: 'stable-2.test', host_id: id2, ipv4: '10.1.0.1', state: 'registered', connected: true },
    ]);
    expect((await api('/api/v1/clusters/dev/hosts/stable-2.test')).body).toMatchObject({ host_name: 'stable-2.test', host_id: id2 });
  });

  it('refuses hosts that never registered (all or nothing), bodies without Hosts/host_name and other clusters', async () => {
    await agent('known.test');
    const unknown = await api('/api/v1/clusters/dev/hosts', { body: hostsBody('known.test', 'never.test') });
    expect(unknown).toEqual({ status: 404, body: { error: 'these hosts have not registered with the server: never.test' } });
    expect(server.cluster.members.isMember('known.test')).toBe(false);
    expect((await api('/api/v1/clusters/dev/hosts', { body: [{ host_name: 'known.test' }] })).body.error).toMatch(/entry 0 has no Hosts\/host_name string/);
    expect((await api('/api/v1/clusters/dev/hosts', { body: [] })).status).toBe(400);
    expect((await api('/api/v1/clusters/prod/hosts', { body: hostsBody('known.test') })).status).toBe(404);
    expect((await api('/api/v1/clusters/dev/hosts/never.test', { method: 'DELETE' })).status).toBe(404);
    expect(server.cluster.members.isMember('known.test')).toBe(false);
  });

  it('DELETE: a topology DELETE with its id and name to every agent; the host keeps its id; one with components is a 409', async () => {
    const watcher = await agent('del-watch.test', [TOPOLOGY]);
    await agent('leaving.test');
    expect((await api('/api/v1/clusters/dev/hosts', { body: hostsBody('leaving.test') })).status).toBe(201);
    const id = server.cluster.members.get('leaving.test')!.host_id;
    const before = await topology(watcher);

    const removed = await api('/api/v1/clusters/dev/hosts/leaving.test', { method: 'DELETE' });
    expect(removed).toEqual({ status: 200, body: { host_name: 'leaving.test', host_id: id, pushed: { [TOPOLOGY]: 1 } } });
    await roundTrip(watcher);
    const after = await topology(watcher);
    const event = messagesOn(watcher, TOPOLOGY).at(-1)!;
    expect(event).toEqual({ eventType: 'DELETE', hash: after.hash, clusters: { '0': { hosts: [{ hostId: id, hostName: 'leaving.test' }] } } });
    expect(applyMessage('topologies', cache(before), event).next).toEqual(cache(after));
    expect((after.clusters['0'].hosts as Json[]).map((h) => h.hostName)).not.toContain('leaving.test');
    expect((await api('/api/v1/clusters/dev/hosts/leaving.test')).status).toBe(404);
    expect((await api('/api/v1/clusters/dev/hosts/leaving.test', { method: 'DELETE' })).status).toBe(404);
    // Back again: the same id.
    expect((await api('/api/v1/clusters/dev/hosts/leaving.test', { method: 'POST', body: {} })).status).toBe(201);
    expect(server.cluster.members.get('leaving.test')!.host_id).toBe(id);

    // Placing a component on a registered non-member makes it one (a dev-server convenience).
    await agent('placed.test');
    expect((await api('/api/v1/hosts/placed.test/components', { body: { service_name: 'S', component_name: 'C', script: 'c.py' } })).status).toBe(201);
    expect(server.cluster.members.isMember('placed.test')).toBe(true);
    const conflict = await api('/api/v1/clusters/dev/hosts/placed.test', { method: 'DELETE' });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error).toMatch(/placed\.test has components \(C\)/);
  });

  it('a large topology (200 members, over the 16 KB from which answers go out in fragments) arrives as one frame, the same for every agent', async () => {
    const names = Array.from({ length: 200 }, (_, i) => `big-${String(i).padStart(3, '0')}.example.test`);
    for (let i = 0; i < names.length; i += 25) await Promise.all(names.slice(i, i + 25).map(async (name) => (await agent(name)).close()));
    expect((await api('/api/v1/clusters/dev/hosts', { body: hostsBody(...names) })).status).toBe(201);
    const [one, two] = [await agent('big-reader-1.test'), await agent('big-reader-2.test')];
    const first = await one.request('/agents/topologies', { hash: null });
    expect(Buffer.byteLength(first.frame.body)).toBeGreaterThan(16 * 1024);
    expect(first.frame.headers['content-length']).toBe(String(Buffer.byteLength(first.frame.body)));
    const hosts = (first.body.clusters as Json)['0'].hosts as Json[];
    expect(hosts.map((h) => h.hostName)).toEqual(expect.arrayContaining(names));
    // Sent twice from the cache: the same bytes; and what is answered after a large message
    // (it leaves fragment by fragment) comes after it.
    const [again, beat] = await Promise.all([two.request('/agents/topologies', { hash: null }), two.request('/heartbeat', { id: 0 })]);
    expect(again.frame.body).toBe(first.frame.body);
    expect(beat.body).toEqual({ status: 'OK', id: 1 });
    expect(two.frames.indexOf(again.frame)).toBeLessThan(two.frames.indexOf(beat.frame));
  });

  it('ids and membership survive a restart on the same data dir (hosts.json); new hosts get new ids', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aa-devserver-members-restart-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    let first: DevServer | undefined = await startLoopbackDevServer(dir);
    let ids: Json[];
    try {
      const a = await agent('keep-a.test', [], first, '10.2.0.1');
      await agent('keep-b.test', [], first, '10.2.0.2');
      await agent('keep-c.test', [], first, '10.2.0.3'); // registered, never a member
      expect((await api('/api/v1/clusters/dev/hosts', { body: hostsBody('keep-a.test', 'keep-b.test') }, first)).status).toBe(201);
      ids = (await api('/api/v1/clusters/dev/hosts', {}, first)).body.items as Json[];
      await a.close();
    } finally {
      await closeAllClients();
      await first.close();
      first = undefined;
    }
    const second = await startLoopbackDevServer(dir);
    try {
      // Before any agent is back: the same members, ids and addresses, not connected.
      const members = (await api('/api/v1/clusters/dev/hosts', {}, second)).body.items as Json[];
      expect(members.map((m) => [m.host_name, m.host_id, m.ipv4, m.connected])).toEqual(ids.map((m) => [m.host_name, m.host_id, m.ipv4, false]));
      const c = await agent('keep-c.test', [], second, '10.2.0.3');
      const d = await agent('keep-d.test', [], second);
      expect(second.cluster.members.get('keep-c.test')!.host_id).toBe(ids[1]!.host_id + 1);
      expect(second.cluster.members.get('keep-d.test')!.host_id).toBe(ids[1]!.host_id + 2);
      const hosts = (await topology(c)).clusters['0'].hosts as Json[];
      expect(hosts.map((h) => [h.hostName, h.hostId])).toEqual(ids.map((m) => [m.host_name, m.host_id]));
      await d.close();
    } finally {
      await closeAllClients();
      await second.close();
    }
  });
});
