// `ambari-dev-server [--host H] [--url-port N] [--data-dir DIR]`: prints one JSON line with
// its ports when ready, runs until SIGINT/SIGTERM.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startDevServer } from './devServer.js';

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        'url-port': { type: 'string', default: '8440' },
        'data-dir': { type: 'string', default: '.ambari-dev-server' },
      },
      strict: true,
    }));
  } catch (err) {
    fail(`${(err as Error).message}\nUsage: ambari-dev-server [--host 127.0.0.1] [--url-port N] [--data-dir DIR]`);
  }
  const urlPort = Number(values['url-port']);
  if (!/^\d+$/.test(values['url-port']) || urlPort > 65535) fail(`--url-port '${values['url-port']}' is not a valid port number (0-65535)`);
  let server;
  try {
    server = await startDevServer({ host: values.host, urlPort, dataDir: resolve(values['data-dir']) });
  } catch (err) {
    fail((err as Error).message);
  }
  process.stdout.write(`${JSON.stringify({ url_port: server.urlPort })}\n`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

function fail(message: string): never {
  process.stderr.write(`ERROR: ${message}\n`);
  process.exit(1);
}

void main();
