import { ALERT_EVENTS, TOPOLOGY_EVENTS, fixture } from '../../support/fixtures.js';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../../support/tempDirs.mjs';
import {
  AgentCaches,
  CACHE_NAMES,
  CacheMessageError,
  SYNC_ORDER,
  cacheForRequest,
  cacheForTopic,
  type CacheName,
} from '../../../src/caches/index.js';

afterAll(removeTempDirs);


/** TestAgentStompResponses.test_alert_definitions_update_and_delete: small as the sync answer, then these. */

/** Caches filled from every sync fixture plus the event sequences. */
function filledCaches(cacheDir: string): AgentCaches {
  const caches = new AgentCaches(cacheDir);
  caches.apply('topologies', fixture('topology_create.json'));
  for (const event of TOPOLOGY_EVENTS) caches.apply('topologies', fixture(event));
  caches.apply('metadata', fixture('metadata_after_registration.json'));
  caches.apply('metadata', fixture('metadata_update.json'));
  caches.apply('configurations', fixture('configurations_update.json'));
  caches.apply('host_level_params', fixture('host_level_params.json'));
  caches.apply('alert_definitions', fixture('alert_definitions_small.json'));
  for (const event of ALERT_EVENTS) caches.apply('alert_definitions', fixture(event));
  return caches;
}

function tempFilesIn(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.includes('.tmp-'));
}

describe('sync order and topics', () => {
  it('lists the five sync requests in the reference order with their topics', () => {
    expect(SYNC_ORDER).toEqual([
      { cache: 'topologies', request: '/agents/topologies', topic: '/events/topologies' },
      { cache: 'metadata', request: '/agents/metadata', topic: '/events/metadata' },
      { cache: 'configurations', request: '/agents/configs', topic: '/user/configs' },
      { cache: 'host_level_params', request: '/agents/host_level_params', topic: '/user/host_level_params' },
      { cache: 'alert_definitions', request: '/agents/alert_definitions', topic: '/user/alert_definitions' },
    ]);
  });

  it('maps topics and request destinations to caches', () => {
    expect(cacheForTopic('/events/topologies')).toBe('topologies');
    expect(cacheForTopic('/events/metadata')).toBe('metadata');
    expect(cacheForTopic('/user/configs')).toBe('configurations');
    expect(cacheForTopic('/user/host_level_params')).toBe('host_level_params');
    expect(cacheForTopic('/user/alert_definitions')).toBe('alert_definitions');
    expect(cacheForTopic('/user/commands')).toBeUndefined();
    expect(cacheForTopic('/agents/topologies')).toBeUndefined();
    expect(cacheForRequest('/agents/configs')).toBe('configurations');
    expect(cacheForRequest('/events/metadata')).toBeUndefined();
  });

  it('starts empty with null hashes, so the first sync asks for everything', () => {
    const caches = new AgentCaches(tempDir());
    for (const name of CACHE_NAMES) {
      expect(caches.hash(name)).toBeNull();
      expect(caches.get(name)).toEqual({ hash: null, clusters: {} });
      expect(caches.syncRequestBody(name)).toEqual({ hash: null });
    }
    expect(caches.summary().topologies).toEqual({ hash: null, clusters: 0 });
  });
});

describe('topologies', () => {
  it('create, then add component/component host/host, delete host/component/component host/cluster equals topology_cache_expected.json', () => {
    const caches = new AgentCaches(tempDir());
    const created = caches.apply('topologies', fixture('topology_create.json'));
    expect(created).toMatchObject({ kind: 'replaced', hash: '1a49a0f19639c5c2528220bfc5ad0778', changed: true, warnings: [] });
    expect(Object.keys(caches.get('topologies').clusters).sort()).toEqual(['0', '1']);

    for (const event of TOPOLOGY_EVENTS) {
      const message = fixture(event);
      const outcome = caches.apply('topologies', message);
      expect(outcome.warnings, event).toEqual([]);
      expect(outcome.kind, event).toBe(message.eventType === 'UPDATE' ? 'updated' : 'deleted');
      expect(caches.hash('topologies'), event).toBe(message.hash);
    }

    // As the original test: the cache's dicts equal the expected file's (key order aside; list order counts).
    expect(caches.get('topologies').clusters).toEqual(fixture('topology_cache_expected.json'));
    expect(caches.hash('topologies')).toBe('686bca74a23019ce8865d759beeccb0a');
  });

  it('unions host ids of an existing component and keeps its other fields', () => {
    const caches = new AgentCaches(tempDir());
    caches.apply('topologies', fixture('topology_create.json'));
    caches.apply('topologies', fixture('topology_add_component_host.json'));
    const cluster = caches.get('topologies').clusters['0'] as { components: Array<Record<string, unknown>> };
    const client = cluster.components.find((component) => component.componentName === 'HDFS_CLIENT')!;
    expect(client.hostIds).toEqual([0, 1]);
    expect(client.commandParams).toEqual({ script: 'scripts/hdfs_client.py', script_type: 'PYTHON', command_timeout: '1200' });
  });

  it('merges an existing host by hostId and adds a cluster arriving with an UPDATE', () => {
    const caches = new AgentCaches(tempDir());
    caches.apply('topologies', fixture('topology_create.json'));
    caches.apply('topologies', {
      eventType: 'UPDATE',
      hash: 'h2',
      clusters: {
        '0': { hosts: [{ hostId: 1, rackName: '/rack-2' }] },
        '7': { hosts: [{ hostId: 5, hostName: 'new.example.com' }], components: [] },
      },
    });
    const clusters = caches.get('topologies').clusters as Record<string, { hosts: Array<Record<string, unknown>> }>;
    expect(clusters['0']!.hosts[1]).toEqual({ hostId: 1, hostName: 'c6402.ambari.apache.org', rackName: '/rack-2', ipv4: '192.168.64.102' });
    expect(clusters['7']).toEqual({ hosts: [{ hostId: 5, hostName: 'new.example.com' }], components: [] });
    expect(caches.hash('topologies')).toBe('h2');
  });

  it('reports deletes of things it does not know as warnings and still takes the hash', () => {
    const caches = new AgentCaches(tempDir());
    caches.apply('topologies', fixture('topology_create.json'));
    const before = caches.get('topologies').clusters;
    const outcome = caches.apply('topologies', {
      eventType: 'DELETE',
      hash: 'h3',
      clusters: {
        '0': { hosts: [{ hostId: 42 }], components: [{ serviceName: 'HDFS', componentName: 'NOPE', hostIds: [0] }] },
        '9': {},
      },
    });
    expect(outcome.warnings).toHaveLength(3);
    expect(outcome.warnings.join('\n')).toMatch(/host_id=42/);
    expect(outcome.warnings.join('\n')).toMatch(/componentName=NOPE/);
    expect(outcome.warnings.join('\n')).toMatch(/cluster_id=9/);
    expect(caches.get('topologies').clusters).toEqual(before);
    expect(caches.hash('topologies')).toBe('h3');
  });
});

describe('alert definitions', () => {
  it('small (CREATE), then add, edit, delete equals alert_definition_expected.json', () => {
    const caches = new AgentCaches(tempDir());
    expect(caches.apply('alert_definitions', fixture('alert_definitions_small.json')).kind).toBe('replaced');
    expect(caches.hash('alert_definitions')).toBe('37fe2bd73438980c619c2b8c2f95d160');
    const kinds = ALERT_EVENTS.map((event) => caches.apply('alert_definitions', fixture(event)).kind);
    expect(kinds).toEqual(['updated', 'updated', 'deleted']);
    expect(caches.get('alert_definitions').clusters).toEqual(fixture('alert_definition_expected.json'));
    expect(caches.hash('alert_definitions')).toBe('11c34a65239dde7ce330b1eb7819b788');
  });

  it('replaces everything with the full alert_definitions.json (a CREATE with a different hash)', () => {
    const caches = new AgentCaches(tempDir());
    caches.apply('alert_definitions', fixture('alert_definitions_small.json'));
    caches.apply('alert_definitions', fixture('alert_definitions_add.json'));
    expect(caches.apply('alert_definitions', fixture('alert_definitions.json')).kind).toBe('replaced');
    const cluster = caches.get('alert_definitions').clusters['0'] as { alertDefinitions: unknown[] };
    expect(cluster.alertDefinitions).toHaveLength(53);
    expect(caches.get('alert_definitions').clusters).toEqual((fixture('alert_definitions.json') as { clusters: unknown }).clusters);
  });

  it('keeps the cache for a CREATE carrying the hash it already has (small and full fixtures share one)', () => {
    const caches = new AgentCaches(tempDir());
    caches.apply('alert_definitions', fixture('alert_definitions_small.json'));
    const before = caches.get('alert_definitions');
    expect(caches.apply('alert_definitions', fixture('alert_definitions.json')).kind).toBe('unchanged');
    expect(caches.get('alert_definitions')).toBe(before);
  });

  it('deletes a whole cluster given an empty cluster entry', () => {
    const caches = new AgentCaches(tempDir());
    caches.apply('alert_definitions', fixture('alert_definitions_small.json'));
    caches.apply('alert_definitions', { eventType: 'DELETE', hash: 'gone', clusters: { '0': {} } });
    expect(caches.get('alert_definitions')).toEqual({ hash: 'gone', clusters: {} });
  });
});

describe('replace semantics: configurations, host level params, metadata', () => {
  it('configurations: a message replaces all clusters and the hash; its timestamp is kept', () => {
    const caches = new AgentCaches(tempDir());
    const message = fixture('configurations_update.json');
    expect(caches.apply('configurations', message)).toMatchObject({ kind: 'replaced', hash: 'a1a71f4b46feaf72bf33627d78bbdc3e' });
    const snapshot = caches.get('configurations');
    expect(snapshot.clusters).toEqual(message.clusters);
    expect(snapshot.timestamp).toBe(1510577217);
    const zoo = (snapshot.clusters['0'] as { configurations: Record<string, Record<string, string>> }).configurations['zoo.cfg']!;
    expect(zoo.clientPort).toBe('2181');

    caches.apply('configurations', { hash: 'c2', timestamp: 1510577300, clusters: { '2': { configurations: {}, configurationAttributes: {} } } });
    expect(caches.get('configurations')).toEqual({
      hash: 'c2',
      timestamp: 1510577300,
      clusters: { '2': { configurations: {}, configurationAttributes: {} } },
    });
  });

  it('configurations: {"timestamp": N} alone keeps the cache and takes the timestamp', () => {
    const caches = new AgentCaches(tempDir());
    caches.apply('configurations', fixture('configurations_update.json'));
    const before = caches.get('configurations');
    const outcome = caches.apply('configurations', { timestamp: 1510577999 });
    expect(outcome).toMatchObject({ kind: 'unchanged', changed: true });
    expect(caches.get('configurations').clusters).toBe(before.clusters);
    expect(caches.get('configurations').timestamp).toBe(1510577999);
    expect(caches.hash('configurations')).toBe('a1a71f4b46feaf72bf33627d78bbdc3e');
  });

  it('host level params: a message replaces all clusters and the hash', () => {
    const caches = new AgentCaches(tempDir());
    const message = fixture('host_level_params.json');
    caches.apply('host_level_params', message);
    expect(caches.get('host_level_params')).toEqual({ hash: 'aa4cd03688d36f18fc2cbba06614bafe', clusters: message.clusters });
    caches.apply('host_level_params', { hash: 'p2', clusters: { '0': { repoInfo: [] } } });
    expect(caches.get('host_level_params')).toEqual({ hash: 'p2', clusters: { '0': { repoInfo: [] } } });
  });

  it('metadata: the sync answer replaces; metadata_update.json (a bare per-cluster map on /events/metadata) merges', () => {
    const caches = new AgentCaches(tempDir());
    const sync = fixture('metadata_after_registration.json');
    caches.apply('metadata', { hash: 'old', clusters: { '5': { clusterLevelParams: {} } } });
    expect(caches.apply('metadata', sync).kind).toBe('replaced');
    expect(caches.get('metadata').clusters).toEqual(sync.clusters);
    expect(caches.hash('metadata')).toBe(sync.hash);

    const outcome = caches.apply('metadata', fixture('metadata_update.json'));
    expect(outcome).toMatchObject({ kind: 'merged', changed: true, hash: sync.hash });
    const clusters = caches.get('metadata').clusters as Record<string, Record<string, unknown>>;
    expect(clusters['0']!.status_commands_to_run).toEqual(['STATUS', 'SECURITY_STATUS']);
    expect(clusters['0']!.security_type).toBe('kerberos');
    expect(clusters['0']!.clusterLevelParams).toEqual((sync.clusters as Record<string, Record<string, unknown>>)['0']!.clusterLevelParams);
    expect(clusters['-1']).toEqual((sync.clusters as Record<string, unknown>)['-1']);
  });

  it('metadata: an UPDATE event merges nested params and takes the hash; DELETE removes whole clusters', () => {
    const caches = new AgentCaches(tempDir());
    caches.apply('metadata', fixture('metadata_after_registration.json'));
    caches.apply('metadata', {
      eventType: 'UPDATE',
      hash: 'm2',
      clusters: { '0': { clusterLevelParams: { stack_version: '2.7' }, serviceLevelParams: { NEW: { version: '1' } } } },
    });
    const cluster = caches.get('metadata').clusters['0'] as Record<string, Record<string, unknown>>;
    expect(cluster.clusterLevelParams!.stack_version).toBe('2.7');
    expect(cluster.clusterLevelParams!.cluster_name).toBe('c1');
    expect(cluster.serviceLevelParams!.NEW).toEqual({ version: '1' });
    expect(cluster.serviceLevelParams!.HDFS).toBeDefined();
    expect(caches.hash('metadata')).toBe('m2');

    caches.apply('metadata', { eventType: 'DELETE', hash: 'm3', clusters: { '0': {} } });
    expect(Object.keys(caches.get('metadata').clusters)).toEqual(['-1']);
    expect(caches.hash('metadata')).toBe('m3');
  });

  it('a full message without a hash replaces the content and leaves the hash null', () => {
    const caches = new AgentCaches(tempDir());
    caches.apply('host_level_params', fixture('host_level_params.json'));
    caches.apply('host_level_params', { clusters: { '0': {} } });
    expect(caches.get('host_level_params')).toEqual({ hash: null, clusters: { '0': {} } });
  });
});

describe('nothing new', () => {
  it.each([
    ['{}', {}],
    ['{hash} only', { hash: 'whatever' }],
    ['eventType without clusters', { eventType: 'CREATE', hash: '1a49a0f19639c5c2528220bfc5ad0778' }],
    ['clusters: null', { eventType: 'CREATE', hash: 'x', clusters: null }],
  ])('%s keeps the cache and its hash', (_label, message) => {
    const caches = new AgentCaches(tempDir());
    caches.apply('topologies', fixture('topology_create.json'));
    const before = caches.get('topologies');
    const outcome = caches.apply('topologies', message);
    expect(outcome).toMatchObject({ kind: 'unchanged', changed: false, hash: '1a49a0f19639c5c2528220bfc5ad0778' });
    expect(caches.get('topologies')).toBe(before);
  });

  it('a full message with the hash the cache already has keeps the cache', () => {
    const caches = new AgentCaches(tempDir());
    caches.apply('host_level_params', fixture('host_level_params.json'));
    const before = caches.get('host_level_params');
    const outcome = caches.apply('host_level_params', { hash: before.hash, clusters: {} });
    expect(outcome).toMatchObject({ kind: 'unchanged', changed: false });
    expect(caches.get('host_level_params')).toBe(before);
  });

  it('the dev server style {hash} answer keeps every cache', () => {
    const caches = filledCaches(tempDir());
    const before = caches.summary();
    for (const name of CACHE_NAMES) caches.apply(name, { hash: caches.hash(name) });
    expect(caches.summary()).toEqual(before);
  });
});

describe('malformed messages', () => {
  const cases: Array<[string, CacheName, unknown]> = [
    ['null', 'topologies', null],
    ['an array', 'metadata', [1, 2]],
    ['a string', 'configurations', 'clusters'],
    ['a number', 'host_level_params', 7],
    ['clusters as an array', 'configurations', { hash: 'h', clusters: [] }],
    ['clusters as a string', 'alert_definitions', { hash: 'h', eventType: 'CREATE', clusters: 'x' }],
    ['a cluster that is not an object', 'host_level_params', { hash: 'h', clusters: { '0': [] } }],
    ['an unknown eventType', 'topologies', { eventType: 'REPLACE', hash: 'h', clusters: {} }],
    ['an eventType configs do not have', 'configurations', { eventType: 'DELETE', hash: 'h', clusters: {} }],
    ['a topology without eventType', 'topologies', { hash: 'h', clusters: {} }],
    ['a non-string hash', 'metadata', { hash: 12, clusters: {} }],
    ['a non-number timestamp', 'configurations', { timestamp: 'soon' }],
    ['a host without hostId', 'topologies', { eventType: 'UPDATE', hash: 'h', clusters: { '0': { hosts: [{ hostName: 'x' }] } } }],
    ['a CREATE host without hostId', 'topologies', { eventType: 'CREATE', hash: 'h', clusters: { '0': { hosts: [{ hostName: 'x' }] } } }],
    ['a component without names', 'topologies', { eventType: 'UPDATE', hash: 'h', clusters: { '0': { components: [{ hostIds: [1] }] } } }],
    ['hostIds not a list', 'topologies', { eventType: 'DELETE', hash: 'h', clusters: { '0': { components: [{ serviceName: 'HDFS', componentName: 'DATANODE', hostIds: 1 }] } } }],
    ['hosts not a list', 'topologies', { eventType: 'UPDATE', hash: 'h', clusters: { '0': { hosts: { hostId: 1 } } } }],
    [
      'a bad second cluster after a good first one',
      'topologies',
      { eventType: 'UPDATE', hash: 'h', clusters: { '0': { hosts: [{ hostId: 9, hostName: 'ok' }] }, '1': { hosts: [{}] } } },
    ],
    ['an alert definition without definitionId', 'alert_definitions', { eventType: 'UPDATE', hash: 'h', clusters: { '0': { alertDefinitions: [{ name: 'x' }] } } }],
    ['deleting an unknown alert definition', 'alert_definitions', { eventType: 'DELETE', hash: 'h', clusters: { '0': { alertDefinitions: [{ definitionId: 999 }] } } }],
    ['deleting values inside a metadata cluster', 'metadata', { eventType: 'DELETE', hash: 'h', clusters: { '0': { clusterLevelParams: {} } } }],
    ['a bare metadata map with a non-object cluster', 'metadata', { '0': 'x' }],
  ];

  it.each(cases)('rejects %s with CacheMessageError and leaves the cache as it was', (_label, name, message) => {
    const caches = filledCaches(tempDir());
    const before = caches.get(name);
    const copy = structuredClone(before);
    expect(() => caches.apply(name, message)).toThrow(CacheMessageError);
    expect(caches.get(name)).toBe(before);
    expect(caches.get(name)).toEqual(copy);
  });

  it('keeps no reference to the message and hands out frozen snapshots', () => {
    const caches = new AgentCaches(tempDir());
    const message = fixture('topology_create.json');
    caches.apply('topologies', message);
    ((message.clusters as Record<string, { hosts: unknown[] }>)['0']!.hosts).length = 0;
    const snapshot = caches.get('topologies');
    const hosts = (snapshot.clusters['0'] as { hosts: unknown[] }).hosts;
    expect(hosts).toHaveLength(2);
    expect(Object.isFrozen(snapshot)).toBe(true);
    expect(() => hosts.push({ hostId: 3 })).toThrow(TypeError);
  });
});

describe('persistence', () => {
  it('writes each cache with its hash to cacheDir/<name>.json and loads them back in a fresh instance', () => {
    const dir = join(tempDir(), 'cache');
    const caches = filledCaches(dir);
    caches.persistAll();

    expect(readdirSync(dir).sort()).toEqual(CACHE_NAMES.map((name) => `${name}.json`).sort());
    expect(tempFilesIn(dir)).toEqual([]);
    const onDisk = JSON.parse(readFileSync(join(dir, 'topologies.json'), 'utf8')) as Record<string, unknown>;
    expect(onDisk).toEqual({ hash: '686bca74a23019ce8865d759beeccb0a', clusters: fixture('topology_cache_expected.json') });
    expect(statSync(join(dir, 'configurations.json')).mode & 0o777).toBe(0o600);

    const { caches: loaded, warnings } = AgentCaches.load(dir);
    expect(warnings).toEqual([]);
    expect(loaded.summary()).toEqual(caches.summary());
    for (const name of CACHE_NAMES) {
      expect(loaded.hash(name)).toBe(caches.hash(name));
      expect(loaded.get(name)).toEqual(caches.get(name));
      expect(loaded.syncRequestBody(name)).toEqual({ hash: caches.hash(name) });
    }
    expect(loaded.get('configurations').timestamp).toBe(1510577217);
    expect(loaded.hash('alert_definitions')).toBe('11c34a65239dde7ce330b1eb7819b788');

    // The loaded caches keep working: the next topology event applies on top of what was loaded.
    loaded.apply('topologies', fixture('topology_add_host.json'));
    expect(loaded.hash('topologies')).toBe('0b01b81018fe39309d75e7b12a8225ec');
  });

  it('persist overwrites the previous file and leaves no temp files', () => {
    const dir = tempDir();
    const caches = new AgentCaches(dir);
    caches.apply('host_level_params', fixture('host_level_params.json'));
    caches.persist('host_level_params');
    caches.apply('host_level_params', { hash: 'second', clusters: {} });
    caches.persist('host_level_params');
    expect(JSON.parse(readFileSync(join(dir, 'host_level_params.json'), 'utf8'))).toEqual({ hash: 'second', clusters: {} });
    expect(tempFilesIn(dir)).toEqual([]);
  });

  it('a failed write throws, removes its temp file and keeps the old content', () => {
    const dir = tempDir();
    const caches = new AgentCaches(dir);
    caches.apply('metadata', fixture('metadata_after_registration.json'));
    mkdirSync(join(dir, 'metadata.json', 'blocker'), { recursive: true }); // rename onto a non-empty directory fails
    expect(() => caches.persist('metadata')).toThrow();
    expect(tempFilesIn(dir)).toEqual([]);
    expect(caches.hash('metadata')).toBe(fixture('metadata_after_registration.json').hash);
  });

  it('a crash mid-write (a left-over temp file) does not affect the loaded cache, and the temp file is swept', () => {
    const dir = tempDir();
    const caches = filledCaches(dir);
    caches.persist('topologies');
    writeFileSync(join(dir, 'topologies.json.tmp-12345-deadbeef'), '{"hash": "half-writ');
    const { caches: loaded, warnings } = AgentCaches.load(dir);
    expect(warnings).toEqual([]);
    expect(loaded.get('topologies')).toEqual(caches.get('topologies'));
    expect(tempFilesIn(dir)).toEqual([]);
  });

  it('a missing directory or file means empty caches with null hashes and no warnings', () => {
    const { caches, warnings } = AgentCaches.load(join(tempDir(), 'does', 'not', 'exist'));
    expect(warnings).toEqual([]);
    for (const name of CACHE_NAMES) expect(caches.get(name)).toEqual({ hash: null, clusters: {} });
  });

  it.each([
    ['truncated JSON', '{"hash": "abc", "clusters": {'],
    ['not JSON at all', '\u0000\u0001garbage'],
    ['an array', '[]'],
    ['no clusters', '{"hash": "abc"}'],
    ['a numeric hash', '{"hash": 5, "clusters": {}}'],
    ['a topology host without hostId', '{"hash": "abc", "clusters": {"0": {"hosts": [{"hostName": "x"}]}}}'],
  ])('a corrupt file (%s) means an empty cache with hash null and a warning', (_label, text) => {
    const dir = tempDir();
    filledCaches(dir).persistAll();
    writeFileSync(join(dir, 'topologies.json'), text);
    const { caches, warnings } = AgentCaches.load(dir);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('topologies');
    expect(warnings[0]).toContain(join(dir, 'topologies.json'));
    expect(caches.get('topologies')).toEqual({ hash: null, clusters: {} });
    expect(caches.hash('topologies')).toBeNull();
    // the other caches are unaffected
    expect(caches.hash('metadata')).toBe(fixture('metadata_after_registration.json').hash);
    expect(caches.summary().alert_definitions.clusters).toBe(1);
  });

  it('an unreadable file is reported like a corrupt one', () => {
    if (process.getuid?.() === 0) return; // root reads anything
    const dir = tempDir();
    filledCaches(dir).persist('configurations');
    chmodSync(join(dir, 'configurations.json'), 0o000);
    const { caches, warnings } = AgentCaches.load(dir);
    expect(warnings).toHaveLength(1);
    expect(caches.hash('configurations')).toBeNull();
    expect(existsSync(join(dir, 'configurations.json'))).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
// Keys named like Object.prototype members. The rule (src/caches/json.ts): they are server data,
// stored as ordinary own keys of the cache, read and written as own properties only, so they
// never reach Object.prototype or Object, and they survive persist/load.

describe('keys named like Object.prototype members are stored as data', () => {
  const SPECIAL = ['__proto__', 'constructor', 'prototype'] as const;
  const POLLUTION = ['x', 'y', 'hosts', 'components', 'alertDefinitions', 'hostName', 'configurations', 'metadataClusterLevelParams'];
  const PROTO_KEYS = Reflect.ownKeys(Object.prototype);
  const OBJECT_KEYS = Reflect.ownKeys(Object);
  const FUNCTION_PROTO_KEYS = Reflect.ownKeys(Function.prototype);

  afterEach(() => {
    // undo any pollution so that one failing test does not take the others down with it
    for (const key of POLLUTION) {
      delete (Object.prototype as Record<string, unknown>)[key];
      delete (Object as unknown as Record<string, unknown>)[key];
    }
  });

  /** A server message: JSON.parse, so `"__proto__"` in the text is an own key (as off the wire). */
  const msg = (text: string): Record<string, unknown> => JSON.parse(text) as Record<string, unknown>;
  const q = JSON.stringify;

  function expectClean(): void {
    const blank = {} as Record<string, unknown>;
    expect(blank.x).toBeUndefined();
    expect(blank.y).toBeUndefined();
    expect(blank.hosts).toBeUndefined();
    expect(blank.components).toBeUndefined();
    expect(blank.alertDefinitions).toBeUndefined();
    expect((Object as unknown as Record<string, unknown>).hosts).toBeUndefined();
    expect((Object as unknown as Record<string, unknown>).x).toBeUndefined();
    expect(Reflect.ownKeys(Object.prototype)).toEqual(PROTO_KEYS);
    expect(Reflect.ownKeys(Object)).toEqual(OBJECT_KEYS);
    expect(Reflect.ownKeys(Function.prototype)).toEqual(FUNCTION_PROTO_KEYS);
    expect(Object.getPrototypeOf(blank)).toBe(Object.prototype);
  }

  /** obj's own `key` (undefined if only inherited); obj itself must still be an ordinary object. */
  function own(obj: unknown, key: string): unknown {
    expect(Object.getPrototypeOf(obj)).toBe(Object.prototype);
    expect(Object.hasOwn(obj as object, key)).toBe(true);
    return Object.getOwnPropertyDescriptor(obj, key)!.value as unknown;
  }

  describe.each(SPECIAL)('key %j', (key) => {
    const k = q(key);

    it('topologies CREATE: a cluster id and nested host/component keys', () => {
      const caches = new AgentCaches(tempDir());
      caches.apply(
        'topologies',
        msg(`{"eventType":"CREATE","hash":"t1","clusters":{${k}:{"hosts":[{"hostId":1,${k}:{"x":"yes"}}],` +
          `"components":[{"serviceName":"S","componentName":"C","hostIds":[1],${k}:{"hosts":[9]}}],${k}:{"y":"yes"}}}}`),
      );
      expectClean();
      const { clusters } = caches.get('topologies');
      expect(Object.keys(clusters)).toEqual([key]);
      const cluster = own(clusters, key) as Record<string, unknown>;
      expect(own(cluster, key)).toEqual({ y: 'yes' });
      expect(own((cluster.hosts as unknown[])[0], key)).toEqual({ x: 'yes' });
      expect(own((cluster.components as unknown[])[0], key)).toEqual({ hosts: [9] });
      expect(caches.hash('topologies')).toBe('t1');
    });

    it('topologies UPDATE: a new and an existing cluster with that id, and hosts/components carrying the key', () => {
      const caches = new AgentCaches(tempDir());
      caches.apply('topologies', msg('{"eventType":"CREATE","hash":"t1","clusters":{"0":{"hosts":[{"hostId":1,"hostName":"a"}],"components":[{"serviceName":"S","componentName":"C","hostIds":[1]}]}}}'));
      caches.apply(
        'topologies',
        msg(`{"eventType":"UPDATE","hash":"t2","clusters":{${k}:{"hosts":[{"hostId":7}],"components":[{"serviceName":"S","componentName":"C","hostIds":[7]}]},` +
          `"0":{"hosts":[{"hostId":1,"hostName":"b",${k}:{"x":"yes"}}],"components":[{"serviceName":"S","componentName":"C","hostIds":[2],${k}:{"hosts":[9]}}]}}}`),
      );
      expectClean();
      // the same id again: now an existing cluster, merged
      caches.apply('topologies', msg(`{"eventType":"UPDATE","hash":"t3","clusters":{${k}:{"hosts":[{"hostId":7,"hostName":"seven"},{"hostId":8}],"components":[{"serviceName":"S","componentName":"C","hostIds":[8]}]}}}`));
      expectClean();

      const { clusters } = caches.get('topologies');
      expect(Object.keys(clusters).sort()).toEqual(['0', key].sort());
      const special = own(clusters, key) as Record<string, unknown>;
      expect(special.hosts).toEqual([{ hostId: 7, hostName: 'seven' }, { hostId: 8 }]);
      expect(special.components).toEqual([{ serviceName: 'S', componentName: 'C', hostIds: [7, 8] }]);
      const zero = own(clusters, '0') as Record<string, unknown>;
      const host = (zero.hosts as unknown[])[0] as Record<string, unknown>;
      expect(host.hostName).toBe('b');
      expect(own(host, key)).toEqual({ x: 'yes' });
      const component = (zero.components as unknown[])[0] as Record<string, unknown>;
      expect(component.hostIds).toEqual([1, 2]);
      expect(own(component, key)).toEqual({ hosts: [9] });
      expect(caches.hash('topologies')).toBe('t3');
    });

    it('topologies DELETE: hosts and the whole cluster with that id; an unknown one is a warning', () => {
      const caches = new AgentCaches(tempDir());
      const unknown = caches.apply('topologies', msg(`{"eventType":"DELETE","hash":"d0","clusters":{${k}:{"hosts":[{"hostId":1}],"components":[{"serviceName":"S","componentName":"C"}]}}}`));
      expectClean();
      expect(unknown.warnings).toHaveLength(1);
      expect(unknown.warnings[0]).toContain('do not have information about the cluster');
      expect(caches.get('topologies').clusters).toEqual({});

      caches.apply(
        'topologies',
        msg(`{"eventType":"CREATE","hash":"t1","clusters":{"0":{"hosts":[]},${k}:{"hosts":[{"hostId":1},{"hostId":2}],"components":[{"serviceName":"S","componentName":"C","hostIds":[1,2]}]}}}`),
      );
      const outcome = caches.apply('topologies', msg(`{"eventType":"DELETE","hash":"d1","clusters":{${k}:{"hosts":[{"hostId":1}],"components":[{"serviceName":"S","componentName":"C","hostIds":[1]}]}}}`));
      expectClean();
      expect(outcome.warnings).toEqual([]);
      expect(own(caches.get('topologies').clusters, key)).toEqual({ hosts: [{ hostId: 2 }], components: [{ serviceName: 'S', componentName: 'C', hostIds: [2] }] });

      caches.apply('topologies', msg(`{"eventType":"DELETE","hash":"d2","clusters":{${k}:{}}}`));
      expectClean();
      expect(Object.hasOwn(caches.get('topologies').clusters, key)).toBe(false);
      expect(Object.keys(caches.get('topologies').clusters)).toEqual(['0']);
    });

    it('alert definitions UPDATE: a new and an existing cluster with that id, and definitions/cluster keys named so', () => {
      const caches = new AgentCaches(tempDir());
      caches.apply('alert_definitions', msg('{"eventType":"CREATE","hash":"a1","clusters":{"0":{"alertDefinitions":[{"definitionId":1}],"hostName":"h"}}}'));
      caches.apply('alert_definitions', msg(`{"eventType":"UPDATE","hash":"a2","clusters":{${k}:{"x":1,"alertDefinitions":[{"definitionId":1,${k}:{"x":"yes"}}]},"0":{${k}:{"x":"yes"}}}}`));
      expectClean();
      caches.apply('alert_definitions', msg(`{"eventType":"UPDATE","hash":"a3","clusters":{${k}:{${k}:{"y":"yes"},"alertDefinitions":[{"definitionId":2}],"hostName":"z"}}}`));
      expectClean();

      const { clusters } = caches.get('alert_definitions');
      expect(Object.keys(clusters).sort()).toEqual(['0', key].sort());
      const special = own(clusters, key) as Record<string, unknown>;
      expect(special.x).toBe(1);
      expect(special.hostName).toBe('z');
      expect(own(special, key)).toEqual({ y: 'yes' });
      const definitions = special.alertDefinitions as Array<Record<string, unknown>>;
      expect(definitions.map((definition) => definition.definitionId)).toEqual([1, 2]);
      expect(own(definitions[0], key)).toEqual({ x: 'yes' });
      const zero = own(clusters, '0') as Record<string, unknown>;
      expect(own(zero, key)).toEqual({ x: 'yes' });
      expect(zero.alertDefinitions).toEqual([{ definitionId: 1 }]);
    });

    it('alert definitions DELETE: definitions and the whole cluster with that id; an unknown one is a warning', () => {
      const caches = new AgentCaches(tempDir());
      const unknown = caches.apply('alert_definitions', msg(`{"eventType":"DELETE","hash":"d0","clusters":{${k}:{"alertDefinitions":[{"definitionId":1}]}}}`));
      expectClean();
      expect(unknown.warnings).toHaveLength(1);
      expect(caches.get('alert_definitions').clusters).toEqual({});

      caches.apply('alert_definitions', msg(`{"eventType":"CREATE","hash":"a1","clusters":{"0":{},${k}:{"alertDefinitions":[{"definitionId":1},{"definitionId":2}]}}}`));
      caches.apply('alert_definitions', msg(`{"eventType":"DELETE","hash":"d1","clusters":{${k}:{"alertDefinitions":[{"definitionId":1}]}}}`));
      expectClean();
      expect(own(caches.get('alert_definitions').clusters, key)).toEqual({ alertDefinitions: [{ definitionId: 2 }] });
      expect(() => caches.apply('alert_definitions', msg(`{"eventType":"DELETE","clusters":{${k}:{"alertDefinitions":[{"definitionId":1}]}}}`))).toThrow(CacheMessageError);

      caches.apply('alert_definitions', msg(`{"eventType":"DELETE","hash":"d2","clusters":{${k}:{}}}`));
      expectClean();
      expect(Object.keys(caches.get('alert_definitions').clusters)).toEqual(['0']);
      expect(Object.hasOwn(caches.get('alert_definitions').clusters, key)).toBe(false);
    });

    it('metadata: merges (bare map and UPDATE) with that id as cluster and nested keys, DELETE removes it', () => {
      const caches = new AgentCaches(tempDir());
      caches.apply('metadata', msg('{"hash":"m1","clusters":{"0":{"clusterLevelParams":{"a":"1"}}}}'));
      caches.apply('metadata', msg(`{"0":{${k}:{"x":"yes"},"clusterLevelParams":{${k}:{"x":"yes"}}},${k}:{"y":"yes"}}`));
      expectClean();
      caches.apply('metadata', msg(`{"eventType":"UPDATE","hash":"m2","clusters":{"0":{${k}:{"y":"yes"}},${k}:{${k}:{"x":"yes"},"y":"no"}}}`));
      expectClean();

      const { clusters } = caches.get('metadata');
      expect(Object.keys(clusters).sort()).toEqual(['0', key].sort());
      const zero = own(clusters, '0') as Record<string, unknown>;
      expect(own(zero, key)).toEqual({ x: 'yes', y: 'yes' });
      expect(zero.clusterLevelParams).toEqual(msg(`{"a":"1",${k}:{"x":"yes"}}`));
      expect(own(zero.clusterLevelParams, key)).toEqual({ x: 'yes' });
      const special = own(clusters, key) as Record<string, unknown>;
      expect(special.y).toBe('no');
      expect(own(special, key)).toEqual({ x: 'yes' });
      expect(caches.hash('metadata')).toBe('m2');

      const outcome = caches.apply('metadata', msg(`{"eventType":"DELETE","hash":"m3","clusters":{${k}:{}}}`));
      expectClean();
      expect(outcome.warnings).toEqual([]);
      expect(Object.keys(caches.get('metadata').clusters)).toEqual(['0']);
      const again = caches.apply('metadata', msg(`{"eventType":"DELETE","clusters":{${k}:{}}}`));
      expect(again.warnings).toHaveLength(1);
      expectClean();
    });

    it.each(['configurations', 'host_level_params'] as const)('%s: a replacement with that id as cluster and nested keys', (name) => {
      const caches = new AgentCaches(tempDir());
      caches.apply(name, msg(`{"hash":"r1","timestamp":5,"clusters":{${k}:{"configurations":{${k}:{"x":"yes"}},${k}:{"hosts":[1]}},"0":{${k}:{"y":"yes"}}}}`));
      expectClean();
      const { clusters, hash } = caches.get(name);
      expect(hash).toBe('r1');
      expect(Object.keys(clusters).sort()).toEqual(['0', key].sort());
      const special = own(clusters, key) as Record<string, unknown>;
      expect(own(special.configurations, key)).toEqual({ x: 'yes' });
      expect(own(special, key)).toEqual({ hosts: [1] });
      expect(own(own(clusters, '0'), key)).toEqual({ y: 'yes' });
    });

    it('persists such keys and loads them back as own keys of every cache', () => {
      const dir = tempDir();
      const caches = new AgentCaches(dir);
      caches.apply('topologies', msg(`{"eventType":"CREATE","hash":"t","clusters":{${k}:{"hosts":[{"hostId":1,${k}:{"x":"yes"}}]}}}`));
      caches.apply('metadata', msg(`{"hash":"m","clusters":{${k}:{${k}:{"x":"yes"}}}}`));
      caches.apply('configurations', msg(`{"hash":"c","timestamp":3,"clusters":{${k}:{"configurations":{${k}:{"x":"yes"}}}}}`));
      caches.apply('host_level_params', msg(`{"hash":"h","clusters":{${k}:{${k}:{"x":"yes"}}}}`));
      caches.apply('alert_definitions', msg(`{"eventType":"CREATE","hash":"a","clusters":{${k}:{"alertDefinitions":[{"definitionId":1,${k}:{"x":"yes"}}]}}}`));
      caches.persistAll();
      for (const name of CACHE_NAMES) expect(readFileSync(join(dir, `${name}.json`), 'utf8')).toContain(`${k}: {`);

      const { caches: loaded, warnings } = AgentCaches.load(dir);
      expectClean();
      expect(warnings).toEqual([]);
      for (const name of CACHE_NAMES) {
        expect(loaded.get(name)).toEqual(caches.get(name));
        expect(loaded.hash(name)).toBe(caches.hash(name));
        expect(Object.keys(loaded.get(name).clusters)).toEqual([key]);
      }
      const topology = own(loaded.get('topologies').clusters, key) as Record<string, unknown>;
      expect(own((topology.hosts as unknown[])[0], key)).toEqual({ x: 'yes' });
      expect(own(own(loaded.get('metadata').clusters, key), key)).toEqual({ x: 'yes' });
      expect(own((own(loaded.get('configurations').clusters, key) as Record<string, unknown>).configurations, key)).toEqual({ x: 'yes' });
      expect(loaded.get('configurations').timestamp).toBe(3);
      expect(own(own(loaded.get('host_level_params').clusters, key), key)).toEqual({ x: 'yes' });
      const alerts = own(loaded.get('alert_definitions').clusters, key) as Record<string, unknown>;
      expect(own((alerts.alertDefinitions as unknown[])[0], key)).toEqual({ x: 'yes' });
    });
  });

  it('the reported messages: metadata {"0":{"__proto__":{"x":"yes"}}}, topology UPDATE for "__proto__" and for "constructor"', () => {
    const caches = new AgentCaches(tempDir());
    caches.apply('metadata', fixture('metadata_after_registration.json'));
    caches.apply('metadata', msg('{"0":{"__proto__":{"x":"yes"}}}'));
    caches.apply('topologies', msg('{"eventType":"UPDATE","clusters":{"__proto__":{"hosts":[{"hostId":7}]}}}'));
    caches.apply('topologies', msg('{"eventType":"UPDATE","hash":"c","clusters":{"constructor":{"hosts":[{"hostId":1}]}}}'));
    expectClean();
    expect(Object.hasOwn(Object, 'hosts')).toBe(false);
    expect(own(own(caches.get('metadata').clusters, '0'), '__proto__')).toEqual({ x: 'yes' });
    expect(Object.keys(caches.get('topologies').clusters)).toEqual(['__proto__', 'constructor']);
    expect(own(caches.get('topologies').clusters, 'constructor')).toEqual({ hosts: [{ hostId: 1 }] });
    expect(own(caches.get('topologies').clusters, '__proto__')).toEqual({ hosts: [{ hostId: 7 }] });
  });
});
