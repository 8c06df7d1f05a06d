// The dev server's certificate authority, for one-way and two-way TLS.
//
// On first use it makes, with the openssl command, a CA (RSA 2048 key + self-signed certificate)
// and a server key + certificate signed by that CA for localhost/127.0.0.1, all kept in the data
// dir so restarts keep the same ones. The server key is ECDSA P-256: the server signs every TLS
// handshake with it, and an ECDSA signature costs a small part of an RSA 2048 one (10,000 agents
// connecting is 10,000 of them); the agents (Python's ssl, node's tls) verify either. An RSA
// server key of an older data dir is replaced (the CA stays, so agents' trust is unchanged). Agents download the CA certificate (GET /cert/ca/), send a
// CSR (POST /certs/HOST) and get back a certificate signed by `signCsr`, as with the original
// Ambari server's two-way SSL.
import { execFile, execFileSync } from 'node:child_process';
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface CertificateAuthority {
  /** The CA certificate (PEM), what agents download from /cert/ca/ and trust. */
  caCert: Buffer;
  caCertFile: string;
  /** The server's TLS key and certificate (PEM), signed by the CA. */
  serverKey: Buffer;
  serverCert: Buffer;
  serverKeyFile: string;
  serverCertFile: string;
  /** Signs an agent's CSR with the CA; resolves to the signed certificate (PEM). */
  signCsr(csrPem: string, hostname: string): Promise<string>;
}

export const CA_SUBJECT = '/CN=ambari-dev-server CA';
export const SERVER_SUBJECT = '/CN=localhost';
const CA_DAYS = 3650;
const SERVER_DAYS = 3650;
const AGENT_DAYS = 365;
const OPENSSL_TIMEOUT_MS = 60_000;
const MAX_CSR_BYTES = 64 * 1024;

const CSR_PEM = /^-----BEGIN (NEW )?CERTIFICATE REQUEST-----\r?\n[A-Za-z0-9+/=\r\n]+-----END (NEW )?CERTIFICATE REQUEST-----\s*$/;

// Host names become file names and certificate subjects: letters, digits, '.', '-', '_' only.
export function isValidCertHostname(hostname: string): boolean {
  return hostname.length > 0 && hostname.length <= 253 && /^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(hostname) && !hostname.includes('..');
}

// Extensions of the certificates the CA issues. No extension of a CSR is ever copied
// (x509 -req's default), so an agent cannot ask for CA:TRUE or extra names.
// An EC key signs (ECDHE key exchange); it enciphers nothing, so no keyEncipherment.
const SERVER_EXTENSIONS = `[ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
subjectAltName = DNS:localhost, IP:127.0.0.1
`;

const AGENT_EXTENSIONS = `[ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
`;

/** A positive, random 127-bit serial number in openssl's 0x notation. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] & 0x7f) | 0x01; // positive and never zero
  return `0x${bytes.toString('hex')}`;
}

function opensslFailure(what: string, err: unknown): Error {
  const e = err as { code?: string; stderr?: Buffer | string; message?: string; killed?: boolean };
  if (e.code === 'ENOENT') return new Error(`cannot ${what}: the openssl command is not installed or not on PATH`);
  if (e.code === 'ABORT_ERR') return err as Error;
  const stderr = (e.stderr?.toString() ?? '').trim();
  const detail = stderr || (e.killed ? 'openssl timed out' : e.message ?? String(err));
  return new Error(`cannot ${what} with openssl: ${detail}`);
}

function opensslSync(what: string, args: string[]): void {
  try {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: OPENSSL_TIMEOUT_MS });
  } catch (err) {
    throw opensslFailure(what, err);
  }
}

function opensslAsync(what: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { timeout: OPENSSL_TIMEOUT_MS, maxBuffer: 1024 * 1024 }, (err) => {
      if (err) reject(opensslFailure(what, err));
      else resolve();
    });
  });
}

function isSignedBy(certPem: Buffer, caPem: Buffer): boolean {
  try {
    const cert = new X509Certificate(certPem);
    const ca = new X509Certificate(caPem);
    return cert.checkIssued(ca) && cert.verify(ca.publicKey) && Date.parse(cert.validTo) > Date.now();
  } catch {
    return false;
  }
}

function isEcKey(keyFile: string): boolean {
  try {
    return createPrivateKey(readFileSync(keyFile)).asymmetricKeyType === 'ec';
  } catch {
    return false;
  }
}

function keyMatches(certPem: Buffer, keyFile: string): boolean {
  try {
    return new X509Certificate(certPem).checkPrivateKey(createPrivateKey(readFileSync(keyFile)));
  } catch {
    return false;
  }
}

// Write key and certificate to temporary names in `dir`, then rename them into place (key
// first), so a reader never sees half-written files and a crash leaves at most a key without
// its certificate, which the next load regenerates.
function createCa(dir: string, keyFile: string, certFile: string): void {
  const work = mkdtempSync(join(dir, '.ca-'));
  try {
    const key = join(work, 'ca.key');
    const cert = join(work, 'ca.crt');
    opensslSync(`create the dev server CA in ${dir}`, [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-config', '/dev/null',
      '-keyout', key, '-out', cert, '-days', String(CA_DAYS), '-set_serial', randomSerial(),
      '-subj', CA_SUBJECT,
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
      '-addext', 'subjectKeyIdentifier=hash',
    ]);
    chmodSync(key, 0o600);
    renameSync(key, keyFile);
    renameSync(cert, certFile);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function createServerCert(dir: string, caKeyFile: string, caCertFile: string, keyFile: string, certFile: string): void {
  const work = mkdtempSync(join(dir, '.server-'));
  try {
    const key = join(work, 'server.key');
    const csr = join(work, 'server.csr');
    const cert = join(work, 'server.crt');
    const ext = join(work, 'ext.cnf');
    const what = `create the dev server certificate in ${dir}`;
    opensslSync(what, [
      'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-config', '/dev/null',
      '-keyout', key, '-out', csr, '-subj', SERVER_SUBJECT,
    ]);
    chmodSync(key, 0o600);
    writeFileSync(ext, SERVER_EXTENSIONS);
    opensslSync(what, [
      'x509', '-req', '-in', csr, '-CA', caCertFile, '-CAkey', caKeyFile, '-set_serial', randomSerial(),
      '-days', String(SERVER_DAYS), '-sha256', '-extfile', ext, '-extensions', 'ext', '-out', cert,
    ]);
    renameSync(key, keyFile);
    renameSync(cert, certFile);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Loads the CA and server certificate from `dataDir`, making whatever is missing (or no longer
 * fits: a server certificate not signed by the CA, e.g. the older self-signed one, or expired).
 * Synchronous: it runs once at start-up.
 */
export function loadOrCreateCertificateAuthority(dataDir: string): CertificateAuthority {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const caKeyFile = join(dataDir, 'ca.key');
  const caCertFile = join(dataDir, 'ca.crt');
  const serverKeyFile = join(dataDir, 'server.key');
  const serverCertFile = join(dataDir, 'server.crt');

  let caMade = false;
  if (!existsSync(caKeyFile) || !existsSync(caCertFile)) {
    createCa(dataDir, caKeyFile, caCertFile);
    caMade = true;
  }
  const caCert = readFileSync(caCertFile);
  if (
    caMade ||
    !existsSync(serverKeyFile) ||
    !existsSync(serverCertFile) ||
    !isSignedBy(readFileSync(serverCertFile), caCert) ||
    !keyMatches(readFileSync(serverCertFile), serverKeyFile) ||
    !isEcKey(serverKeyFile)
  ) {
    createServerCert(dataDir, caKeyFile, caCertFile, serverKeyFile, serverCertFile);
  }

  return {
    caCert,
    caCertFile,
    serverKey: readFileSync(serverKeyFile),
    serverCert: readFileSync(serverCertFile),
    serverKeyFile,
    serverCertFile,
    signCsr: (csrPem, hostname) => signCsr(dataDir, caKeyFile, caCertFile, csrPem, hostname),
  };
}

async function signCsr(dataDir: string, caKeyFile: string, caCertFile: string, csrPem: string, hostname: string): Promise<string> {
  if (typeof hostname !== 'string' || !isValidCertHostname(hostname)) {
    throw new Error(`cannot sign a certificate for host ${JSON.stringify(hostname)}: not a valid host name`);
  }
  if (typeof csrPem !== 'string' || csrPem.length > MAX_CSR_BYTES || !CSR_PEM.test(csrPem.trim() + '\n')) {
    throw new Error(`cannot sign a certificate for host ${hostname}: the request is not a PEM certificate signing request (CSR)`);
  }
  const work = await mkdtemp(join(dataDir, '.sign-'));
  try {
    const csr = join(work, 'agent.csr');
    const ext = join(work, 'ext.cnf');
    const cert = join(work, 'agent.crt');
    await writeFile(csr, csrPem.trim() + '\n');
    await writeFile(ext, AGENT_EXTENSIONS);
    // x509 -req checks the CSR's self-signature (proof the agent holds the key).
    await opensslAsync(`sign the certificate request of host ${hostname}`, [
      'x509', '-req', '-in', csr, '-CA', caCertFile, '-CAkey', caKeyFile, '-set_serial', randomSerial(),
      '-days', String(AGENT_DAYS), '-sha256', '-extfile', ext, '-extensions', 'ext', '-out', cert,
    ]);
    return await readFile(cert, 'utf8');
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
