// The pid file: written atomically (util/atomicWrite.ts) so a reader never sees half a number.
// Beside it, PIDFILE.identity records what makes the pid this agent's: its process start time
// (a pid reused by another process has another one) and the daemon's script. `stop`, `status`
// and `start` act on a pid only when it is verified against that record: a pid file naming a
// stranger (a recycled pid, pid 1, a hand-written file) is never signalled.
import { readFileSync, rmSync } from 'node:fs';
import { writeFileAtomicSync } from '../../util/atomicWrite.js';
import { hasEnded, readCmdline, readComm, readProcStat } from '../../util/procfs.js';

export function readPid(file: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    // EISDIR (the pid file is a directory) comes from read(2) and names no path: name it, so
    // that the CLI prints one line about the file instead of a stack trace.
    (err as NodeJS.ErrnoException).path ??= file;
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
  const stat = readProcStat(pid);
  return stat === undefined || !hasEnded(stat);
}

/** Writes the identity record first, then the pid file: a reader that sees the pid can verify it. */
export function writePidFileAtomic(file: string, pid: number): void {
  const identity: AgentIdentity = { pid, startTime: readProcStat(pid)?.startTime ?? '', script: scriptOf(readCmdline(pid)) ?? '' };
  // No fsync: after a machine crash the process the file names is gone anyway.
  writeFileAtomicSync(identityFile(file), `${JSON.stringify(identity)}\n`, { mode: 0o644, fsync: false });
  writeFileAtomicSync(file, `${pid}\n`, { mode: 0o644, fsync: false });
}

/** Removes the pid file (and its identity record) only when it still names `pid`: never another instance's file. */
export function removePidFileIfOwned(file: string, pid: number): boolean {
  if (readPid(file) !== pid) return false;
  removePidFile(file);
  return true;
}

export function removePidFile(file: string): void {
  rmSync(file, { force: true });
  rmSync(identityFile(file), { force: true });
}

export const identityFile = (pidFile: string): string => `${pidFile}.identity`;

/** What identifies a running agent (see the header). */
export interface AgentIdentity {
  pid: number;
  /** Field 22 of /proc/PID/stat: clock ticks since boot when the process started. */
  startTime: string;
  /** The daemon's script (see scriptOf), e.g. .../dist/daemon/main.js. */
  script: string;
}

/**
 * The script a `node [--v8-flag=value ...] SCRIPT ARGS` command line runs: its first argument
 * after the executable that is not a flag (`start` gives the daemon Node flags, see
 * cli/daemonNodeFlags.ts; an agent started by hand may have none).
 */
export function scriptOf(cmdline: readonly string[] | undefined): string | undefined {
  return cmdline?.slice(1).find((arg) => !arg.startsWith('-'));
}

/** What a pid file names. */
export type PidFileState =
  | { kind: 'none' }
  | { kind: 'dead'; pid: number }
  | { kind: 'stranger'; pid: number; what: string }
  | { kind: 'agent'; pid: number };

/** The pid file checked against its identity record and the live process. */
export function checkPidFile(file: string): PidFileState {
  const pid = readPid(file);
  if (pid === undefined) return { kind: 'none' };
  if (!isAlive(pid)) return { kind: 'dead', pid };
  const name = processName(pid);
  let identity: Partial<AgentIdentity> | undefined;
  try {
    identity = JSON.parse(readFileSync(identityFile(file), 'utf8')) as Partial<AgentIdentity>;
  } catch {
    identity = undefined;
  }
  const startTime = readProcStat(pid)?.startTime;
  const script = scriptOf(readCmdline(pid));
  if (!identity || identity.pid !== pid) return { kind: 'stranger', pid, what: `${name}, with no identity record of this agent in ${identityFile(file)}` };
  if (!startTime || identity.startTime !== startTime) return { kind: 'stranger', pid, what: `${name}, started after the agent that wrote ${file} (a reused pid)` };
  if (!identity.script || script !== identity.script) return { kind: 'stranger', pid, what: `${name}, not the agent's ${identity.script || 'script'}` };
  return { kind: 'agent', pid };
}

function processName(pid: number): string {
  const comm = readComm(pid);
  return comm === undefined ? `process ${pid}` : `process ${pid} (${comm})`;
}
