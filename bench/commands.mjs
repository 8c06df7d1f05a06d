// Command execution figures for `npm run bench`, through one real agent on the real dev
// server: dispatch overhead both ways for a trivial script (a command naming its own script,
// and a placed component's command in a topology of many hosts), throughput of 100 queued
// commands, and how long a timed-out 10-process tree survives its deadline.
//
// Times on both sides come from the same machine's clock: the dev server's task timestamps
// (created_at = when the API took the task and pushed it, ended_at = when the final report
// arrived) and the scripts' own `date +%s%N` / time.time_ns().
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

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
 * A trivial sh that notes (in `${marks}.start` / `${marks}.end`) when it starts and when it is
 * about to exit. Status commands of a placed component run the same script: they mark nothing.
 */
const markingScript = (marks) => `case "$1" in STATUS|SECURITY_STATUS|GET_VERSION) exit 0;; esac\ndate +%s%N > "${marks}.start"\necho ok\ndate +%s%N > "${marks}.end"\n`;

/**
 * Dispatch overhead both ways: `runs` commands `body` on `host`, one after another, each
 * running a markingScript(marks). Per COMPLETED run, push -> script starts and script exits
 * -> final report at the server; a run that does not complete is counted in `failures`.
 */
async function dispatchRuns({ server, host, body, marks, runs }) {
  const pushToStart = [];
  const exitToReport = [];
  const failures = [];
  for (let i = 0; i < runs; i++) {
    // Marks of an earlier run must not pass for this one's.
    for (const mark of ['start', 'end']) rmSync(`${marks}.${mark}`, { force: true });
    const taskId = await submit(server, host, body);
    const task = await waitTask(server, taskId);
    if (task.status !== 'COMPLETED') {
      failures.push(`task ${taskId} ${task.status} (exit code ${task.exit_code}): ${String(task.stderr ?? '').trim().split('\n').at(-1).slice(0, 200)}`);
      continue;
    }
    const start = Number(readFileSync(`${marks}.start`, 'utf8')) / 1e6;
    const end = Number(readFileSync(`${marks}.end`, 'utf8')) / 1e6;
    pushToStart.push(start - task.created_at);
    exitToReport.push(task.ended_at - end);
  }
  return { pushToStart, exitToReport, completed: runs - failures.length, runs, failures };
}

/**
 * @param {{ server: any; host: string; dir: string; runs?: number }} options
 * `host` is an agent registered with `server`; scripts are written under `dir`.
 */
export async function commandBench({ server, host, dir, runs = 20 }) {
  // Dispatch: a command naming its own script (the dev server's extension).
  const marks = join(dir, 'marks');
  const trivial = join(dir, 'trivial.sh');
  writeFileSync(trivial, markingScript(marks));
  const { pushToStart, exitToReport, failures } = await dispatchRuns({
    server,
    host,
    body: { role: 'BENCH', command: 'START', script: trivial, script_type: 'SHELL', timeout: 60 },
    marks,
    runs,
  });
  if (failures.length > 0) throw new Error(`trivial commands: ${failures.length} / ${runs} did not complete; first: ${failures[0]}`);

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

/** Where the dev server's stack keeps a service's scripts in the agent's cache (clusterData.ts servicePackageFolder). */
const servicePackage = (cacheDir, service) => join(cacheDir, 'stacks/DEV/1.0/services', service, 'package');
const BENCH_SCRIPT = 'scripts/bench.sh';

/**
 * The components of the topology run, on the first `of` hosts of the list (the real agent
 * first, so it has all of them): one on every host, the others on subsets, so that the
 * topology (and a clusterHostInfo built from it) has lists of several lengths.
 */
const TOPOLOGY_COMPONENTS = [
  { service_name: 'BENCH', component_name: 'BENCH_SERVER', of: 1 },
  { service_name: 'BENCH', component_name: 'BENCH_WORKER', of: 0.6 },
  { service_name: 'BENCH', component_name: 'BENCH_CLIENT', of: 0.25 },
  { service_name: 'BENCH', component_name: 'BENCH_MASTER', of: 0.03 },
  { service_name: 'BENCH_STORE', component_name: 'BENCH_STORE_NODE', of: 0.1 },
];

/**
 * Dispatch overhead of a placed component's command, shaped as the Java server's (no script in
 * the request: commandParams.script relative to the service package folder the metadata
 * names), with `hosts` (the agent `host` first, all registered) added to the cluster. The script is the agent's
 * cached copy under cacheDir (the bench's server has no --resources to download it from).
 * @param {{ server: any; host: string; hosts: string[]; cacheDir: string; dir: string; runs?: number }} options
 */
export async function topologyBench({ server, host, hosts, cacheDir, dir, runs = 20 }) {
  const marks = join(dir, 'marks');
  const script = join(servicePackage(cacheDir, 'BENCH'), BENCH_SCRIPT);
  mkdirSync(dirname(script), { recursive: true });
  writeFileSync(script, markingScript(marks));
  // Registered hosts are not in the cluster until the API adds them (as in Ambari): one batch.
  const joined = await server.api('/api/v1/clusters/dev/hosts', hosts.map((host_name) => ({ Hosts: { host_name } })));
  if (joined.status !== 201 && joined.status !== 200) throw new Error(`POST /api/v1/clusters/dev/hosts answered ${joined.status}: ${JSON.stringify(joined.body)}`);
  const placed = [];
  for (const { of, ...component } of TOPOLOGY_COMPONENTS) {
    const on = hosts.slice(0, Math.max(1, Math.round(hosts.length * of)));
    for (const name of on) {
      const { status, body } = await server.api(`/api/v1/hosts/${name}/components`, { ...component, script: BENCH_SCRIPT, script_type: 'SHELL' });
      if (status !== 201) throw new Error(`POST /api/v1/hosts/${name}/components ${component.component_name} answered ${status}: ${JSON.stringify(body)}`);
    }
    placed.push({ name: component.component_name, hosts: on.length });
  }
  await agentTopology(join(cacheDir, 'topologies.json'), hosts.length, placed);
  const result = await dispatchRuns({ server, host, body: { role: 'BENCH_SERVER', command: 'START' }, marks, runs });
  return { ...result, topologyHosts: hosts.length, components: placed };
}

/** Waits until the agent's topology cache (its file) has `hostCount` hosts and every placed component on its hosts. */
async function agentTopology(file, hostCount, placed, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  let seen = 'no file';
  for (;;) {
    try {
      const cluster = JSON.parse(readFileSync(file, 'utf8')).clusters?.['0'];
      const components = new Map((cluster?.components ?? []).map((c) => [c.componentName, c.hostIds?.length ?? 0]));
      seen = `${cluster?.hosts?.length ?? 0} hosts, components ${JSON.stringify(Object.fromEntries(components))}`;
      if (cluster?.hosts?.length === hostCount && placed.every((p) => components.get(p.name) === p.hosts)) return;
    } catch {
      // not written yet, or being replaced
    }
    if (Date.now() > deadline) throw new Error(`the agent's topology (${file}) did not reach ${hostCount} hosts and ${JSON.stringify(placed)} in ${timeoutMs / 1000} s; it has ${seen}`);
    await sleep(20);
  }
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
