// Certificates for one-way and two-way TLS: the dev server's CA (real openssl) and the agent's
// certificate bootstrap against a real HTTPS server on 127.0.0.1, ending in a mutual-TLS handshake.
import { execFileSync } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import getPort from 'get-port';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureAgentCertificate, fetchServerCa } from '../../../../src/actors/link/agentCertificate.js';
import { loadOrCreateCertificateAuthority, type CertificateAuthority } from '../../../../src/server/certificateAuthority.js';
import { loadOrCreateIdentity } from '../../../../src/server/certificates.js';

const dirs: string[] = [];
const servers: Server[] = [];

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aa-certs-'));
  dirs.push(dir);
  return dir;
}

async function listen(server: Server): Promise<number> {
  const port = await getPort({ host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  servers.push(server);
  return port;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

afterAll(async () => {
  await Promise.all(servers.splice(0).map(close));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const mode = (file: string) => statSync(file).mode & 0o777;
const PASSPHRASE = 'dev-passphrase';

// A stand-in for the Ambari server's url_port in two-way SSL: the CA download and CSR signing.
interface CaServer {
  port: number;
  requests: string[];
  caStatus: number;
}

async function startCaServer(ca: CertificateAuthority): Promise<CaServer> {
  const state: CaServer = { port: 0, requests: [], caStatus: 200 };
  const server = createServer({ key: ca.serverKey, cert: ca.serverCert }, (req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    state.requests.push(`${req.method} ${path}`);
    if (req.method === 'GET' && path === '/cert/ca/') {
      res.writeHead(state.caStatus, { 'content-type': 'application/x-pem-file' });
      res.end(state.caStatus === 200 ? ca.caCert : 'nope');
      return;
    }
    const match = /^\/certs\/([^/]+)$/.exec(path);
    if (req.method === 'POST' && match) {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const reply = (body: object) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        };
        let body: { csr?: string; passphrase?: string };
        try {
          body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          reply({ result: 'FAIL', message: 'Malformed request' });
          return;
        }
        if (body.passphrase !== PASSPHRASE) {
          reply({ result: 'FAIL', message: 'Incorrect passphrase from the agent' });
          return;
        }
        ca.signCsr(String(body.csr), decodeURIComponent(match[1])).then(
          (signedCa) => reply({ result: 'OK', signedCa }),
          (err: Error) => reply({ result: 'FAIL', message: err.message }),
        );
      });
      return;
    }
    res.writeHead(404);
    res.end();
  });
  state.port = await listen(server);
  return state;
}

function makeCsr(dir: string, cn: string): string {
  const key = join(dir, `${cn}.key`);
  const csr = join(dir, `${cn}.csr`);
  execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`], { stdio: 'ignore' });
  return readFileSync(csr, 'utf8');
}

describe('dev server certificate authority', () => {
  let dataDir: string;
  let ca: CertificateAuthority;

  beforeAll(() => {
    dataDir = join(tempDir(), 'data');
    ca = loadOrCreateCertificateAuthority(dataDir);
  });

  it('creates the CA and server files once, with private keys 0600, and reuses them', () => {
    for (const name of ['ca.key', 'ca.crt', 'server.key', 'server.crt']) expect(existsSync(join(dataDir, name)), name).toBe(true);
    expect(mode(join(dataDir, 'ca.key'))).toBe(0o600);
    expect(mode(join(dataDir, 'server.key'))).toBe(0o600);
    expect(mode(dataDir)).toBe(0o700);
    expect(readdirSync(dataDir).sort()).toEqual(['ca.crt', 'ca.key', 'server.crt', 'server.key']);

    const again = loadOrCreateCertificateAuthority(dataDir);
    expect(again.caCert.equals(ca.caCert)).toBe(true);
    expect(again.serverCert.equals(ca.serverCert)).toBe(true);
    expect(again.serverKey.equals(ca.serverKey)).toBe(true);
    expect(again.caCertFile).toBe(join(dataDir, 'ca.crt'));

    const identity = loadOrCreateIdentity(dataDir);
    expect(identity.cert.equals(ca.serverCert)).toBe(true);
    expect(identity.key.equals(ca.serverKey)).toBe(true);
    expect(identity.caCert.equals(ca.caCert)).toBe(true);
    expect(identity.certFile).toBe(join(dataDir, 'server.crt'));
    expect(identity.caCertFile).toBe(join(dataDir, 'ca.crt'));
  });

  it('issues a server certificate for localhost/127.0.0.1 signed by a real CA', () => {
    const caX509 = new X509Certificate(ca.caCert);
    const server = new X509Certificate(ca.serverCert);
    expect(caX509.ca).toBe(true);
    expect(caX509.subject).toBe('CN=ambari-dev-server CA');
    expect(caX509.verify(caX509.publicKey)).toBe(true);
    expect(Date.parse(caX509.validTo) - Date.now()).toBeGreaterThan(9 * 365 * 86400_000);
    expect(server.ca).toBe(false);
    expect(server.subject).toBe('CN=localhost');
    expect(server.checkIssued(caX509)).toBe(true);
    expect(server.verify(caX509.publicKey)).toBe(true);
    expect(server.subjectAltName).toContain('DNS:localhost');
    expect(server.subjectAltName).toContain('IP Address:127.0.0.1');
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
  });

  it('replaces an older self-signed server certificate with one signed by the CA', () => {
    const old = join(tempDir(), 'data');
    mkdirSync(old, { recursive: true });
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(old, 'server.key'), '-out', join(old, 'server.crt'),
      '-days', '30', '-subj', '/CN=ambari-dev-server'], { stdio: 'ignore' });
    const before = readFileSync(join(old, 'server.crt'));
    const fresh = loadOrCreateCertificateAuthority(old);
    expect(fresh.serverCert.equals(before)).toBe(false);
    expect(new X509Certificate(fresh.serverCert).verify(new X509Certificate(fresh.caCert).publicKey)).toBe(true);
  });

  it('makes an ECDSA P-256 server key (cheap handshakes) and replaces an RSA one signed by the CA, keeping the CA', () => {
    const key = createPrivateKey(ca.serverKey);
    expect(key.asymmetricKeyType).toBe('ec');
    expect(key.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const old = join(tempDir(), 'data');
    const first = loadOrCreateCertificateAuthority(old);
    // An older data dir's RSA server key and certificate, signed by its CA.
    const ext = join(old, 'ext.cnf');
    writeFileSync(ext, '[ext]\nsubjectAltName = DNS:localhost, IP:127.0.0.1\n');
    execFileSync('openssl', ['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-config', '/dev/null', '-keyout', join(old, 'server.key'), '-out', join(old, 'server.csr'), '-subj', '/CN=localhost'], { stdio: 'ignore' });
    execFileSync('openssl', ['x509', '-req', '-in', join(old, 'server.csr'), '-CA', first.caCertFile, '-CAkey', join(old, 'ca.key'), '-set_serial', '7', '-days', '30', '-extfile', ext, '-extensions', 'ext', '-out', join(old, 'server.crt')], { stdio: 'ignore' });
    rmSync(join(old, 'server.csr'));
    rmSync(ext);
    expect(createPrivateKey(readFileSync(join(old, 'server.key'))).asymmetricKeyType).toBe('rsa');
    const again = loadOrCreateCertificateAuthority(old);
    expect(createPrivateKey(again.serverKey).asymmetricKeyType).toBe('ec');
    expect(again.caCert.equals(first.caCert)).toBe(true);
    expect(new X509Certificate(again.serverCert).verify(new X509Certificate(again.caCert).publicKey)).toBe(true);
  });

  it('signs a CSR with the CA, a fresh serial each time, and leaves no temp files', async () => {
    const csr = makeCsr(tempDir(), 'host-a.example.com');
    const first = new X509Certificate(await ca.signCsr(csr, 'host-a.example.com'));
    const second = new X509Certificate(await ca.signCsr(csr, 'host-a.example.com'));
    const caX509 = new X509Certificate(ca.caCert);
    expect(first.subject).toBe('CN=host-a.example.com');
    expect(first.verify(caX509.publicKey)).toBe(true);
    expect(first.ca).toBe(false);
    expect(first.keyUsage).toContain('1.3.6.1.5.5.7.3.2'); // clientAuth
    expect(first.serialNumber).not.toBe(second.serialNumber);
    const days = (Date.parse(first.validTo) - Date.now()) / 86400_000;
    expect(days).toBeGreaterThan(360);
    expect(days).toBeLessThan(370);
    expect(readdirSync(dataDir).sort()).toEqual(['ca.crt', 'ca.key', 'server.crt', 'server.key']);
  });

  it('rejects garbage, certificates, tampered CSRs and bad host names with a clear error', async () => {
    const csr = makeCsr(tempDir(), 'host-b');
    await expect(ca.signCsr('garbage', 'host-b')).rejects.toThrow(/not a PEM certificate signing request/);
    await expect(ca.signCsr('', 'host-b')).rejects.toThrow(/not a PEM certificate signing request/);
    await expect(ca.signCsr(ca.caCert.toString(), 'host-b')).rejects.toThrow(/not a PEM certificate signing request/);
    await expect(ca.signCsr(csr, '../etc/passwd')).rejects.toThrow(/not a valid host name/);
    // Valid PEM framing, broken contents: openssl refuses it.
    const lines = csr.trim().split('\n');
    const body = Buffer.from(lines.slice(1, -1).join(''), 'base64');
    body[body.length - 5] ^= 0xff;
    const tampered = `${lines[0]}\n${body.toString('base64').replace(/(.{64})/g, '$1\n').trim()}\n${lines[lines.length - 1]}\n`;
    await expect(ca.signCsr(tampered, 'host-b')).rejects.toThrow(/cannot sign the certificate request of host host-b with openssl: .+/);
    const junk = '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n';
    await expect(ca.signCsr(junk, 'host-b')).rejects.toThrow(/with openssl/);
    expect(readdirSync(dataDir).sort()).toEqual(['ca.crt', 'ca.key', 'server.crt', 'server.key']);
  });
});

describe('agent certificate (two-way SSL bootstrap)', () => {
  const HOST = 'agent-1.example.com';
  let ca: CertificateAuthority;
  let caServer: CaServer;
  let keysdir: string;

  beforeAll(async () => {
    ca = loadOrCreateCertificateAuthority(join(tempDir(), 'server'));
    caServer = await startCaServer(ca);
    keysdir = join(tempDir(), 'keys');
  });

  const options = (extra: Partial<Parameters<typeof ensureAgentCertificate>[0]> = {}) => ({
    keysdir,
    hostname: HOST,
    serverHost: '127.0.0.1',
    urlPort: caServer.port,
    passphrase: PASSPHRASE,
    ...extra,
  });

  it('downloads the CA without verifying the server, and names the URL and status on failure', async () => {
    expect(await fetchServerCa('127.0.0.1', caServer.port)).toBe(ca.caCert.toString());
    caServer.caStatus = 503;
    try {
      await expect(fetchServerCa('127.0.0.1', caServer.port)).rejects.toThrow(
        `https://127.0.0.1:${caServer.port}/cert/ca/ answered HTTP 503`,
      );
    } finally {
      caServer.caStatus = 200;
    }
    await expect(fetchServerCa('127.0.0.1', caServer.port, { signal: AbortSignal.abort() })).rejects.toThrow(/abort/i);
  });

  it('refuses a wrong passphrase with the operator hint and writes no certificate', async () => {
    const before = caServer.requests.length;
    await expect(ensureAgentCertificate(options({ passphrase: 'wrong' }))).rejects.toThrow(
      "Certificate signing failed: Incorrect passphrase from the agent. Check that the agent's passphrase (AMBARI_PASSPHRASE) matches the server's.",
    );
    expect(caServer.requests.slice(before)).toEqual(['GET /cert/ca/', `POST /certs/${HOST}`]);
    expect(mode(keysdir)).toBe(0o700);
    expect(existsSync(join(keysdir, `${HOST}.crt`))).toBe(false);
    expect(existsSync(join(keysdir, `${HOST}.key`))).toBe(true);
    expect(readdirSync(keysdir).filter((name) => name.includes('.tmp-'))).toEqual([]);
  });

  it('gets a certificate signed by the server CA, then reuses it without contacting the server', async () => {
    const before = caServer.requests.length;
    const keyBefore = readFileSync(join(keysdir, `${HOST}.key`));
    const files = await ensureAgentCertificate(options());
    expect(files).toEqual({
      keyFile: join(keysdir, `${HOST}.key`),
      certFile: join(keysdir, `${HOST}.crt`),
      caFile: join(keysdir, 'ca.crt'),
      reused: false,
    });
    // ca.crt was kept from the failed attempt; only the signing request goes out again.
    expect(caServer.requests.slice(before)).toEqual([`POST /certs/${HOST}`]);
    expect(readFileSync(files.keyFile).equals(keyBefore)).toBe(true);
    expect(readdirSync(keysdir).sort()).toEqual([`${HOST}.crt`, `${HOST}.csr`, `${HOST}.key`, 'ca.crt']);
    expect(mode(files.keyFile)).toBe(0o600);
    expect(mode(files.certFile) & 0o022).toBe(0);
    expect(mode(files.caFile) & 0o022).toBe(0);
    expect(readFileSync(files.caFile).equals(ca.caCert)).toBe(true);
    expect(readFileSync(join(keysdir, `${HOST}.csr`), 'utf8')).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----/);
    const cert = new X509Certificate(readFileSync(files.certFile));
    expect(cert.subject).toBe(`CN=${HOST}`);
    expect(cert.verify(new X509Certificate(ca.caCert).publicKey)).toBe(true);

    const count = caServer.requests.length;
    const again = await ensureAgentCertificate(options());
    expect(again).toEqual({ ...files, reused: true });
    expect(caServer.requests.length).toBe(count);
  });

  it('makes everything from scratch in a fresh keysdir and replaces a broken certificate', async () => {
    const fresh = join(tempDir(), 'nested', 'keys');
    const before = caServer.requests.length;
    const files = await ensureAgentCertificate(options({ keysdir: fresh, serverCrtName: 'server-ca.pem' }));
    expect(caServer.requests.slice(before)).toEqual(['GET /cert/ca/', `POST /certs/${HOST}`]);
    expect(files.caFile).toBe(join(fresh, 'server-ca.pem'));
    expect(mode(fresh)).toBe(0o700);
    expect(mode(files.keyFile)).toBe(0o600);

    writeFileSync(files.certFile, 'not a certificate\n');
    const repaired = await ensureAgentCertificate(options({ keysdir: fresh, serverCrtName: 'server-ca.pem' }));
    expect(repaired.reused).toBe(false);
    expect(new X509Certificate(readFileSync(files.certFile)).verify(new X509Certificate(ca.caCert).publicKey)).toBe(true);
  });

  it('refuses a host name that cannot be a file name', async () => {
    await expect(ensureAgentCertificate(options({ hostname: '../evil' }))).rejects.toThrow(/not a valid host name/);
  });

  it('completes a mutual-TLS handshake with the agent certificate, and fails without it', async () => {
    const files = await ensureAgentCertificate(options());
    expect(files.reused).toBe(true);
    const server = createServer(
      { key: ca.serverKey, cert: ca.serverCert, ca: ca.caCert, requestCert: true, rejectUnauthorized: true },
      (req, res) => {
        const peer = (req.socket as TLSSocket).getPeerCertificate();
        res.end(`hello ${peer.subject.CN}`);
      },
    );
    const port = await listen(server);
    const get = (withCert: boolean) =>
      new Promise<string>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            path: '/',
            agent: false,
            ca: readFileSync(files.caFile),
            ...(withCert ? { key: readFileSync(files.keyFile), cert: readFileSync(files.certFile) } : {}),
          },
          (res) => {
            let body = '';
            res.on('data', (chunk) => (body += chunk));
            res.on('end', () => resolve(body));
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end();
      });
    expect(await get(true)).toBe(`hello ${HOST}`);
    await expect(get(false)).rejects.toThrow(/certificate required|socket hang up|ECONNRESET/i);
    await close(server);
  });
});
