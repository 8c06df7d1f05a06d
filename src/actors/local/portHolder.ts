// Who holds a TCP port? Read from /proc (what fuser does), so the agent needs no extra tools:
// the listening socket's inode from /proc/net/tcp{,6}, then the process whose fd points at it.
import { readFileSync } from 'node:fs';
import { listPids, readCmdline, readFdTargets } from '../../util/procfs.js';

export interface PortHolder {
  pid: number;
  command: string;
}

const LISTEN_STATE = '0A';

export function findPortHolder(port: number): PortHolder | undefined {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      const local = fields[1];
      if (!local || fields[3] !== LISTEN_STATE) continue;
      if (Number.parseInt(local.split(':')[1] ?? '', 16) === port && fields[9]) inodes.add(fields[9]);
    }
  }
  if (inodes.size === 0) return undefined;

  for (const pid of listPids() ?? []) {
    for (const target of readFdTargets(pid)) {
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (match && inodes.has(match[1]!)) return { pid, command: commandLine(pid) };
    }
  }
  return undefined;
}

function commandLine(pid: number): string {
  return readCmdline(pid)?.filter(Boolean).join(' ') ?? '?';
}
