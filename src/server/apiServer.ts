// The dev server's JSON API (plain HTTP on 127.0.0.1): what the server knows of its agents.
// Routes are a table, so later features (commands, tasks) add rows, not branches.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readJson, sendJson as send } from './httpJson.js';
import type { AgentConnection } from './agentEndpoint.js';
import { hostSummary, type HostRegistry } from './hostRegistry.js';

export interface ApiContext {
  hosts: HostRegistry;
  /** Open agent connections by id (HostRecord.connectionId). */
  connections: Map<string, AgentConnection>;
}

type Handler = (context: ApiContext, params: string[], body: unknown) => { status: number; body: unknown };

export interface Route {
  method: 'GET' | 'POST';
  path: RegExp;
  handler: Handler;
}

export const ROUTES: Route[] = [
  { method: 'GET', path: /^\/api\/v1\/hosts\/?$/, handler: ({ hosts }) => ({ status: 200, body: { items: hosts.list().map(hostSummary) } }) },
  {
    method: 'GET',
    path: /^\/api\/v1\/hosts\/([^/]+)\/?$/,
    handler: ({ hosts }, [name]) => {
      const record = hosts.get(param(name).toLowerCase());
      if (!record) return { status: 404, body: { error: `no host ${name}` } };
      return { status: 200, body: { ...hostSummary(record), registration: record.registration } };
    },
  },
  {
    // Fault injection for tests of agents: {"wrong_heartbeat_id": true} answers the host's
    // next heartbeat with an id out of sequence, which must make the agent restart.
    method: 'POST',
    path: /^\/api\/v1\/hosts\/([^/]+)\/faults\/?$/,
    handler: ({ hosts }, [name], body) => {
      const record = hosts.get(param(name).toLowerCase());
      if (!record) return { status: 404, body: { error: `no host ${name}` } };
      if (!body || typeof body !== 'object' || typeof (body as Record<string, unknown>).wrong_heartbeat_id !== 'boolean') {
        return { status: 400, body: { error: 'expected {"wrong_heartbeat_id": true|false}' } };
      }
      record.wrongHeartbeatIdOnce = (body as { wrong_heartbeat_id: boolean }).wrong_heartbeat_id;
      return { status: 200, body: { host_name: record.host_name, wrong_heartbeat_id: record.wrongHeartbeatIdOnce } };
    },
  },
  {
    // Sends a message to a host's agent, for testing agents: {"destination", "body"} sends a
    // MESSAGE (body: any JSON, or a string sent as is) on the agent's subscription;
    // {"raw": TEXT} writes TEXT to the WebSocket untouched (broken frames included).
    method: 'POST',
    path: /^\/api\/v1\/hosts\/([^/]+)\/messages\/?$/,
    handler: ({ hosts, connections }, [name], body) => {
      const record = hosts.get(param(name).toLowerCase());
      const connection = record?.connectionId ? connections.get(record.connectionId) : undefined;
      if (!record || !connection) return { status: 404, body: { error: `no connected host ${name}` } };
      const message = (body ?? {}) as { destination?: unknown; body?: unknown; raw?: unknown; headers?: unknown };
      if (typeof message.raw === 'string') {
        connection.pushRaw(message.raw);
        return { status: 200, body: { sent: 'raw', bytes: Buffer.byteLength(message.raw) } };
      }
      if (typeof message.destination !== 'string') return { status: 400, body: { error: 'expected {"destination", "body"} or {"raw"}' } };
      const headers = message.headers ?? {};
      if (typeof headers !== 'object' || Array.isArray(headers) || Object.values(headers).some((v) => typeof v !== 'string')) {
        return { status: 400, body: { error: '"headers" must be an object of strings' } };
      }
      const stringHeaders = headers as Record<string, string>;
      const sent =
        typeof message.body === 'string'
          ? connection.pushText(message.destination, message.body, stringHeaders)
          : connection.push(message.destination, message.body ?? {}, stringHeaders);
      if (!sent) return { status: 409, body: { error: `${record.host_name} is not subscribed to ${message.destination}`, subscribed: connection.subscribed() } };
      return { status: 200, body: { sent: message.destination } };
    },
  },
];

/** A request the API refuses (400): thrown by handlers, answered as {"error": message}. */
export class BadRequest extends Error {}

export function createApiServer(context: ApiContext, routes: Route[] = ROUTES): Server {
  return createServer((req, res) => {
    respond(req, res, context, routes).catch((err: unknown) => {
      // No request may take the server down: unexpected errors are a 500 for that request.
      if (!res.headersSent) send(res, err instanceof BadRequest ? 400 : 500, { error: (err as Error)?.message ?? String(err) });
      else res.destroy();
    });
  });
}

/** A path parameter, percent-decoded; a malformed escape is the client's mistake (400). */
function param(value: string | undefined): string {
  try {
    return decodeURIComponent(value ?? '');
  } catch {
    throw new BadRequest(`malformed percent-encoding in ${JSON.stringify(value)}`);
  }
}

async function respond(req: IncomingMessage, res: ServerResponse, context: ApiContext, routes: Route[]): Promise<void> {
  const path = (req.url ?? '/').split('?')[0]!;
  const matching = routes.filter((route) => route.path.test(path));
  const route = matching.find((r) => r.method === req.method);
  if (!route) {
    return send(res, matching.length > 0 ? 405 : 404, { error: matching.length > 0 ? `${req.method} not allowed on ${path}` : `no such resource: ${path}` });
  }
  let body: unknown;
  if (req.method === 'POST') {
    try {
      body = await readJson(req);
    } catch (err) {
      return send(res, 400, { error: (err as Error).message });
    }
  }
  const params = route.path.exec(path)!.slice(1);
  const result = route.handler(context, params, body);
  send(res, result.status, result.body);
}
