// The agent's side of two-way SSL, as the original agent's CertificateManager does it:
// download the server's CA certificate into keysdir/ca.crt, make a key and a certificate
// signing request for this host with openssl, have the server sign it (POST /certs/HOST with
// the shared passphrase) and keep the signed certificate as keysdir/HOST.crt. The key,
// certificate and CA then serve the mutual-TLS connection to the server.
import { execFile } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { request, type RequestOptions } from 'node:https';
import { join } from 'node:path';
import { tempFileFor, writeFileAtomic } from '../../util/atomicWrite.js';
import { isPlainObject } from '../../util/plainObject.js';

export interface CertificateFiles {
  keyFile: string;
  certFile: string;
  caFile: string;
  /** True when the files already in keysdir were used as they were (no server contact). */
  reused: boolean;
}

export interface EnsureAgentCertificateOptions {
  keysdir: string;
  hostname: string;
  serverHost: string;
  urlPort: number;
  passphrase: string;
  /** The CA file's name in keysdir ([security] server_crt); default 'ca.crt'. */
  serverCrtName?: string;
  signal?: AbortSignal;
  /** Per HTTP request; default 30 s. */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_BODY_BYTES = 1024 * 1024;
const OPENSSL_TIMEOUT_MS = 60_000;
const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

export const SIGNING_FAILED_HINT = "Check that the agent's passphrase (AMBARI_PASSPHRASE) matches the server's.";

function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export function serverUrl(host: string, port: number, path: string): string {
  return `https://${hostForUrl(host)}:${port}${path}`;
}

interface HttpResult {
  status: number;
  body: string;
}

function httpsCall(
  url: string,
  options: RequestOptions & { host: string; port: number; path: string },
  body: string | undefined,
  signal: AbortSignal | undefined,
  timeoutMs: number,
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    // agent: false — a one-off connection, nothing left pooled afterwards.
    const req = request({ ...options, agent: false, signal }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          req.destroy(new Error(`${url} answered with more than ${MAX_BODY_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs / 1000} s`)));
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.name === 'AbortError') reject(err);
      else reject(new Error(`cannot reach ${url}: ${err.message}`, { cause: err }));
    });
    req.end(body);
  });
}

/**
 * Downloads the server's CA certificate (PEM) from https://HOST:PORT/cert/ca/. As in the
 * original agent the server's own certificate is not verified for this bootstrap download.
 */
export async function fetchServerCa(
  host: string,
  urlPort: number,
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<string> {
  const path = '/cert/ca/';
  const url = serverUrl(host, urlPort, path);
  const { status, body } = await httpsCall(
    url,
    { host, port: urlPort, path, method: 'GET', rejectUnauthorized: false },
    undefined,
    options.signal,
    options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  );
  if (status !== 200) throw new Error(`cannot download the server CA certificate: ${url} answered HTTP ${status}`);
  if (!PEM_CERT.test(body)) throw new Error(`cannot download the server CA certificate: ${url} did not answer with a PEM certificate`);
  return body;
}

function isValidHostname(hostname: string): boolean {
  return hostname.length > 0 && hostname.length <= 253 && /^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(hostname) && !hostname.includes('..');
}

function openssl(what: string, args: string[], signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { timeout: OPENSSL_TIMEOUT_MS, maxBuffer: 1024 * 1024, signal }, (err, _stdout, stderr) => {
      if (!err) return resolve();
      const e = err as NodeJS.ErrnoException & { killed?: boolean };
      if (e.name === 'AbortError') return reject(err);
      if (e.code === 'ENOENT') return reject(new Error(`cannot ${what}: the openssl command is not installed or not on PATH`));
      const detail = String(stderr ?? '').trim() || (e.killed ? 'openssl timed out' : e.message);
      reject(new Error(`cannot ${what} with openssl: ${detail}`));
    });
  });
}

/** Whether keysdir's key, certificate and CA belong together and the certificate is still valid. */
async function usable(keyFile: string, certFile: string, caFile: string): Promise<boolean> {
  try {
    const cert = new X509Certificate(await readFile(certFile));
    const ca = new X509Certificate(await readFile(caFile));
    return (
      cert.checkPrivateKey(createPrivateKey(await readFile(keyFile))) &&
      cert.verify(ca.publicKey) &&
      Date.parse(cert.validTo) > Date.now()
    );
  } catch {
    return false;
  }
}

/**
 * Makes sure keysdir holds this host's key (HOST.key), a certificate for it signed by the
 * server's CA (HOST.crt) and that CA (ca.crt), getting what is missing from the server.
 * Files that exist and fit together are reused without contacting the server.
 */
export async function ensureAgentCertificate(options: EnsureAgentCertificateOptions): Promise<CertificateFiles> {
  const { keysdir, hostname, serverHost, urlPort, passphrase, signal } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!isValidHostname(hostname)) {
    throw new Error(`cannot make an agent certificate for host ${JSON.stringify(hostname)}: not a valid host name`);
  }
  const keyFile = join(keysdir, `${hostname}.key`);
  const csrFile = join(keysdir, `${hostname}.csr`);
  const certFile = join(keysdir, `${hostname}.crt`);
  const caFile = join(keysdir, options.serverCrtName || 'ca.crt');

  if (!existsSync(keysdir)) await mkdir(keysdir, { recursive: true, mode: 0o700 });

  const haveCa = existsSync(caFile);
  const haveKey = existsSync(keyFile);
  const haveCert = existsSync(certFile);
  if (haveCa && haveKey && haveCert && (await usable(keyFile, certFile, caFile))) {
    return { keyFile, certFile, caFile, reused: true };
  }

  // The CA: download it when missing, and again when a certificate is there but does not fit
  // (the server's CA may have changed since).
  if (!haveCa || haveCert) {
    const caPem = await fetchServerCa(serverHost, urlPort, { signal, timeoutMs });
    await writeFileAtomic(caFile, caPem, { mode: 0o644 });
  }

  // The key and CSR. A kept key gets a fresh CSR; a missing key is made together with one.
  const subject = `/CN=${hostname}`;
  if (!haveKey) {
    const tmpKey = tempFileFor(keyFile);
    const tmpCsr = tempFileFor(csrFile);
    try {
      await openssl(
        `make the agent key and certificate request in ${keysdir}`,
        ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', tmpKey, '-out', tmpCsr, '-subj', subject],
        signal,
      );
      await chmod(tmpKey, 0o600);
      await rename(tmpCsr, csrFile);
      await rename(tmpKey, keyFile);
    } finally {
      await rm(tmpKey, { force: true });
      await rm(tmpCsr, { force: true });
    }
  } else {
    const tmpCsr = tempFileFor(csrFile);
    try {
      await openssl(
        `make the agent certificate request in ${keysdir}`,
        ['req', '-new', '-key', keyFile, '-out', tmpCsr, '-subj', subject],
        signal,
      );
      await rename(tmpCsr, csrFile);
    } finally {
      await rm(tmpCsr, { force: true });
    }
  }
  const csr = await readFile(csrFile, 'utf8');
  const caPem = await readFile(caFile);

  // The signing request, verifying the server against the CA just stored.
  const path = `/certs/${encodeURIComponent(hostname)}`;
  const url = serverUrl(serverHost, urlPort, path);
  const payload = JSON.stringify({ csr, passphrase });
  const { status, body } = await httpsCall(
    url,
    {
      host: serverHost,
      port: urlPort,
      path,
      method: 'POST',
      ca: caPem,
      rejectUnauthorized: true,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
    },
    payload,
    signal,
    timeoutMs,
  );
  let answer: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(body);
    if (isPlainObject(parsed)) answer = parsed;
  } catch {
    answer = undefined;
  }
  if (answer && answer.result !== undefined && answer.result !== 'OK') {
    const reason = typeof answer.message === 'string' && answer.message.trim()
      ? answer.message.trim().replace(/\.+$/, '')
      : 'the server gave no reason';
    throw new Error(`Certificate signing failed: ${reason}. ${SIGNING_FAILED_HINT}`);
  }
  if (status !== 200) throw new Error(`cannot get the agent certificate signed: ${url} answered HTTP ${status}`);
  if (!answer || typeof answer.signedCa !== 'string' || !PEM_CERT.test(answer.signedCa)) {
    throw new Error(`cannot get the agent certificate signed: ${url} did not answer with a signed certificate`);
  }
  await writeFileAtomic(certFile, answer.signedCa, { mode: 0o644 });
  return { keyFile, certFile, caFile, reused: false };
}
