// On-disk form of the caches: cacheDir/<name>.json holding {hash, clusters[, timestamp]},
// written atomically (temp file in the same directory, fsync, rename) so a crash leaves either
// the old file or the new one, never half of one. Left-over temp files are swept at load.
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const TEMP_MARK = '.tmp-';

export function cacheFilePath(cacheDir: string, name: string): string {
  return join(cacheDir, `${name}.json`);
}

/**
 * Writes `text` to `file` via a temp file + rename. On failure the temp file is removed.
 * durable: false skips the fsyncs, for files that need to survive the process, not the machine.
 */
export function writeFileAtomic(file: string, text: string, mode = 0o600, { durable = true }: { durable?: boolean } = {}): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true });
  const temp = `${file}${TEMP_MARK}${process.pid}-${randomBytes(4).toString('hex')}`;
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'w', mode);
    writeFileSync(fd, text); // loops until all is written (writeSync may write less)
    if (durable) fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, file);
  } catch (err) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // already failing; the original error is the one worth reporting
      }
    }
    rmSync(temp, { force: true });
    throw err;
  }
  if (durable) syncDirectory(dir);
}

/** Makes the rename itself durable where the platform allows it (best effort). */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // not supported everywhere (e.g. some filesystems); the rename has happened regardless
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Removes temp files a crashed writer of `file` left behind. Returns how many went. */
export function removeStaleTempFiles(file: string): number {
  const dir = dirname(file);
  const prefix = `${file.slice(dir.length + 1)}${TEMP_MARK}`;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    try {
      rmSync(join(dir, name), { force: true });
      removed += 1;
    } catch {
      // leave it; it does not affect loading
    }
  }
  return removed;
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
