// What the bench reads of a process in /proc: its resident memory and its CPU time in ticks.
import { readFileSync } from 'node:fs';

/** Clock ticks per second (USER_HZ): /proc/PID/stat's utime and stime are in these. */
export const CLK_TCK = 100;

export const rssKb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

/** utime + stime, read after the command's closing parenthesis (a name may hold spaces). */
export function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}
