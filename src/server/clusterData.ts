// The one cluster the dev server manages ("dev", id 0) and the payloads of the five
// post-registration sync requests, shaped as the fixtures in shared/reference. Each payload
// carries a stable hash of its content, so an agent whose cache is current gets "nothing new".
import { createHash } from 'node:crypto';
import type { HostRegistry } from './hostRegistry.js';

export const CLUSTER_ID = '0';
export const CLUSTER_NAME = 'dev';

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

export class ClusterData {
  constructor(private readonly hosts: HostRegistry) {}

  /** The sync answer for `name` as seen by `hostName`; `{hash}` alone when `knownHash` is current. */
  sync(name: SyncName, hostName: string, knownHash: unknown): Record<string, unknown> {
    const { extra, clusters } = this.content(name, hostName);
    const hash = contentHash({ extra, clusters });
    const record = this.hosts.get(hostName);
    if (record) record.lastSync[name] = knownHash === hash ? 'unchanged' : 'sent';
    if (knownHash === hash) return { hash };
    return { hash, ...extra, clusters };
  }

  private content(name: SyncName, hostName: string): { extra: Record<string, unknown>; clusters: Record<string, unknown> } {
    switch (name) {
      case 'topologies':
        return {
          extra: { eventType: 'CREATE' },
          clusters: {
            [CLUSTER_ID]: {
              components: [],
              hosts: this.hosts.list().map((record) => ({
                hostId: this.hosts.hostId(record.host_name),
                hostName: record.host_name,
                rackName: '/default-rack',
                ipv4: String((record.registration.hardwareProfile as Record<string, unknown> | undefined)?.ipaddress ?? '127.0.0.1'),
              })),
            },
          },
        };
      case 'metadata':
        return {
          extra: {},
          clusters: {
            [CLUSTER_ID]: {
              clusterLevelParams: { cluster_name: CLUSTER_NAME, stack_name: 'DEV', stack_version: '1.0', group_list: '["hadoop"]', user_list: '["ambari-qa"]' },
              serviceLevelParams: {},
              statusCommandsToRun: ['STATUS'],
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
