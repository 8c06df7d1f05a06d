// The one cluster the dev server manages ("dev", id 0) and the answers to the five
// post-registration sync requests, shaped as the Java server's events (AgentCurrentDataController
// returns a *Holder's getUpdateIfChanged(hash)): the full event with `hash` when the agent's hash
// differs, else the holder's empty event, `{}` (Topology/Metadata/HostLevelParamsUpdateEvent,
// AlertDefinitionsAgentUpdateEvent: all NON_NULL with every property null) or `{"timestamp": N}`
// (AgentConfigsUpdateEvent.emptyUpdate sets timestamp = System.currentTimeMillis()). The hash
// is, as AgentDataHolder.getHash, a SHA-512 hex of the event's JSON without `hash` (and, for
// configs, without `timestamp`: HashAndTimestampIgnoreMixIn); hostId is @Transient, never written.
// The topology's hosts are the cluster's members (clusterHosts.ts: stable ids, added and removed
// through the API, as HostResourceProvider does), not every host that registered.
// Components placed on hosts (componentStore.ts) make the topology's `components` and the
// metadata's serviceLevelParams; adding one makes the events pushed to subscribed agents.
// Each answer (object, hash and JSON text) is made once per change of what it is made of, not
// once per request: 10,000 registering agents ask for the same topology.
// Alert definitions (alertDefinitionStore.ts) are chosen per host; the recovery settings
// (recoverySettings.ts) make the configurations' cluster-env and the host level params'
// recoveryConfig. A change to either is told to each host whose answer it changes, as the Java
// server's holders do (AgentHostDataHolder.updateData: the event with the new hash).
import { createHash } from 'node:crypto';
import type { AlertDefinition } from '../actors/alerts/alertTypes.js';
import { AlertDefinitionStore, type DefinitionChanges, type HostComponents } from './alertDefinitionStore.js';
import { ClusterHosts, DEFAULT_IPV4, type KnownHost } from './clusterHosts.js';
import { ComponentStore, desiredStateOf, type ComponentRequest, type StoredComponent } from './componentStore.js';
import type { HostRegistry } from './hostRegistry.js';
import { RecoveryStore, type RecoveryRequest, type RecoverySettings } from './recoverySettings.js';

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
/** The per-host topics (the agent subscribes to its own /user/... ones). */
export const ALERT_DEFINITIONS_EVENTS = '/user/alert_definitions';
export const HOST_LEVEL_PARAMS_EVENTS = '/user/host_level_params';
export const CONFIGS_EVENTS = '/user/configs';

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

/** A message for the agents subscribed to `destination` (only `hostName`'s when set). */
export interface ClusterEvent {
  destination: string;
  body: Record<string, unknown>;
  hostName?: string;
}

export type AddComponentResult =
  | { outcome: 'created' | 'added' | 'changed' | 'unchanged'; component: StoredComponent; topology: Record<string, unknown>; events: ClusterEvent[] }
  | { outcome: 'conflict'; error: string };

/** What each known host was sent before a change: its alert definitions by id, and the hashes of the rest. */
type HostSnapshot = Map<string, { definitions: Map<number, string>; hostLevelParams: string; configs: string }>;

/** The outcome of a change made through the API, with the events that tell the agents. */
export type Changed<T> = T & { events: ClusterEvent[] };

/** A full sync answer, kept until what it is made of changes. */
interface CachedAnswer {
  key: string;
  full: Record<string, unknown> & { hash: string };
  /** Its JSON, UTF-8. */
  bytes: Buffer;
}

const EMPTY_ANSWER = Buffer.from('{}');

export type AddHostsResult = Changed<{ added: string[] }> | { unknown: string[] };
export type RemoveHostResult = Changed<{ host: KnownHost }> | { notMember: true } | { conflict: string };

export class ClusterData {
  /** AgentConfigsUpdateEvent.timestamp of the configurations: when they were last made (server start, recovery changes). */
  configsTimestamp: number;
  readonly alertDefinitions: AlertDefinitionStore;
  readonly recovery: RecoveryStore;
  /** Hosts' stable ids and the cluster's members. */
  readonly members: ClusterHosts;
  /** Bumped by every change of components, alert definitions and recovery settings (what the answers are made of, with members.revision). */
  private revision = 0;
  private readonly answers = new Map<string, CachedAnswer>();

  constructor(
    private readonly hosts: HostRegistry,
    readonly components: ComponentStore = new ComponentStore(),
    private readonly now: () => number = Date.now,
    /** The dev server's API address, once it listens. */
    private readonly serverAddress: () => ServerAddress = () => ({ host: '127.0.0.1', port: 8080 }),
    stores: { alertDefinitions?: AlertDefinitionStore; recovery?: RecoveryStore; members?: ClusterHosts } = {},
  ) {
    this.configsTimestamp = now();
    this.alertDefinitions = stores.alertDefinitions ?? new AlertDefinitionStore(Number(CLUSTER_ID));
    this.recovery = stores.recovery ?? new RecoveryStore();
    this.members = stores.members ?? new ClusterHosts();
  }

  /** A (re-)registration: the host's stable id, given now when it is new, and its address. */
  registered(hostName: string, registration: Record<string, unknown>): KnownHost {
    const ipv4 = (registration.hardwareProfile as Record<string, unknown> | undefined)?.ipaddress;
    const isNew = this.members.get(hostName) === undefined;
    const host = this.members.registered(hostName, typeof ipv4 === 'string' && ipv4 !== '' ? ipv4 : DEFAULT_IPV4);
    // A data dir from before membership was kept (components.json, no hosts.json): hosts with
    // components placed on them are members, as they were then.
    if (isNew && this.components.list().some((component) => component.hosts.includes(hostName))) this.members.add([hostName]);
    return host;
  }

  /**
   * Registered hosts join the cluster (HostResourceProvider.addHosts): one topology UPDATE with
   * a TopologyCluster of the added TopologyHosts (and the placed components on them, whose
   * hostIds grow), and a HostLevelParamsUpdateEvent per added host. Hosts that never
   * registered are refused, all or nothing, as the Java server refuses them.
   */
  addHosts(hostNames: string[]): AddHostsResult {
    const unknown = hostNames.filter((name) => this.members.get(name) === undefined);
    if (unknown.length > 0) return { unknown };
    const added = this.members.add(hostNames);
    if (added.length === 0) return { added: [], events: [] };
    const names = new Set(added.map((host) => host.host_name));
    const hostIds = this.hostIds();
    const components = this.components
      .list()
      .filter((component) => component.hosts.some((host) => names.has(host)))
      .map((component) => this.topologyComponent(component, hostIds));
    const { hash } = this.full('topologies', added[0]!.host_name);
    const cluster = nonEmpty({ components, hosts: added.map(topologyHost) });
    const events: ClusterEvent[] = [{ destination: TOPOLOGY_EVENTS, body: { eventType: 'UPDATE', hash, clusters: { [CLUSTER_ID]: cluster } } }];
    for (const host of added) events.push({ destination: HOST_LEVEL_PARAMS_EVENTS, hostName: host.host_name, body: this.full('host_level_params', host.host_name) });
    return { added: added.map((host) => host.host_name), events };
  }

  /**
   * A member leaves the cluster (HostResourceProvider's delete): a topology DELETE with its
   * TopologyHost (id and name). A host with components placed on it is refused, since the
   * dev server cannot take components off hosts.
   */
  removeHost(hostName: string): RemoveHostResult {
    if (!this.members.isMember(hostName)) return { notMember: true };
    const placed = this.components.list().filter((component) => component.hosts.includes(hostName));
    if (placed.length > 0) return { conflict: `${hostName} has components (${placed.map((c) => c.component_name).join(', ')}); the dev server cannot remove components from a host` };
    const host = this.members.remove(hostName)!;
    const { hash } = this.full('topologies', hostName);
    const body = { eventType: 'DELETE', hash, clusters: { [CLUSTER_ID]: { hosts: [{ hostId: host.host_id, hostName: host.host_name }] } } };
    return { host, events: [{ destination: TOPOLOGY_EVENTS, body }] };
  }

  /** A new alert definition (validated request): pushed as an UPDATE to the hosts it applies to. */
  createAlertDefinition(changes: DefinitionChanges): Changed<{ definition: AlertDefinition }> | { conflict: string } {
    const before = this.snapshot();
    const result = this.alertDefinitions.create(changes);
    this.revision++;
    return 'conflict' in result ? result : { ...result, events: this.eventsSince(before) };
  }

  /** A changed definition (new uuid): UPDATE to the hosts it applies to, DELETE to those it no longer does; undefined for an unknown id. */
  changeAlertDefinition(definitionId: number, changes: DefinitionChanges): Changed<{ definition: AlertDefinition }> | { conflict: string } | undefined {
    const before = this.snapshot();
    const result = this.alertDefinitions.change(definitionId, changes);
    this.revision++;
    return result === undefined || 'conflict' in result ? result : { ...result, events: this.eventsSince(before) };
  }

  /** A removed definition: DELETE to the hosts that had it; undefined for an unknown id. */
  removeAlertDefinition(definitionId: number): Changed<{ definition: AlertDefinition }> | undefined {
    const before = this.snapshot();
    const definition = this.alertDefinitions.remove(definitionId);
    this.revision++;
    return definition === undefined ? undefined : { definition, events: this.eventsSince(before) };
  }

  /** New recovery settings: configurations to every host when cluster-env changed, host level params to those whose list changed. */
  setRecovery(request: RecoveryRequest): Changed<{ settings: RecoverySettings }> {
    const before = this.snapshot();
    const envBefore = JSON.stringify(this.recovery.get().cluster_env);
    const settings = this.recovery.set(request);
    this.revision++;
    if (JSON.stringify(settings.cluster_env) !== envBefore) this.configsTimestamp = this.now();
    return { settings, events: this.eventsSince(before) };
  }

  /** A host's recoveryConfig.components (RecoveryConfigHelper.getEnabledComponents): its components with recovery enabled. */
  recoveryComponents(hostName: string): Array<{ component_name: string; service_name: string; desired_state: string }> {
    return this.components
      .list()
      .filter((c) => c.hosts.includes(hostName) && this.recovery.isEnabled(c.component_name))
      .map((c) => ({ component_name: c.component_name, service_name: c.service_name, desired_state: desiredStateOf(c) }));
  }

  /**
   * What decides a host's alert definitions. The dev server has no component categories, so
   * every component counts as a master: a service-level definition goes to every host with a
   * component of its service.
   */
  hostComponents(hostName: string): HostComponents {
    const components = this.components.list().filter((c) => c.hosts.includes(hostName));
    return { components, masterServices: new Set(components.map((c) => c.service_name)) };
  }

  /** What `hostNames` (default: every known host) were sent so far. */
  private snapshot(hostNames: Iterable<string> = this.knownHostNames()): HostSnapshot {
    const snapshot: HostSnapshot = new Map();
    for (const host of hostNames) {
      const definitions = new Map(this.alertDefinitions.forHost(this.hostComponents(host)).map((d) => [d.definitionId, JSON.stringify(d)]));
      snapshot.set(host, { definitions, hostLevelParams: this.full('host_level_params', host).hash, configs: this.full('configs', host).hash });
    }
    return snapshot;
  }

  /**
   * The events that bring each host from what `before` says it had to what it gets now:
   * alert definitions as DELETE (those it lost) and UPDATE (new or changed ones only), each
   * with hostName and the new hash; the whole host level params or configurations when their
   * hash changed (those events replace the agent's cache).
   */
  private eventsSince(before: HostSnapshot): ClusterEvent[] {
    const events: ClusterEvent[] = [];
    for (const [host, was] of before) {
      const now = this.alertDefinitions.forHost(this.hostComponents(host));
      const nowIds = new Set(now.map((d) => d.definitionId));
      const removed = [...was.definitions].filter(([id]) => !nowIds.has(id)).map(([, json]) => JSON.parse(json) as AlertDefinition);
      const changed = now.filter((d) => was.definitions.get(d.definitionId) !== JSON.stringify(d));
      if (removed.length > 0 || changed.length > 0) {
        const { hash } = this.full('alert_definitions', host);
        const event = (eventType: string, alertDefinitions: AlertDefinition[]): ClusterEvent => ({
          destination: ALERT_DEFINITIONS_EVENTS,
          hostName: host,
          body: { hash, eventType, hostName: host, clusters: { [CLUSTER_ID]: { alertDefinitions, hostName: host } } },
        });
        if (removed.length > 0) events.push(event('DELETE', removed));
        if (changed.length > 0) events.push(event('UPDATE', changed));
      }
      const hostLevelParams = this.full('host_level_params', host);
      if (hostLevelParams.hash !== was.hostLevelParams) events.push({ destination: HOST_LEVEL_PARAMS_EVENTS, hostName: host, body: hostLevelParams });
      const configs = this.full('configs', host);
      if (configs.hash !== was.configs) events.push({ destination: CONFIGS_EVENTS, hostName: host, body: configs });
    }
    return events;
  }

  private knownHostNames(): string[] {
    return this.hosts.list().map((record) => record.host_name);
  }

  /** The sync answer for `name` as seen by `hostName`, as JSON (UTF-8): the holder's empty event when `knownHash` is current. */
  sync(name: SyncName, hostName: string, knownHash: unknown): Buffer {
    const answer = this.answer(name, hostName);
    const record = this.hosts.get(hostName);
    if (record) record.lastSync[name] = knownHash === answer.full.hash ? 'unchanged' : 'sent';
    if (knownHash === answer.full.hash) return name === 'configs' ? Buffer.from(JSON.stringify({ timestamp: this.now() })) : EMPTY_ANSWER;
    return answer.bytes;
  }

  /** The full sync answer (hash included) for `name` as seen by `hostName`. */
  full(name: SyncName, hostName: string): Record<string, unknown> & { hash: string } {
    return this.answer(name, hostName).full;
  }

  /** The cached answer, made again when what it is made of changed. */
  private answer(name: SyncName, hostName: string): CachedAnswer {
    // Topology, metadata and configurations are the same for every host.
    const perHost = name === 'host_level_params' || name === 'alert_definitions';
    const slot = perHost ? `${name} ${hostName}` : name;
    const address = name === 'metadata' ? this.serverAddress() : undefined;
    const key = `${this.revision} ${this.members.revision} ${this.configsTimestamp}${address ? ` ${address.host}:${address.port}` : ''}`;
    const cached = this.answers.get(slot);
    if (cached?.key === key) return cached;
    const { extra, clusters } = this.content(name, hostName);
    // The configs' timestamp is left out of their hash (HashAndTimestampIgnoreMixIn).
    const { timestamp: _timestamp, ...hashed } = extra;
    const full = { hash: contentHash({ ...hashed, clusters }), ...extra, clusters };
    const answer = { key, full, bytes: Buffer.from(JSON.stringify(full)) };
    this.answers.set(slot, answer);
    return answer;
  }

  /**
   * Places a component on a (known) host. When that changes the topology, the events for the
   * agents: a topology UPDATE with the component (agents merge it into their cache, as
   * fixtures/topology_add_component.json) and, when a service is new, the whole metadata.
   */
  addComponent(hostName: string, request: ComponentRequest): AddComponentResult {
    // Topology and metadata are the same for every host (only alert definitions are per host).
    const metadataBefore = this.full('metadata', hostName).hash;
    // Only this host's definitions and recovery list can change.
    const before = this.snapshot([hostName]);
    const result = this.components.add(hostName, request);
    if (result.outcome === 'conflict') return result;
    this.revision++;
    // A dev-server convenience: a registered host that is no member joins with its first component.
    const joined = this.members.add([hostName]);
    const topology = this.topologyComponent(result.component, this.hostIds());
    const events: ClusterEvent[] = [];
    if (result.outcome === 'created' || result.outcome === 'added' || joined.length > 0) {
      const { hash } = this.full('topologies', hostName);
      const cluster = joined.length > 0 ? { components: [topology], hosts: joined.map(topologyHost) } : { components: [topology] };
      events.push({ destination: TOPOLOGY_EVENTS, body: { eventType: 'UPDATE', hash, clusters: { [CLUSTER_ID]: cluster } } });
      // MetadataHolder.onServiceCreate publishes an UPDATE with the new hash.
      const metadata = this.full('metadata', hostName);
      if (metadata.hash !== metadataBefore) events.push({ destination: METADATA_EVENTS, body: { ...metadata, eventType: 'UPDATE' } });
    }
    // The host's new definitions (AlertDefinitionsUIUpdateListener.onServiceComponentInstalled),
    // and the recovery lists of the component's hosts when it recovers.
    events.push(...this.eventsSince(before));
    return { ...result, topology, events };
  }

  /** hostIds of the cluster's members, by name (their stable ids). */
  private hostIds(): Map<string, number> {
    return new Map(this.members.members().map((host) => [host.host_name, host.host_id]));
  }

  /** A component as the topology has it (fixtures/topology_create.json), on the cluster's members. */
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
        const members = this.members.members();
        const hostIds = new Map(members.map((host) => [host.host_name, host.host_id]));
        return {
          extra: { eventType: 'CREATE' },
          clusters: {
            [CLUSTER_ID]: {
              // Components on hosts that are no members (removed from the cluster) are left
              // out: hostIds name hosts of this topology only.
              components: this.components
                .list()
                .map((component) => this.topologyComponent(component, hostIds))
                .filter((component) => component.hostIds !== undefined),
              hosts: members.map(topologyHost),
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
      // The recovery keys, once set, are cluster-env's.
      case 'configs': {
        const clusterEnv = this.recovery.get().cluster_env;
        const configurations = Object.keys(clusterEnv).length > 0 ? { 'cluster-env': clusterEnv } : {};
        return { extra: { timestamp: this.configsTimestamp }, clusters: { [CLUSTER_ID]: { configurations, configurationAttributes: {} } } };
      }
      // HostLevelParamsUpdateEvent (events/HostLevelParamsUpdateEvent.java): per cluster a
      // HostLevelParamsCluster (NON_EMPTY: recoveryConfig, blueprint_provisioning_state), the
      // RecoveryConfig being just its `components` (RecoveryConfig.java).
      // The recoveryConfig's empty list stays: RecoveryConfig is a plain bean, written whole.
      case 'host_level_params':
        return { extra: {}, clusters: { [CLUSTER_ID]: { recoveryConfig: { components: this.recoveryComponents(hostName) } } } };
      // AlertDefinitionsAgentUpdateEvent (NON_EMPTY-free, NON_NULL): eventType CREATE, hostName,
      // per cluster an AlertCluster: staleIntervalMultiplier, alertDefinitions, hostName.
      case 'alert_definitions':
        return {
          extra: { eventType: 'CREATE', hostName },
          clusters: { [CLUSTER_ID]: { staleIntervalMultiplier: STALE_INTERVAL_MULTIPLIER, alertDefinitions: this.alertDefinitions.forHost(this.hostComponents(hostName)), hostName } },
        };
    }
  }
}

/** A member as the topology has it: TopologyHost (stomp/dto/TopologyHost.java, NON_NULL). */
function topologyHost(host: KnownHost): Record<string, unknown> {
  return { hostId: host.host_id, hostName: host.host_name, rackName: '/default-rack', ipv4: host.ipv4 };
}

/** A service's entry of the metadata's serviceLevelParams (fixtures/metadata_after_registration.json). */
export function servicePackageFolder(service: string): string {
  return `${STACK_DIR}/services/${service}/package`;
}

function serviceLevelParams(service: string): Record<string, unknown> {
  return { service_package_folder: servicePackageFolder(service), version: STACK_VERSION, status_commands_timeout: 300, credentialStoreEnabled: false };
}
