// The state page's HTTP server, on 127.0.0.1 only: the page itself, the current view as JSON,
// and the view as a Server-Sent Events stream (wire format: wire.ts).
//
//   GET /            the page (page.ts: one self-contained HTML document, no external resources)
//   GET /state.json  the current PageView, machines included
//   GET /events      text/event-stream:
//                      retry: 3000
//                      event: view            the full PageView at once (with machines), then one
//                      data: {PageView}       after the source's changes, at most one per
//                                             throttleMs (100 ms); machines only when they changed
//                      : ping                 a comment every 15 s, so proxies and browsers keep it open
//   anything else    404; methods other than GET (and HEAD) 405
// Requests whose Host header is not this loopback address are refused (421), so a web page
// elsewhere cannot reach the page through DNS rebinding.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StateSource } from '../viewTypes.js';
import { STATE_PAGE_HTML } from './page.js';
import { pageView } from './wire.js';

export const STATE_PAGE_HOST = '127.0.0.1';

export interface StatePageOptions {
  source: StateSource;
  /** 0: any free port. */
  port: number;
  /** Only 127.0.0.1 is accepted: the page shows the inside of the process to whoever asks. */
  host?: '127.0.0.1';
  /** Least time between two views sent on a stream (ms); default 100. */
  throttleMs?: number;
  /** Time between keep-alive comments on a stream (ms); default 15000. */
  pingIntervalMs?: number;
}

export interface StatePage {
  port: number;
  url: string;
  /** Ends every event stream and stops listening. */
  close(): Promise<void>;
}

interface Client {
  res: ServerResponse;
  end(): void;
}

const SECURITY_HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

// Everything the page needs is inline; it may talk to its own origin only.
const PAGE_CSP = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export async function createStatePage(options: StatePageOptions): Promise<StatePage> {
  const host = options.host ?? STATE_PAGE_HOST;
  if (host !== STATE_PAGE_HOST) throw new Error(`the state page listens on ${STATE_PAGE_HOST} only, not ${String(host)}`);
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) throw new Error(`state page port ${options.port} is not a valid port number (0-65535)`);
  const { source } = options;
  const throttleMs = options.throttleMs ?? 100;
  const pingIntervalMs = options.pingIntervalMs ?? 15_000;
  const clients = new Set<Client>();
  let port = 0;

  const openStream = (req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
    res.write('retry: 3000\n\n');
    let machinesRef: unknown;
    let machinesSent: string | undefined;
    let lastSent = 0;
    let timer: NodeJS.Timeout | undefined;
    let waitingForDrain = false;
    let ended = false;

    const send = (): void => {
      timer = undefined;
      if (ended) return;
      // A client that does not read (a suspended tab) gets the latest view once it drains.
      if (res.writableNeedDrain) {
        waitingForDrain = true;
        return;
      }
      let view;
      try {
        view = source.view();
      } catch {
        return; // a view that cannot be taken now is skipped; the next change tries again
      }
      let newMachines = false;
      if (view.machines !== machinesRef) {
        machinesRef = view.machines;
        const json = JSON.stringify(view.machines);
        newMachines = json !== machinesSent;
        machinesSent = json;
      }
      lastSent = Date.now();
      res.write(`event: view\ndata: ${JSON.stringify(pageView(view, newMachines))}\n\n`);
    };
    const onChange = (): void => {
      if (ended || timer || waitingForDrain) return;
      timer = setTimeout(send, Math.max(0, lastSent + throttleMs - Date.now()));
    };
    res.on('drain', () => {
      if (!waitingForDrain) return;
      waitingForDrain = false;
      onChange();
    });
    const unsubscribe = source.subscribe(onChange);
    const ping = setInterval(() => res.write(': ping\n\n'), pingIntervalMs);
    const client: Client = {
      res,
      end: () => {
        if (ended) return;
        ended = true;
        unsubscribe();
        clearInterval(ping);
        if (timer) clearTimeout(timer);
        clients.delete(client);
        res.end();
      },
    };
    clients.add(client);
    req.on('close', client.end);
    res.on('error', client.end);
    send();
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (!allowedHost(req.headers.host, port)) return text(res, 421, `This page answers to ${STATE_PAGE_HOST}:${port} only.\n`);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return text(res, 405, `${req.method} is not allowed: GET only.\n`);
    }
    switch (path) {
      case '/':
      case '/index.html':
        res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/html; charset=utf-8', 'content-security-policy': PAGE_CSP });
        res.end(req.method === 'HEAD' ? undefined : STATE_PAGE_HTML);
        return;
      case '/state.json': {
        let body: string;
        try {
          body = `${JSON.stringify(pageView(source.view()))}\n`;
        } catch (err) {
          return text(res, 500, `the view could not be taken: ${(err as Error).message}\n`);
        }
        res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8' });
        res.end(req.method === 'HEAD' ? undefined : body);
        return;
      }
      case '/events':
        if (req.method === 'HEAD') {
          res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8' });
          res.end();
          return;
        }
        return openStream(req, res);
      default:
        return text(res, 404, `no such resource: ${path}\n`);
    }
  };

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) =>
      reject(new Error(`state page: cannot listen on ${host}:${options.port}: ${err.code === 'EADDRINUSE' ? 'port already in use' : err.message}`));
    server.once('error', onError);
    server.listen(options.port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  return {
    port,
    url: `http://${host}:${port}/`,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        for (const client of [...clients]) client.end();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' });
  res.end(body);
}

/** 127.0.0.1:PORT or localhost:PORT (what a browser on this host sends). */
function allowedHost(header: string | undefined, port: number): boolean {
  if (header === undefined) return true; // HTTP/1.0 clients (curl -0) send none
  const match = /^(127\.0\.0\.1|localhost)(?::(\d+))?$/i.exec(header.trim());
  return match !== null && (match[2] === undefined ? port === 80 : Number(match[2]) === port);
}
