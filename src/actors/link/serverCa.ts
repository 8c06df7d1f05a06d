// The server CA an agent with [security] ssl_verify_cert verifies the server against:
// keysdir/server_crt, downloaded from the server's /cert/ca/ the first time it is needed
// (that one download is not verified, as in the original).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../../util/atomicWrite.js';
import { fetchServerCa } from './agentCertificate.js';

export async function ensureServerCa(caFile: string, host: string, urlPort: number, signal?: AbortSignal): Promise<{ ca: Buffer; fetched: boolean }> {
  if (existsSync(caFile)) return { ca: readFileSync(caFile), fetched: false };
  const pem = await fetchServerCa(host, urlPort, { signal });
  mkdirSync(dirname(caFile), { recursive: true, mode: 0o700 });
  await writeFileAtomic(caFile, pem, { mode: 0o644 });
  return { ca: Buffer.from(pem), fetched: true };
}
