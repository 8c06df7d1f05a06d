// Live inspection of the agent's actor system in the Stately inspector, through
// @statelyai/inspect. The agent listens on 127.0.0.1:PORT only: `GET /` is a small bridge page
// that embeds the inspector UI (https://stately.ai/inspect, loaded by the operator's browser,
// never by the agent) and relays the agent's inspection events to it over a WebSocket on the
// same port. Events from before the browser connected are replayed: every actor's creation
// and its latest snapshot (so the inspector sees the whole tree), plus the last events.
//
// This module is loaded only when inspection is on (dynamic import), so an agent without
// --inspect neither loads @statelyai/inspect nor pays for it.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInspector, type StatelyInspectionEvent } from '@statelyai/inspect';
import type { InspectionEvent } from 'xstate';
import { WebSocketServer, WebSocket } from 'ws';
import { plainContext } from './actorTree.js';

export const STATELY_INSPECTOR_URL = 'https://stately.ai/inspect';
/** Events (not actor creations or latest snapshots) replayed to a browser that connects late. */
const REPLAYED_EVENTS = 300;

export interface InspectorBridge {
  url: string;
  port: number;
  /** Pass to createActor({ inspect }) (with anything else that inspects). */
  inspect: (event: InspectionEvent) => void;
  close(): Promise<void>;
}

function bridgePage(inspectorUrl: string): string {
  // Events go to the inspector's origin only, and only its frame's messages are listened to.
  const inspectorOrigin = JSON.stringify(new URL(inspectorUrl).origin);
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>ambari-agent: Stately inspector</title>
<style>html,body{height:100%;margin:0}iframe{border:0;width:100%;height:100%}</style></head>
<body><iframe id="inspector" src="${inspectorUrl}"></iframe>
<script>
const frame = document.getElementById('inspector');
const INSPECTOR = ${inspectorOrigin};
const waiting = [];
let ready = false;
window.addEventListener('message', (e) => {
  if (e.origin !== INSPECTOR || e.source !== frame.contentWindow) return;
  if (e.data && e.data.type === '@statelyai.connected') {
    ready = true;
    for (const event of waiting.splice(0)) frame.contentWindow.postMessage(event, INSPECTOR);
  }
});
const ws = new WebSocket('ws://' + location.host + '/');
ws.onmessage = (m) => {
  const event = JSON.parse(m.data);
  if (ready) frame.contentWindow.postMessage(event, INSPECTOR);
  else waiting.push(event);
};
</script></body></html>`;
}

/**
 * JSON that never throws: class instances (sockets, timers, actor refs, machines) become
 * "[ClassName]", functions are dropped, a repeated object becomes "[seen]".
 */
export function safeJson(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item === 'function') return undefined;
    if (typeof item === 'bigint') return String(item);
    if (typeof item !== 'object' || item === null) return item;
    const prototype = Object.getPrototypeOf(item) as object | null;
    if (!Array.isArray(item) && prototype !== Object.prototype && prototype !== null) return `[${(item as { constructor?: { name?: string } }).constructor?.name ?? 'object'}]`;
    if (seen.has(item)) return '[seen]';
    seen.add(item);
    return item;
  });
}

export async function startInspectorBridge(port: number, host = '127.0.0.1'): Promise<InspectorBridge> {
  if (host !== '127.0.0.1' && host !== 'localhost' && host !== '::1') throw new Error(`the inspector listens on loopback only, not ${host}`);
  // Only pages on this machine's own names may talk to it (no DNS rebinding): checked per request.
  let allowedHosts = new Set<string>();
  const server: Server = createServer((req, res) => {
    if (!allowedHosts.has(req.headers.host ?? '')) {
      res.writeHead(421, { 'content-type': 'text/plain' }).end('wrong host\n');
      return;
    }
    if (req.method !== 'GET' || (req.url ?? '/').split('?')[0] !== '/') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(bridgePage(STATELY_INSPECTOR_URL));
  });
  // A browser always sends Origin: only the bridge page itself (served under an allowed host)
  // may open the socket, not any page the user happens to visit. Non-browser clients send none.
  const originAllowed = (origin: string | undefined): boolean => origin === undefined || [...allowedHosts].some((hostPort) => origin === `http://${hostPort}`);
  const wss = new WebSocketServer({
    server,
    maxPayload: 1024,
    verifyClient: ({ req }: { req: IncomingMessage }) => allowedHosts.has(req.headers.host ?? '') && originAllowed(req.headers.origin),
  });

  // What a late browser needs: actor creations and latest snapshots by session, recent events.
  const actors = new Map<string, string>();
  const snapshots = new Map<string, string>();
  const recent: string[] = [];
  const broadcast = (text: string): void => {
    for (const client of wss.clients) if (client.readyState === WebSocket.OPEN) client.send(text);
  };
  wss.on('connection', (ws) => {
    for (const text of actors.values()) ws.send(text);
    for (const text of snapshots.values()) ws.send(text);
    for (const text of recent) ws.send(text);
    ws.on('message', () => {}); // the bridge page only listens
  });

  const inspector = createInspector(
    {
      send(event: StatelyInspectionEvent) {
        const text = safeJson(event);
        if (event.type === '@xstate.actor') actors.set(event.sessionId, text);
        else if (event.type === '@xstate.snapshot') {
          snapshots.set(event.sessionId, text);
          const status = (event.snapshot as { status?: string }).status;
          // Ended actors: forget them (their last snapshot went out live).
          if (status && status !== 'active') {
            actors.delete(event.sessionId);
            snapshots.delete(event.sessionId);
          }
        } else {
          recent.push(text);
          if (recent.length > REPLAYED_EVENTS) recent.shift();
        }
        broadcast(text);
      },
    },
    {
      // Contexts hold live objects (the connection, timers): send their plain parts only.
      sanitizeContext: (context) => (context && typeof context === 'object' ? plainContext(context as Record<string, unknown>) : context),
    },
  );

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`cannot listen on ${host}:${port} for the inspector: ${err.code === 'EADDRINUSE' ? 'port already in use' : err.message}`)),
    );
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  allowedHosts = new Set([`${host}:${bound}`, `localhost:${bound}`]);
  return {
    port: bound,
    url: `http://${host}:${bound}/`,
    inspect: (event: InspectionEvent) => inspector.inspect.next?.(event),
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
