// commandJson: the command JSON completed from the caches (ConfigurationBuilder.get_configuration
// + CustomServiceOrchestrator.generate_command), from the Python agent's own test messages.
import { afterAll, describe, expect, it } from 'vitest';
import { AgentCaches } from '../../../../src/caches/agentCaches.js';
import {
  autoCacheUpdateEnabled,
  buildCommandJson,
  clusterHostInfoOf,
  configurationsLag,
  decompressClusterHostInfo,
  mappedRangesToList,
  rangesToIndexes,
  type AgentFacts,
  type CommandCaches,
} from '../../../../src/actors/commands/commandJson.js';
import { fixture } from '../../../support/fixtures.js';
import { removeTempDirs, tempDir } from '../../../support/tempDirs.mjs';

afterAll(removeTempDirs);

const AGENT: AgentFacts = { hostname: 'c6402.ambari.apache.org', publicHostname: 'public.example', cacheDir: '/var/lib/ambari-agent/cache', parallelExecution: 0, useSystemProxySettings: true };

function fixtureCaches(): CommandCaches {
  const caches = new AgentCaches(tempDir('aa-cmdjson-'));
  caches.apply('topologies', fixture('topology_create.json'));
  const metadata = fixture('metadata_after_registration.json');
  // The Java server's "-1" entry (getClustersMetadata), which this older fixture lacks.
  (metadata.clusters as Record<string, unknown>)['-1'] = { clusterLevelParams: { jdk_location: 'http://server:8080/resources', java_home: '/usr/jdk64' }, agentConfigs: {} };
  caches.apply('metadata', metadata);
  caches.apply('configurations', fixture('configurations_update.json'));
  caches.apply('host_level_params', fixture('host_level_params.json'));
  return {
    topologies: caches.get('topologies').clusters,
    metadata: caches.get('metadata').clusters,
    configurations: caches.get('configurations').clusters,
    configurationsTimestamp: caches.get('configurations').timestamp,
    hostLevelParams: caches.get('host_level_params').clusters,
  };
}

const DATANODE_INSTALL = { taskId: 9, clusterId: '0', serviceName: 'HDFS', role: 'DATANODE', commandType: 'EXECUTION_COMMAND', roleCommand: 'INSTALL', commandParams: { command_retry_enabled: 'true' } };

describe('buildCommandJson', () => {
  it('completes a cluster command with every key the original adds', () => {
    const caches = fixtureCaches();
    const command = buildCommandJson(DATANODE_INSTALL, caches, AGENT);
    const metadata = fixture('metadata_after_registration.json') as { clusters: Record<string, Record<string, Record<string, unknown>>> };
    const configs = fixture('configurations_update.json') as { clusters: Record<string, Record<string, unknown>> };
    expect(command.clusterLevelParams).toEqual(metadata.clusters['0']!.clusterLevelParams);
    expect(command.clusterName).toBe('c1');
    expect(command.serviceLevelParams).toEqual(metadata.clusters['0']!.serviceLevelParams!.HDFS);
    expect(command.hostLevelParams).toEqual((fixture('host_level_params.json') as { clusters: Record<string, unknown> }).clusters['0']);
    expect(command.configurations).toEqual(configs.clusters['0']!.configurations);
    expect(command.configurationAttributes).toEqual(configs.clusters['0']!.configurationAttributes);
    expect(command.ambariLevelParams).toEqual({ jdk_location: 'http://server:8080/resources', java_home: '/usr/jdk64' });
    expect(command.componentLevelParams).toEqual({ unlimited_key_jce_required: 'false', clientsToUpdateConfigs: '["*"]' });
    // The topology's commandParams with the command's own merged over them.
    expect(command.commandParams).toEqual({ script: 'scripts/datanode.py', script_type: 'PYTHON', command_timeout: '1200', command_retry_enabled: 'true' });
    expect(command.agentLevelParams).toEqual({
      hostname: 'c6402.ambari.apache.org',
      public_hostname: 'public.example',
      agentCacheDir: '/var/lib/ambari-agent/cache',
      agentConfigParams: { agent: { parallel_execution: 0, use_system_proxy_settings: true } },
    });
    expect(command.clusterHostInfo).toEqual({
      namenode_hosts: ['c6401.ambari.apache.org'],
      datanode_hosts: ['c6401.ambari.apache.org', 'c6402.ambari.apache.org'],
      hdfs_client_hosts: ['c6401.ambari.apache.org'],
      all_hosts: ['c6401.ambari.apache.org', 'c6402.ambari.apache.org'],
      all_racks: ['/default-rack', '/default-rack'],
      all_ipv4_ips: ['192.168.64.101', '192.168.64.102'],
    });
    // c6402 (hostId 1) has the DATANODE only.
    expect(command.localComponents).toEqual(['DATANODE']);
    // The command's own keys stay.
    expect(command).toMatchObject({ taskId: 9, role: 'DATANODE', roleCommand: 'INSTALL', commandType: 'EXECUTION_COMMAND' });
  });

  it('takes the component versions from the topology commandParams', () => {
    const caches = fixtureCaches();
    const topology = structuredClone(caches.topologies) as Record<string, { components: Array<{ commandParams: Record<string, unknown> }> }>;
    topology['0']!.components[1]!.commandParams.version = '2.6.0.3-8';
    const command = buildCommandJson(DATANODE_INSTALL, { ...caches, topologies: topology }, AGENT);
    expect(command.componentVersionMap).toEqual({ HDFS: { DATANODE: '2.6.0.3-8' } });
  });

  it('lets the command win, key by key, and never writes into the caches', () => {
    const caches = fixtureCaches();
    const before = JSON.stringify(caches);
    const command = buildCommandJson({ ...DATANODE_INSTALL, clusterLevelParams: { stack_version: '9.9' }, commandParams: { script: 'scripts/other.py' } }, caches, AGENT);
    expect(command.clusterLevelParams).toMatchObject({ stack_version: '9.9', stack_name: 'HDP', cluster_name: 'c1' });
    expect((command.commandParams as Record<string, unknown>).script).toBe('scripts/other.py');
    (command.clusterLevelParams as Record<string, unknown>).cluster_name = 'changed';
    expect(JSON.stringify(caches)).toBe(before);
  });

  it('gives a command outside any cluster the agent and ambari levels only', () => {
    const command = buildCommandJson({ taskId: 2, clusterId: 'null', serviceName: 'null', role: 'check_host', roleCommand: 'ACTIONEXECUTE', commandParams: { script: 'check_host.py' } }, fixtureCaches(), AGENT);
    expect(Object.keys(command).sort()).toEqual(['agentLevelParams', 'ambariLevelParams', 'clusterId', 'commandParams', 'role', 'roleCommand', 'serviceName', 'taskId']);
    expect(command.agentLevelParams).toEqual({ public_hostname: 'public.example', agentCacheDir: '/var/lib/ambari-agent/cache', agentConfigParams: { agent: { parallel_execution: 0, use_system_proxy_settings: true } } });
  });

  it('decompresses a clusterHostInfo the command carries instead of the topology one', () => {
    const carried = {
      all_hosts: ['h0', 'h1', 'h2'],
      namenode_hosts: ['0'],
      datanode_hosts: ['0-2'],
      all_ping_ports: ['8670:0-2'],
      all_racks: ['/r1:0,2', '/r2:1'],
      all_ipv4_ips: ['10.0.0.1:0', '10.0.0.2:1-2'],
      ambari_server_host: ['server'],
      ambari_server_port: ['8080'],
      ambari_server_use_ssl: ['false'],
    };
    const command = buildCommandJson({ ...DATANODE_INSTALL, clusterHostInfo: carried }, fixtureCaches(), AGENT);
    expect(command.clusterHostInfo).toEqual({
      namenode_hosts: ['h0'],
      datanode_hosts: ['h0', 'h1', 'h2'],
      all_ping_ports: ['8670', '8670', '8670'],
      all_hosts: ['h0', 'h1', 'h2'],
      all_racks: ['/r1', '/r2', '/r1'],
      all_ipv4_ips: ['10.0.0.1', '10.0.0.2', '10.0.0.2'],
      ambari_server_host: ['server'],
      ambari_server_port: ['8080'],
      ambari_server_use_ssl: ['false'],
    });
  });

  it('keeps keys such as __proto__ as plain data', () => {
    const caches = fixtureCaches();
    const header = JSON.parse('{"taskId": 1, "clusterId": "0", "serviceName": "HDFS", "role": "DATANODE", "commandParams": {"__proto__": {"polluted": true}}}') as Record<string, unknown>;
    const command = buildCommandJson(header, caches, AGENT);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.hasOwn(command.commandParams as object, '__proto__')).toBe(true);
  });
});

describe('clusterHostInfo helpers', () => {
  it('expands ranges as convert_range_to_list', () => {
    expect(rangesToIndexes(['1-3,5', '7'])).toEqual([1, 2, 3, 5, 7]);
    expect(() => rangesToIndexes(['1-'])).toThrow('Broken range "1-"');
  });

  it('maps value ranges as convert_mapped_range_to_list', () => {
    expect(mappedRangesToList(['1:0-2,4', '42:3,5-7'])).toEqual([1, 1, 1, 42, 1, 42, 42, 42]);
    expect(() => mappedRangesToList(['nocolon'])).toThrow('Broken value-to-range');
  });

  it('builds per-cluster host lists, skipping unknown host ids', () => {
    expect(clusterHostInfoOf({ hosts: [{ hostId: 3, hostName: 'a', rackName: '/r', ipv4: '1.2.3.4' }], components: [{ componentName: 'ZK', hostIds: [3, 99] }] })).toEqual({
      zk_hosts: ['a'],
      all_hosts: ['a'],
      all_racks: ['/r'],
      all_ipv4_ips: ['1.2.3.4'],
    });
    expect(decompressClusterHostInfo({ all_hosts: ['x'], zk_hosts: ['0'] })).toMatchObject({ zk_hosts: ['x'], all_hosts: ['x'] });
  });
});

describe('configurationsLag', () => {
  it('names a command that needs newer configurations', () => {
    expect(configurationsLag({ clusterId: '0', requiredConfigTimestamp: 200 }, 100)).toEqual({ required: 200, have: 100 });
    expect(configurationsLag({ clusterId: '0', requiredConfigTimestamp: 200 }, undefined)).toEqual({ required: 200, have: undefined });
  });

  it('lets through a fresh enough cache, no requirement, and commands outside a cluster', () => {
    expect(configurationsLag({ clusterId: '0', requiredConfigTimestamp: 200 }, 200)).toBeUndefined();
    expect(configurationsLag({ clusterId: '0' }, undefined)).toBeUndefined();
    expect(configurationsLag({ clusterId: '0', requiredConfigTimestamp: 0 }, undefined)).toBeUndefined();
    expect(configurationsLag({ clusterId: '-1', requiredConfigTimestamp: 200 }, 1)).toBeUndefined();
  });
});

describe('autoCacheUpdateEnabled', () => {
  it('is off only when the metadata agent configs say false', () => {
    const withValue = (value: unknown) => ({ '-1': { agentConfigs: { agentConfig: { 'agent.auto.cache.update': value } } } });
    expect(autoCacheUpdateEnabled(withValue('false'))).toBe(false);
    expect(autoCacheUpdateEnabled(withValue(' FALSE '))).toBe(false);
    expect(autoCacheUpdateEnabled(withValue('true'))).toBe(true);
    expect(autoCacheUpdateEnabled({})).toBe(true);
  });
});
