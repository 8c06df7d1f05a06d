// The pid file: written atomically (temp file + rename) so a reader never sees half a number.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';

export function readPid(file: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const pid = Number.parseInt(text.trim(), 10);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * `kill -0`, less zombies: true when a process with this pid exists and has not exited.
 * (EPERM means it exists but is not ours.) A zombie counts as gone: a detached wrapper is
 * reparented to init, which may take its time reaping it.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

export function writePidFileAtomic(file: string, pid: number): void {
  const temp = `${file}.${pid}.tmp`;
  writeFileSync(temp, `${pid}\n`, { mode: 0o644 });
  renameSync(temp, file);
}

/** Removes the pid file only when it still names `pid`: never another instance's file. */
export function removePidFileIfOwned(file: string, pid: number): boolean {
  if (readPid(file) !== pid) return false;
  rmSync(file, { force: true });
  return true;
}
