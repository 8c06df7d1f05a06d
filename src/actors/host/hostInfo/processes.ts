// Running processes from /proc: the scan, and the java processes agentEnv reports with their users.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { listPids, readCmdline, readComm } from '../../../util/procfs.js';
import { readText } from '../../../util/readOptional.js';

/**
 * Processes read between two turns of the event loop. /proc files are made by the kernel on
 * read, never wait on a disk: read synchronously they cost a few microseconds each, while each
 * asynchronous read is two hops through libuv's thread pool (the idle agent's main CPU cost,
 * once a minute). The batches keep a host with thousands of processes from holding the loop.
 */
const PROC_SCAN_BATCH = 256;

/** /proc/PID/status → the real uid (first number of the Uid line). */
export function parseStatusUid(text: string): number | undefined {
  const match = /^Uid:\s*(\d+)/m.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** /etc/passwd → uid → user name (the first name listed for a uid wins). */
export function parsePasswd(text: string): Map<number, string> {
  const users = new Map<number, string>();
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length < 3 || line.startsWith('#')) continue;
    const uid = Number(fields[2]);
    if (fields[0] !== '' && fields[2] !== '' && Number.isInteger(uid) && !users.has(uid)) users.set(uid, fields[0]);
  }
  return users;
}

/** The original's java process filter: "java" in the command line, but not the Ambari server. */
export function isReportedJavaCommand(command: string): boolean {
  return command.includes('java') && !command.includes('AmbariServer');
}

/** The original's HostInfo.PROC_FILTER: a java process counts as Hadoop's when this matches. */
export function isHadoopCommand(command: string): boolean {
  return command.includes('hadoop') || command.includes('zookeeper');
}

export interface ProcessInfo {
  pid: number;
  comm: string;
  command: string;
}

/** Every process's pid, comm and command line; `readable` false when /proc cannot be listed. */
export async function scanProcesses(): Promise<{ readable: boolean; processes: ProcessInfo[] }> {
  const pids = listPids();
  if (pids === undefined) return { readable: false, processes: [] };
  const processes: ProcessInfo[] = [];
  for (let i = 0; i < pids.length; i++) {
    if (i > 0 && i % PROC_SCAN_BATCH === 0) await nextTurn();
    const pid = pids[i];
    const cmdline = readCmdline(pid);
    const comm = readComm(pid);
    if (cmdline === undefined && comm === undefined) continue; // gone meanwhile
    processes.push({ pid, comm: comm ?? '', command: (cmdline ?? []).join(' ').trimEnd() });
  }
  return { readable: true, processes };
}

export async function javaProcesses(processes: readonly ProcessInfo[]): Promise<Array<Record<string, unknown>>> {
  const java = processes.filter((p) => p.pid !== process.pid && isReportedJavaCommand(p.command));
  if (java.length === 0) return [];
  const users = parsePasswd((await readText('/etc/passwd')) ?? '');
  const result: Array<Record<string, unknown>> = [];
  for (const proc of java) {
    const status = await readText(`/proc/${proc.pid}/status`);
    if (status === undefined) continue; // ended meanwhile
    const uid = parseStatusUid(status);
    result.push({
      pid: proc.pid,
      command: proc.command,
      hadoop: isHadoopCommand(proc.command),
      user: uid === undefined ? '' : (users.get(uid) ?? String(uid)),
    });
  }
  return result;
}
