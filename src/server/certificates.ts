// The dev server's TLS identity: a self-signed certificate for localhost/127.0.0.1, made with
// the openssl command on first start and kept in the data dir, so restarts keep the same one.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ServerIdentity {
  key: Buffer;
  cert: Buffer;
  certFile: string;
}

export function loadOrCreateIdentity(dataDir: string): ServerIdentity {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const keyFile = join(dataDir, 'server.key');
  const certFile = join(dataDir, 'server.crt');
  if (!existsSync(keyFile) || !existsSync(certFile)) {
    try {
      execFileSync(
        'openssl',
        ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '3650',
          '-subj', '/CN=ambari-dev-server', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
    } catch (err) {
      const detail = (err as { stderr?: Buffer }).stderr?.toString().trim() || (err as Error).message;
      throw new Error(`cannot create the dev server certificate in ${dataDir} with openssl: ${detail}`);
    }
  }
  return { key: readFileSync(keyFile), cert: readFileSync(certFile), certFile };
}
