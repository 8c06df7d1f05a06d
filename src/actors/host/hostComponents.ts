// Which components the topology cache places on this host, with what their status commands
// need from the metadata cache (the original's topology_cache.get_current_host_id + the
// per-cluster loops of ComponentStatusExecutor and ComponentVersionReporter). Plus the small
// types the three reporters share.
//
// Cache data is server data: every key is read as an own property (json.ts), so cluster ids such
// as `__proto__` or `constructor` are ordinary clusters here.
import { getOwn, ownArray, ownObject, ownString, setOwn, type JsonObject } from '../../caches/json.js';
import { isPlainObject } from '../../util/plainObject.js';

/** A request to the server over the live link: resolves with the answer, rejects when lost / after 10 s. */
export type SendFn = (link: unknown, destination: string, body: unknown) => Promise<unknown>;

/** What the reporters read from the caches (AgentCaches fits). */
export interface CacheReader {
  get(name: 'topologies' | 'metadata'): { hash: string | null; clusters: Record<string, unknown> };
}

export interface HostComponent {
  /** The topology's cluster key, as sent back in reports. */
  clusterId: string;
  serviceName: string;
  componentName: string;
  /** metadata status_commands_to_run, default ['STATUS']. */
  statusCommands: string[];
  /** serviceLevelParams[service].status_commands_timeout, else the default. */
  statusTimeoutSeconds: number;
  /** The topology component's version, when it has one (the version report's fallback). */
  version?: string;
}

/** One status-type command for one component (run like an execution command, see commandRunner.ts). */
export interface StatusRun {
  clusterId: string;
  serviceName: string;
  componentName: string;
  /** 'STATUS', 'SECURITY_STATUS', 'GET_VERSION'. */
  commandName: string;
  timeoutSeconds: number;
  /** Aborted when the reporter stops: the runner should kill the script. */
  signal?: AbortSignal;
}

export type RunStatusFn = (request: StatusRun) => Promise<{ exitCode: number; structuredOut: Record<string, unknown> }>;

export function statusRunOf(component: HostComponent, commandName: string, signal?: AbortSignal): StatusRun {
  const { clusterId, serviceName, componentName, statusTimeoutSeconds } = component;
  return { clusterId, serviceName, componentName, commandName, timeoutSeconds: statusTimeoutSeconds, signal };
}

const DEFAULT_STATUS_COMMANDS = ['STATUS'];

/** A positive number of seconds, also as a numeric string (the server sends both); else undefined. */
function seconds(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** This host's hostId in one topology cluster (the first host with that exact hostName). */
function hostIdIn(cluster: JsonObject, hostname: string): unknown {
  for (const host of ownArray(cluster, 'hosts') ?? []) {
    if (ownString(host, 'hostName') === hostname) return getOwn(host as JsonObject, 'hostId');
  }
  return undefined;
}

/**
 * The components of every topology cluster whose hostIds include this host's hostId, in cache
 * order. `topologies` and `metadata` are the caches' `clusters` maps. Pure.
 */
export function componentsOnHost(topologies: Record<string, unknown>, metadata: Record<string, unknown>, hostname: string, defaultTimeoutSeconds: number): HostComponent[] {
  const found: HostComponent[] = [];
  for (const clusterId of Object.keys(topologies)) {
    const cluster = getOwn(topologies, clusterId);
    if (!isPlainObject(cluster)) continue;
    const hostId = hostIdIn(cluster, hostname);
    if (hostId === undefined || hostId === null) continue;
    const meta = ownObject(metadata, clusterId);
    const listed = ownArray(meta, 'status_commands_to_run');
    const statusCommands = listed ? listed.filter((name): name is string => typeof name === 'string') : DEFAULT_STATUS_COMMANDS;
    const serviceParams = ownObject(meta, 'serviceLevelParams');
    for (const component of ownArray(cluster, 'components') ?? []) {
      const serviceName = ownString(component, 'serviceName');
      const componentName = ownString(component, 'componentName');
      if (serviceName === undefined || componentName === undefined) continue;
      if (!(ownArray(component, 'hostIds') ?? []).includes(hostId)) continue;
      const service = ownObject(serviceParams, serviceName);
      const entry: HostComponent = {
        clusterId,
        serviceName,
        componentName,
        statusCommands: [...statusCommands],
        statusTimeoutSeconds: seconds(getOwn(service ?? {}, 'status_commands_timeout')) ?? defaultTimeoutSeconds,
      };
      const version = ownString(component, 'version');
      if (version !== undefined) entry.version = version;
      found.push(entry);
    }
  }
  return found;
}

/** componentsOnHost over the live caches. */
export function componentsFromCaches(caches: CacheReader, hostname: string, defaultTimeoutSeconds: number): HostComponent[] {
  return componentsOnHost(caches.get('topologies').clusters, caches.get('metadata').clusters, hostname, defaultTimeoutSeconds);
}

/** `{CLUSTER_ID: [entry, ...]}` in first-seen order, cluster ids as own keys. */
export function groupByCluster<T extends { clusterId: string }>(entries: readonly T[]): Record<string, T[]> {
  const clusters: Record<string, T[]> = {};
  for (const entry of entries) {
    const list = getOwn(clusters, entry.clusterId) as T[] | undefined;
    if (list) list.push(entry);
    else setOwn(clusters, entry.clusterId, [entry]);
  }
  return clusters;
}

/**
 * Whether the server took a report: only ReportsResponse's `{"status":"OK"}` (StompResponse);
 * the original's ServerResponsesListener calls its on-success hook for OK alone. Anything else
 * (Spring's ErrorMessage from RootStompConfig's exception handler, which has no `status`,
 * "FAILED", an empty body) is a refusal.
 */
export function acknowledged(answer: unknown): boolean {
  return isPlainObject(answer) && getOwn(answer, 'status') === 'OK';
}


/**
 * Runs `pass` now and then every intervalMs, start to start, never overlapping (a long pass
 * delays the next), until stopped; a pass that throws goes to `onError`. Returns the stop.
 */
export function repeatEvery(intervalMs: number, pass: () => Promise<void>, onError: (err: unknown) => void): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const loop = async (): Promise<void> => {
    const started = Date.now();
    try {
      await pass();
    } catch (err) {
      if (!stopped) onError(err);
    }
    if (stopped) return;
    const wait = intervalMs - (Date.now() - started);
    if (wait > 0) timer = setTimeout(() => void loop(), wait);
    else void loop();
  };
  void loop();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
