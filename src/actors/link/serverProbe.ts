// The discovery probe: HTTPS GET https://HOST:url_port/ca; HTTP 200 means the server is up.
// The server certificate is not verified unless [security] ssl_verify_cert is set, in which
// case it is checked against keysdir/server_crt (fetched from the server when missing).
import { lookup } from 'node:dns/promises';
import { request } from 'node:https';
import { fromPromise } from 'xstate';
import { withSecureContext } from './secureContexts.js';
import { ensureServerCa } from './serverCa.js';
import type { ProbeInput } from '../../machines/discovery.js';
import type { LogFn } from '../../logging/logger.js';

export const PROBE_TIMEOUT_MS = 10_000;

export interface ProbeSettings {
  verifyCert: boolean;
  caFile?: string;
  log: LogFn;
}

export async function probeServer(host: string, port: number, settings: Pick<ProbeSettings, 'verifyCert' | 'caFile'>, signal?: AbortSignal): Promise<void> {
  const ca = settings.verifyCert && settings.caFile ? (await ensureServerCa(settings.caFile, host, port, signal)).ca : undefined;
  return new Promise((resolve, reject) => {
    const req = request(
      { host, port, path: '/ca', method: 'GET', rejectUnauthorized: settings.verifyCert, timeout: PROBE_TIMEOUT_MS, signal, agent: false, ...withSecureContext(ca ? { ca } : {}) },
      (res) => {
        res.resume();
        if (res.statusCode === 200) resolve();
        else reject(new Error(`HTTP ${res.statusCode}`));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${PROBE_TIMEOUT_MS / 1000} s`)));
    req.on('error', reject);
    req.end();
  });
}

export function createServerProbe(settings: ProbeSettings) {
  return fromPromise<void, ProbeInput>(async ({ input, signal }) => {
    // Logged under the stage that probes (its invoked actor's own id is generated).
    const actor = 'discovery';
    if (input.attempt === 1) {
      const address = await lookup(input.host).then((r) => r.address, () => 'unresolved');
      settings.log(actor, 'info', `Connecting to Ambari server at https://${input.host}:${input.port} (${address})`);
    }
    await probeServer(input.host, input.port, settings, signal);
  });
}
