// The one cluster the dev server manages ("dev", id 0) and the answers to the five
// post-registration sync requests, shaped as the Java server's events (AgentCurrentDataController
// returns a *Holder's getUpdateIfChanged(hash)): the full event with `hash` when the agent's hash
// differs, else the holder's empty event, `{}` (Topology/Metadata/HostLevelParamsUpdateEvent,
// AlertDefinitionsAgentUpdateEvent: all NON_NULL with every property null) or `{"timestamp": N}`
// (AgentConfigsUpdateEvent.emptyUpdate sets timestamp = System.currentTimeMillis()). The hash
// is, as AgentDataHolder.getHash, a SHA-512 hex of the event's JSON without `hash` (and, for
// configs, without `timestamp`: HashAndTimestampIgnoreMixIn); hostId is @Transient, never written.
// Components placed on hosts (componentStore.ts) make the topology's `components` and the
// metadata's serviceLevelParams; adding one makes the events pushed to subscribed agents.
import { createHash } from 'node:crypto';
import { ComponentStore, type ComponentRequest, type StoredComponent } from './componentStore.js';
import type { HostRegistry } from './hostRegistry.js';

export const CLUSTER_ID = '0';
export const CLUSTER_NAME = 'dev';
export const STACK_NAME = 'DEV';
export const STACK_VERSION = '1.0';
/** Where the dev server's stack keeps services and hooks (commandParams, serviceLevelParams). */
export const STACK_DIR = `stacks/${STACK_NAME}/${STACK_VERSION}`;
/** clusterLevelParams.hooks_folder: Configuration.HOOKS_FOLDER's default (stack.hooks.folder). */
export const HOOKS_FOLDER = 'stack-hooks';
/** commandParams.command_timeout of a topology component (seconds, a string as in the fixtures). */
const COMPONENT_COMMAND_TIMEOUT = '600';
export const TOPOLOGY_EVENTS = '/events/topologies';
export const METADATA_EVENTS = '/events/metadata';

export type SyncName = 'topologies' | 'metadata' | 'configs' | 'host_level_params' | 'alert_definitions';

export const SYNC_DESTINATIONS: Record<string, SyncName> = {
  '/agents/topologies': 'topologies',
  '/agents/metadata': 'metadata',
  '/agents/configs': 'configs',
  '/agents/host_level_params': 'host_level_params',
  '/agents/alert_definitions': 'alert_definitions',
};

export function contentHash(content: unknown): string {
  return createHash('sha512').update(canonicalJson(content)).digest('hex');
}

/** Where the server's own web/API address is (`ambari_server_host`, `ambari_server_port`, `jdk_location`). */
export interface ServerAddress {
  host: string;
  port: number;
}

/**
 * AmbariManagementControllerImpl.getMetadataAmbariLevelParams: the "-1" entry's clusterLevelParams.
 * The Java server names its own host and API port (8080) and serves the resources there; the
 * dev server names its own API address, so an agent that fetches from jdk_location asks this
 * server (which serves /resources from --resources DIR) and never a stranger on port 8080.
 */
export function ambariLevelParams({ host, port }: ServerAddress): Record<string, string> {
  const resources = `http://${host}:${port}/resources`;
  return {
    agent_stack_retry_count: '5',
    agent_stack_retry_on_unavailability: 'false',
    ambari_db_rca_driver: 'org.postgresql.Driver',
    ambari_db_rca_password: 'mapred',
    ambari_db_rca_url: `jdbc:postgresql://${host}/ambarirca`,
    ambari_db_rca_username: 'mapred',
    ambari_server_host: host,
    ambari_server_port: String(port),
    ambari_server_use_ssl: 'false',
    db_driver_filename: 'mysql-connector-java.jar',
    db_name: 'ambari',
    gpl_license_accepted: 'false',
    host_sys_prepped: 'false',
    java_home: '/usr/jdk64/jdk1.8.0_112',
    java_version: '8',
    jce_name: 'jce_policy-8.zip',
    jdk_location: resources,
    jdk_name: 'jdk-8u112-linux-x64.tar.gz',
    mysql_jdbc_url: `${resources}/mysql-connector-java.jar`,
    oracle_jdbc_url: `${resources}/ojdbc6.jar`,
  };
}

/**
 * AmbariManagementControllerImpl.getTopologyComponentLevelParams: every component gets
 * clientsToUpdateConfigs (getClientsToUpdateConfigs: `["*"]` when the stack names none) and
 * unlimited_key_jce_required; the Python agent's ConfigurationBuilder reads the map for every
 * status and version command, so it must not be left out.
 */
export const COMPONENT_LEVEL_PARAMS: Record<string, string> = { clientsToUpdateConfigs: '["*"]', unlimited_key_jce_required: 'false' };

/** Configuration.getAgentConfigsMap (section "agentConfig", the defaults of its four keys): the "-1" entry's agentConfigs. */
export const AGENT_CONFIGS: Record<string, Record<string, string>> = {
  agentConfig: {
    'agent.auto.cache.update': 'true',
    'agent.check.mounts.timeout': '0',
    'agent.check.remote.mounts': 'false',
    'java.home': '/usr/jdk64/jdk1.8.0_112',
  },
};

/** MetadataUpdateEvent's AMBARI_LEVEL_CLUSTER_ID: parameters common to all clusters. */
export const AMBARI_LEVEL_CLUSTER_ID = '-1';
/** AlertCluster.staleIntervalMultiplier: AlertHelper's wait factor of the ambari_server_stale_alerts definition (default 2). */
const STALE_INTERVAL_MULTIPLIER = 2;

/** What Jackson's NON_EMPTY inclusion leaves of an object: no null, empty string, empty list or empty map. */
function nonEmpty(object: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(object).filter(([, value]) => {
      if (value === null || value === undefined || value === '') return false;
      if (Array.isArray(value)) return value.length > 0;
      if (typeof value === 'object') return Object.keys(value).length > 0;
      return true;
    }),
  );
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A message for the agents subscribed to `destination`. */
export interface ClusterEvent {
  destination: string;
  body: Record<string, unknown>;
}

export type AddComponentResult =
  | { outcome: 'created' | 'added' | 'unchanged'; component: StoredComponent; topology: Record<string, unknown>; events: ClusterEvent[] }
  | { outcome: 'conflict'; error: string };

export class ClusterData {
  /** AgentConfigsUpdateEvent.timestamp of the configurations: when they were made (server start). */
  readonly configsTimestamp: number;

  constructor(
    private readonly hosts: HostRegistry,
    readonly components: ComponentStore = new ComponentStore(),
    private readonly now: () => number = Date.now,
    /** The dev server's API address, once it listens. */
    private readonly serverAddress: () => ServerAddress = () => ({ host: '127.0.0.1', port: 8080 }),
  ) {
    this.configsTimestamp = now();
  }

  /** The sync answer for `name` as seen by `hostName`: the holder's empty event when `knownHash` is current. */
  sync(name: SyncName, hostName: string, knownHash: unknown): Record<string, unknown> {
    const full = this.full(name, hostName);
    const record = this.hosts.get(hostName);
    if (record) record.lastSync[name] = knownHash === full.hash ? 'unchanged' : 'sent';
    if (knownHash === full.hash) return name === 'configs' ? { timestamp: this.now() } : {};
    return full;
  }

  /** The full sync answer (hash included) for `name` as seen by `hostName`. */
  full(name: SyncName, hostName: string): Record<string, unknown> & { hash: string } {
    const { extra, clusters } = this.content(name, hostName);
    // The configs' timestamp is left out of their hash (HashAndTimestampIgnoreMixIn).
    const { timestamp: _timestamp, ...hashed } = extra;
    return { hash: contentHash({ ...hashed, clusters }), ...extra, clusters };
  }

  /**
   * Places a component on a (known) host. When that changes the topology, the events for the
   * agents: a topology UPDATE with the component (agents merge it into their cache, as
   * fixtures/topology_add_component.json) and, when a service is new, the whole metadata.
   */
  addComponent(hostName: string, request: ComponentRequest): AddComponentResult {
    // Topology and metadata are the same for every host (only alert definitions are per host).
    const metadataBefore = this.full('metadata', hostName).hash;
    const result = this.components.add(hostName, request);
    if (result.outcome === 'conflict') return result;
    const topology = this.topologyComponent(result.component, this.hostIds());
    const events: ClusterEvent[] = [];
    if (result.outcome !== 'unchanged') {
      const { hash } = this.full('topologies', hostName);
      events.push({ destination: TOPOLOGY_EVENTS, body: { eventType: 'UPDATE', hash, clusters: { [CLUSTER_ID]: { components: [topology] } } } });
      // MetadataHolder.onServiceCreate publishes an UPDATE with the new hash.
      const metadata = this.full('metadata', hostName);
      if (metadata.hash !== metadataBefore) events.push({ destination: METADATA_EVENTS, body: { ...metadata, eventType: 'UPDATE' } });
    }
    return { ...result, topology, events };
  }

  /** hostIds of the hosts known now, by name: positions in hosts.list(), as HostRegistry.hostId (one sort, not one per host). */
  private hostIds(): Map<string, number> {
    return new Map(this.hosts.list().map((record, index) => [record.host_name, index]));
  }

  /** A component as the topology has it (fixtures/topology_create.json), on the hosts known now. */
  // TopologyComponent (stomp/dto/TopologyComponent.java, NON_EMPTY: empty sets and maps are left out).
  private topologyComponent(component: StoredComponent, hostIds: Map<string, number>): Record<string, unknown> {
    const known = component.hosts.filter((host) => hostIds.has(host));
    return nonEmpty({
      componentName: component.component_name,
      serviceName: component.service_name,
      displayName: component.component_name,
      version: component.version,
      hostIds: known.map((host) => hostIds.get(host)!).sort((a, b) => a - b),
      hostNames: known,
      publicHostNames: known,
      componentLevelParams: COMPONENT_LEVEL_PARAMS,
      // AmbariManagementControllerImpl.getTopologyCommandParams.
      commandParams: { service_package_folder: servicePackageFolder(component.service_name), script: component.script, script_type: component.script_type, command_timeout: COMPONENT_COMMAND_TIMEOUT, version: component.version },
    });
  }

  private content(name: SyncName, hostName: string): { extra: Record<string, unknown>; clusters: Record<string, unknown> } {
    switch (name) {
      case 'topologies': {
        const hostIds = this.hostIds();
        return {
          extra: { eventType: 'CREATE' },
          clusters: {
            [CLUSTER_ID]: {
              // Components on hosts not known yet (e.g. after a restart, before their agents
              // registered) wait for them: hostIds name hosts of this topology only.
              components: this.components
                .list()
                .map((component) => this.topologyComponent(component, hostIds))
                .filter((component) => component.hostIds !== undefined),
              hosts: this.hosts.list().map((record) => ({
                hostId: hostIds.get(record.host_name),
                hostName: record.host_name,
                rackName: '/default-rack',
                ipv4: String((record.registration.hardwareProfile as Record<string, unknown> | undefined)?.ipaddress ?? '127.0.0.1'),
              })),
            },
          },
        };
      }
      // MetadataUpdateEvent (events/MetadataUpdateEvent.java) from getClustersMetadata: eventType
      // CREATE; per cluster a MetadataCluster (NON_EMPTY; status_commands_to_run is ["STATUS"]
      // since the cluster has a securityType); and "-1", MetadataCluster(null, null, false,
      // ambariLevelParams, agentConfigs): no status commands, fullServiceLevelMetadata false.
      case 'metadata':
        return {
          extra: { eventType: 'CREATE' },
          clusters: {
            [CLUSTER_ID]: nonEmpty({
              status_commands_to_run: ['STATUS'],
              fullServiceLevelMetadata: true,
              serviceLevelParams: Object.fromEntries(this.components.services().map((service) => [service, serviceLevelParams(service)])),
              // getMetadataClusterLevelParams: stack, cluster name, hooks_folder, users and groups.
              clusterLevelParams: { cluster_name: CLUSTER_NAME, stack_name: STACK_NAME, stack_version: STACK_VERSION, hooks_folder: HOOKS_FOLDER, group_list: '["hadoop"]', user_list: '["ambari-qa"]' },
            }),
            [AMBARI_LEVEL_CLUSTER_ID]: { fullServiceLevelMetadata: false, clusterLevelParams: ambariLevelParams(this.serverAddress()), agentConfigs: AGENT_CONFIGS },
          },
        };
      // AgentConfigsUpdateEvent (events/AgentConfigsUpdateEvent.java): timestamp and, per cluster,
      // ClusterConfigs (NON_NULL: empty maps stay).
      case 'configs':
        return { extra: { timestamp: this.configsTimestamp }, clusters: { [CLUSTER_ID]: { configurations: {}, configurationAttributes: {} } } };
      // HostLevelParamsUpdateEvent (events/HostLevelParamsUpdateEvent.java): per cluster a
      // HostLevelParamsCluster (NON_EMPTY: recoveryConfig, blueprint_provisioning_state), the
      // RecoveryConfig being just its `components` (RecoveryConfig.java).
      case 'host_level_params':
        return { extra: {}, clusters: { [CLUSTER_ID]: { recoveryConfig: { components: [] } } } };
      // AlertDefinitionsAgentUpdateEvent (NON_EMPTY-free, NON_NULL): eventType CREATE, hostName,
      // per cluster an AlertCluster: staleIntervalMultiplier, alertDefinitions, hostName.
      case 'alert_definitions':
        return {
          extra: { eventType: 'CREATE', hostName },
          clusters: { [CLUSTER_ID]: { staleIntervalMultiplier: STALE_INTERVAL_MULTIPLIER, alertDefinitions: [], hostName } },
        };
    }
  }
}

/** A service's entry of the metadata's serviceLevelParams (fixtures/metadata_after_registration.json). */
export function servicePackageFolder(service: string): string {
  return `${STACK_DIR}/services/${service}/package`;
}

function serviceLevelParams(service: string): Record<string, unknown> {
  return { service_package_folder: servicePackageFolder(service), version: STACK_VERSION, status_commands_timeout: 300, credentialStoreEnabled: false };
}
