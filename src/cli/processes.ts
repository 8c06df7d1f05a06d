// Process helpers for the control commands: waiting on pids and finding the wrapper.
import treeKill from 'tree-kill';
import { isAlive } from '../actors/local/pidFile.js';
import { readCmdline, readProcStat } from '../util/procfs.js';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `kill -0` every `intervalMs` up to `tries` times; true when the process is gone. */
export async function waitForExit(pid: number, tries: number, intervalMs = 100): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (!isAlive(pid)) return true;
    await sleep(intervalMs);
  }
  return !isAlive(pid);
}

export function killTree(pid: number, signal: NodeJS.Signals): Promise<void> {
  return new Promise((resolve) => treeKill(pid, signal, () => resolve()));
}

export function parentPid(pid: number): number | undefined {
  return readProcStat(pid)?.ppid;
}

/** The agent's parent when it is this project's wrapper (so `stop` can wait for it too). */
export function wrapperOf(pid: number): number | undefined {
  const ppid = parentPid(pid);
  if (ppid === undefined) return undefined;
  return readCmdline(ppid)?.some((arg) => arg.includes('ambari-agent-wrapper')) ? ppid : undefined;
}

export function lastLines(text: string, count: number): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.slice(-count);
}
