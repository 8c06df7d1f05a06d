// Command execution when things go wrong around a running command: the dev server restarted,
// the agent SIGKILLed and started again, RESTART_AGENT, `stop` while a command runs, and the
// DataCleaner removing old command files. Real CLI, real agent processes, the real dev server
// as a child process; scripts are written by the tests and record their pids for the checks
// (and for the clean-up of anything a failed test leaves running).
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import getPort from 'get-port';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
// @ts-ignore plain .mjs helper without type declarations
import { startDevServer } from '../support/devServer.mjs';
// @ts-ignore plain .mjs helper without type declarations
import * as scripts from '../support/commandScripts.mjs';
import {
  alive, cleanup, cli, devServerAgent, homeFiles, logText, parentPid, processesMentioning, readPidFile, startAgent, stateOf, waitFor, waitForLog,
  waitForState, type DevServer,
} from './helpers.js';

interface ProcRecord {
  role: string;
  pid: number;
  start: string;
  t: number;
}

const servers: DevServer[] = [];
const dataDirs: string[] = [];
let dir: string;
let seq = 0;

beforeAll(() => {
  dir = scripts.scriptDir('aa-cmdres-');
});

afterEach(async () => {
  await cleanup();
  scripts.killLeftoverScripts();
  for (const server of servers.splice(0)) await server.stop();
  for (const path of dataDirs.splice(0)) rmSync(path, { recursive: true, force: true });
});

afterAll(() => {
  scripts.killLeftoverScripts();
  scripts.removeScriptDirs();
});

async function devServer(options: Record<string, unknown> = {}): Promise<DevServer> {
  const server = (await startDevServer(options)) as DevServer;
  servers.push(server);
  return server;
}

/** Fixed free ports and a data dir, so that a server can be stopped and started again as the same. */
async function restartableServerOptions() {
  const dataDir = mkdtempSync(join(tmpdir(), 'aa-devsrv-'));
  dataDirs.push(dataDir);
  return {
    urlPort: await getPort({ host: '127.0.0.1' }),
    securedUrlPort: await getPort({ host: '127.0.0.1' }),
    apiPort: await getPort({ host: '127.0.0.1' }),
    dataDir,
  };
}

function testDir(name: string): string {
  const path = join(dir, `${name}-${++seq}`);
  mkdirSync(path, { recursive: true });
  return path;
}

/** A started, registered agent of `server` (see devServerAgent). */
const registeredAgent = (server: DevServer, set: string[] = []) => devServerAgent(server, { name: 'res', set });

const isFinal = (t: any) => scripts.FINAL.has(t.status);

/** Starts a process tree as a task and waits until all its members run and the server saw IN_PROGRESS. */
async function runningTree(server: DevServer, host: string, name: string) {
  const tree = scripts.treeScript(testDir(name), 'tree', 300);
  const taskId: number = await scripts.submitCommand(server, host, { script: tree.script, timeout: 600, role: 'TREE', command: 'START' });
  const members: ProcRecord[] = await scripts.waitForRecords(tree.pidFile, tree.expected);
  await scripts.waitForTask(server, taskId, 'IN_PROGRESS', { timeoutMs: 10000 });
  expect(scripts.living(members)).toHaveLength(members.length);
  return { taskId, members, pidFile: tree.pidFile as string };
}

describe('command resilience', () => {
  it('the dev server restarted while a command runs: the result arrives after the agent registers again', { timeout: 90_000 }, async () => {
    const options = await restartableServerOptions();
    const first = await devServer(options);
    const { home, host, pid } = await registeredAgent(first);
    const where = testDir('server-restart');
    const timed = scripts.timedScript(where, 'through-restart', 4);
    const taskId = await scripts.submitCommand(first, host, { script: timed.script, role: 'SLOW', command: 'INSTALL' });
    await scripts.waitForTask(first, taskId, 'IN_PROGRESS', { timeoutMs: 10000 });

    await first.stop({ keep: true });
    const stoppedAt = Date.now();
    // The command ends while no server is there.
    await waitFor(() => scripts.readRecords(timed.pidFile).some((r: ProcRecord) => r.role === 'end') || undefined, { timeoutMs: 15000, what: 'the script to end' });
    await waitFor(async () => stateOf((await cli(['status', '--home', home])).stdout) !== 'connected' || undefined, { timeoutMs: 20000, what: 'the agent to notice' });

    const second = await devServer(options);
    // The restarted server knows the task from its data dir; the agent has not reported the end yet.
    const known = await scripts.getTask(second, taskId);
    expect(known.status).toBe('IN_PROGRESS');

    const task = await scripts.waitForTask(second, taskId, isFinal, { timeoutMs: 60000, intervalMs: 250 });
    console.log(`server restart: final report at the restarted server ${Date.now() - stoppedAt} ms after the first server stopped`);
    expect(task.status, JSON.stringify(task)).toBe('COMPLETED');
    expect(task.exit_code).toBe(0);
    expect(task.stdout).toContain('through-restart done');
    expect(task.stdout).toContain('Command completed successfully!');
    await waitForState(home, 'connected', 30000);
    expect(await second.host(host)).toMatchObject({ host_name: host });
    // The same agent process all along, and the command ran once.
    expect(readPidFile(home)).toBe(pid);
    expect(alive(pid)).toBe(true);
    expect(scripts.readRecords(timed.pidFile).filter((r: ProcRecord) => r.role === 'start')).toHaveLength(1);
  });

  it('the agent SIGKILLed while a command tree runs: the next start kills the old tree and reports the task FAILED', { timeout: 90_000 }, async () => {
    const server = await devServer();
    const { home, host, pid } = await registeredAgent(server);
    const { taskId, members } = await runningTree(server, host, 'sigkill');
    // A second command waits behind the tree (parallel_execution=0).
    const queued = scripts.timedScript(testDir('sigkill-queued'), 'queued', 1);
    const queuedId = await scripts.submitCommand(server, host, { script: queued.script, role: 'QUEUED' });
    await waitFor(async () => /^Commands: 2$/m.test((await cli(['status', '--home', home])).stdout) || undefined, { timeoutMs: 10000, what: 'Commands: 2' });
    const wrapper = parentPid(pid)!;

    process.kill(pid, 'SIGKILL');
    await waitFor(() => (!alive(pid) && !alive(wrapper)) || undefined, { timeoutMs: 10000, what: 'the agent and its wrapper to be gone' });
    // Nobody killed the tree: it outlives the agent (what the next start must deal with).
    expect(scripts.living(members)).toHaveLength(members.length);

    const started = await startAgent(home);
    expect(started.code, started.output).toBe(0);
    expect(started.pid).not.toBe(pid);
    const startedAt = Date.now();
    const goneAt: number = await scripts.waitGone(members, { timeoutMs: 20000 });
    console.log(`sigkill: old tree (${members.length} processes) gone ${goneAt - startedAt} ms after \`start\` returned`);
    // No process of the old tree is left, by pid and start time.
    expect(scripts.living(members)).toEqual([]);
    await waitForLog(home, new RegExp(`Task ${taskId} was running when agent ${pid} stopped; killed \\d+ leftover process`), 10000);

    const task = await scripts.waitForTask(server, taskId, isFinal, { timeoutMs: 60000, intervalMs: 250 });
    expect(task.status, JSON.stringify(task)).toBe('FAILED');
    expect(task.exit_code).not.toBe(0);
    expect(task.stdout).toContain('tree root sleeping'); // the output the old agent's run left in output-ID.txt
    expect(task.stdout).toMatch(/Command failed/);
    expect(task.stderr).toContain(`The agent (pid ${pid}) stopped while this command ran`);
    await waitForState(home, 'connected', 30000);
    // The command that waited behind it is not left hanging at the server either; it never ran.
    const queuedTask = await scripts.waitForTask(server, queuedId, isFinal, { timeoutMs: 30000, intervalMs: 250 });
    expect(queuedTask.status, JSON.stringify(queuedTask)).toBe('FAILED');
    expect(queuedTask.stderr).toContain(`(pid ${pid})`);
    expect(scripts.readRecords(queued.pidFile)).toEqual([]);
  });

  it('the agent SIGKILLed while a retry-enabled command waits between attempts: the next start reports the task FAILED', { timeout: 90_000 }, async () => {
    const server = await devServer();
    const { home, host, pid } = await registeredAgent(server);
    // Every run fails after 1.5 s (long enough for an IN_PROGRESS report); retries for 60 s.
    const flaky = scripts.flakyScript(testDir('sigkill-retry'), { failures: 1000, failSeconds: 1.5 });
    const taskId = await scripts.submitCommand(server, host, {
      script: flaky.script,
      role: 'FLAKY',
      command: 'START',
      params: { command_retry_enabled: 'true', max_duration_for_retries: '60' },
    });
    await scripts.waitForTask(server, taskId, 'IN_PROGRESS', { timeoutMs: 10000 });
    // The first run has exited; the next one starts only after the retry delay (2 s).
    const [firstRun] = await scripts.waitForRecords(flaky.pidFile, 1);
    await scripts.waitGone([firstRun], { timeoutMs: 10000 });
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !alive(pid) || undefined, { timeoutMs: 10000, what: 'the agent to be gone' });
    const runsAtKill = flaky.runs();

    const started = await startAgent(home);
    expect(started.code, started.output).toBe(0);
    await waitForState(home, 'connected', 30000);
    // The server was told the task started; it must hear that it ended.
    const task = await scripts.waitForTask(server, taskId, isFinal, { timeoutMs: 30000, intervalMs: 250 });
    expect(task.status, `${JSON.stringify(task)} (runs when killed: ${runsAtKill})`).toBe('FAILED');
    expect(task.exit_code).not.toBe(0);
    expect(task.stdout).toContain('run 1: failing');
    expect(task.stdout).toMatch(/Command failed/);
    expect(task.stderr).toContain(`(pid ${pid})`);
    // It was not run again by the new agent.
    expect(flaky.runs()).toBe(runsAtKill);
    for (const record of scripts.readRecords(flaky.pidFile)) expect(scripts.running(record)).toBe(false);
  });

  it('RESTART_AGENT: a new agent process registers again, heartbeats, and runs a command sent afterwards', { timeout: 90_000 }, async () => {
    const server = await devServer();
    const { home, host, pid } = await registeredAgent(server);
    const before = await server.host(host);

    const answer = await server.api(`/api/v1/hosts/${host}/actions`, { action: 'RESTART_AGENT' });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);

    const newPid = await waitFor(() => {
      const current = readPidFile(home);
      return current !== undefined && current !== pid && alive(current) ? current : undefined;
    }, { timeoutMs: 30000, what: 'a new agent pid' });
    expect(alive(pid)).toBe(false);
    await waitForState(home, 'connected', 30000);
    expect(readPidFile(home)).toBe(newPid);
    expect(readFileSync(homeFiles(home).outFile, 'utf8')).toMatch(/exited with code 77, restarting/);

    // Registered again (a new registration) and heartbeating.
    const again = await waitFor(async () => {
      const record = await server.host(host);
      return record && record.registered_at > before.registered_at && record.response_id >= 1 ? record : undefined;
    }, { timeoutMs: 20000, what: 'a new registration with a heartbeat' });
    await waitFor(async () => ((await server.host(host))?.heartbeats > again.heartbeats ? true : undefined), { timeoutMs: 25000, what: 'another heartbeat' });
    expect((await server.host(host)).state).toBe('heartbeating');

    const structured = { after: 'restart' };
    const { script } = scripts.argvScript(testDir('after-restart'), structured);
    const taskId = await scripts.submitCommand(server, host, { script });
    const task = await scripts.waitForTask(server, taskId, isFinal, { timeoutMs: 20000 });
    expect(task.status, JSON.stringify(task)).toBe('COMPLETED');
    expect(task.structured_out).toEqual(structured);
    expect(readPidFile(home)).toBe(newPid);
  });

  it('a burst of RESTART_AGENT restarts the agent once; the new agent takes the rest as done, and obeys again after its quiet window', { timeout: 120_000 }, async () => {
    const server = await devServer();
    const { home, host, pid } = await registeredAgent(server);
    const restart = () => server.api(`/api/v1/hosts/${host}/actions`, { action: 'RESTART_AGENT' });
    const restarts = () => (readFileSync(homeFiles(home).outFile, 'utf8').match(/exited with code 77, restarting/g) ?? []).length;
    const ignored = () => (logText(home).match(/Ignoring RESTART_AGENT from the server: this agent started from a restart/g) ?? []).length;

    // As a script retrying would: keep asking (a 409 while no agent is connected) until the new
    // agent has been asked a few times too.
    let delivered = 0;
    await waitFor(async () => {
      if ((await restart()).status === 200) delivered++;
      return ignored() >= 3 ? true : undefined;
    }, { timeoutMs: 30000, intervalMs: 20, what: 'three RESTART_AGENT ignored by the new agent' });
    const newPid = readPidFile(home)!;
    expect(newPid).not.toBe(pid);
    expect(alive(newPid)).toBe(true);
    expect(restarts()).toBe(1);
    expect(delivered).toBeGreaterThanOrEqual(4);

    // Past the window (10 s from the old agent's exit, which was before now) a request is obeyed.
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    expect((await restart()).status).toBe(200);
    await waitFor(() => (restarts() === 2 ? true : undefined), { timeoutMs: 30000, what: 'a second restart' });
    await waitForState(home, 'connected', 30000);
  });

  it('RESTART_AGENT while a command tree runs: the tree is killed, the new agent reports the task FAILED', { timeout: 90_000 }, async () => {
    const server = await devServer();
    const { home, host, pid } = await registeredAgent(server);
    const { taskId, members } = await runningTree(server, host, 'restart-running');

    const restartAt = Date.now();
    expect((await server.api(`/api/v1/hosts/${host}/actions`, { action: 'RESTART_AGENT' })).status).toBe(200);
    const goneAt: number = await scripts.waitGone(members, { timeoutMs: 20000 });
    console.log(`restart: running tree (${members.length} processes) gone ${goneAt - restartAt} ms after RESTART_AGENT`);
    const newPid = await waitFor(() => {
      const current = readPidFile(home);
      return current !== undefined && current !== pid && alive(current) ? current : undefined;
    }, { timeoutMs: 30000, what: 'a new agent pid' });

    const task = await scripts.waitForTask(server, taskId, isFinal, { timeoutMs: 60000, intervalMs: 250 });
    expect(task.status, JSON.stringify(task)).toBe('FAILED');
    expect(task.exit_code).not.toBe(0);
    expect(task.stderr).toMatch(/Command aborted\. Reason: 'The agent is stopping: restart/);
    expect(scripts.living(members)).toEqual([]);
    await waitForState(home, 'connected', 30000);
    expect(readPidFile(home)).toBe(newPid);
  });

  it('`stop` while a command tree runs: no orphans, exit 0, and after `start` the server gets the FAILED report', { timeout: 90_000 }, async () => {
    const server = await devServer();
    const { home, host, pid } = await registeredAgent(server);
    const { taskId, members, pidFile } = await runningTree(server, host, 'stop');
    // A second command waits behind the tree (parallel_execution=0): it is cancelled too.
    const queued = scripts.timedScript(testDir('stop-queued'), 'queued', 1);
    const queuedId = await scripts.submitCommand(server, host, { script: queued.script, role: 'QUEUED' });
    await waitFor(async () => /^Commands: 2$/m.test((await cli(['status', '--home', home])).stdout) || undefined, { timeoutMs: 10000, what: 'Commands: 2' });

    const stopAt = Date.now();
    const stopped = await cli(['stop', '--home', home]);
    console.log(`stop: \`stop\` with a running tree took ${Date.now() - stopAt} ms`);
    expect(stopped.code, stopped.output).toBe(0);
    expect(stopped.stdout).toContain('ambari-agent successfully stopped');
    // Nothing outlives `stop`: not the agent, not one process of the command's tree.
    expect(alive(pid)).toBe(false);
    expect(scripts.living(members)).toEqual([]);
    expect(processesMentioning(home)).toEqual([]);
    expect(logText(home)).not.toMatch(/Commands still running after/);

    const started = await startAgent(home);
    expect(started.code, started.output).toBe(0);
    const task = await scripts.waitForTask(server, taskId, isFinal, { timeoutMs: 60000, intervalMs: 250 });
    expect(task.status, JSON.stringify(task)).toBe('FAILED');
    expect(task.exit_code).not.toBe(0);
    expect(task.stderr).toMatch(/Command aborted\. Reason: 'The agent is stopping/);
    expect(task.stdout).toMatch(/Command aborted\. Reason: 'The agent is stopping/);
    expect(task.stdout).toContain('Command failed after 1 tries');
    // The tree was not started again, and nothing of it came back.
    expect(scripts.readRecords(pidFile).filter((r: ProcRecord) => r.role === 'root')).toHaveLength(1);
    expect(scripts.living(members)).toEqual([]);
    // The queued command never ran, and is reported FAILED for the same reason.
    const queuedTask = await scripts.waitForTask(server, queuedId, isFinal, { timeoutMs: 30000, intervalMs: 250 });
    expect(queuedTask.status, JSON.stringify(queuedTask)).toBe('FAILED');
    expect(queuedTask.stderr).toMatch(/Command aborted\. Reason: 'The agent is stopping/);
    expect(scripts.readRecords(queued.pidFile)).toEqual([]);
  });

  it('the DataCleaner removes the command files of old tasks by age, and keeps young ones', { timeout: 90_000 }, async () => {
    const server = await devServer();
    const { home, host } = await registeredAgent(server);
    const prefix = homeFiles(home).prefix;
    const where = testDir('cleaner');
    const ids: number[] = [];
    for (const name of ['old', 'young']) {
      const { script } = scripts.argvScript(mkdirP(join(where, name)), { task: name });
      const taskId = await scripts.submitCommand(server, host, { script });
      expect((await scripts.waitForTask(server, taskId, isFinal, { timeoutMs: 20000 })).status).toBe('COMPLETED');
      ids.push(taskId);
    }
    const filesOf = (taskId: number) => [`command-${taskId}.json`, `output-${taskId}.txt`, `errors-${taskId}.txt`, `structured-out-${taskId}.json`].map((f) => join(prefix, f));
    const [oldFiles, youngFiles] = [filesOf(ids[0]!), filesOf(ids[1]!)];
    for (const file of [...oldFiles, ...youngFiles]) expect(existsSync(file), file).toBe(true);

    // Stop, age the first task's files by 40 days (past the default 30-day max age), start:
    // the cleaner's first pass runs at start (its interval is clamped to at least an hour).
    expect((await cli(['stop', '--home', home])).code).toBe(0);
    const otherFiles = readdirSync(prefix).filter((f) => !/^(command|output|errors|structured-out)-\d+\./.test(f));
    const when = new Date(Date.now() - 40 * 86400 * 1000);
    for (const file of oldFiles) utimesSync(file, when, when);
    const passesBefore = (logText(home).match(/Data cleanup finished/g) ?? []).length;

    const started = await startAgent(home);
    expect(started.code, started.output).toBe(0);
    const log = await waitFor(() => {
      const text = logText(home);
      return (text.match(/Data cleanup finished/g) ?? []).length > passesBefore ? text : undefined;
    }, { timeoutMs: 15000, what: 'a new cleanup pass' });
    const line = [...log.matchAll(/Data cleanup finished: (\d+) file\(s\) deleted/g)].at(-1)!;
    expect(Number(line[1])).toBe(oldFiles.length);
    for (const file of oldFiles) expect(existsSync(file), file).toBe(false);
    for (const file of youngFiles) expect(existsSync(file), file).toBe(true);
    // The agent's own files in the prefix (pending reports, running commands) are not command files.
    for (const file of otherFiles) expect(existsSync(join(prefix, file)), file).toBe(true);
    await waitForState(home, 'connected', 15000);
  });
});

function mkdirP(path: string): string {
  mkdirSync(path, { recursive: true });
  return path;
}
