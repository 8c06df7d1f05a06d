// Components on hosts (POST /api/v1/hosts/NAME/components): validation, the topology and
// metadata sync answers (fixture shapes, hashes), the events pushed to the agents subscribed to
// /events/topologies and /events/metadata (and applied by the agent's own cache code); and the
// agents' /reports/component_version shown per host. In-process server, 127.0.0.1, free ports.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyMessage, type CacheSnapshot } from '../../../src/caches/handlers.js';
import type { DevServer } from '../../../src/server/devServer.js';
import { fixture } from '../../support/fixtures.js';
import { startLoopbackDevServer } from '../../support/inProcessDevServer.js';
import { messagesOn, registeredClient, roundTrip } from '../../support/registeredClients.js';
import { closeAllClients, TestStompClient } from '../../support/stompTestClient.js';

type Json = Record<string, any>;

const TOPOLOGY = '/events/topologies';
const METADATA = '/events/metadata';

let dataDir: string;
let server: DevServer;
const logs: string[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'aa-devserver-components-'));
  server = await startLoopbackDevServer(dataDir, { log: (level, msg) => logs.push(`${level} ${msg}`) });
});

afterAll(async () => {
  await closeAllClients();
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function api(path: string, body?: unknown, rawBody?: string): Promise<{ status: number; body: Json }> {
  const text = rawBody ?? (body === undefined ? undefined : JSON.stringify(body));
  const response = await fetch(`http://127.0.0.1:${server.apiPort}${path}`, {
    method: text === undefined ? 'GET' : 'POST',
    headers: text === undefined ? {} : { 'content-type': 'application/json' },
    body: text,
    signal: AbortSignal.timeout(5_000),
  });
  return { status: response.status, body: JSON.parse(await response.text()) as Json };
}

/** A registered agent connection (closed when the test finishes), subscribed to `topics`. */
const agent = (hostName: string, topics: string[] = []): Promise<TestStompClient> => registeredClient(server.securedUrlPort, hostName, topics);

async function sync(client: TestStompClient, destination: '/agents/topologies' | '/agents/metadata'): Promise<Json> {
  return (await client.request(destination, { hash: null })).body as Json;
}

const hostOf = (topology: Json, hostName: string): Json => (topology.clusters['0'].hosts as Json[]).find((h) => h.hostName === hostName)!;
const hostIdOf = (topology: Json, hostName: string): number => hostOf(topology, hostName).hostId as number;

const ZK = { service_name: 'ZOOKEEPER', component_name: 'ZOOKEEPER_SERVER', script: 'scripts/zookeeper_server.py' };

describe('POST /api/v1/hosts/NAME/components: validation', () => {
  it.each([
    ['a list', [], /expected a JSON object/],
    ['an unknown field', { ...ZK, hosts: ['x'] }, /unknown field\(s\) "hosts"/],
    ['no service_name', { component_name: 'C', script: 's.py' }, /"service_name" is required/],
    ['an empty component_name', { ...ZK, component_name: '  ' }, /"component_name" must be a non-empty string/],
    ['a numeric script', { ...ZK, script: 5 }, /"script" must be a non-empty string/],
    ['a path as the service name', { ...ZK, service_name: '../etc' }, /"service_name" must be letters, digits/],
    ['an unknown script_type', { ...ZK, script_type: 'PERL' }, /"script_type" must be "PYTHON" or "SHELL", not "PERL"/],
    ['a numeric version', { ...ZK, version: 1 }, /"version" must be a non-empty string, not 1/],
  ])('%s is a 400 saying what is wrong', async (_what, body, message) => {
    await agent('valid.test');
    const answer = await api('/api/v1/hosts/valid.test/components', body);
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatch(message);
  });

  it('an unknown host is a 404, a body that is not JSON a 400, GET a 405; nothing was added', async () => {
    expect(await api('/api/v1/hosts/nowhere.test/components', ZK)).toEqual({ status: 404, body: { error: 'no host nowhere.test' } });
    expect((await api('/api/v1/hosts/valid.test/components', undefined, '{"service_name":')).status).toBe(400);
    expect((await api('/api/v1/hosts/valid.test/components')).status).toBe(405);
    expect(server.cluster.components.list()).toEqual([]);
  });
});

describe('components in the topology and the metadata', () => {
  it('metadata carries status_commands_to_run (the fixture key), and no services before any component', async () => {
    const client = await agent('meta.test');
    const metadata = await sync(client, '/agents/metadata');
    const cluster = metadata.clusters['0'] as Json;
    expect(cluster.status_commands_to_run).toEqual(['STATUS']);
    expect(cluster).not.toHaveProperty('statusCommandsToRun');
    // MetadataCluster is NON_EMPTY: no services, no serviceLevelParams.
    expect(cluster).not.toHaveProperty('serviceLevelParams');
    expect((await sync(client, '/agents/topologies')).clusters['0'].components).toEqual([]);
  });

  it('adding one: 201, in the sync answers, pushed to subscribed agents as fixture-shaped events that their caches apply', async () => {
    const watcher = await agent('watcher.test', [TOPOLOGY, METADATA]);
    const deaf = await agent('deaf.test'); // registered, subscribed to neither topic
    const topologyBefore = await sync(watcher, '/agents/topologies');
    const metadataBefore = await sync(watcher, '/agents/metadata');

    const created = await api('/api/v1/hosts/WATCHER.test/components', { ...ZK, version: '3.4.6' });
    expect(created.status).toBe(201);
    const topologyAfter = await sync(watcher, '/agents/topologies');
    const watcherId = hostIdOf(topologyAfter, 'watcher.test');
    const expected = {
      componentName: 'ZOOKEEPER_SERVER',
      serviceName: 'ZOOKEEPER',
      displayName: 'ZOOKEEPER_SERVER',
      version: '3.4.6',
      hostIds: [watcherId],
      hostNames: ['watcher.test'],
      publicHostNames: ['watcher.test'],
      // AmbariManagementControllerImpl.getTopologyComponentLevelParams: always these two keys.
      componentLevelParams: { clientsToUpdateConfigs: '["*"]', unlimited_key_jce_required: 'false' },
      // AmbariManagementControllerImpl.getTopologyCommandParams.
      commandParams: { service_package_folder: 'stacks/DEV/1.0/services/ZOOKEEPER/package', script: 'scripts/zookeeper_server.py', script_type: 'PYTHON', command_timeout: '600', version: '3.4.6' },
    };
    expect(created.body).toEqual({ host_name: 'watcher.test', component: expected, host_names: ['watcher.test'], pushed: { [TOPOLOGY]: 1, [METADATA]: 1 } });

    // The sync answers: the component in the topology (keys of fixtures/topology_create.json),
    // the service in serviceLevelParams (keys of metadata_after_registration.json), new hashes.
    expect(topologyAfter.hash).not.toBe(topologyBefore.hash);
    expect(topologyAfter.clusters['0'].components).toEqual([expected]);
    const reference = fixture<Json>('topology_create.json').clusters['0'].components[0] as Json;
    // TopologyComponent (stomp/dto/TopologyComponent.java) has the fixture's keys and more;
    // an empty componentLevelParams is left out (NON_EMPTY).
    expect(Object.keys(expected)).toEqual(expect.arrayContaining(Object.keys(reference).filter((key) => key !== 'componentLevelParams')));
    // getTopologyCommandParams also writes service_package_folder and version, which the older fixture lacks.
    expect(Object.keys(expected.commandParams).sort()).toEqual([...Object.keys(reference.commandParams), 'service_package_folder', 'version'].sort());
    const metadataAfter = await sync(watcher, '/agents/metadata');
    expect(metadataAfter.hash).not.toBe(metadataBefore.hash);
    const zookeeper = metadataAfter.clusters['0'].serviceLevelParams.ZOOKEEPER as Json;
    expect(zookeeper).toEqual({ service_package_folder: 'stacks/DEV/1.0/services/ZOOKEEPER/package', version: '1.0', status_commands_timeout: 300, credentialStoreEnabled: false });
    const referenceService = fixture<Json>('metadata_after_registration.json').clusters['0'].serviceLevelParams.ZOOKEEPER as Json;
    expect(Object.keys(zookeeper).sort()).toEqual(Object.keys(referenceService).sort());

    // The events: fixtures/topology_add_component.json's shape with the new hash; the metadata
    // as its sync answer. Only the subscribed connection got them.
    const [topologyEvent, ...moreTopology] = messagesOn(watcher, TOPOLOGY);
    expect(moreTopology).toEqual([]);
    // watcher.test was registered only: its first component made it a member (a dev-server
    // convenience), so the event adds its TopologyHost too.
    expect(topologyEvent).toEqual({ eventType: 'UPDATE', hash: topologyAfter.hash, clusters: { '0': { components: [expected], hosts: [hostOf(topologyAfter, 'watcher.test')] } } });
    expect(Object.keys(topologyEvent!).sort()).toEqual(Object.keys(fixture<Json>('topology_add_component.json')).sort());
    // MetadataHolder.onServiceCreate: an UPDATE event with the new hash.
    expect(messagesOn(watcher, METADATA)).toEqual([{ ...metadataAfter, eventType: 'UPDATE' }]);
    await roundTrip(deaf);
    expect(deaf.frames.filter((f) => f.headers.destination === TOPOLOGY || f.headers.destination === METADATA)).toEqual([]);

    // An agent whose caches were current applies the events and ends up with the server's content.
    const cache = (message: Json): CacheSnapshot => ({ hash: message.hash as string, clusters: message.clusters as CacheSnapshot['clusters'] });
    const topologyCache = applyMessage('topologies', cache(topologyBefore), topologyEvent).next;
    expect(topologyCache).toEqual(cache(topologyAfter));
    expect(applyMessage('metadata', cache(metadataBefore), messagesOn(watcher, METADATA)[0]).next).toEqual(cache(metadataAfter));
  });

  it('the same component on a second host adds its hostId (topology event only); again is a 200 that changes nothing; another definition a 409', async () => {
    const first = await agent('first.test', [TOPOLOGY, METADATA]);
    await agent('second.test');
    const kafka = { service_name: 'KAFKA', component_name: 'KAFKA_BROKER', script: '/opt/kafka/broker.sh', script_type: 'SHELL' };
    expect((await api('/api/v1/hosts/first.test/components', kafka)).status).toBe(201);
    const metadata = await sync(first, '/agents/metadata');

    const added = await api('/api/v1/hosts/second.test/components', { ...kafka, script_type: undefined }); // left out: the component's own
    expect(added.status).toBe(201);
    const topology = await sync(first, '/agents/topologies');
    const ids = [hostIdOf(topology, 'first.test'), hostIdOf(topology, 'second.test')].sort((a, b) => a - b);
    expect(added.body).toMatchObject({ host_names: ['first.test', 'second.test'], component: { hostIds: ids, version: '1.0', commandParams: { script_type: 'SHELL' } } });
    expect(added.body.pushed).toEqual({ [TOPOLOGY]: 1 }); // no new service: the metadata did not change
    expect((await sync(first, '/agents/metadata')).hash).toBe(metadata.hash);
    const events = messagesOn(first, TOPOLOGY);
    expect(events).toHaveLength(2);
    expect(events[1]).toEqual({ eventType: 'UPDATE', hash: topology.hash, clusters: { '0': { components: [added.body.component], hosts: [hostOf(topology, 'second.test')] } } });
    expect(messagesOn(first, METADATA)).toHaveLength(1);

    const again = await api('/api/v1/hosts/second.test/components', kafka);
    expect(again.status).toBe(200);
    expect(again.body.pushed).toEqual({});
    expect((await sync(first, '/agents/topologies')).hash).toBe(topology.hash);

    const conflict = await api('/api/v1/hosts/second.test/components', { ...kafka, script: 'other.sh' });
    expect(conflict.status).toBe(409);
    expect(conflict.body.error).toMatch(/KAFKA\/KAFKA_BROKER already exists with script "\/opt\/kafka\/broker.sh"/);
    await roundTrip(first);
    expect(messagesOn(first, TOPOLOGY)).toHaveLength(2);
  });

  it('the components added above are saved in components.json', () => {
    const saved = JSON.parse(readFileSync(join(dataDir, 'components.json'), 'utf8')) as Json;
    expect(saved.components.map((c: Json) => [c.component_name, c.hosts])).toEqual(
      expect.arrayContaining([
        ['ZOOKEEPER_SERVER', ['watcher.test']],
        ['KAFKA_BROKER', ['first.test', 'second.test']],
      ]),
    );
  });
});

describe('/reports/component_version', () => {
  const report = (client: TestStompClient, clusters: unknown) => client.request('/reports/component_version', { clusters });

  it('is kept per host, latest per cluster and component, shown as component_versions', async () => {
    const client = await agent('versions.test');
    await agent('other.test');
    expect((await api('/api/v1/hosts/versions.test')).body.component_versions).toEqual([]);

    expect(
      (await report(client, { '0': [
        { serviceName: 'ZOOKEEPER', componentName: 'ZOOKEEPER_SERVER', version: '3.4.6' },
        { serviceName: 'HDFS', componentName: 'DATANODE', version: '2.7.3' },
      ] })).body,
    ).toEqual({ status: 'OK' });
    await report(client, { '0': [{ serviceName: 'ZOOKEEPER', componentName: 'ZOOKEEPER_SERVER', version: '3.5.0' }] });

    const host = (await api('/api/v1/hosts/versions.test')).body;
    expect(host.component_versions).toEqual([
      { serviceName: 'HDFS', componentName: 'DATANODE', version: '2.7.3', clusterId: '0', reported_at: expect.any(Number) },
      { serviceName: 'ZOOKEEPER', componentName: 'ZOOKEEPER_SERVER', version: '3.5.0', clusterId: '0', reported_at: expect.any(Number) },
    ]);
    expect(host).toHaveProperty('component_status'); // still there beside it
    expect((await api('/api/v1/hosts/other.test')).body.component_versions).toEqual([]);

    // Kept over a re-registration.
    await client.close();
    await agent('versions.test');
    expect((await api('/api/v1/hosts/versions.test')).body.component_versions).toHaveLength(2);
  });

  it('malformed entries are warnings and ignored; good ones beside them are kept; the connection stays', async () => {
    const client = await agent('bad-versions.test');
    logs.length = 0;
    const good = { serviceName: 'HDFS', componentName: 'NAMENODE', version: '2.7.3' };
    // Jackson reads a missing version as null and a number as its text: answered OK, the
    // dev server ignores the entry without a version.
    expect((await report(client, { '0': [good, { serviceName: 'HDFS', componentName: 'DATANODE' }, { componentName: 7, version: '1', serviceName: 'S' }] })).body).toEqual({ status: 'OK' });
    // ComponentVersionReports cannot hold a String entry or a String cluster: the whole frame is refused.
    const refused = (await report(client, { '0': [{ serviceName: 'HDFS', componentName: 'JOURNALNODE', version: '1' }, 'text'], '1': 'nope' })).body;
    expect((refused.payload as { message: string }).message).toMatch(/^Could not read JSON: Cannot construct instance|^Could not read JSON: Cannot deserialize value of type `org\.apache\.ambari\.server\.agent\.stomp\.dto\.ComponentVersionReport` from String value/);
    expect((await client.request('/reports/component_version', { versions: [] })).body).toEqual({ status: 'OK' });
    expect((await api('/api/v1/hosts/bad-versions.test')).body.component_versions).toEqual([
      { ...good, clusterId: '0', reported_at: expect.any(Number) },
      { componentName: 7, version: '1', serviceName: 'S', clusterId: '0', reported_at: expect.any(Number) },
    ].filter((entry) => typeof entry.componentName === 'string'));
    const warnings = logs.filter((line) => line.startsWith('warn component_version from bad-versions.test'));
    expect(warnings.join('\n')).toMatch(/without a version string/);
    expect(warnings.join('\n')).toMatch(/no "clusters" object/);
    expect(logs.join('\n')).toMatch(/\/reports\/component_version from .*: unknown property versions/);
    expect(client.isOpen).toBe(true);
  });
});
