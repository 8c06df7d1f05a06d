// On-disk form of the caches: cacheDir/<name>.json holding {hash, clusters[, timestamp]},
// written atomically (util/atomicWrite.ts) so a crash leaves either the old file or the new one,
// never half of one. Left-over temp files are swept at load.
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomicSync } from '../util/atomicWrite.js';

export { removeStaleTempFiles } from '../util/atomicWrite.js';

export function cacheFilePath(cacheDir: string, name: string): string {
  return join(cacheDir, `${name}.json`);
}

/** The caches' write (util/atomicWrite.ts), making the cache dir first: it may not exist yet. */
export function writeFileAtomic(file: string, text: string, mode = 0o600, { durable = true }: { durable?: boolean } = {}): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileAtomicSync(file, text, { mode, fsync: durable });
}

export type ReadResult = { kind: 'missing' } | { kind: 'ok'; value: unknown } | { kind: 'error'; reason: string };

/** Reads and parses a JSON file; a missing file is not an error. */
export function readJsonFile(file: string): ReadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'error', reason: (err as Error).message };
  }
  try {
    return { kind: 'ok', value: JSON.parse(text) as unknown };
  } catch (err) {
    return { kind: 'error', reason: `not valid JSON (${(err as Error).message})` };
  }
}
