// The command JSON a stack script reads: the command as the server sent it, completed from the
// agent's caches as the original does (ConfigurationBuilder.get_configuration builds the cache
// part, CustomServiceOrchestrator.generate_command merges the command over it with
// Utils.update_nested and decompresses a clusterHostInfo the command carried itself).
//
// From the caches, for a command of a real cluster (clusterId not "-1" / "null" / absent):
//   clusterLevelParams      metadata[cluster].clusterLevelParams (stack_name, hooks_folder, ...)
//   hostLevelParams         host_level_params[cluster] (recoveryConfig, hostRepositories, ...)
//   clusterHostInfo         topology[cluster]: COMPONENT_hosts lists, all_hosts, all_racks, all_ipv4_ips
//   localComponents         the topology's components placed on this host
//   componentVersionMap     {service: {component: version}} from topology commandParams.version
//   agentLevelParams        hostname (this host's topology hostName), public_hostname,
//                           agentCacheDir, agentConfigParams.agent.{parallel_execution, use_system_proxy_settings}
//   clusterName             clusterLevelParams.cluster_name
//   serviceLevelParams      metadata[cluster].serviceLevelParams[serviceName]
//   componentLevelParams,   the topology component (serviceName/role)'s
//   commandParams
//   configurations, configurationAttributes   configurations[cluster]
//   ambariLevelParams       metadata["-1"].clusterLevelParams (jdk_location, java_home, ...)
// Any other command gets agentLevelParams and ambariLevelParams only.
//
// Differences from the original, on purpose: clusterHostInfo is built per cluster (the original
// keeps one for all clusters); a cluster or service the caches do not know leaves its keys out
// instead of failing with a KeyError (the script lookup names what is missing).
//
// Server data is read and written as own properties only (caches/json.ts), so keys such as
// `__proto__` stay plain data.
import { assignOwn, getOwn, mergeNested, ownArray, ownObject, setOwn, type JsonObject } from '../../caches/json.js';
import { isPlainObject } from '../../util/plainObject.js';

/** The caches' `clusters` maps (AgentCaches.get(name).clusters) and the configurations timestamp. */
export interface CommandCaches {
  topologies: Record<string, unknown>;
  metadata: Record<string, unknown>;
  configurations: Record<string, unknown>;
  configurationsTimestamp: number | undefined;
  hostLevelParams: Record<string, unknown>;
}

export interface AgentFacts {
  hostname: string;
  publicHostname: string;
  /** [agent] cache_dir. */
  cacheDir: string;
  /** [agent] parallel_execution (AmbariConfig.get_parallel_exec_option). */
  parallelExecution: number;
  /** [network] use_system_proxy_settings. */
  useSystemProxySettings: boolean;
}

/** The metadata's cluster-independent entry (AmbariManagementControllerImpl.getClustersMetadata). */
export const AMBARI_LEVEL_CLUSTER_ID = '-1';

/** Whether a command's clusterId names a real cluster (generate_command's test). */
export function isClusterCommand(clusterId: unknown): clusterId is string | number {
  if (clusterId === undefined || clusterId === null) return false;
  const id = String(clusterId);
  return id !== '' && id !== '-1' && id !== 'null';
}

const own = (obj: unknown, key: string): unknown => (isPlainObject(obj) ? getOwn(obj, key) : undefined);
const ownList = (obj: unknown, key: string): unknown[] => ownArray(obj, key) ?? [];

/** ClusterTopologyCache.get_cluster_host_info for one topology cluster. */
export function clusterHostInfoOf(cluster: unknown): JsonObject {
  const hostNames = new Map<unknown, unknown>();
  for (const host of ownList(cluster, 'hosts')) hostNames.set(own(host, 'hostId'), own(host, 'hostName'));
  const info: JsonObject = {};
  for (const component of ownList(cluster, 'components')) {
    const name = own(component, 'componentName');
    if (typeof name !== 'string') continue;
    const key = `${name.toLowerCase()}_hosts`;
    const list = (getOwn(info, key) as unknown[] | undefined) ?? setOwn(info, key, [] as unknown[]);
    for (const hostId of ownList(component, 'hostIds')) if (hostNames.has(hostId)) list.push(hostNames.get(hostId));
  }
  const hosts = ownList(cluster, 'hosts');
  setOwn(info, 'all_hosts', hosts.map((host) => own(host, 'hostName')));
  setOwn(info, 'all_racks', hosts.map((host) => own(host, 'rackName')));
  setOwn(info, 'all_ipv4_ips', hosts.map((host) => own(host, 'ipv4')));
  return info;
}

function currentHost(cluster: unknown, hostname: string): unknown {
  return ownList(cluster, 'hosts').find((host) => own(host, 'hostName') === hostname);
}

/** The cache part of a command (ConfigurationBuilder.get_configuration). A fresh, unfrozen object. */
export function commandDefaults(header: JsonObject, caches: CommandCaches, agent: AgentFacts): JsonObject {
  const clusterId = getOwn(header, 'clusterId');
  const result: JsonObject = {};
  let agentLevel: JsonObject = {};
  if (isClusterCommand(clusterId)) {
    const id = String(clusterId);
    const metadata = ownObject(caches.metadata, id);
    const topology = own(caches.topologies, id);
    const clusterLevel = ownObject(metadata, 'clusterLevelParams');
    if (clusterLevel) setOwn(result, 'clusterLevelParams', clusterLevel);
    const hostLevel = own(caches.hostLevelParams, id);
    if (hostLevel !== undefined) setOwn(result, 'hostLevelParams', hostLevel);
    if (topology !== undefined) {
      setOwn(result, 'clusterHostInfo', clusterHostInfoOf(topology));
      const hostId = own(currentHost(topology, agent.hostname), 'hostId');
      const local: unknown[] = [];
      const versions: JsonObject = {};
      for (const component of ownList(topology, 'components')) {
        const service = own(component, 'serviceName');
        const name = own(component, 'componentName');
        const version = own(ownObject(component, 'commandParams'), 'version');
        if (typeof service === 'string' && typeof name === 'string' && version !== undefined) {
          const byService = ownObject(versions, service) ?? setOwn(versions, service, {} as JsonObject);
          setOwn(byService, name, version);
        }
        if (hostId !== undefined && ownList(component, 'hostIds').includes(hostId)) local.push(name);
      }
      setOwn(result, 'localComponents', local);
      setOwn(result, 'componentVersionMap', versions);
    }
    const topologyHostName = own(currentHost(topology, agent.hostname), 'hostName');
    agentLevel = { hostname: typeof topologyHostName === 'string' ? topologyHostName : agent.hostname };
    const clusterName = own(clusterLevel, 'cluster_name');
    if (clusterName !== undefined) setOwn(result, 'clusterName', clusterName);
    const serviceName = getOwn(header, 'serviceName');
    if (typeof serviceName === 'string' && serviceName !== 'null') {
      const serviceLevel = ownObject(ownObject(metadata, 'serviceLevelParams'), serviceName);
      if (serviceLevel) setOwn(result, 'serviceLevelParams', serviceLevel);
    }
    const role = getOwn(header, 'role');
    const component = ownList(topology, 'components').find((c) => own(c, 'serviceName') === serviceName && own(c, 'componentName') === role);
    if (component !== undefined) {
      setOwn(result, 'componentLevelParams', ownObject(component, 'componentLevelParams') ?? {});
      setOwn(result, 'commandParams', ownObject(component, 'commandParams') ?? {});
    }
    const configurations = ownObject(caches.configurations, id);
    if (configurations) assignOwn(result, configurations);
  }
  const ambariLevel = ownObject(ownObject(caches.metadata, AMBARI_LEVEL_CLUSTER_ID), 'clusterLevelParams');
  if (ambariLevel) setOwn(result, 'ambariLevelParams', ambariLevel);
  assignOwn(agentLevel, {
    public_hostname: agent.publicHostname,
    agentCacheDir: agent.cacheDir,
    agentConfigParams: { agent: { parallel_execution: agent.parallelExecution, use_system_proxy_settings: agent.useSystemProxySettings } },
  });
  setOwn(result, 'agentLevelParams', agentLevel);
  // The cache data is deep-frozen: the merge below writes into nested objects.
  return structuredClone(result);
}

/**
 * The full command JSON (generate_command): the cache part with the command merged over it
 * (nested objects key by key, the command winning). A clusterHostInfo the command carries
 * replaces the topology's and is decompressed.
 */
export function buildCommandJson(header: JsonObject, caches: CommandCaches, agent: AgentFacts): JsonObject {
  const defaults = commandDefaults(header, caches, agent);
  const carried = getOwn(header, 'clusterHostInfo');
  if (carried !== undefined) delete defaults.clusterHostInfo;
  const command = mergeNested(defaults, structuredClone(header));
  if (isPlainObject(carried) && Object.keys(carried).length > 0) {
    setOwn(command, 'clusterHostInfo', decompressClusterHostInfo(getOwn(command, 'clusterHostInfo') as JsonObject));
  }
  return command;
}

/** ConfigurationBuilder's check: the command needs configurations at least this new. */
export function configurationsLag(header: JsonObject, timestamp: number | undefined): { required: number; have: number | undefined } | undefined {
  if (!isClusterCommand(getOwn(header, 'clusterId'))) return undefined;
  const required = Number(getOwn(header, 'requiredConfigTimestamp'));
  if (!Number.isFinite(required) || required <= 0) return undefined;
  return timestamp !== undefined && timestamp >= required ? undefined : { required, have: timestamp };
}

// ---------------------------------------------------------------------------------------------
// decompress_cluster_host_info: a clusterHostInfo in the server's compressed form

const SERVER_KEYS = ['ambari_server_host', 'ambari_server_port', 'ambari_server_use_ssl'];
const MAPPED_KEYS = ['all_ping_ports', 'all_racks', 'all_ipv4_ips'];

/** "1-3,5" (or a list of such strings) -> [1, 2, 3, 5]. */
export function rangesToIndexes(value: unknown): number[] {
  const parts = Array.isArray(value) ? value : [value];
  const result: number[] = [];
  for (const part of parts) {
    for (const range of String(part).split(',')) {
      const bounds = range.split('-');
      if (bounds.length > 2 || bounds.some((b) => !/^\d+$/.test(b.trim()))) {
        throw new Error(`Broken range ${JSON.stringify(range)} in clusterHostInfo (expected "m-n" or "m")`);
      }
      const [from, to] = bounds.map((b) => Number(b));
      for (let i = from!; i <= (to ?? from!); i++) result.push(i);
    }
  }
  return result;
}

/** ["1:0-2,4", "42:3"] -> [1, 1, 1, 42, 1] (by index; numeric values become numbers). */
export function mappedRangesToList(value: unknown): unknown[] {
  const byIndex = new Map<number, unknown>();
  for (const entry of Array.isArray(value) ? value : [value]) {
    const text = String(entry);
    const colon = text.lastIndexOf(':');
    if (colon < 0) throw new Error(`Broken value-to-range ${JSON.stringify(text)} in clusterHostInfo (expected "value:m-n")`);
    const raw = text.slice(0, colon);
    const item = /^\d+$/.test(raw) ? Number(raw) : raw;
    for (const index of rangesToIndexes(text.slice(colon + 1))) byIndex.set(index, item);
  }
  return [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, item]) => item);
}

export function decompressClusterHostInfo(compressed: JsonObject): JsonObject {
  const hosts = getOwn(compressed, 'all_hosts');
  const hostList = Array.isArray(hosts) ? hosts : [];
  const result: JsonObject = {};
  for (const [key, value] of Object.entries(compressed)) {
    if (key === 'all_hosts' || MAPPED_KEYS.includes(key) || SERVER_KEYS.includes(key)) continue;
    setOwn(result, key, rangesToIndexes(value).map((index) => hostList[index]));
  }
  setOwn(result, 'all_ping_ports', mappedRangesToList(getOwn(compressed, 'all_ping_ports') ?? []).map(String));
  setOwn(result, 'all_hosts', hostList);
  setOwn(result, 'all_racks', mappedRangesToList(getOwn(compressed, 'all_racks') ?? []));
  setOwn(result, 'all_ipv4_ips', mappedRangesToList(getOwn(compressed, 'all_ipv4_ips') ?? []));
  for (const key of SERVER_KEYS) setOwn(result, key, getOwn(compressed, key));
  return result;
}

/** The caches a command is completed from, as AgentCaches holds them now. */
export function commandCachesOf(caches: { get(name: 'topologies' | 'metadata' | 'configurations' | 'host_level_params'): { clusters: Record<string, unknown>; timestamp?: number } }): CommandCaches {
  const configurations = caches.get('configurations');
  return {
    topologies: caches.get('topologies').clusters,
    metadata: caches.get('metadata').clusters,
    configurations: configurations.clusters,
    configurationsTimestamp: configurations.timestamp,
    hostLevelParams: caches.get('host_level_params').clusters,
  };
}

/**
 * FileCache.auto_cache_update_enabled: off only when the metadata's agent configs (the "-1"
 * entry's agentConfigs.agentConfig, AmbariConfig's agentConfig section) say
 * agent.auto.cache.update=false.
 */
export function autoCacheUpdateEnabled(metadata: Record<string, unknown>): boolean {
  const agentConfig = ownObject(ownObject(ownObject(metadata, AMBARI_LEVEL_CLUSTER_ID), 'agentConfigs'), 'agentConfig');
  const value = own(agentConfig, 'agent.auto.cache.update');
  return !(typeof value === 'string' && value.trim().toLowerCase() === 'false');
}
