// How one server message changes one cache, as the original agent's listeners and
// Cluster*Cache classes do it. Every function here is pure: it reads the current state, works on
// a deep copy and returns the next state, or throws CacheMessageError (and then nothing changed).
//
//   topologies         eventType CREATE replaces; UPDATE adds/merges hosts (by hostId) and
//                      components (by serviceName + componentName; hostIds unioned, other keys
//                      overwritten); DELETE removes hosts, host ids of components (a component
//                      left without hosts goes), and whole clusters (an empty cluster entry).
//   metadata           CREATE or no eventType replaces; UPDATE merges nested objects; DELETE
//                      removes whole clusters only. A bare per-cluster map without `clusters`
//                      (fixtures/metadata_update.json, on /events/metadata) is merged too.
//   configurations     no eventType (or CREATE) replaces; `timestamp` is kept alongside.
//   host_level_params  no eventType (or CREATE) replaces.
//   alert_definitions  CREATE replaces; UPDATE adds or replaces definitions by definitionId and
//                      overwrites the cluster's other keys; DELETE removes definitions by id (an
//                      unknown id is an error, as in the original) or whole clusters.
//
// "Nothing new": a message without `clusters` (`{}`, `{hash}`, `{"timestamp": N}`) keeps the
// cache, and so does a full message whose hash equals the cache's hash.
//
// Hash: a message carrying a string `hash` sets the cache's hash to it. A full replacement
// without one leaves the hash null (the content matches no server hash, so the next sync asks
// for everything); a partial update without one keeps the hash it had.
//
// Keys named like Object.prototype members (`__proto__`, `constructor`, `prototype`, ...) are
// server data like any other key: as cluster ids or nested keys they are stored as ordinary own
// keys and never reach Object.prototype or Object. Everything here reads message-derived keys
// with getOwn/hasOwn and writes them with setOwn/assignOwn/mergeNested (json.ts), never with
// `obj[key]`, `obj[key] = value` or Object.assign.
import { CacheMessageError } from './errors.js';
import { isPlainObject } from '../util/plainObject.js';
import { assignOwn, deepCopy, getOwn, hasOwn, mergeNested, setOwn, type JsonObject } from './json.js';

export type CacheName = 'topologies' | 'metadata' | 'configurations' | 'host_level_params' | 'alert_definitions';

export const CACHE_NAMES: readonly CacheName[] = ['topologies', 'metadata', 'configurations', 'host_level_params', 'alert_definitions'];

export interface CacheSnapshot {
  hash: string | null;
  clusters: Record<string, unknown>;
  /** configurations only: the `timestamp` of the last configurations message. */
  timestamp?: number;
}

/** What applying a message did. */
export type ApplyKind = 'replaced' | 'updated' | 'deleted' | 'merged' | 'unchanged';

export interface ApplyOutcome {
  cache: CacheName;
  kind: ApplyKind;
  /** The cache's hash afterwards. */
  hash: string | null;
  /** Whether content, hash or timestamp differ from before (i.e. worth persisting). */
  changed: boolean;
  /** Things the original would log and skip (e.g. deleting a host it does not know). */
  warnings: string[];
}

export interface ApplyResult {
  next: CacheSnapshot;
  kind: ApplyKind;
  warnings: string[];
}

type EventType = 'CREATE' | 'UPDATE' | 'DELETE';

const EVENT_TYPES: Record<CacheName, { allowed: readonly EventType[]; required: boolean }> = {
  topologies: { allowed: ['CREATE', 'UPDATE', 'DELETE'], required: true },
  metadata: { allowed: ['CREATE', 'UPDATE', 'DELETE'], required: false },
  configurations: { allowed: ['CREATE'], required: false },
  host_level_params: { allowed: ['CREATE'], required: false },
  alert_definitions: { allowed: ['CREATE', 'UPDATE', 'DELETE'], required: true },
};

/** Top-level keys of a message that are not cluster ids. */
const ENVELOPE_KEYS = new Set(['hash', 'eventType', 'clusters', 'timestamp']);

interface Envelope {
  hash: string | undefined;
  eventType: EventType | undefined;
  clusters: Record<string, JsonObject> | undefined;
  timestamp: number | undefined;
  /** metadata only: the clusters came as a bare per-cluster map (no `clusters` key). */
  bare: boolean;
}

function fail(cache: CacheName, text: string): never {
  throw new CacheMessageError(`${cache}: ${text}`);
}

function parseClusters(cache: CacheName, clusters: JsonObject, where: string): Record<string, JsonObject> {
  for (const [clusterId, value] of Object.entries(clusters)) {
    if (!isPlainObject(value)) fail(cache, `${where}[${JSON.stringify(clusterId)}] is not an object`);
  }
  return clusters as Record<string, JsonObject>;
}

function parseEnvelope(cache: CacheName, message: unknown): Envelope {
  if (!isPlainObject(message)) fail(cache, `message is not a JSON object (${describe(message)})`);
  const hash = getOwn(message, 'hash');
  const eventType = getOwn(message, 'eventType');
  const clusters = getOwn(message, 'clusters');
  const timestamp = getOwn(message, 'timestamp');

  if (hash !== undefined && hash !== null && typeof hash !== 'string') fail(cache, `hash is not a string (${describe(hash)})`);

  const rule = EVENT_TYPES[cache];
  if (eventType !== undefined && eventType !== null) {
    if (typeof eventType !== 'string' || !(rule.allowed as readonly string[]).includes(eventType)) {
      fail(cache, `unknown eventType ${JSON.stringify(eventType)} (expected ${rule.allowed.join(', ')}${rule.required ? '' : ' or none'})`);
    }
  }

  if (timestamp !== undefined && timestamp !== null && typeof timestamp !== 'number') {
    fail(cache, `timestamp is not a number (${describe(timestamp)})`);
  }

  let parsed: Record<string, JsonObject> | undefined;
  let bare = false;
  if (clusters !== undefined && clusters !== null) {
    if (!isPlainObject(clusters)) fail(cache, `clusters is not an object (${describe(clusters)})`);
    parsed = parseClusters(cache, clusters, 'clusters');
  } else if (cache === 'metadata') {
    const clusterKeys = Object.keys(message).filter((key) => !ENVELOPE_KEYS.has(key));
    if (clusterKeys.length > 0) {
      if (eventType !== undefined && eventType !== null && eventType !== 'UPDATE') {
        fail(cache, `a per-cluster metadata map can only be merged, not ${String(eventType)}`);
      }
      // Object.fromEntries defines own properties, so a `__proto__` key stays a key.
      parsed = parseClusters(cache, Object.fromEntries(clusterKeys.map((key) => [key, getOwn(message, key)])), 'message');
      bare = true;
    }
  }

  if (parsed !== undefined && rule.required && (eventType === undefined || eventType === null)) {
    fail(cache, 'eventType is missing (expected CREATE, UPDATE or DELETE)');
  }

  return {
    hash: typeof hash === 'string' ? hash : undefined,
    eventType: (eventType ?? undefined) as EventType | undefined,
    clusters: parsed,
    timestamp: typeof timestamp === 'number' ? timestamp : undefined,
    bare,
  };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}

// ---------------------------------------------------------------------------------------------
// Shape checks for the entries the caches index by id.

function isId(value: unknown): value is string | number {
  return typeof value === 'number' || typeof value === 'string';
}

function optionalArray(cache: CacheName, owner: JsonObject, key: string, where: string): unknown[] | undefined {
  const value = getOwn(owner, key);
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) fail(cache, `${where}.${key} is not an array`);
  return value;
}

function checkTopologyCluster(clusterId: string, cluster: JsonObject): void {
  const where = `clusters[${JSON.stringify(clusterId)}]`;
  const hosts = optionalArray('topologies', cluster, 'hosts', where) ?? [];
  hosts.forEach((host, index) => {
    if (!isPlainObject(host) || !isId(getOwn(host, 'hostId'))) fail('topologies', `${where}.hosts[${index}] has no hostId`);
  });
  const components = optionalArray('topologies', cluster, 'components', where) ?? [];
  components.forEach((component, index) => {
    const at = `${where}.components[${index}]`;
    if (!isPlainObject(component) || typeof getOwn(component, 'componentName') !== 'string' || typeof getOwn(component, 'serviceName') !== 'string') {
      fail('topologies', `${at} has no componentName/serviceName`);
    }
    const hostIds = getOwn(component, 'hostIds');
    if (hostIds !== undefined && (!Array.isArray(hostIds) || !hostIds.every(isId))) {
      fail('topologies', `${at}.hostIds is not a list of host ids`);
    }
  });
}

function checkAlertCluster(clusterId: string, cluster: JsonObject): void {
  const where = `clusters[${JSON.stringify(clusterId)}]`;
  const definitions = optionalArray('alert_definitions', cluster, 'alertDefinitions', where) ?? [];
  definitions.forEach((definition, index) => {
    if (!isPlainObject(definition) || !isId(getOwn(definition, 'definitionId'))) {
      fail('alert_definitions', `${where}.alertDefinitions[${index}] has no definitionId`);
    }
  });
}

// ---------------------------------------------------------------------------------------------

/** Applies `message` to `current` (never modified) and returns the next state. */
export function applyMessage(cache: CacheName, current: CacheSnapshot, message: unknown): ApplyResult {
  const envelope = parseEnvelope(cache, message);
  const warnings: string[] = [];
  const timestamp = cache === 'configurations' ? (envelope.timestamp ?? current.timestamp) : undefined;
  const withTimestamp = (snapshot: CacheSnapshot): CacheSnapshot =>
    timestamp === undefined ? snapshot : { ...snapshot, timestamp };

  // Nothing new: keep the cache (a configurations timestamp is still taken, as the original does).
  if (envelope.clusters === undefined) {
    return { next: withTimestamp({ hash: current.hash, clusters: current.clusters }), kind: 'unchanged', warnings };
  }

  const clusters = deepCopy(envelope.clusters);
  const event = envelope.eventType ?? (envelope.bare ? 'UPDATE' : 'CREATE');

  if (event === 'CREATE') {
    if (cache === 'topologies') for (const [id, cluster] of Object.entries(clusters)) checkTopologyCluster(id, cluster);
    if (cache === 'alert_definitions') for (const [id, cluster] of Object.entries(clusters)) checkAlertCluster(id, cluster);
    if (envelope.hash !== undefined && envelope.hash === current.hash) {
      return { next: withTimestamp({ hash: current.hash, clusters: current.clusters }), kind: 'unchanged', warnings };
    }
    return { next: withTimestamp({ hash: envelope.hash ?? null, clusters }), kind: 'replaced', warnings };
  }

  const working = deepCopy(current.clusters) as Record<string, JsonObject>;
  let kind: ApplyKind;
  switch (cache) {
    case 'topologies':
      if (event === 'UPDATE') {
        topologyUpdate(working, clusters);
        kind = 'updated';
      } else {
        topologyDelete(working, clusters, warnings);
        kind = 'deleted';
      }
      break;
    case 'alert_definitions':
      if (event === 'UPDATE') {
        alertDefinitionsUpdate(working, clusters);
        kind = 'updated';
      } else {
        alertDefinitionsDelete(working, clusters, warnings);
        kind = 'deleted';
      }
      break;
    case 'metadata':
      if (event === 'UPDATE') {
        mergeNested(working, clusters);
        kind = 'merged';
      } else {
        metadataDelete(working, clusters, warnings);
        kind = 'deleted';
      }
      break;
    default:
      // parseEnvelope only lets CREATE through for configurations and host_level_params.
      fail(cache, `eventType ${event} is not supported`);
  }
  return { next: withTimestamp({ hash: envelope.hash ?? current.hash, clusters: working }), kind, warnings };
}

// ---------------------------------------------------------------------------------------------
// topologies (ClusterTopologyCache.cache_update / cache_delete)

function compareIds(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The original unions with list(set(...)), which for small host ids comes out ascending. */
function unionIds(a: unknown[], b: unknown[]): Array<string | number> {
  return [...new Set([...a, ...b] as Array<string | number>)].sort(compareIds);
}

function sameComponent(a: JsonObject, b: JsonObject): boolean {
  return getOwn(a, 'serviceName') === getOwn(b, 'serviceName') && getOwn(a, 'componentName') === getOwn(b, 'componentName');
}

/** The own array `owner[key]`, or undefined. */
function ownArray(owner: JsonObject, key: string): unknown[] | undefined {
  const value = getOwn(owner, key);
  return Array.isArray(value) ? value : undefined;
}

/** The cluster `clusterId` of the cache if it has one (an own entry: `constructor` is not inherited). */
function ownCluster(working: Record<string, JsonObject>, clusterId: string): JsonObject | undefined {
  return getOwn(working, clusterId) as JsonObject | undefined;
}

function topologyUpdate(working: Record<string, JsonObject>, update: Record<string, JsonObject>): void {
  for (const [clusterId, clusterUpdate] of Object.entries(update)) {
    checkTopologyCluster(clusterId, clusterUpdate);
    const cluster = ownCluster(working, clusterId);
    if (cluster === undefined) {
      // a new cluster arriving with an UPDATE
      setOwn(working, clusterId, clusterUpdate);
      continue;
    }

    const hostUpdates = ownArray(clusterUpdate, 'hosts') as JsonObject[] | undefined;
    if (hostUpdates !== undefined) {
      const hosts = setOwn(cluster, 'hosts', (ownArray(cluster, 'hosts') ?? []) as JsonObject[]);
      for (const hostUpdate of hostUpdates) {
        const host = hosts.find((candidate) => getOwn(candidate, 'hostId') === getOwn(hostUpdate, 'hostId'));
        if (host !== undefined) assignOwn(host, hostUpdate);
        else hosts.push(hostUpdate);
      }
    }

    const componentUpdates = ownArray(clusterUpdate, 'components') as JsonObject[] | undefined;
    if (componentUpdates !== undefined) {
      const components = setOwn(cluster, 'components', (ownArray(cluster, 'components') ?? []) as JsonObject[]);
      for (const componentUpdate of componentUpdates) {
        const component = components.find((candidate) => sameComponent(candidate, componentUpdate));
        if (component === undefined) {
          components.push(componentUpdate);
          continue;
        }
        // spread defines own properties, so a `__proto__` key is copied as a key
        const merged: JsonObject = { ...componentUpdate };
        const hostIds = ownArray(componentUpdate, 'hostIds');
        if (hostIds !== undefined) setOwn(merged, 'hostIds', unionIds(hostIds, ownArray(component, 'hostIds') ?? []));
        assignOwn(component, merged);
      }
    }
  }
}

function topologyDelete(working: Record<string, JsonObject>, update: Record<string, JsonObject>, warnings: string[]): void {
  const clustersToDelete: string[] = [];
  for (const [clusterId, clusterUpdate] of Object.entries(update)) {
    checkTopologyCluster(clusterId, clusterUpdate);
    const cluster = ownCluster(working, clusterId);
    if (cluster === undefined) {
      warnings.push(`Cannot do topology delete for cluster_id=${clusterId}, because do not have information about the cluster`);
      continue;
    }

    const hostUpdates = ownArray(clusterUpdate, 'hosts') as JsonObject[] | undefined;
    if (hostUpdates !== undefined) {
      for (const hostUpdate of hostUpdates) {
        const hostId = getOwn(hostUpdate, 'hostId');
        const hosts = (ownArray(cluster, 'hosts') ?? []) as JsonObject[];
        if (!hosts.some((host) => getOwn(host, 'hostId') === hostId)) {
          warnings.push(`Cannot do topology delete for cluster_id=${clusterId}, host_id=${String(hostId)}, because cannot find the host in cache`);
          continue;
        }
        setOwn(cluster, 'hosts', hosts.filter((host) => getOwn(host, 'hostId') !== hostId));
      }
    }

    const componentUpdates = ownArray(clusterUpdate, 'components') as JsonObject[] | undefined;
    if (componentUpdates !== undefined) {
      for (const componentUpdate of componentUpdates) {
        const components = (ownArray(cluster, 'components') ?? []) as JsonObject[];
        const component = components.find((candidate) => sameComponent(candidate, componentUpdate));
        if (component === undefined) {
          warnings.push(
            `Cannot do component delete for cluster_id=${clusterId}, serviceName=${String(getOwn(componentUpdate, 'serviceName'))}, ` +
              `componentName=${String(getOwn(componentUpdate, 'componentName'))}, because cannot find the component in cache`,
          );
          continue;
        }
        // Without hostIds in the event the whole component goes.
        const excluded = ownArray(componentUpdate, 'hostIds');
        const current = ownArray(component, 'hostIds');
        if (current !== undefined && excluded !== undefined) {
          const exclude = new Set(excluded);
          setOwn(component, 'hostIds', current.filter((hostId) => !exclude.has(hostId)));
        }
        const remaining = ownArray(component, 'hostIds');
        if (remaining === undefined || remaining.length === 0 || excluded === undefined) {
          setOwn(cluster, 'components', components.filter((candidate) => candidate !== component));
        }
      }
    }

    if (Object.keys(clusterUpdate).length === 0) clustersToDelete.push(clusterId);
  }
  // `delete` only ever removes an own property (for `__proto__` too), never an inherited one.
  for (const clusterId of clustersToDelete) delete working[clusterId];
}

// ---------------------------------------------------------------------------------------------
// alert_definitions (ClusterAlertDefinitionsCache.cache_update / cache_delete)

function alertDefinitionsUpdate(working: Record<string, JsonObject>, update: Record<string, JsonObject>): void {
  for (const [clusterId, clusterUpdate] of Object.entries(update)) {
    checkAlertCluster(clusterId, clusterUpdate);
    const cluster = ownCluster(working, clusterId);
    if (cluster === undefined) {
      setOwn(working, clusterId, clusterUpdate);
      continue;
    }
    const definitionUpdates = ownArray(clusterUpdate, 'alertDefinitions') as JsonObject[] | undefined;
    if (definitionUpdates !== undefined) {
      const definitions = (ownArray(cluster, 'alertDefinitions') ?? []) as JsonObject[];
      for (const definition of definitionUpdates) {
        const id = getOwn(definition, 'definitionId');
        const index = definitions.findIndex((candidate) => getOwn(candidate, 'definitionId') === id);
        if (index === -1) definitions.push(definition);
        else definitions[index] = definition;
      }
      setOwn(cluster, 'alertDefinitions', definitions);
    }
    for (const [key, value] of Object.entries(clusterUpdate)) {
      if (key !== 'alertDefinitions') setOwn(cluster, key, value);
    }
  }
}

function alertDefinitionsDelete(working: Record<string, JsonObject>, update: Record<string, JsonObject>, warnings: string[]): void {
  const clustersToDelete: string[] = [];
  for (const [clusterId, clusterUpdate] of Object.entries(update)) {
    checkAlertCluster(clusterId, clusterUpdate);
    const cluster = ownCluster(working, clusterId);
    if (cluster === undefined) {
      warnings.push(`Cannot do alert_definitions delete for cluster cluster_id=${clusterId}, because do not have information about the cluster`);
      continue;
    }
    if (Object.keys(clusterUpdate).length === 0) {
      clustersToDelete.push(clusterId);
      continue;
    }
    const definitions = (ownArray(cluster, 'alertDefinitions') ?? []) as JsonObject[];
    for (const definition of (ownArray(clusterUpdate, 'alertDefinitions') ?? []) as JsonObject[]) {
      const id = getOwn(definition, 'definitionId');
      const index = definitions.findIndex((candidate) => getOwn(candidate, 'definitionId') === id);
      if (index === -1) fail('alert_definitions', `cannot delete an alert with id=${String(id)} in cluster ${clusterId}: not in the cache`);
      definitions.splice(index, 1);
    }
  }
  for (const clusterId of clustersToDelete) delete working[clusterId];
}

// ---------------------------------------------------------------------------------------------
// metadata (ClusterMetadataCache.cache_delete: whole clusters only)

function metadataDelete(working: Record<string, JsonObject>, update: Record<string, JsonObject>, warnings: string[]): void {
  for (const [clusterId, clusterUpdate] of Object.entries(update)) {
    if (Object.keys(clusterUpdate).length > 0) fail('metadata', `deleting values inside cluster ${clusterId} is not supported (only whole clusters)`);
  }
  for (const clusterId of Object.keys(update)) {
    if (!hasOwn(working, clusterId)) warnings.push(`Cannot do metadata delete for cluster_id=${clusterId}, because do not have information about the cluster`);
    delete working[clusterId];
  }
}
