// The dev server's alert definitions: requests checked as the Java server checks them, the
// stored shape (AlertDefinition.java's JSON names and NON_EMPTY), ids from a sequence, a new
// uuid on every change, which hosts get which definitions, and alert_definitions.json.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AlertDefinitionStore, parseDefinitionRequest, type DefinitionChanges } from '../../../src/server/alertDefinitionStore.js';

type Json = Record<string, any>;

const root = mkdtempSync(join(tmpdir(), 'aa-alertdefs-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const PORT_DEF = { name: 'zk_port', serviceName: 'ZOOKEEPER', componentName: 'ZOOKEEPER_SERVER', interval: 1, source: { type: 'PORT', uri: '{{zoo.cfg/clientPort}}', default_port: 2181 } };

function changes(body: unknown, create = true): DefinitionChanges {
  const parsed = parseDefinitionRequest(body, create);
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed.changes;
}

function uuids(): () => string {
  let n = 0;
  return () => `uuid-${++n}`;
}

describe('parseDefinitionRequest', () => {
  it.each([
    ['a list', [], /expected a JSON object/],
    ['no interval', { ...PORT_DEF, interval: undefined }, /Check interval must be specified/],
    ['no name', { ...PORT_DEF, name: undefined }, /Definition name must be specified/],
    ['no serviceName', { ...PORT_DEF, serviceName: undefined }, /Service name must be specified/],
    ['no source', { ...PORT_DEF, source: undefined }, /Source must be specified/],
    ['interval 0', { ...PORT_DEF, interval: 0 }, /"interval" must be a whole number >= 1, not 0/],
    ['interval 1.5', { ...PORT_DEF, interval: 1.5 }, /"interval" must be a whole number/],
    ['interval "1"', { ...PORT_DEF, interval: '1' }, /"interval" must be a whole number/],
    ['an unknown source type', { ...PORT_DEF, source: { type: 'PING' } }, /"source.type" must be one of AMS, METRIC, SCRIPT, PORT, AGGREGATE, PERCENT, WEB, RECOVERY, SERVER, not "PING"/],
    ['a source without type', { ...PORT_DEF, source: { uri: 'x' } }, /"source.type" must be one of/],
    ['an empty source', { ...PORT_DEF, source: {} }, /"source" must be a non-empty JSON object/],
    ['enabled "true"', { ...PORT_DEF, enabled: 'true' }, /"enabled" must be true or false/],
    ['an unknown scope', { ...PORT_DEF, scope: 'CLUSTER' }, /"scope" must be one of ANY, HOST, SERVICE/],
    ['an empty name', { ...PORT_DEF, name: ' ' }, /"name" must be a non-empty string/],
    ['a definitionId', { ...PORT_DEF, definitionId: 4 }, /"definitionId" cannot be set: the server assigns it/],
    ['a uuid', { ...PORT_DEF, uuid: 'x' }, /"uuid" cannot be set/],
    ['an unknown field', { ...PORT_DEF, service_name: 'X' }, /unknown field\(s\) "service_name"/],
    ['a PORT uri object', { ...PORT_DEF, source: { type: 'PORT', uri: { http: 'x' } } }, /"source.uri" must be a string/],
    ['a WEB uri string', { ...PORT_DEF, source: { type: 'WEB', uri: 'http://x' } }, /"source.uri" must be an object/],
    ['a reporting type', { ...PORT_DEF, source: { type: 'PORT', reporting: { type: 'RATIO' } } }, /"source.reporting.type" must be one of NUMERIC, PERCENT/],
    ['a threshold text', { ...PORT_DEF, source: { type: 'PORT', reporting: { ok: { text: 5 } } } }, /"source.reporting.ok.text" must be a string/],
  ])('%s is refused, saying why', (_what, body, message) => {
    const parsed = parseDefinitionRequest(body, true);
    expect('error' in parsed && parsed.error).toMatch(message);
  });

  it('takes the Ambari REST wrapper {"AlertDefinition": {...}}; a change needs none of the create fields', () => {
    expect(changes({ AlertDefinition: PORT_DEF })).toEqual(changes(PORT_DEF));
    expect(changes({ interval: 5 }, false)).toEqual({ interval: 5 });
    expect(changes({ componentName: null }, false)).toEqual({ componentName: null });
    expect('error' in parseDefinitionRequest({ interval: 0 }, false)).toBe(true);
  });
});

describe('AlertDefinitionStore', () => {
  it('a created definition has the JSON names AlertDefinition.java sends, the entity defaults and no empty fields', () => {
    const store = new AlertDefinitionStore(0, undefined, uuids());
    const created = store.create(changes({ ...PORT_DEF, label: '', description: 'ZooKeeper port' }));
    expect(created).toEqual({
      definition: {
        clusterId: 0,
        definitionId: 1,
        name: 'zk_port',
        serviceName: 'ZOOKEEPER',
        componentName: 'ZOOKEEPER_SERVER',
        scope: 'ANY',
        interval: 1,
        enabled: true,
        ignore_host: false,
        repeat_tolerance: 1,
        repeat_tolerance_enabled: false,
        source: PORT_DEF.source,
        description: 'ZooKeeper port',
        uuid: 'uuid-1',
      },
    });
  });

  it('names are unique; ids come from a sequence (a deleted id is not reused); every change gets a new uuid', () => {
    const store = new AlertDefinitionStore(0, undefined, uuids());
    store.create(changes(PORT_DEF));
    expect(store.create(changes(PORT_DEF))).toEqual({ conflict: expect.stringMatching(/named "zk_port" exists already \(definitionId 1\)/) });
    const second = store.create(changes({ ...PORT_DEF, name: 'second' })) as { definition: Json };
    expect(second.definition.definitionId).toBe(2);
    expect(store.remove(2)?.name).toBe('second');
    expect(store.remove(2)).toBeUndefined();
    expect((store.create(changes({ ...PORT_DEF, name: 'third' })) as { definition: Json }).definition.definitionId).toBe(3);

    // AlertDefinitionResourceProvider: setHash(randomUUID) on every update, even an unchanged one.
    const changed = store.change(1, changes({ interval: 2 }, false)) as { definition: Json };
    expect(changed.definition).toMatchObject({ definitionId: 1, interval: 2, name: 'zk_port' });
    expect(changed.definition.uuid).not.toBe('uuid-1');
    const again = store.change(1, changes({}, false)) as { definition: Json };
    expect(again.definition.uuid).not.toBe(changed.definition.uuid);
    expect(store.change(1, changes({ name: 'third' }, false))).toEqual({ conflict: expect.stringMatching(/"third" exists already/) });
    expect(store.change(99, changes({ interval: 3 }, false))).toBeUndefined();
    // componentName null makes it service-level (the key is gone, as NON_EMPTY leaves it out).
    expect((store.change(1, changes({ componentName: null }, false)) as { definition: Json }).definition).not.toHaveProperty('componentName');
  });

  it('forHost: component matches, service-level ones of master services (not AGGREGATE), agent-scoped ones; disabled ones too', () => {
    const store = new AlertDefinitionStore(0, undefined, uuids());
    const add = (body: Json) => (store.create(changes({ interval: 1, source: { type: 'SCRIPT', path: 'x.py' }, ...body })) as { definition: Json }).definition.definitionId as number;
    const zkServer = add({ name: 'zk', serviceName: 'ZOOKEEPER', componentName: 'ZOOKEEPER_SERVER', enabled: false });
    const zkService = add({ name: 'zk_service', serviceName: 'ZOOKEEPER', scope: 'SERVICE' });
    add({ name: 'zk_service_any', serviceName: 'ZOOKEEPER', scope: 'ANY' }); // service-level but not scope SERVICE
    add({ name: 'zk_aggregate', serviceName: 'ZOOKEEPER', scope: 'SERVICE', source: { type: 'AGGREGATE', alert_name: 'zk' } });
    const dn = add({ name: 'dn', serviceName: 'HDFS', componentName: 'DATANODE' });
    const agent = add({ name: 'disk', serviceName: 'AMBARI', componentName: 'AMBARI_AGENT', scope: 'HOST' });
    add({ name: 'server_side', serviceName: 'AMBARI', componentName: 'AMBARI_SERVER' });
    const ids = (components: Array<[string, string]>, masters: string[]) =>
      store.forHost({ components: components.map(([service_name, component_name]) => ({ service_name, component_name })), masterServices: new Set(masters) }).map((d) => d.definitionId);
    expect(ids([], [])).toEqual([agent]);
    expect(ids([['ZOOKEEPER', 'ZOOKEEPER_SERVER']], ['ZOOKEEPER'])).toEqual([zkServer, zkService, agent]);
    expect(ids([['ZOOKEEPER', 'ZOOKEEPER_SERVER']], [])).toEqual([zkServer, agent]);
    expect(ids([['HDFS', 'DATANODE'], ['HDFS', 'NAMENODE']], ['HDFS'])).toEqual([dn, agent]);
  });

  it('persists to its file: a second store has the definitions and the sequence; a corrupt file is moved aside', () => {
    const dir = mkdtempSync(join(root, 'persist-'));
    const file = join(dir, 'alert_definitions.json');
    const log = () => {};
    const first = new AlertDefinitionStore(0, { file, log });
    first.create(changes(PORT_DEF));
    first.create(changes({ ...PORT_DEF, name: 'two' }));
    first.remove(2);
    const second = new AlertDefinitionStore(0, { file, log });
    expect(second.list()).toEqual(first.list());
    expect((second.create(changes({ ...PORT_DEF, name: 'three' })) as { definition: Json }).definition.definitionId).toBe(3);

    writeFileSync(file, JSON.stringify({ version: 1, next_id: 1, definitions: [{ definitionId: 1 }] }));
    const warnings: string[] = [];
    expect(new AlertDefinitionStore(0, { file, log: (_l, m) => warnings.push(m) }).list()).toEqual([]);
    expect(warnings.join()).toMatch(/corrupt/);
    expect(readdirSync(dir).some((name) => name.startsWith('alert_definitions.json.corrupt-'))).toBe(true);
  });
});
