// Helpers for the command-execution black-box tests: scripts the agent runs (written into temp
// dirs), the dev server's task API, and process-tree checks through /proc.
//
// Every script records each of its processes in its own "pid file" (one JSON line per process:
// role, pid, /proc start time, wall-clock ms). The tests use those records to check that a tree
// is gone, and `killLeftoverScripts()` (afterEach) SIGKILLs, by pid AND start time (so a
// recycled pid is never hit), whatever a failed test left running. Nothing is killed by name.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dirs = new Set();
const pidFiles = new Set();

/** A fresh temp dir for scripts and their records; removed by removeScriptDirs(). */
export function scriptDir(prefix = 'aa-cmd-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.add(dir);
  return dir;
}

export function removeScriptDirs() {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
  pidFiles.clear();
}

// ---------------------------------------------------------------------------------------------
// /proc

/**
 * { state, ppid, pgrp, session, start } of a pid, or undefined when there is no such process.
 * @param {number} pid
 * @returns {{ state: string; ppid: number; pgrp: number; session: number; start: string } | undefined}
 */
export function procStat(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0], ppid: Number(fields[1]), pgrp: Number(fields[2]), session: Number(fields[3]), start: fields[19] };
}

let clockTicks;
/** The wall-clock ms at which a process with this /proc start time (clock ticks since boot) started. */
export function startedAtMs(start) {
  clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  const uptimeMs = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1000;
  return Date.now() - (uptimeMs - (Number(start) * 1000) / clockTicks);
}

/** True while the process recorded as { pid, start } runs (same start time; zombies count as gone). */
export function running({ pid, start }) {
  const stat = procStat(pid);
  return stat !== undefined && stat.start === String(start) && stat.state !== 'Z' && stat.state !== 'X';
}

/** The records of `entries` still running. */
export const living = (entries) => entries.filter(running);

/**
 * Polls (every 10 ms) until none of `entries` runs; resolves with the wall-clock ms at which
 * that was first seen. Rejects after timeoutMs, naming the survivors.
 */
export async function waitGone(entries, { timeoutMs = 10000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = living(entries);
    const now = Date.now();
    if (left.length === 0) return now;
    if (now > deadline) {
      throw new Error(`still running after ${timeoutMs} ms: ${left.map((e) => `${e.role} ${e.pid} (${procStat(e.pid)?.state})`).join(', ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

// ---------------------------------------------------------------------------------------------
// Script records

/** The records a script's processes wrote so far (incomplete last line ignored). */
export function readRecords(pidFile) {
  if (!existsSync(pidFile)) return [];
  const records = [];
  for (const line of readFileSync(pidFile, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      records.push(JSON.parse(line));
    } catch {
      // a line being written
    }
  }
  return records;
}

/** Waits until `count` records are there; resolves with them. */
export async function waitForRecords(pidFile, count, { timeoutMs = 15000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const records = readRecords(pidFile);
    if (records.length >= count) return records;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} records in ${pidFile}; have ${JSON.stringify(records)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** SIGKILLs every recorded script process still running (by pid + start time). Returns their count. */
export function killLeftoverScripts() {
  let killed = 0;
  for (const file of pidFiles) {
    for (const entry of living(readRecords(file))) {
      try {
        process.kill(entry.pid, 'SIGKILL');
        killed++;
      } catch {
        // gone meanwhile
      }
    }
  }
  return killed;
}

// ---------------------------------------------------------------------------------------------
// Script writers

// Shared start of every python script: record(role[, pid]) appends one JSON line (O_APPEND,
// one write) to the pid file; linger(seconds) sleeps and exits without running Python's
// clean-up (the right way out of a forked child).
const PRELUDE = (pidFile) => `import json, os, signal, subprocess, sys, time
PIDFILE = ${JSON.stringify(pidFile)}

def start_time(pid):
    with open('/proc/%d/stat' % pid) as f:
        text = f.read()
    return text[text.rindex(')') + 2:].split(' ')[19]

def record(role, pid=None, **extra):
    pid = pid or os.getpid()
    entry = dict(role=role, pid=pid, start=start_time(pid), t=time.time() * 1000, **extra)
    fd = os.open(PIDFILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(entry) + '\\n').encode())
    finally:
        os.close(fd)

def linger(seconds):
    time.sleep(seconds)
    os._exit(0)
`;

function writeExecutable(file, text) {
  writeFileSync(file, text);
  chmodSync(file, 0o755);
  return file;
}

/** A python script with the record/linger prelude; returns { script, pidFile }. */
export function pythonScript(dir, name, body) {
  const pidFile = join(dir, `${name}.pids`);
  pidFiles.add(pidFile);
  const script = writeExecutable(join(dir, `${name}.py`), `${PRELUDE(pidFile)}\n${body}\n`);
  return { script, pidFile };
}

/**
 * Prints its argument list (one `ARGV <json>` line) and the command file's taskId, writes a
 * line to stderr and `structuredOut` to its STRUCTURED_OUT_PATH argument, exits 0.
 */
export function argvScript(dir, structuredOut) {
  return pythonScript(dir, 'argv', `record('root')
print('ARGV ' + json.dumps(sys.argv), flush=True)
with open(sys.argv[2]) as f:
    command = json.load(f)
print('TASK %s FROM %s' % (command.get('taskId'), sys.argv[2]), flush=True)
print('hello from the argv script', flush=True)
sys.stderr.write('a line on stderr\\n')
with open(sys.argv[4], 'w') as f:
    json.dump(json.loads(${JSON.stringify(JSON.stringify(structuredOut))}), f)
`);
}

/** A /bin/sh script (script_type SHELL) that prints a line on each stream and exits with `code`. */
export function exitScript(dir, code) {
  const script = writeExecutable(join(dir, `exit-${code}.sh`), `#!/bin/sh
echo "about to exit with ${code}"
echo "failing on purpose" >&2
exit ${code}
`);
  return { script };
}

/**
 * A process tree that sleeps `seconds`: the script (root); a child with a grandchild; a child
 * that setsid()s and forks a grandchild, both staying; a child that setsid()s, forks and exits
 * at once, so that its child is orphaned (re-parented to init) in a session of its own; and an
 * exec'd `sleep`. Seven processes record themselves: wait for `expected` records.
 * ignoreTerm: the setsid'ed grandchild ignores SIGTERM (the kill must escalate to SIGKILL).
 */
export function treeScript(dir, name, seconds, { ignoreTerm = false } = {}) {
  const made = pythonScript(dir, name, `SECONDS = ${seconds}
IGNORE_TERM = ${ignoreTerm ? 'True' : 'False'}
record('root')
print('tree root %d started' % os.getpid(), flush=True)
if os.fork() == 0:
    record('child')
    if os.fork() == 0:
        record('grandchild')
        linger(SECONDS)
    linger(SECONDS)
if os.fork() == 0:
    os.setsid()
    record('setsid-child')
    if os.fork() == 0:
        if IGNORE_TERM:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)  # only SIGKILL ends this one
        record('setsid-grandchild')
        linger(SECONDS)
    linger(SECONDS)
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(0.2)  # the parent is gone by now: re-parented, own session, own group
        record('setsid-orphan')
        linger(SECONDS)
    os._exit(0)
sleeper = subprocess.Popen(['sleep', str(SECONDS)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
record('sleep', sleeper.pid)
print('tree root sleeping', flush=True)
time.sleep(SECONDS)
print('tree root woke up: it should have been killed', flush=True)
`);
  return { ...made, expected: 7 };
}

/**
 * Records {role: 'start'} with its name, sleeps `seconds`, records {role: 'end'}, exits with
 * `exitCode`. All timed scripts of a test may share one pid file (`shared`), giving intervals.
 * @param {string} dir
 * @param {string} name
 * @param {number} seconds
 * @param {{ exitCode?: number; shared?: string }} [options]
 */
export function timedScript(dir, name, seconds, { exitCode = 0, shared } = {}) {
  const made = pythonScript(dir, name, `${shared ? `PIDFILE = ${JSON.stringify(shared)}\n` : ''}record('start', name=${JSON.stringify(name)})
print('${name} started', flush=True)
time.sleep(${seconds})
record('end', name=${JSON.stringify(name)})
print('${name} done', flush=True)
sys.exit(${exitCode})
`);
  if (shared) pidFiles.add(shared);
  return { ...made, pidFile: shared ?? made.pidFile };
}

/**
 * {name: {start, end}} from the records of timed scripts.
 * @param {string} pidFile
 * @returns {Record<string, { start: number; end: number }>}
 */
export function intervals(pidFile) {
  const result = {};
  for (const record of readRecords(pidFile)) {
    if (!record.name) continue;
    result[record.name] ??= {};
    result[record.name][record.role] = record.t;
  }
  return result;
}

/** True when the two {start, end} intervals overlap in time. */
export const overlap = (a, b) => a.start < b.end && b.start < a.end;

/**
 * Fails (exit 1) on its first `failures` runs and succeeds afterwards, counting runs in
 * `counterFile`; a failing run sleeps `failSeconds` first, the successful one `lastRunSeconds`.
 * @param {string} dir
 * @param {{ failures?: number; failSeconds?: number; lastRunSeconds?: number }} [options]
 */
export function flakyScript(dir, { failures = 1, failSeconds = 0, lastRunSeconds = 0 } = {}) {
  const counterFile = join(dir, 'runs.count');
  const made = pythonScript(dir, 'flaky', `COUNTER = ${JSON.stringify(counterFile)}
runs = int(open(COUNTER).read()) if os.path.exists(COUNTER) else 0
runs += 1
with open(COUNTER, 'w') as f:
    f.write(str(runs))
record('run', run=runs)
if runs <= ${failures}:
    time.sleep(${failSeconds})
    print('run %d: failing' % runs, flush=True)
    sys.exit(1)
time.sleep(${lastRunSeconds})
print('run %d: succeeding' % runs, flush=True)
`);
  return { ...made, counterFile, runs: () => (existsSync(counterFile) ? Number(readFileSync(counterFile, 'utf8')) : 0) };
}

// ---------------------------------------------------------------------------------------------
// The dev server's task API (server: what startDevServer returns)

/**
 * POST /api/v1/hosts/HOST/commands; resolves with the task id (throws unless 201).
 * @param {{ api: (path: string, body?: unknown) => Promise<{ status: number; body: any }> }} server
 * @param {string} host
 * @param {{ role?: string; command?: string; script: string; scriptType?: 'PYTHON' | 'SHELL'; timeout?: number; params?: Record<string, string>; serviceName?: string }} options
 * @returns {Promise<number>}
 */
export async function submitCommand(server, host, { role = 'TEST_CLIENT', command = 'INSTALL', script, scriptType = 'PYTHON', timeout = 60, params, serviceName } = {}) {
  const body = { role, command, script, script_type: scriptType, timeout };
  if (params) body.params = params;
  if (serviceName) body.service_name = serviceName;
  const { status, body: answer } = await server.api(`/api/v1/hosts/${encodeURIComponent(host)}/commands`, body);
  if (status !== 201) throw new Error(`POST commands answered ${status}: ${JSON.stringify(answer)}`);
  return answer.task_id;
}

export async function getTask(server, taskId) {
  const { status, body } = await server.api(`/api/v1/tasks/${taskId}`);
  if (status !== 200) throw new Error(`GET task ${taskId} answered ${status}: ${JSON.stringify(body)}`);
  return body;
}

/** Polls the task until `predicate(task)` holds; resolves with the task. A string predicate is a status. */
export async function waitForTask(server, taskId, predicate, { timeoutMs = 20000, intervalMs = 100 } = {}) {
  const test = typeof predicate === 'string' ? (task) => task.status === predicate : predicate;
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      last = await getTask(server, taskId);
      if (test(last)) return last;
    } catch (err) {
      last = { error: err.message };
    }
    if (Date.now() > deadline) throw new Error(`timed out (${timeoutMs} ms) waiting for task ${taskId} (${typeof predicate === 'string' ? predicate : 'predicate'}); last: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export const FINAL = new Set(['COMPLETED', 'FAILED', 'ABORTED', 'TIMEDOUT']);
