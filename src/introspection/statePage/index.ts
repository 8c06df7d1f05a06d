// The local state page: an HTTP server on 127.0.0.1 showing a StateSource live (server.ts),
// its page (page.ts) and wire format (wire.ts).
export { createStatePage, STATE_PAGE_HOST, type StatePage, type StatePageOptions } from './server.js';
export { activePaths, pageView, type PageNode, type PageView } from './wire.js';
