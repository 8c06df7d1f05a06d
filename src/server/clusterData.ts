// The one cluster the dev server manages ("dev", id 0) and the payloads of the five
// post-registration sync requests, shaped as the fixtures in shared/reference. Each payload
// carries a stable hash of its content, so an agent whose cache is current gets "nothing new".
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
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
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
  constructor(
    private readonly hosts: HostRegistry,
    readonly components: ComponentStore = new ComponentStore(),
  ) {}

  /** The sync answer for `name` as seen by `hostName`; `{hash}` alone when `knownHash` is current. */
  sync(name: SyncName, hostName: string, knownHash: unknown): Record<string, unknown> {
    const full = this.full(name, hostName);
    const record = this.hosts.get(hostName);
    if (record) record.lastSync[name] = knownHash === full.hash ? 'unchanged' : 'sent';
    if (knownHash === full.hash) return { hash: full.hash };
    return full;
  }

  /** The full sync answer (hash included) for `name` as seen by `hostName`. */
  full(name: SyncName, hostName: string): Record<string, unknown> & { hash: string } {
    const { extra, clusters } = this.content(name, hostName);
    return { hash: contentHash({ extra, clusters }), ...extra, clusters };
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
      const metadata = this.full('metadata', hostName);
      if (metadata.hash !== metadataBefore) events.push({ destination: METADATA_EVENTS, body: metadata });
    }
    return { ...result, topology, events };
  }

  /** hostIds of the hosts known now, by name: positions in hosts.list(), as HostRegistry.hostId (one sort, not one per host). */
  private hostIds(): Map<string, number> {
    return new Map(this.hosts.list().map((record, index) => [record.host_name, index]));
  }

  /** A component as the topology has it (fixtures/topology_create.json), on the hosts known now. */
  private topologyComponent(component: StoredComponent, hostIds: Map<string, number>): Record<string, unknown> {
    return {
      componentName: component.component_name,
      serviceName: component.service_name,
      version: component.version,
      hostIds: component.hosts.flatMap((host) => hostIds.get(host) ?? []).sort((a, b) => a - b),
      componentLevelParams: {},
      commandParams: { script: component.script, script_type: component.script_type, command_timeout: COMPONENT_COMMAND_TIMEOUT },
    };
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
                .filter((component) => (component.hostIds as number[]).length > 0),
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
      case 'metadata':
        return {
          extra: {},
          clusters: {
            [CLUSTER_ID]: {
              clusterLevelParams: { cluster_name: CLUSTER_NAME, stack_name: STACK_NAME, stack_version: STACK_VERSION, group_list: '["hadoop"]', user_list: '["ambari-qa"]' },
              serviceLevelParams: Object.fromEntries(this.components.services().map((service) => [service, serviceLevelParams(service)])),
              status_commands_to_run: ['STATUS'],
              fullServiceLevelMetadata: true,
            },
          },
        };
      case 'configs':
        return { extra: { timestamp: 0 }, clusters: { [CLUSTER_ID]: { configurations: {}, configurationAttributes: {} } } };
      case 'host_level_params':
        return {
          extra: {},
          clusters: {
            [CLUSTER_ID]: {
              repoInfo: [],
              recoveryConfig: { type: 'DEFAULT', maxCount: 6, windowInMinutes: 60, components: '' },
              blueprintProvisioningState: {},
            },
          },
        };
      case 'alert_definitions':
        return {
          extra: { eventType: 'CREATE', hostName },
          clusters: { [CLUSTER_ID]: { clusterName: CLUSTER_NAME, hostName, publicHostName: hostName, alertDefinitions: [] } },
        };
    }
  }
}

/** A service's entry of the metadata's serviceLevelParams (fixtures/metadata_after_registration.json). */
function serviceLevelParams(service: string): Record<string, unknown> {
  return { service_package_folder: `${STACK_DIR}/services/${service}/package`, version: STACK_VERSION, status_commands_timeout: 300, credentialStoreEnabled: false };
}
