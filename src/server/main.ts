// `ambari-dev-server [--host H] [--url-port N] [--secured-url-port N] [--api-port N]
//                    [--data-dir DIR] [--two-way-ssl] [--status-page PORT] [--lenient]
//                    [--ambari-version V] [--max-message-size BYTES]
//                    [--command-retry-count N] [--command-retry-interval SECONDS]
//                    [--resources DIR] [-v]`
// Prints one JSON line with its ports when ready (and `status_page_url` with --status-page,
// whose page is on 127.0.0.1:PORT, 0 = any free port); runs until SIGINT/SIGTERM.
// Strict by default (refuses what the Java server refuses: other agent versions, bodies Jackson
// cannot read); --lenient accepts them. --max-message-size is stomp.max_incoming.message.size
// (2097152); the retry options are execution.command.retry.count / .interval (4, 15).
// --resources DIR serves DIR on api_port under /resources, as ambari-server its resources dir
// (files, and .hash/archive.zip per stack package folder; see resourceFiles.ts).
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_AMBARI_VERSION } from '../version.js';
import { DEFAULT_RETRY_COUNT, DEFAULT_RETRY_INTERVAL_MS } from './commandEmitter.js';
import { startDevServer } from './devServer.js';
import { DEFAULT_MAX_MESSAGE_SIZE } from './serverErrors.js';

const USAGE =
  'Usage: ambari-dev-server [--host 127.0.0.1] [--url-port N] [--secured-url-port N] [--api-port N] [--data-dir DIR] [--two-way-ssl] [--status-page PORT] ' +
  `[--lenient] [--ambari-version ${DEFAULT_AMBARI_VERSION}] [--max-message-size ${DEFAULT_MAX_MESSAGE_SIZE}] [--command-retry-count ${DEFAULT_RETRY_COUNT}] [--command-retry-interval ${DEFAULT_RETRY_INTERVAL_MS / 1000}] [--resources DIR] [-v]`;

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
        lenient: { type: 'boolean', default: false },
        'ambari-version': { type: 'string', default: DEFAULT_AMBARI_VERSION },
        'max-message-size': { type: 'string', default: String(DEFAULT_MAX_MESSAGE_SIZE) },
        'command-retry-count': { type: 'string', default: String(DEFAULT_RETRY_COUNT) },
        'command-retry-interval': { type: 'string', default: String(DEFAULT_RETRY_INTERVAL_MS / 1000) },
        resources: { type: 'string' },
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
  const whole = (flag: 'max-message-size' | 'command-retry-count', min: number) => {
    const text = values[flag];
    if (!/^\d+$/.test(text) || Number(text) < min || !Number.isSafeInteger(Number(text))) fail(`--${flag} '${text}' is not a whole number >= ${min}`);
    return Number(text);
  };
  const interval = values['command-retry-interval'];
  if (!/^\d+(\.\d+)?$/.test(interval) || Number(interval) <= 0) fail(`--command-retry-interval '${interval}' is not a number of seconds > 0`);
  if (values['ambari-version'].trim() === '') fail('--ambari-version must not be empty');
  const resourcesDir = values.resources === undefined ? undefined : resolve(values.resources);
  if (resourcesDir !== undefined) {
    let isDir = false;
    try {
      isDir = statSync(resourcesDir).isDirectory();
    } catch {
      fail(`--resources '${values.resources}': no such directory (${resourcesDir})`);
    }
    if (!isDir) fail(`--resources '${values.resources}' is not a directory (${resourcesDir})`);
  }
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
      strict: !values.lenient,
      ambariVersion: values['ambari-version'],
      maxMessageSize: whole('max-message-size', 1),
      commandRetryCount: whole('command-retry-count', 0),
      commandRetryIntervalMs: Number(interval) * 1000,
      ...(resourcesDir !== undefined ? { resourcesDir } : {}),
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
