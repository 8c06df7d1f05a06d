// The agent's five caches of what the server sends, with their hashes, and their files under
// cache_dir so that a restarted agent sends the right hash in its post-registration sync
// (reference section 8: `{"hash": <cache hash or null>}` to each /agents/* destination).
//
// The caches hold exactly what the server sent: snapshots handed out by get() are deep-frozen,
// and apply() works on a copy that replaces the cache only when the whole message applied.
import type { CacheInterner } from './cacheInterner.js';
import { CacheMessageError } from './errors.js';
import { applyMessage, CACHE_NAMES, type ApplyOutcome, type CacheName, type CacheSnapshot } from './handlers.js';
import { isPlainObject } from '../util/plainObject.js';
import { deepFreeze, getOwn } from './json.js';
import { cacheFilePath, readJsonFile, removeStaleTempFiles, writeFileAtomic } from './persistence.js';

/** The post-registration sync, in the reference's order: request destination and event topic. */
export const SYNC_ORDER: ReadonlyArray<{ cache: CacheName; request: string; topic: string }> = [
  { cache: 'topologies', request: '/agents/topologies', topic: '/events/topologies' },
  { cache: 'metadata', request: '/agents/metadata', topic: '/events/metadata' },
  { cache: 'configurations', request: '/agents/configs', topic: '/user/configs' },
  { cache: 'host_level_params', request: '/agents/host_level_params', topic: '/user/host_level_params' },
  { cache: 'alert_definitions', request: '/agents/alert_definitions', topic: '/user/alert_definitions' },
];

/** The cache whose events travel on `destination` (a MESSAGE's destination header). */
export function cacheForTopic(destination: string): CacheName | undefined {
  return SYNC_ORDER.find((entry) => entry.topic === destination)?.cache;
}

/** The cache a sync request destination (`/agents/...`) asks about. */
export function cacheForRequest(destination: string): CacheName | undefined {
  return SYNC_ORDER.find((entry) => entry.request === destination)?.cache;
}

export function isCacheName(value: unknown): value is CacheName {
  return typeof value === 'string' && (CACHE_NAMES as readonly string[]).includes(value);
}

function emptySnapshot(): CacheSnapshot {
  return deepFreeze({ hash: null, clusters: {} });
}

export class AgentCaches {
  private readonly state = new Map<CacheName, CacheSnapshot>();
  private readonly listeners = new Set<(outcome: ApplyOutcome) => void>();

  /**
   * Empty caches (hash null) that persist under `cacheDir`, or nowhere when it is null (a
   * simulated host). With an interner, content other agents of this process hold is shared.
   */
  constructor(
    readonly cacheDir: string | null,
    private readonly interner?: CacheInterner,
  ) {
    for (const name of CACHE_NAMES) this.state.set(name, emptySnapshot());
  }

  /**
   * The caches as persisted under `cacheDir`. A missing file is an empty cache; an unreadable,
   * corrupt or ill-shaped one is an empty cache too, plus a warning for the caller to log.
   * Temp files left by a writer that crashed are removed.
   */
  static load(cacheDir: string): { caches: AgentCaches; warnings: string[] } {
    const caches = new AgentCaches(cacheDir);
    const warnings: string[] = [];
    for (const name of CACHE_NAMES) {
      const file = cacheFilePath(cacheDir, name);
      removeStaleTempFiles(file);
      const read = readJsonFile(file);
      if (read.kind === 'missing') continue;
      const problem = (reason: string): string => `Cannot load the ${name} cache from ${file}: ${reason}; starting with an empty ${name} cache (hash null)`;
      if (read.kind === 'error') {
        warnings.push(problem(read.reason));
        continue;
      }
      // The file is JSON.parse output: cluster ids such as `__proto__` are own keys there, and
      // only own properties are read (see json.ts for the rule on such keys).
      const stored = read.value;
      const clusters = isPlainObject(stored) ? getOwn(stored, 'clusters') : undefined;
      if (!isPlainObject(stored) || !isPlainObject(clusters)) {
        warnings.push(problem('it is not an object with "clusters"'));
        continue;
      }
      const hash = getOwn(stored, 'hash');
      if (hash !== undefined && hash !== null && typeof hash !== 'string') {
        warnings.push(problem('its "hash" is not a string'));
        continue;
      }
      const timestamp = getOwn(stored, 'timestamp');
      const message: Record<string, unknown> = { hash: hash ?? null, clusters };
      if (name === 'topologies' || name === 'alert_definitions') message.eventType = 'CREATE';
      if (name === 'configurations' && timestamp !== undefined) message.timestamp = timestamp;
      try {
        const { next } = applyMessage(name, caches.snapshot(name), message);
        caches.state.set(name, deepFreeze(next));
      } catch (err) {
        if (!(err instanceof CacheMessageError)) throw err;
        warnings.push(problem(err.message));
      }
    }
    return { caches, warnings };
  }

  private snapshot(name: CacheName): CacheSnapshot {
    if (!isCacheName(name)) throw new TypeError(`unknown cache ${JSON.stringify(name)}`);
    return this.state.get(name)!;
  }

  /** The hash to send in this cache's sync request (null: "send me everything"). */
  hash(name: CacheName): string | null {
    return this.snapshot(name).hash;
  }

  /** The body of this cache's sync request. */
  syncRequestBody(name: CacheName): { hash: string | null } {
    return { hash: this.hash(name) };
  }

  /** The cache's content. Deep-frozen: copy it (structuredClone) to change it. */
  get(name: CacheName): CacheSnapshot {
    return this.snapshot(name);
  }

  /**
   * Applies a sync response or an event to the cache. Throws CacheMessageError for a message of
   * the wrong shape, leaving the cache untouched. Does not write the file: call persist().
   */
  apply(name: CacheName, message: unknown): ApplyOutcome {
    const current = this.snapshot(name);
    const { next, kind, warnings } = applyMessage(name, current, message);
    const changed = next.clusters !== current.clusters || next.hash !== current.hash || next.timestamp !== current.timestamp;
    if (changed) this.state.set(name, this.interner ? this.interner.intern(name, next, { replaced: kind === 'replaced', before: current }) : deepFreeze(next));
    const outcome: ApplyOutcome = { cache: name, kind, hash: this.snapshot(name).hash, changed, warnings };
    if (changed) {
      for (const listener of this.listeners) {
        try {
          listener(outcome);
        } catch {
          // a listener's failure is its own; the cache is applied either way
        }
      }
    }
    return outcome;
  }

  /** Told after every apply() that changed a cache (e.g. the recovery actor re-reads cluster-env); returns the unsubscribe. */
  onChange(listener: (outcome: ApplyOutcome) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Writes the cache (content and hash) to cacheDir/<name>.json atomically (with no cacheDir: nothing). */
  persist(name: CacheName): void {
    if (this.cacheDir === null) return;
    const { hash, clusters, timestamp } = this.snapshot(name);
    const stored: CacheSnapshot = timestamp === undefined ? { hash, clusters } : { hash, clusters, timestamp };
    writeFileAtomic(this.fileOf(name), `${JSON.stringify(stored, null, 2)}\n`);
  }

  persistAll(): void {
    for (const name of CACHE_NAMES) this.persist(name);
  }

  fileOf(name: CacheName): string {
    this.snapshot(name);
    if (this.cacheDir === null) throw new Error(`the ${name} cache is kept in memory only`);
    return cacheFilePath(this.cacheDir, name);
  }

  summary(): Record<CacheName, { hash: string | null; clusters: number }> {
    const result = {} as Record<CacheName, { hash: string | null; clusters: number }>;
    for (const name of CACHE_NAMES) {
      const { hash, clusters } = this.snapshot(name);
      result[name] = { hash, clusters: Object.keys(clusters).length };
    }
    return result;
  }
}
