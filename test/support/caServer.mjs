// A stand-in for the Ambari server's url_port: HTTPS on 127.0.0.1 answering GET /ca with 200.
// Enough for discovery; the real dev server comes with the protocol work.
import { createServer } from 'node:https';
import getPort from 'get-port';
import { selfSignedCert } from './tls.mjs';

export async function startCaServer(port) {
  const { key, cert } = selfSignedCert();
  const requests = [];
  const server = createServer({ key, cert }, (req, res) => {
    requests.push(req.url);
    if (req.url === '/ca' || req.url === '/ca/') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(cert);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  const chosen = port ?? (await getPort({ host: '127.0.0.1' }));
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(chosen, '127.0.0.1', resolve);
  });
  return {
    port: chosen,
    requests,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(() => resolve()); }),
  };
}
