// One HTTP(S) GET for the WEB, METRIC and AMS checks, with what the original's urllib and
// http.client calls give them: the status, the body when asked for, and Python-like error texts.
// - The timeout is a socket inactivity timeout, like Python's socket timeout (per connect and read).
// - Redirects (301/302/303/307/308) are followed up to 10 times when asked (urlopen does; AMS's
//   http.client does not).
// - HTTPS does not verify the server certificate: the original patches ssl's default context to a
//   bare SSLContext (CERT_NONE) unless [security] ca_cert_path is set, and then verifies the chain
//   against that file but still not the host name.
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import { errorMessage } from '../../util/errorMessage.js';

export interface HttpGetOptions {
  timeoutMs: number;
  followRedirects: boolean;
  /** Read and return the body (METRIC, AMS); WEB only needs the status line. */
  readBody: boolean;
  /** PEM file of trusted CAs ([security] ca_cert_path); empty or undefined: no verification. */
  caCertFile?: string;
  signal?: AbortSignal;
}

export interface HttpGetAnswer {
  status: number;
  statusMessage: string;
  body: string;
  /** The URL that answered (after redirects). */
  url: string;
}

/** Bodies above this are cut off (a JMX answer is a few hundred KB at most). */
const MAX_BODY_BYTES = 32 * 1024 * 1024;
const MAX_REDIRECTS = 10;

/** Error texts as Python's socket errors print them, for the alert texts. */
const ERRNO_TEXT: Record<string, string> = {
  ECONNREFUSED: '[Errno 111] Connection refused',
  ECONNRESET: '[Errno 104] Connection reset by peer',
  EHOSTUNREACH: '[Errno 113] No route to host',
  ENETUNREACH: '[Errno 101] Network is unreachable',
  ENOTFOUND: '[Errno -2] Name or service not known',
  EAI_AGAIN: '[Errno -3] Temporary failure in name resolution',
  ETIMEDOUT: 'timed out',
};

/** A request error's text as Python would print the socket error (without urllib's wrapper). */
export function pythonErrorText(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code !== undefined && code in ERRNO_TEXT) return ERRNO_TEXT[code]!;
  return errorMessage(err);
}

export class HttpTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor() {
    super('timed out');
  }
}

export async function httpGet(url: string, options: HttpGetOptions): Promise<HttpGetAnswer> {
  let current = url;
  for (let redirects = 0; ; redirects++) {
    const answer = await getOnce(current, options);
    const location = answer.location;
    if (!options.followRedirects || location === undefined || ![301, 302, 303, 307, 308].includes(answer.status) || redirects >= MAX_REDIRECTS) {
      return { status: answer.status, statusMessage: answer.statusMessage, body: answer.body, url: current };
    }
    current = new URL(location, current).toString();
  }
}

function getOnce(url: string, options: HttpGetOptions): Promise<HttpGetAnswer & { location?: string }> {
  return new Promise((resolve, reject) => {
    const isHttps = url.startsWith('https:');
    const tls: https.RequestOptions = isHttps ? tlsOptions(options.caCertFile) : {};
    const client = isHttps ? https : http;
    const req = client.get(url, { ...tls, timeout: options.timeoutMs, signal: options.signal, agent: false }, (res) => {
      const status = res.statusCode ?? 0;
      const statusMessage = res.statusMessage ?? '';
      const location = typeof res.headers.location === 'string' ? res.headers.location : undefined;
      const redirecting = options.followRedirects && location !== undefined && status >= 300 && status < 400;
      if (!options.readBody || redirecting) {
        res.resume();
        req.destroy();
        resolve({ status, statusMessage, body: '', url, location });
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      });
      res.on('end', () => resolve({ status, statusMessage, body: Buffer.concat(chunks).toString('utf8'), url, location }));
      res.on('error', reject);
      res.on('aborted', () => reject(new Error('Remote end closed connection without response')));
    });
    // Whether the request got past connecting (and the TLS handshake): urllib reports errors of
    // that phase wrapped in URLError, later ones bare.
    let connected = false;
    req.on('socket', (socket) => socket.once(isHttps ? 'secureConnect' : 'connect', () => (connected = true)));
    req.on('timeout', () => req.destroy(new HttpTimeoutError()));
    req.on('error', (err) => reject(Object.assign(err, { afterConnect: connected })));
  });
}

function tlsOptions(caCertFile: string | undefined): https.RequestOptions {
  if (caCertFile === undefined || caCertFile === '') return { rejectUnauthorized: false };
  return { ca: readFileSync(caCertFile), rejectUnauthorized: true, checkServerIdentity: () => undefined };
}
