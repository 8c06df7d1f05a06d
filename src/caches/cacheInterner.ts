// One copy of each cache content for many agents in one process (`ambari-agent simulate`):
// the server's hash names a cache's whole content (AgentDataHolder.getHash: a SHA-512 of the
// event's JSON), so hosts given the same whole content (a sync answer, a CREATE) under one
// hash can share one frozen `clusters` object. An UPDATE or DELETE is a change to what the
// host held: its result is shared only between hosts that held the same (shared) content
// before, since a server whose agents' caches disagree still sends them all one hash.
// Content no host holds any more is collected (weak references).
import type { CacheName, CacheSnapshot } from './handlers.js';
import { deepFreeze } from './json.js';

export class CacheInterner {
  private readonly contents = new Map<string, WeakRef<CacheSnapshot['clusters']>>();
  /** Results of changes, per content changed and the hash it was changed to. */
  private readonly changes = new WeakMap<object, Map<string, WeakRef<CacheSnapshot['clusters']>>>();
  private readonly forget = new FinalizationRegistry<string>((key) => {
    if (this.contents.get(key)?.deref() === undefined) this.contents.delete(key);
  });
  /** Contents handed out again instead of kept twice (for the simulator's summary). */
  reused = 0;

  /**
   * `next`, frozen, with the `clusters` of the first snapshot of the same cache and hash. The
   * configurations' timestamp stays the host's own: it is outside their hash
   * (HashAndTimestampIgnoreMixIn), and the server sends a fresh one in each sync answer.
   */
  intern(name: CacheName, next: CacheSnapshot, change?: { replaced: boolean; before: CacheSnapshot }): CacheSnapshot {
    // No hash (an agent-side state the server never named): nothing to share it by.
    if (next.hash === null) return deepFreeze(next);
    if (change && !change.replaced) return this.internChange(next, change.before);
    const key = `${name}\0${next.hash}`;
    const kept = this.contents.get(key)?.deref();
    if (kept) {
      this.reused++;
      return Object.freeze({ ...next, clusters: kept });
    }
    const frozen = deepFreeze(next);
    this.contents.set(key, new WeakRef(frozen.clusters));
    this.forget.register(frozen.clusters, key);
    return frozen;
  }

  private internChange(next: CacheSnapshot, before: CacheSnapshot): CacheSnapshot {
    let results = this.changes.get(before.clusters);
    if (!results) this.changes.set(before.clusters, (results = new Map()));
    const kept = results.get(next.hash!)?.deref();
    if (kept) {
      this.reused++;
      return Object.freeze({ ...next, clusters: kept });
    }
    const frozen = deepFreeze(next);
    results.set(next.hash!, new WeakRef(frozen.clusters));
    return frozen;
  }

  /** Distinct contents held now. */
  get size(): number {
    return this.contents.size;
  }
}
