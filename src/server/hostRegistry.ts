// Every agent host the dev server has seen: registered, heartbeating, or lost (no heartbeat
// for LOST_AFTER_INTERVALS heartbeat intervals), with timestamps and the responseId sequence.
import { isPlainObject } from '../util/plainObject.js';

export type HostState = 'registered' | 'heartbeating' | 'lost';

export interface HostRecord {
  host_name: string;
  state: HostState;
  registered_at: number;
  last_heartbeat: number | null;
  response_id: number;
  agent_version: string | null;
  heartbeats: number;
  /** The full registration body the agent sent. */
  registration: Record<string, unknown>;
  connectionId: string | null;
  /** Per sync request, what the last answer was: the full content, or `unchanged` (hash current). */
  lastSync: Record<string, 'sent' | 'unchanged'>;
  /** Test hook: answer the next heartbeat with a wrong id (the agent must restart). */
  wrongHeartbeatIdOnce: boolean;
  /** The latest /reports/component_status entry per cluster, component and command. */
  componentStatus: Map<string, ComponentStatus>;
  /** The latest /reports/host_status body. */
  hostStatus: HostStatus | null;
  /** The latest /reports/component_version entry per cluster and component. */
  componentVersions: Map<string, ComponentVersion>;
}

/** A component status report entry as the agent sent it, with when it came. */
export type ComponentStatus = Record<string, unknown> & { componentName: string; reported_at: number };
/** A component version report entry as the agent sent it (its cluster id added), with when it came. */
export type ComponentVersion = Record<string, unknown> & { componentName: string; version: string; clusterId: string; reported_at: number };
/** A host status report as the agent sent it, with when it came. */
export type HostStatus = Record<string, unknown> & { reported_at: number };

export const LOST_AFTER_INTERVALS = 3;

/** What happened to a host (for the state page's view and event log). */
export interface HostChange {
  host: HostRecord;
  change: 'registered' | 'heartbeat' | 'lost' | 'disconnected';
  /** The host's state before the change (none for a first registration). */
  previous?: HostState;
}

export class HostRegistry {
  private readonly hosts = new Map<string, HostRecord>();
  private readonly listeners = new Set<(change: HostChange) => void>();

  constructor(
    private readonly heartbeatIntervalMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** A (re-)registration starts a new responseId sequence at 0. */
  register(hostName: string, registration: Record<string, unknown>, connectionId: string): HostRecord {
    const previous = this.hosts.get(hostName);
    const record: HostRecord = {
      host_name: hostName,
      state: 'registered',
      registered_at: this.now(),
      last_heartbeat: null,
      response_id: 0,
      agent_version: typeof registration.agentVersion === 'string' ? registration.agentVersion : null,
      heartbeats: previous?.heartbeats ?? 0,
      registration,
      connectionId,
      lastSync: {},
      wrongHeartbeatIdOnce: previous?.wrongHeartbeatIdOnce ?? false,
      // What the agent last reported is still the last known state after it re-registers.
      componentStatus: previous?.componentStatus ?? new Map(),
      hostStatus: previous?.hostStatus ?? null,
      componentVersions: previous?.componentVersions ?? new Map(),
    };
    this.hosts.set(hostName, record);
    this.changed({ host: record, change: 'registered', ...(previous ? { previous: previous.state } : {}) });
    return record;
  }

  /** The heartbeat answer: `{id: responseId + 1}` (or a wrong one when that fault is set). */
  heartbeat(hostName: string): { id: number } | undefined {
    const record = this.hosts.get(hostName);
    if (!record) return undefined;
    const previous = record.state;
    record.response_id += 1;
    record.last_heartbeat = this.now();
    record.heartbeats += 1;
    record.state = 'heartbeating';
    this.changed({ host: record, change: 'heartbeat', previous });
    if (record.wrongHeartbeatIdOnce) {
      record.wrongHeartbeatIdOnce = false;
      return { id: record.response_id + 41 };
    }
    return { id: record.response_id };
  }

  /**
   * A /reports/component_status body, `{"clusters": {CLUSTER_ID: [{componentName, serviceName,
   * command, status, clusterId}, ...]}}` (or the per-cluster map alone, as in
   * fixtures/components_status_report.json). Returns the problems (entries ignored).
   */
  recordComponentStatus(hostName: string, body: Record<string, unknown>): string[] {
    const record = this.hosts.get(hostName);
    if (!record) return [`unknown host ${hostName}`];
    const clusters = isPlainObject(body.clusters) ? body.clusters : body;
    const problems: string[] = [];
    const now = this.now();
    for (const [clusterId, entries] of Object.entries(clusters)) {
      if (!Array.isArray(entries)) {
        problems.push(`cluster ${clusterId}: not a list`);
        continue;
      }
      for (const entry of entries) {
        if (!isPlainObject(entry) || typeof entry.componentName !== 'string') {
          problems.push(`cluster ${clusterId}: entry without a componentName: ${JSON.stringify(entry)}`);
          continue;
        }
        const command = typeof entry.command === 'string' ? entry.command : 'STATUS';
        record.componentStatus.set(JSON.stringify([clusterId, entry.componentName, command]), {
          ...entry,
          componentName: entry.componentName,
          clusterId: entry.clusterId ?? clusterId,
          reported_at: now,
        });
      }
    }
    return problems;
  }

  /**
   * A /reports/component_version body, `{"clusters": {CLUSTER_ID: [{serviceName, componentName,
   * version}, ...]}}`. Returns the problems (entries ignored); the good entries are kept.
   */
  recordComponentVersions(hostName: string, body: Record<string, unknown>): string[] {
    const record = this.hosts.get(hostName);
    if (!record) return [`unknown host ${hostName}`];
    if (!isPlainObject(body.clusters)) return [`no "clusters" object: ${JSON.stringify(body).slice(0, 200)}`];
    const problems: string[] = [];
    const now = this.now();
    for (const [clusterId, entries] of Object.entries(body.clusters)) {
      if (!Array.isArray(entries)) {
        problems.push(`cluster ${clusterId}: not a list`);
        continue;
      }
      for (const entry of entries) {
        const bad = !isPlainObject(entry) ? 'not an object' : (['serviceName', 'componentName', 'version'] as const).find((key) => typeof entry[key] !== 'string' || entry[key] === '');
        if (bad !== undefined) {
          const what = bad === 'not an object' ? bad : `without a ${bad} string`;
          problems.push(`cluster ${clusterId}: entry ${what}: ${JSON.stringify(entry).slice(0, 200)}`);
          continue;
        }
        const good = entry as Record<string, unknown> & { componentName: string; version: string };
        record.componentVersions.set(JSON.stringify([clusterId, good.componentName]), { ...good, clusterId, reported_at: now });
      }
    }
    return problems;
  }

  /** A /reports/host_status body (fixtures/agent_host_status_update.json), kept whole. */
  recordHostStatus(hostName: string, body: Record<string, unknown>): boolean {
    const record = this.hosts.get(hostName);
    if (!record) return false;
    record.hostStatus = { ...body, reported_at: this.now() };
    return true;
  }

  /** The connection `connectionId` (of `hostName`, the host it registered) closed. */
  connectionClosed(connectionId: string, hostName: string | undefined): void {
    const record = hostName === undefined ? undefined : this.hosts.get(hostName);
    // A host that registered again since is on its new connection.
    if (!record || record.connectionId !== connectionId) return;
    record.connectionId = null;
    this.changed({ host: record, change: 'disconnected', previous: record.state });
  }

  /** Marks hosts lost whose last sign of life is older than LOST_AFTER_INTERVALS intervals. */
  sweep(): void {
    const limit = this.heartbeatIntervalMs * LOST_AFTER_INTERVALS;
    const now = this.now();
    for (const record of this.hosts.values()) {
      if (record.state === 'lost' || now - (record.last_heartbeat ?? record.registered_at) <= limit) continue;
      const previous = record.state;
      record.state = 'lost';
      this.changed({ host: record, change: 'lost', previous });
    }
  }

  /** Calls `listener` after each registration, heartbeat, loss and disconnection; returns the unsubscribe function. */
  subscribe(listener: (change: HostChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(change: HostChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // an observer's failure must not break the protocol
      }
    }
  }

  get(hostName: string): HostRecord | undefined {
    return this.hosts.get(hostName);
  }

  list(): HostRecord[] {
    return [...this.hosts.values()].sort((a, b) => a.host_name.localeCompare(b.host_name));
  }
}

/** What the JSON API shows of a host's reports: component statuses and versions by component name. */
export function hostReports(record: HostRecord) {
  return {
    component_status: [...record.componentStatus.values()].sort(
      (a, b) => a.componentName.localeCompare(b.componentName) || String(a.command ?? '').localeCompare(String(b.command ?? '')) || String(a.clusterId).localeCompare(String(b.clusterId)),
    ),
    host_status: record.hostStatus,
    component_versions: [...record.componentVersions.values()].sort((a, b) => a.componentName.localeCompare(b.componentName) || a.clusterId.localeCompare(b.clusterId)),
  };
}

/** What the JSON API shows of a host in lists. */
export function hostSummary(record: HostRecord) {
  return {
    host_name: record.host_name,
    state: record.state,
    last_heartbeat: record.last_heartbeat,
    response_id: record.response_id,
    registered_at: record.registered_at,
    agent_version: record.agent_version,
    heartbeats: record.heartbeats,
    connected: record.connectionId !== null,
    last_sync: record.lastSync,
  };
}
