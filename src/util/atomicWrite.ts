// Atomic file writes: the data goes to a temp file in the target's directory, which is then
// renamed over the target, so a reader sees the old file or the new one, never part of one, and
// a crash leaves the old file plus (at most) a temp file. The temp name carries the writer's pid
// (FILE.tmp-PID-RANDOM), so a later start can tell a dead writer's leftover from a live write.
import { randomBytes } from 'node:crypto';
import { closeSync, fchmodSync, fsyncSync, openSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface AtomicWriteOptions {
  /** Mode of the new file, set exactly (the umask does not narrow it). Default 0o600. */
  mode?: number;
  /**
   * Flush the file before the rename and the directory after it (default true), so the new
   * file survives a machine crash. false for files that need to survive the process only.
   */
  fsync?: boolean;
}

const TEMP_MARK = '.tmp-';

/** A fresh temp name beside `file`: FILE.tmp-PID-RANDOM. */
export function tempFileFor(file: string): string {
  return `${file}${TEMP_MARK}${process.pid}-${randomBytes(4).toString('hex')}`;
}

/**
 * The pid of the process that wrote `name` (a file name in `file`'s directory) when it is one
 * of `file`'s temp files; undefined otherwise. Also knows FILE.PID.tmp, the name agents used
 * before this helper, so their leftovers are still recognised.
 */
export function tempFileWriter(file: string, name: string): number | undefined {
  const base = basename(file);
  if (!name.startsWith(`${base}.`)) return undefined;
  const rest = name.slice(base.length);
  const match = /^\.tmp-(\d+)-[0-9a-f]+$/.exec(rest) ?? /^\.(\d+)\.tmp$/.exec(rest);
  return match ? Number(match[1]) : undefined;
}

/**
 * Removes `file`'s temp files left by writers that died mid-write; `spare(pid)` true keeps a
 * temp file (e.g. one a live process is writing right now). Returns how many were removed.
 */
export function removeStaleTempFiles(file: string, spare: (writerPid: number) => boolean = () => false): number {
  const dir = dirname(file);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const writer = tempFileWriter(file, name);
    if (writer === undefined || spare(writer)) continue;
    try {
      rmSync(join(dir, name), { force: true });
      removed += 1;
    } catch {
      // left for the next start; it does not affect reading the file
    }
  }
  return removed;
}

/** Writes `data` to `file` atomically (see the header). On failure the temp file is removed and the target is untouched. */
export function writeFileAtomicSync(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): void {
  const { mode = 0o600, fsync = true } = options;
  const temp = tempFileFor(file);
  let fd: number | undefined;
  try {
    // 'wx': the name is fresh; never write through a file or link someone put there.
    fd = openSync(temp, 'wx', mode);
    fchmodSync(fd, mode);
    writeFileSync(fd, data); // loops until all is written (writeSync may write less)
    if (fsync) fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, file);
  } catch (err) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // already failing; the first error is the one worth reporting
      }
    }
    removeQuietly(temp);
    throw err;
  }
  if (fsync) syncDirectorySync(dirname(file));
}

/** The same as writeFileAtomicSync, without blocking the event loop. */
export async function writeFileAtomic(file: string, data: string | Uint8Array, options: AtomicWriteOptions = {}): Promise<void> {
  const { mode = 0o600, fsync = true } = options;
  const temp = tempFileFor(file);
  try {
    const handle = await open(temp, 'wx', mode);
    try {
      await handle.chmod(mode);
      await handle.writeFile(data);
      if (fsync) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true }).catch(() => {}); // the first error is the one worth reporting
    throw err;
  }
  if (fsync) await syncDirectory(dirname(file));
}

/** A failed write's temp file goes; when even that fails (the directory is gone), the write's error is the one to report. */
function removeQuietly(temp: string): void {
  try {
    rmSync(temp, { force: true });
  } catch {
    // see above
  }
}

/** Makes the rename itself durable; best effort (some filesystems refuse fsync on a directory). */
function syncDirectorySync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // not supported everywhere; the rename has happened regardless
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // not supported everywhere; the rename has happened regardless
  }
}
