// Command execution figures for `npm run bench`, through one real agent on the real dev
// server: dispatch overhead both ways for a trivial script, throughput of 100 queued
// commands, and how long a timed-out 10-process tree survives its deadline.
//
// Times on both sides come from the same machine's clock: the dev server's task timestamps
// (created_at = when the API took the task and pushed it, ended_at = when the final report
// arrived) and the scripts' own `date +%s%N` / time.time_ns().
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitTask(server, taskId, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await server.api(`/api/v1/tasks/${taskId}`);
    if (['COMPLETED', 'FAILED', 'ABORTED'].includes(body.status)) return body;
    if (Date.now() > deadline) throw new Error(`task ${taskId} still ${body.status} after ${timeoutMs} ms`);
    await sleep(5);
  }
}

const submit = async (server, host, body) => {
  const { status, body: answer } = await server.api(`/api/v1/hosts/${host}/commands`, body);
  if (status !== 201) throw new Error(`POST commands answered ${status}: ${JSON.stringify(answer)}`);
  return answer.task_id;
};

/** A process that exists and is not a zombie. */
function running(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]);
  } catch {
    return false;
  }
}

/**
 * @param {{ server: any; host: string; dir: string; runs?: number }} options
 * `host` is an agent registered with `server`; scripts are written under `dir`.
 */
export async function commandBench({ server, host, dir, runs = 20 }) {
  // Dispatch: the script notes when it starts and when it is about to exit.
  const marks = join(dir, 'marks');
  const trivial = join(dir, 'trivial.sh');
  writeFileSync(trivial, `date +%s%N > "${marks}.start"\necho ok\ndate +%s%N > "${marks}.end"\n`);
  const pushToStart = [];
  const exitToReport = [];
  for (let i = 0; i < runs; i++) {
    const taskId = await submit(server, host, { role: 'BENCH', command: 'START', script: trivial, script_type: 'SHELL', timeout: 60 });
    const task = await waitTask(server, taskId);
    if (task.status !== 'COMPLETED') throw new Error(`trivial task ${taskId} ${task.status}: ${task.stderr}`);
    const start = Number(readFileSync(`${marks}.start`, 'utf8')) / 1e6;
    const end = Number(readFileSync(`${marks}.end`, 'utf8')) / 1e6;
    pushToStart.push(start - task.created_at);
    exitToReport.push(task.ended_at - end);
  }

  // Throughput: 100 commands queued at once (one at a time on the agent, parallel_execution=0).
  const quick = join(dir, 'quick.sh');
  writeFileSync(quick, 'echo ok\n');
  const t0 = performance.now();
  const ids = [];
  for (let i = 0; i < 100; i++) ids.push(await submit(server, host, { role: 'BENCH', command: 'START', script: quick, script_type: 'SHELL', timeout: 60 }));
  const last = await waitTask(server, ids.at(-1), 120_000);
  const queuedSeconds = (performance.now() - t0) / 1000;
  const done = await Promise.all(ids.map((id) => server.api(`/api/v1/tasks/${id}`).then((r) => r.body.status)));
  const completed = done.filter((s) => s === 'COMPLETED').length;

  // Timeout: a python3 script with 9 descendants (a chain and a fan), 1 s timeout. Once obeying
  // SIGTERM, once ignoring it (then the 2 s grace and SIGKILL decide).
  const treeGone = {};
  for (const obey of [true, false]) {
    const pids = join(dir, `tree-${obey}.pids`);
    const tree = join(dir, `tree-${obey}.py`);
    writeFileSync(tree, `import os, signal, time, sys
if not ${obey ? 'True' : 'False'}:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
def child(depth):
    pid = os.fork()
    if pid == 0:
        if depth > 0:
            child(depth - 1)
        time.sleep(600)
        os._exit(0)
    return pid
mine = [os.getpid()]
for i in range(5):
    mine.append(child(0))           # 5 direct children
mine.append(child(3))               # and a chain of 4 more: 10 processes with the script
time.sleep(0.3)
with open(${JSON.stringify(pids)} + '.tmp', 'w') as f:
    f.write(str(time.time_ns()) + '\\n')
    f.write(' '.join(str(p) for p in mine))
os.rename(${JSON.stringify(pids)} + '.tmp', ${JSON.stringify(pids)})
time.sleep(600)
`);
    const taskId = await submit(server, host, { role: 'BENCH', command: 'START', script: tree, script_type: 'PYTHON', timeout: 1 });
    while (!existsSync(pids)) await sleep(2);
    // The whole tree: everything whose ancestry reaches the script (read from /proc now, before the kill).
    const [, pidLine] = readFileSync(pids, 'utf8').split('\n');
    const rootPid = Number(pidLine.split(' ')[0]);
    const members = descendants(rootPid);
    const deadline = processStartMs(rootPid) + 1000;
    while (members.some(running)) await sleep(1);
    const goneAt = Date.now();
    const finished = await waitTask(server, taskId);
    treeGone[obey ? 'obeys' : 'ignores'] = { ms: goneAt - deadline, processes: members.length, exitCode: finished.exit_code };
  }
  return { pushToStart, exitToReport, queuedSeconds, completed, lastStatus: last.status, treeGone };
}

/** pid and every descendant (by ppid links in /proc), now. */
function descendants(root) {
  const children = new Map();
  for (const name of readdirSyncSafe('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  const out = [];
  const queue = [root];
  while (queue.length) {
    const pid = queue.pop();
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

function readdirSyncSafe(dir) {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * Wall-clock start of a process: the agent's watchdog starts when it spawns the script, so
 * this + timeout is the deadline. From /proc start time and /proc/uptime read together (both
 * to the 10 ms of a clock tick; /proc/stat's btime is whole seconds, too coarse).
 */
function processStartMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const startTicks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  const uptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  return Date.now() - (uptime - startTicks / 100) * 1000;
}
