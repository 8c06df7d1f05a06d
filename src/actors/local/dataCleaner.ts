// One DataCleaner pass over the prefix dir: delete command output files older than max age,
// then the oldest ones until the rest fit the size budget. Directory symlinks are never
// followed and a file symlink is removed as a link, so nothing outside the prefix is touched.
import { lstat, readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { fromPromise } from 'xstate';
import type { CleanerSettings, CleanPassResult } from '../../machines/dataCleaner.js';
import type { LogFn } from '../../logging/logger.js';

// The original's patterns, anchored at the start of the name (Python's re.match).
// Being anchored at the start only, they also cover the backups of a retry (output-ID.txt.N).
export const CLEANABLE_FILE =
  /^(?:errors-\d+\.txt|output-\d+\.txt|site-\d+\.pp|structured-out-\d+\.json|command-\d+\.json|auto_command-\d+\.json|auto_errors-\d+\.txt|auto_output-\d+\.txt|auto_structured-out-\d+\.json)/;

interface Candidate {
  path: string;
  mtimeMs: number;
  size: number;
}

export async function cleanPass(settings: CleanerSettings, onError: (path: string, err: Error) => void, now = Date.now()): Promise<CleanPassResult> {
  const result: CleanPassResult = { deleted: 0, deletedBytes: 0, kept: 0, errors: 0 };
  const candidates: Candidate[] = [];
  await collect(settings.dir, candidates, (path, err) => {
    result.errors++;
    onError(path, err);
  });

  const remove = async (file: Candidate) => {
    try {
      await unlink(file.path);
      result.deleted++;
      result.deletedBytes += file.size;
      return true;
    } catch (err) {
      result.errors++;
      onError(file.path, err as Error);
      return false;
    }
  };

  const cutoff = now - settings.maxAgeSeconds * 1000;
  const young: Candidate[] = [];
  for (const file of candidates) {
    if (file.mtimeMs < cutoff) {
      if (!(await remove(file))) young.push(file);
    } else {
      young.push(file);
    }
  }

  let total = young.reduce((sum, file) => sum + file.size, 0);
  young.sort((a, b) => a.mtimeMs - b.mtimeMs);
  const kept: Candidate[] = [];
  for (const file of young) {
    if (total > settings.maxSizeBytes && (await remove(file))) total -= file.size;
    else kept.push(file);
  }
  result.kept = kept.length;
  return result;
}

async function collect(dir: string, out: Candidate[], onError: (path: string, err: Error) => void): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    onError(dir, err as Error);
    return;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    // Dirent types come from lstat: a symlink to a directory is a symlink, not a directory.
    if (entry.isDirectory()) {
      await collect(path, out, onError);
    } else if ((entry.isFile() || entry.isSymbolicLink()) && CLEANABLE_FILE.test(entry.name)) {
      try {
        const stats = await lstat(path);
        out.push({ path, mtimeMs: stats.mtimeMs, size: stats.size });
      } catch (err) {
        onError(path, err as Error);
      }
    }
  }
}

export function createCleanPass(log: LogFn) {
  return fromPromise<CleanPassResult, CleanerSettings>(({ input }) =>
    cleanPass(input, (path, err) => log('dataCleaner', 'warn', `Data cleaner could not handle ${path}: ${err.message}`)),
  );
}
