// The commands of a trial and how they ended. Each command runs a SHELL script of its own that
// notes in its marks file when it starts and when it reaches its end, then exits with its exit
// code, so the suite knows what really ran: whether the agent's report says the truth.
//
// Per task, after the trial (and the agent's recovery):
//   lost        no final status at the server within the bound;
//   duplicated  its script ran more than once, or the server got final reports that disagree
//               (status or exit code);
//   resent      (not a fault) the same final report came again: the agent sends a result until
//               the server's answer reaches it, so an answer lost with a cut connection means
//               one more copy; the Java server ignores a report for a finished task
//               (ActionDBAccessorImpl: "invalid transition") and so counts no fault for it;
//   wrong       the final status is not what the script did: COMPLETED/FAILED by its exit code
//               when it reached its end; FAILED when it was killed mid-way or never started
//               (only possible when the agent itself died: the next agent reports those FAILED,
//               saying so). A FAILED "the agent stopped while this command ran" for a script
//               that did reach its end is accepted too: the agent died before it could store
//               the result, and says so instead of guessing.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FINAL, submitCommand } from '../test/support/commandScripts.mjs';

// What the agent says of a command it could not finish: the next agent's note for one a
// killed agent held, and the cancel of one a stopping agent held.
const RECOVERY_NOTE = /The agent \(pid \d+\) stopped while this command (ran|waited to run)|Command aborted\. Reason: 'The agent is stopping/;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export class TaskBook {
  entries = [];
  counter = 0;

  constructor(dir, host) {
    this.dir = dir;
    this.host = host;
  }

  /**
   * A command for the book's host: sleeps `seconds` (with `detached`, beside a child of its
   * own session), prints `outputBytes` bytes, exits `exitCode`. Resolves with its task id.
   */
  async submit(server, { seconds = 0.5, exitCode = 0, outputBytes = 0, detached = false } = {}) {
    const n = ++this.counter;
    const marks = join(this.dir, `marks-${n}`);
    const script = join(this.dir, `task-${n}.sh`);
    const output = outputBytes > 0 ? `head -c ${outputBytes} /dev/zero | tr '\\0' 'x'\necho\n` : '';
    // detached: a child in a session of its own (out of the script's process group), which
    // only the agent's environment marker finds when the tree must be killed.
    const sleeping = detached ? `setsid sleep ${seconds.toFixed(2)} &\nchild=$!\nsleep ${seconds.toFixed(2)}\nwait $child\n` : `sleep ${seconds.toFixed(2)}\n`;
    writeFileSync(script, `#!/bin/sh\necho "start $$" >> "${marks}"\necho "chaos task ${n}: ${seconds} s, exit ${exitCode}"\n${output}${sleeping}echo end >> "${marks}"\nexit ${exitCode}\n`);
    chmodSync(script, 0o755);
    const taskId = await submitCommand(server, this.host, { role: 'CHAOS_CLIENT', command: 'INSTALL', script, scriptType: 'SHELL', timeout: 300 });
    this.entries.push({ n, taskId, marks, seconds, exitCode });
    return taskId;
  }

  /**
   * Places component `name` (service CHAOS) on the book's host, its script one that notes its
   * runs per task (its command file's name says which) and sleeps `seconds`; status checks of
   * the component only exit 0. Tasks of it (submitComponent) get the full command JSON the
   * agent builds from its caches, as a real server's commands do.
   */
  async placeComponent(server, name, seconds = 0.3) {
    const script = join(this.dir, `component-${name}.sh`);
    writeFileSync(script, `#!/bin/sh
case "$1" in STATUS|SECURITY_STATUS|GET_VERSION) exit 0;; esac
marks="${this.dir}/marks-$(basename "$2" .json)"
echo "start $$" >> "$marks"
echo "component ${name}: $1"
sleep ${seconds.toFixed(2)}
echo end >> "$marks"
exit 0
`);
    chmodSync(script, 0o755);
    const { status, body } = await server.api(`/api/v1/hosts/${encodeURIComponent(this.host)}/components`, { service_name: 'CHAOS', component_name: name, script, script_type: 'SHELL' });
    if (status !== 201 && status !== 200) throw new Error(`POST components answered ${status}: ${JSON.stringify(body)}`);
    this.component = { name, seconds };
  }

  /** An INSTALL of the placed component; resolves with its task id. */
  async submitComponent(server) {
    const { status, body } = await server.api(`/api/v1/hosts/${encodeURIComponent(this.host)}/commands`, { role: this.component.name, command: 'INSTALL', service_name: 'CHAOS', timeout: 300 });
    if (status !== 201) throw new Error(`POST commands answered ${status}: ${JSON.stringify(body)}`);
    const taskId = body.task_id;
    this.entries.push({ n: ++this.counter, taskId, marks: join(this.dir, `marks-command-${taskId}`), seconds: this.component.seconds, exitCode: 0 });
    return taskId;
  }

  /** Polls the server until every task has a final status or `timeoutMs` passed; the tasks by id. */
  async settle(server, timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    let tasks = new Map();
    for (;;) {
      try {
        const { status, body } = await server.api(`/api/v1/tasks?host=${encodeURIComponent(this.host)}`);
        if (status === 200) tasks = new Map(body.items.map((t) => [t.task_id, t]));
      } catch {
        // the server is coming back; ask again
      }
      if (this.entries.every((e) => FINAL.has(tasks.get(e.taskId)?.status))) return tasks;
      if (Date.now() > deadline) return tasks;
      await sleep(250);
    }
  }

  /**
   * Counts per column; `agentDied`: the trial killed or stopped the agent (only then may a
   * script be cut short or never run). `details` lists every counted task, for the report.
   */
  judge(tasks, { agentDied }) {
    const result = { tasks: this.entries.length, lost: 0, duplicated: 0, wrong: 0, resent: 0, details: [] };
    for (const entry of this.entries) {
      const task = tasks.get(entry.taskId);
      const marks = existsSync(entry.marks) ? readFileSync(entry.marks, 'utf8').split('\n') : [];
      const runs = marks.filter((l) => l.startsWith('start')).length;
      const ends = marks.filter((l) => l === 'end').length;
      const what = `task ${entry.taskId} (script ${entry.seconds.toFixed(2)} s, exit ${entry.exitCode}; ran ${runs}x, ended ${ends}x)`;
      if (!task || !FINAL.has(task.status)) {
        result.lost++;
        result.details.push(`lost: ${what}: status ${task?.status ?? 'unknown'}, delivery ${JSON.stringify(task?.delivery ?? null)}`);
        continue;
      }
      const finals = task.final_reports ?? [];
      if (runs > 1 || new Set(finals).size > 1) {
        result.duplicated++;
        result.details.push(`duplicated: ${what}: final reports ${JSON.stringify(finals)}`);
      } else if (finals.length > 1) result.resent += finals.length - 1;
      const recovered = RECOVERY_NOTE.test(task.stderr ?? '');
      const byExit = entry.exitCode === 0 ? 'COMPLETED' : 'FAILED';
      let ok;
      let expected;
      if (ends >= 1) {
        expected = byExit;
        ok = (task.status === byExit && task.exit_code === entry.exitCode) || (agentDied && task.status === 'FAILED' && recovered);
      } else if (runs >= 1) {
        expected = 'FAILED (killed with the agent)';
        ok = agentDied && task.status === 'FAILED';
      } else {
        expected = 'FAILED (never ran: taken by an agent that died)';
        ok = agentDied && task.status === 'FAILED' && recovered;
      }
      if (!ok) {
        result.wrong++;
        const stderr = String(task.stderr ?? '').trim().split('\n').slice(-2).join(' | ').slice(0, 240);
        result.details.push(`wrong status: ${what}: ${task.status} exit ${task.exit_code}, expected ${expected}; stderr: ${stderr}`);
      }
    }
    return result;
  }
}
