// Running processes from /proc: the scan, and the java processes agentEnv reports with their users.
import { listPidsAsync, readCmdlineAsync, readCommAsync } from '../../../util/procfs.js';
import { mapLimit } from '../../../util/promises.js';
import { readText } from '../../../util/readOptional.js';

/** At most this many /proc/PID reads in flight at once. */
const PROC_SCAN_CONCURRENCY = 64;

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
  const pids = await listPidsAsync();
  if (pids === undefined) return { readable: false, processes: [] };
  const infos = await mapLimit(pids, PROC_SCAN_CONCURRENCY, async (pid): Promise<ProcessInfo | undefined> => {
    const [cmdline, comm] = await Promise.all([readCmdlineAsync(pid), readCommAsync(pid)]);
    if (cmdline === undefined && comm === undefined) return undefined; // gone meanwhile
    return { pid, comm: comm ?? '', command: (cmdline ?? []).join(' ').trimEnd() };
  });
  return { readable: true, processes: infos.filter((info): info is ProcessInfo => info !== undefined) };
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
