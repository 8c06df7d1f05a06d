// One GET of a server resource into memory (FileCache.fetch_url): http or https, straight to
// the host the URL names (no proxy, no redirects followed), an inactivity timeout as the
// original's SOCKET_TIMEOUT, and a size cap so a misbehaving server cannot fill the memory.
import { readFileSync } from 'node:fs';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { get as httpsGet } from 'node:https';

export interface DownloadOptions {
  /** No byte for this long fails the request. */
  timeoutMs: number;
  maxBytes: number;
  /** For https: the CA file to verify the server against (else the system CAs). */
  caFile?: string;
}

export function download(url: string, options: DownloadOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return reject(new Error('not a valid URL'));
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return reject(new Error(`unsupported scheme ${parsed.protocol}`));
    let ca: Buffer | undefined;
    if (parsed.protocol === 'https:' && options.caFile) {
      try {
        ca = readFileSync(options.caFile);
      } catch (err) {
        return reject(new Error(`cannot read the CA file ${options.caFile}: ${(err as Error).message}`));
      }
    }
    const onResponse = (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      if (status < 200 || status > 299) {
        res.resume();
        return fail(new Error(`HTTP ${status}${res.statusMessage ? ` ${res.statusMessage}` : ''}`));
      }
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > options.maxBytes) return fail(new Error(`answer of ${declared} bytes exceeds the ${options.maxBytes}-byte limit`));
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxBytes) fail(new Error(`answer exceeds the ${options.maxBytes}-byte limit`));
        else chunks.push(chunk);
      });
      res.on('end', () => {
        if (!settled && !res.complete) return fail(new Error('connection closed before the answer was complete'));
        settled = true;
        resolve(Buffer.concat(chunks, size));
      });
      res.on('error', (err) => fail(err));
    };
    // inet_utils.ensure_ssl_using_protocol: the resources' https server is verified only
    // against [security] ca_cert_path, without a host name check; with no CA file, not at all.
    const tls = ca ? { ca, checkServerIdentity: () => undefined } : { rejectUnauthorized: false };
    const requestOptions = { agent: false as const, timeout: options.timeoutMs, ...(parsed.protocol === 'https:' ? tls : {}) };
    const req = parsed.protocol === 'https:' ? httpsGet(parsed, requestOptions, onResponse) : httpGet(parsed, requestOptions, onResponse);
    let settled = false;
    function fail(err: Error) {
      if (settled) return;
      settled = true;
      req.destroy();
      reject(err);
    }
    req.on('timeout', () => fail(new Error(`no answer for ${options.timeoutMs} ms`)));
    req.on('error', (err) => fail(err));
  });
}
