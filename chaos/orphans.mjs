// Processes of a trial still alive: found in /proc by the CHAOS_TRIAL=TOKEN their environment
// carries (agents.mjs). After the trial's agent was stopped, each one is an orphan: a command
// process the agent should have ended. They are then killed by pid (with their start time
// checked, so a recycled pid is never hit).
import { readdirSync, readFileSync } from 'node:fs';
import { procStat } from '../test/support/commandScripts.mjs';
import { TOKEN_VARIABLE } from './agents.mjs';

/** [{pid, start, argv}] of the live processes whose environment holds TOKEN_VARIABLE=token. */
export function tokenProcesses(token) {
  const needle = Buffer.from(`\0${TOKEN_VARIABLE}=${token}\0`);
  const found = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let environ;
    try {
      environ = Buffer.concat([Buffer.from('\0'), readFileSync(`/proc/${pid}/environ`), Buffer.from('\0')]);
    } catch {
      continue; // gone, or a kernel thread
    }
    if (!environ.includes(needle)) continue;
    const stat = procStat(pid);
    if (!stat || stat.state === 'Z' || stat.state === 'X') continue;
    let argv = '';
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    } catch {
      // gone meanwhile
    }
    found.push({ pid, start: stat.start, argv });
  }
  return found;
}

/** SIGKILLs the given processes, each only if it is still the same process (pid + start time). */
export function killProcesses(processes) {
  for (const { pid, start } of processes) {
    if (procStat(pid)?.start !== start) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
}
