// The agent's caches of server data: topologies, metadata, configurations, host level params
// and alert definitions (see agentCaches.ts and handlers.ts).
export { AgentCaches, SYNC_ORDER, cacheForRequest, cacheForTopic, isCacheName } from './agentCaches.js';
export { CACHE_NAMES, applyMessage } from './handlers.js';
export type { ApplyKind, ApplyOutcome, ApplyResult, CacheName, CacheSnapshot } from './handlers.js';
export { CacheMessageError } from './errors.js';
