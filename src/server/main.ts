// `ambari-dev-server [--host H] [--url-port N] [--secured-url-port N] [--api-port N]
//                    [--data-dir DIR] [--two-way-ssl] [--status-page PORT] [-v]`
// Prints one JSON line with its ports when ready (and `status_page_url` with --status-page,
// whose page is on 127.0.0.1:PORT, 0 = any free port); runs until SIGINT/SIGTERM.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startDevServer } from './devServer.js';

const USAGE = 'Usage: ambari-dev-server [--host 127.0.0.1] [--url-port N] [--secured-url-port N] [--api-port N] [--data-dir DIR] [--two-way-ssl] [--status-page PORT] [-v]';

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        host: { type: 'string', default: '127.0.0.1' },
        'url-port': { type: 'string', default: '8440' },
        'secured-url-port': { type: 'string', default: '8441' },
        'api-port': { type: 'string', default: '8080' },
        'data-dir': { type: 'string', default: '.ambari-dev-server' },
        'two-way-ssl': { type: 'boolean', default: false },
        'status-page': { type: 'string' },
        verbose: { type: 'boolean', short: 'v', default: false },
      },
      strict: true,
    }));
  } catch (err) {
    fail(`${(err as Error).message}\n${USAGE}`);
  }
  const port = (flag: string) => {
    const text = values[flag as 'url-port'] ?? '';
    if (!/^\d+$/.test(text) || Number(text) > 65535) fail(`--${flag} '${text}' is not a valid port number (0-65535)`);
    return Number(text);
  };
  const verbose = values.verbose;
  let server;
  try {
    server = await startDevServer({
      host: values.host,
      urlPort: port('url-port'),
      securedUrlPort: port('secured-url-port'),
      apiPort: port('api-port'),
      dataDir: resolve(values['data-dir']),
      twoWaySsl: values['two-way-ssl'],
      passphrase: process.env.AMBARI_PASSPHRASE ?? 'DEV',
      ...(values['status-page'] !== undefined ? { statePage: { port: port('status-page') } } : {}),
      log: (level, msg) => {
        if (level !== 'debug' || verbose) process.stderr.write(`${new Date().toISOString()} ${level.toUpperCase()} ${msg}\n`);
      },
    });
  } catch (err) {
    fail((err as Error).message);
  }
  const ready = { url_port: server.urlPort, secured_url_port: server.securedUrlPort, api_port: server.apiPort, ...(server.statePage ? { status_page_url: server.statePage.url } : {}) };
  process.stdout.write(`${JSON.stringify(ready)}\n`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

function fail(message: string): never {
  process.stderr.write(`ERROR: ${message}\n`);
  process.exit(1);
}

void main();
