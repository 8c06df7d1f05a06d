// The Node floor: a bare Node.js process (the same binary, no flags) holding one TCP listener
// on 127.0.0.1, doing nothing else. What any Node.js daemon costs before its own code: the
// agent's idle RSS and CPU are compared against it. (The agent runs with --lite-mode
// --no-expose-wasm, cli/daemonNodeFlags.ts; the floor with those flags holds about 0.5 MiB less.)
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const LISTENER = "require('node:net').createServer().listen(0, '127.0.0.1', () => process.stdout.write('up\\n'))";

/** Starts the floor process; resolves once it listens. */
export function startNodeFloor() {
  const child = spawn(process.execPath, ['-e', LISTENER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.stdout.once('data', () =>
      resolve({
        pid: child.pid,
        stop: async () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
          await exited;
        },
      }),
    );
  });
}

/**
 * CPU time a process's live threads have used, in ns: the sum of /proc/PID/task/TID/schedstat
 * (finer than the 10 ms of stat's ticks; PID/schedstat alone is the main thread's only).
 */
export function cpuNs(pid) {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // The thread ended meanwhile.
    }
  }
  return ns;
}

/** Percent of one core between two cpuNs() readings `seconds` apart. */
export const cpuPercent = (ns0, ns1, seconds) => ((ns1 - ns0) / 1e9 / seconds) * 100;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * RSS (KiB, at the end) and CPU (% of one core) of each pid over `seconds` in which nobody
 * talks to them: the idle cost itself, without the bench's own status polling.
 */
export async function idleWindow(pids, seconds, rssKb) {
  const ns0 = pids.map(cpuNs);
  await sleep(seconds * 1000);
  return pids.map((pid, i) => ({ cpu: cpuPercent(ns0[i], cpuNs(pid), seconds), rss: rssKb(pid) }));
}
