// A small Ambari-compatible server for development and tests. For now it serves the url_port
// side the agent's discovery needs (HTTPS GET /ca); the STOMP agent endpoint and the JSON API
// come with the protocol work.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { loadOrCreateIdentity } from './certificates.js';

export interface DevServerOptions {
  host: string;
  urlPort: number;
  dataDir: string;
}

export interface DevServer {
  urlPort: number;
  close(): Promise<void>;
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const identity = loadOrCreateIdentity(options.dataDir);
  const server: Server = createServer({ key: identity.key, cert: identity.cert }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && (path === '/ca' || path === '/ca/')) {
      res.writeHead(200, { 'content-type': 'application/x-pem-file' });
      res.end(identity.cert);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end(`no such resource: ${req.method} ${path}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.urlPort, options.host, () => resolve());
  });
  return {
    urlPort: (server.address() as AddressInfo).port,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
