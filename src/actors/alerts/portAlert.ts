// PORT: can a TCP connection be made to the service's port, and how fast (port_alert.py)?
// - uri: a string, usually a placeholder ({{hdfs-site/nfs.server.port}}); default_port as fallback;
// - reporting.warning/critical.value: seconds (defaults 1.5 and 5.0; 30 or more resets to the default);
// - parameters socket.command (sent after connecting) and socket.command.response (the reply expected).
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { AlertCheckContext, AlertDefinition, AlertKind, AlertOutcome, AlertState } from './alertTypes.js';
import { resolveConfigKey } from './configLookup.js';
import { hostFromUrl, portFromUrl } from './urlParts.js';
import { pythonErrorText } from './httpGet.js';
import { pyTypeName, toPyFloat } from './pyValue.js';

export const DEFAULT_WARNING_SECONDS = 1.5;
export const DEFAULT_CRITICAL_SECONDS = 5.0;
const MAX_SECONDS = 30;

function threshold(definition: AlertDefinition, state: 'warning' | 'critical', fallback: number): number {
  const template = definition.source.reporting?.[state];
  const value = template !== undefined && Object.hasOwn(template, 'value') ? Number(template.value) : fallback;
  // 0 or less would be no timeout at all (Node) or a negative one (which throws): the default.
  return Number.isFinite(value) && value > 0 && value < MAX_SECONDS ? value : fallback;
}

function parameter(definition: AlertDefinition, name: string): string | undefined {
  const found = (definition.source.parameters ?? []).filter((p) => p.name === name).at(-1);
  return found?.value === undefined || found.value === null ? undefined : String(found.value);
}

/** The hosts to try: the one in the URI (this host when none), then this host's public name. */
export function portHosts(uriValue: string, hostNotSpecified: boolean, context: Pick<AlertCheckContext, 'hostName' | 'publicHostName'>): string[] {
  let notSpecified = hostNotSpecified;
  let host = hostFromUrl(uriValue);
  if (host === undefined || host === 'localhost' || host === '0.0.0.0') {
    host = context.hostName;
    notSpecified = true;
  }
  const hosts = [host];
  const self = context.hostName.toLowerCase();
  if (notSpecified && host.toLowerCase() === self && self !== context.publicHostName.toLowerCase()) hosts.push(context.publicHostName);
  return hosts;
}

/** A CSV of host:port items is narrowed to the first one naming this host. */
export function narrowCsvUri(uriValue: string, hostName: string): string {
  const items = uriValue.split(',');
  return items.length > 1 ? (items.find((item) => item.includes(hostName)) ?? uriValue) : uriValue;
}

interface Probe {
  host: string;
  port: number;
  timeoutMs: number;
  command?: string;
  expectedResponse?: string;
  signal: AbortSignal;
}

/** Connects (and exchanges socket.command when given); resolves when done, rejects with the socket error. */
function probe(p: Probe): Promise<void> {
  return new Promise((resolve, reject) => {
    if (p.signal.aborted) {
      reject(new Error('The check was cancelled'));
      return;
    }
    const socket = net.connect({ host: p.host, port: p.port, family: 4 });
    // First: an error event without a listener would end the process.
    socket.on('error', (err) => finish(err));
    const finish = (err?: Error) => {
      p.signal.removeEventListener('abort', onAbort);
      socket.destroy();
      if (err === undefined) resolve();
      else reject(err);
    };
    const onAbort = () => finish(new Error('The check was cancelled'));
    p.signal.addEventListener('abort', onAbort, { once: true });
    socket.setTimeout(p.timeoutMs, () => finish(new Error('timed out')));
    socket.on('connect', () => {
      if (p.command === undefined) {
        finish();
        return;
      }
      socket.write(p.command);
      // One recv(1024), as the original reads the reply.
      socket.once('data', (chunk: Buffer) => {
        const data = chunk.subarray(0, 1024).toString('utf8');
        if (p.expectedResponse !== undefined && data !== p.expectedResponse) {
          finish(new Error(`Expected response ${p.expectedResponse}, Actual response ${data}`));
        } else finish();
      });
      socket.once('end', () => finish(p.expectedResponse === undefined || p.expectedResponse === '' ? undefined : new Error(`Expected response ${p.expectedResponse}, Actual response `)));
    });
  });
}

async function check(definition: AlertDefinition, context: AlertCheckContext): Promise<AlertOutcome> {
  const warning = threshold(definition, 'warning', DEFAULT_WARNING_SECONDS);
  const critical = threshold(definition, 'critical', DEFAULT_CRITICAL_SECONDS);
  const resolved = resolveConfigKey(context.configurations, definition.source.uri);
  let hostNotSpecified = false;
  let uriValue: string;
  if (resolved === undefined) {
    hostNotSpecified = true;
    uriValue = context.hostName;
  } else if (typeof resolved === 'string') {
    uriValue = resolved;
  } else {
    throw new Error(`'${pyTypeName(resolved)}' object has no attribute 'split'`);
  }
  uriValue = narrowCsvUri(uriValue, context.hostName);
  const hosts = portHosts(uriValue, hostNotSpecified, context);
  const port = portFromUrl(uriValue) ?? definition.source.default_port;
  if (port === undefined || port === null) return { state: 'UNKNOWN', args: [`Unable to determine port from URI ${uriValue}`] };

  const command = parameter(definition, 'socket.command');
  const expectedResponse = parameter(definition, 'socket.command.response');
  let firstError: unknown;
  for (const host of hosts) {
    const start = performance.now();
    try {
      await probe({ host, port, timeoutMs: critical * 1000, command, expectedResponse, signal: context.signal });
    } catch (err) {
      if (context.signal.aborted) throw err;
      firstError ??= err;
      continue;
    }
    // Seconds, measured properly: upstream divides a time.time() difference (already seconds)
    // by 1000 again, so its thresholds practically never fire and its texts show ~0.0000s.
    const seconds = (performance.now() - start) / 1000;
    if (seconds >= critical) return { state: 'CRITICAL', args: ['Socket Timeout', host, port] };
    const state: AlertState = seconds >= warning ? 'WARNING' : 'OK';
    return { state, args: [toPyFloat(seconds), port] };
  }
  return { state: 'CRITICAL', args: [pythonErrorText(firstError), hosts[0], port] };
}

export const portAlertKind: AlertKind = {
  check,
  defaultText: (state) => (state === 'OK' || state === 'WARNING' ? 'TCP OK - {0:.4f} response on port {1}' : 'Connection failed: {0} to {1}:{2}'),
};
