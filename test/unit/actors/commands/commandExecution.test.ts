// commandExecution: the command machine's real `run` actor (script resolution, IN_PROGRESS
// reports, the running-commands bookkeeping, the component's busy spell) with real /bin/sh
// scripts, the status run's JSON clean-up, and the recovery of the command trees a dead agent
// left running.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createActor, waitFor, type AnyActorRef } from 'xstate';
import { removeTempDirs, tempDir } from '../../../support/tempDirs.mjs';
import {
  DEFAULT_COMMAND_TIMEOUT,
  commandName,
  createRunAttempt,
  createStatusRun,
  recoverLeftoverCommands,
  commandWithConfigurations,
  timeoutSeconds,
  type ExecutionSettings,
} from '../../../../src/actors/commands/commandExecution.js';
import { ComponentActivity } from '../../../../src/actors/commands/componentActivity.js';
import { IN_PROGRESS_EXIT_CODE } from '../../../../src/actors/commands/commandReport.js';
import { commandFiles } from '../../../../src/actors/commands/commandFiles.js';
import { MARKER_ENV } from '../../../../src/actors/commands/processTree.js';
import { ReportStore, type ProgressEntry } from '../../../../src/actors/reporters/reportStore.js';
import { reportHeader } from '../../../../src/actors/commands/commandReport.js';
import { inProgressReport } from '../../../../src/actors/commands/inProgressReport.js';
import { RUNNING_COMMANDS_FILE, RunningCommands, type RunningEntry } from '../../../../src/actors/commands/runningCommands.js';
import type { LogFn } from '../../../../src/logging/logger.js';
import { commandMachine, reportTemplate, type CommandReport, type ExecutionCommand } from '../../../../src/machines/command.js';
import { killTracked, procStat, running, testEnvironment, track as trackPid } from '../../../support/commandRuns.js';

// ---- processes: every pid a test learns about is SIGKILLed afterwards (by pid + start time,
// test/support/commandRuns.ts)

/** Records a running pid; returns its /proc start time. */
function track(pid: number): string {
  const stat = procStat(pid);
  if (!stat || !trackPid(pid)) throw new Error(`pid ${pid} is not running`);
  return stat.start;
}

/** Zombie-aware and recycling-aware: true while the recorded process runs. */
const isRunning = running;

async function poll<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const actors: AnyActorRef[] = [];

afterEach(() => {
  for (const actor of actors.splice(0)) actor.stop();
  killTracked();
});
afterAll(removeTempDirs);

// ---- pure helpers

describe('commandWithConfigurations', () => {
  const header = { taskId: 5, clusterId: '0', serviceName: 'SVC', role: 'SVC_SERVER', requiredConfigTimestamp: 200 };
  const agent = { hostname: 'h', publicHostname: 'h', cacheDir: '/cache', parallelExecution: 0, useSystemProxySettings: true };
  const cachesAt = (timestamp: number | undefined) => ({
    topologies: {},
    metadata: {},
    configurations: { '0': { configurations: { 'svc-site': { port: String(timestamp) } }, configurationAttributes: {} } },
    configurationsTimestamp: timestamp,
    hostLevelParams: {},
  });

  it('builds the command at once when the cache is new enough', async () => {
    const command = await commandWithConfigurations(header, () => cachesAt(200), agent, 1000);
    expect(command.configurations).toEqual({ 'svc-site': { port: '200' } });
  });

  it('waits for the configurations the command requires, then builds it from them', async () => {
    let reads = 0;
    const command = await commandWithConfigurations(header, () => cachesAt(++reads < 3 ? 100 : 250), agent, 10_000);
    expect(reads).toBeGreaterThanOrEqual(3);
    expect(command.configurations).toEqual({ 'svc-site': { port: '250' } });
  });

  it('stops waiting at a cancel, saying so', async () => {
    const abort = new AbortController();
    const waiting = commandWithConfigurations(header, () => cachesAt(100), agent, 10_000, abort.signal);
    abort.abort();
    await expect(waiting).rejects.toThrow("Cancelled while waiting for configurations with timestamp 200 (the agent's have 100)");
  });

  it('gives up after the bounded wait, naming both timestamps', async () => {
    await expect(commandWithConfigurations(header, () => cachesAt(100), agent, 250)).rejects.toThrow(
      "The command requires configurations with timestamp 200, but the agent's have timestamp 100 (waited 0.3 s for newer ones from the server)",
    );
    await expect(commandWithConfigurations(header, () => cachesAt(undefined), agent, 0)).rejects.toThrow("the agent's have timestamp none");
  });
});

describe('commandName', () => {
  const command = (roleCommand: string | undefined, extra: Partial<ExecutionCommand> = {}): ExecutionCommand => ({ taskId: 1, roleCommand, ...extra });

  it('is the roleCommand', () => {
    expect(commandName(command('INSTALL'))).toBe('INSTALL');
    expect(commandName(command('START', { hostLevelParams: { custom_command: 'REBALANCE' }, commandParams: { custom_command: 'DECOMMISSION' } }))).toBe('START');
    expect(commandName(command(undefined))).toBe('');
  });

  it("is the custom command's name for CUSTOM_COMMAND (hostLevelParams first, then commandParams)", () => {
    expect(commandName(command('CUSTOM_COMMAND', { hostLevelParams: { custom_command: 'REBALANCEHDFS' } }))).toBe('REBALANCEHDFS');
    expect(commandName(command('CUSTOM_COMMAND', { commandParams: { custom_command: 'DECOMMISSION' } }))).toBe('DECOMMISSION');
    expect(commandName(command('CUSTOM_COMMAND', { hostLevelParams: { custom_command: 'RESTART' }, commandParams: { custom_command: 'DECOMMISSION' } }))).toBe('RESTART');
  });

  it('stays CUSTOM_COMMAND when no custom command is named', () => {
    expect(commandName(command('CUSTOM_COMMAND'))).toBe('CUSTOM_COMMAND');
    expect(commandName(command('CUSTOM_COMMAND', { hostLevelParams: {}, commandParams: { custom_command: 7 } }))).toBe('CUSTOM_COMMAND');
  });
});

describe('timeoutSeconds', () => {
  const withTimeout = (command_timeout: unknown): ExecutionCommand => ({ taskId: 1, commandParams: { command_timeout } });

  it('defaults to 600 s', () => {
    expect(DEFAULT_COMMAND_TIMEOUT).toBe(600);
    expect(timeoutSeconds({ taskId: 1 })).toBe(600);
    expect(timeoutSeconds({ taskId: 1, commandParams: {} })).toBe(600);
    expect(timeoutSeconds(withTimeout(null))).toBe(600);
    expect(timeoutSeconds(withTimeout(''))).toBe(600);
  });

  it('takes numbers and numeric strings', () => {
    expect(timeoutSeconds(withTimeout('900'))).toBe(900);
    expect(timeoutSeconds(withTimeout(45))).toBe(45);
    expect(timeoutSeconds(withTimeout('1.5'))).toBe(1.5);
  });

  it.each(['soon', '0', 0, -3, '-1', 'Infinity', {}])('refuses %j with a message naming the value', (value) => {
    expect(() => timeoutSeconds(withTimeout(value))).toThrow(`commandParams.command_timeout ${JSON.stringify(value)} is not a number of seconds`);
  });
});

// ---- createRunAttempt as the command machine's run actor, with real scripts

const PACKAGE = 'stacks/TEST/1.0/services/SVC/package';

/**
 * Prints, then waits for BASEDIR/go (BASEDIR is the 3rd argument), prints again, writes the
 * structured output ($4) and exits with EXIT. $1 is the command name.
 */
const WAITING_SCRIPT = (exitCode = 0) => `echo "started $1"
echo "warming up" >&2
while [ ! -f "$3/go" ]; do sleep 0.02; done
echo "finishing"
printf '{"answer": 42}' > "$4"
exit ${exitCode}
`;

function executionSetup({ updateOutput = true, script = WAITING_SCRIPT(), scriptPath = 'scripts/run.sh' } = {}) {
  const root = tempDir('aa-exec-');
  const cacheDir = join(root, 'cache');
  const prefixDir = join(root, 'prefix');
  const baseDir = join(cacheDir, PACKAGE);
  mkdirSync(join(baseDir, 'scripts'), { recursive: true });
  mkdirSync(prefixDir);
  writeFileSync(join(baseDir, 'scripts', 'run.sh'), script);
  const { store } = ReportStore.load(prefixDir);
  const running = new RunningCommands(prefixDir);
  const logs: Array<{ actor: string; level: string; msg: string }> = [];
  const log: LogFn = (actor, level, msg) => logs.push({ actor, level, msg });
  const activity = new ComponentActivity();
  const settings: ExecutionSettings = { prefixDir, cacheDir, logLevel: 'INFO', updateOutput, environment: testEnvironment(join(root, 'tmp')), store, running, activity, log };
  const command = (taskId: number, params: Record<string, unknown> = {}): ExecutionCommand => ({
    taskId,
    commandId: `3-${taskId}`,
    requestId: 3,
    clusterId: 'c1',
    serviceName: 'SVC',
    role: 'SVC_SERVER',
    roleCommand: 'CUSTOM_COMMAND',
    commandType: 'EXECUTION_COMMAND',
    hostLevelParams: { custom_command: 'REBALANCE' },
    commandParams: { custom_command: 'REBALANCE', script: scriptPath, script_type: 'SHELL', service_package_folder: PACKAGE, command_timeout: '60', ...params },
  });
  const start = (cmd: ExecutionCommand) => {
    const machine = commandMachine.provide({ actors: { run: createRunAttempt(settings) } });
    const actor = createActor(machine, { input: { command: cmd } });
    actors.push(actor);
    actor.start();
    actor.send({ type: 'START' });
    const done = waitFor(actor, (s) => s.status === 'done', { timeout: 10_000 }).then((s) => s.output as CommandReport);
    done.catch(() => {}); // a test that stops the actor never awaits it
    return { actor, done };
  };
  const go = () => writeFileSync(join(baseDir, 'go'), '');
  const runningFile = () => {
    const file = join(prefixDir, RUNNING_COMMANDS_FILE);
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { running: RunningEntry[] }).running : undefined;
  };
  /** Waits until running-commands.json lists the task; records its pid for clean-up. */
  const waitListed = async (taskId: number) => {
    const listed = await poll(`task ${taskId}'s process in ${RUNNING_COMMANDS_FILE}`, () => runningFile()?.find((e) => e.taskId === taskId && e.process));
    track(listed.process!.pid);
    return listed as RunningEntry & Required<Pick<RunningEntry, 'process' | 'files'>>;
  };
  return { root, cacheDir, prefixDir, baseDir, store, running, activity, logs, settings, command, start, go, runningFile, waitListed };
}

describe('createStatusRun', () => {
  it('runs the status command with its JSON, and removes the JSON after the run (CustomServiceOrchestrator)', async () => {
    const s = executionSetup({ script: 'cp "$2" "$3/seen.json"\nexit 3\n' });
    // The script comes from the topology component, as the original's status JSON has it.
    const topologies = { c1: { hosts: [{ hostId: 0, hostName: 'localhost' }], components: [{ serviceName: 'SVC', componentName: 'SVC_SERVER', hostIds: [0], commandParams: { script: 'scripts/run.sh', script_type: 'SHELL', service_package_folder: PACKAGE } }] } };
    const runStatus = createStatusRun({ ...s.settings, commandCaches: () => ({ topologies, metadata: {}, configurations: {}, configurationsTimestamp: undefined, hostLevelParams: {} }) });
    const result = await runStatus({ clusterId: 'c1', serviceName: 'SVC', componentName: 'SVC_SERVER', commandName: 'STATUS', timeoutSeconds: 10 });
    expect(result.exitCode).toBe(3);
    const seen = JSON.parse(readFileSync(join(s.baseDir, 'seen.json'), 'utf8'));
    expect(seen).toMatchObject({ serviceName: 'SVC', role: 'SVC_SERVER', clusterId: 'c1', commandType: 'STATUS_COMMAND', commandParams: { script: 'scripts/run.sh' }, localComponents: ['SVC_SERVER'] });
    // ComponentStatusExecutor's command_dict: no roleCommand, no taskId (the script is told STATUS).
    expect(seen).not.toHaveProperty('roleCommand');
    expect(seen).not.toHaveProperty('taskId');
    const files = commandFiles(s.prefixDir, 'status-SVC_SERVER-STATUS');
    expect(existsSync(files.commandJson)).toBe(false);
    expect(existsSync(files.output)).toBe(true);
  });
});

describe('createRunAttempt (the command machine run actor)', () => {
  it('marks the task IN_PROGRESS at the start, whose CommandReport carries the output so far, lists the task, and ends COMPLETED', async () => {
    const s = executionSetup({ updateOutput: true });
    const cmd = s.command(21);
    const { done } = s.start(cmd);
    const files = commandFiles(s.prefixDir, 21);

    // At once: the store holds the IN_PROGRESS entry (the reporter sends it when it is put).
    const entry = await poll('the IN_PROGRESS entry', () => s.store.get(21));
    expect(entry).toEqual({ kind: 'progress', taskId: 21, clusterKey: 'c1', header: reportHeader(reportTemplate(cmd)), files, withOutput: true });
    // What goes out: CommandReport (agent/CommandReport.java), read from the files when sent.
    const progress = await poll('the output in the IN_PROGRESS report', async () => {
      const report = await inProgressReport(entry as ProgressEntry, 1000);
      return report.stdout.includes('started') && report.stderr.includes('warming up') ? report : undefined;
    });
    expect(progress).toEqual({
      role: 'SVC_SERVER',
      actionId: '3-21',
      taskId: 21,
      clusterId: 'c1',
      serviceName: 'SVC',
      roleCommand: 'CUSTOM_COMMAND',
      customCommand: 'REBALANCE',
      status: 'IN_PROGRESS',
      exitcode: IN_PROGRESS_EXIT_CODE,
      stdout: 'started REBALANCE\n',
      stderr: 'warming up\n',
      structuredOut: '{}',
    });
    expect(IN_PROGRESS_EXIT_CODE).toBe(777);
    // in memory only: a restarted agent does not resend stale progress
    expect(ReportStore.load(s.prefixDir).store.get(21)).toBeUndefined();

    const listed = await s.waitListed(21);
    expect(s.runningFile()).toHaveLength(1);
    expect(listed).toMatchObject({
      taskId: 21,
      template: JSON.parse(JSON.stringify(reportTemplate(cmd))),
      files: { output: files.output, errors: files.errors },
      agentPid: process.pid,
    });
    // what finds the tree again: the live child's pid, its /proc start time and its marker
    expect(procStat(listed.process.pid)?.start).toBe(listed.process.startTime);
    expect(listed.process.marker).not.toBe('');
    expect(readFileSync(`/proc/${listed.process.pid}/environ`).includes(Buffer.from(`${MARKER_ENV}=${listed.process.marker}\0`))).toBe(true);
    expect(s.running.runningCount()).toBe(1);
    expect(s.logs.some((l) => l.actor === 'task-21' && l.msg.includes('REBALANCE') && l.msg.includes(join(s.baseDir, 'scripts/run.sh')))).toBe(true);

    s.go();
    const report = await done;
    expect(report).toMatchObject({ ...reportTemplate(cmd), status: 'COMPLETED', exitCode: 0, structuredOut: { answer: 42 } });
    expect(report.stdout).toBe('started REBALANCE\nfinishing\n\n\nCommand completed successfully!\n');
    expect(report.stderr).toBe('warming up\n');
    // The attempt is over: the task stays listed (without a process) until its report is stored.
    expect(s.runningFile()?.filter((e) => e.process)).toEqual([]);
    expect(s.running.runningCount()).toBe(0);
    expect(isRunning(listed.process.pid)).toBe(false);
  });

  it('puts no output in the IN_PROGRESS report when command_update_output is off', async () => {
    const s = executionSetup({ updateOutput: false });
    const { done } = s.start(s.command(22));
    const files = commandFiles(s.prefixDir, 22);
    await s.waitListed(22);
    await poll('the script output in its file', () => existsSync(files.output) && readFileSync(files.output, 'utf8').includes('started'));
    const entry = s.store.get(22) as ProgressEntry;
    expect(entry).toMatchObject({ kind: 'progress', withOutput: false, files });
    expect(await inProgressReport(entry, 1000)).toMatchObject({ status: 'IN_PROGRESS', exitcode: 777, stdout: '', stderr: '', structuredOut: '{}' });
    s.go();
    const report = await done;
    expect(report).toMatchObject({ status: 'COMPLETED', exitCode: 0 });
    expect(report.stdout).toContain('started REBALANCE\nfinishing\n');
    // The attempt is over: the task stays listed (without a process) until its report is stored.
    expect(s.runningFile()?.filter((e) => e.process)).toEqual([]);
  });

  it('ends FAILED with the exit code of a failing script, and unlists it', async () => {
    const s = executionSetup({ script: WAITING_SCRIPT(3) });
    const { done } = s.start(s.command(23));
    await s.waitListed(23);
    s.go();
    const report = await done;
    expect(report).toMatchObject({ status: 'FAILED', exitCode: 3, taskId: 23 });
    expect(report.stdout).toContain('\n\nCommand failed after 1 tries\n');
    // The attempt is over: the task stays listed (without a process) until its report is stored.
    expect(s.runningFile()?.filter((e) => e.process)).toEqual([]);
    expect(s.running.runningCount()).toBe(0);
  });

  it('ends FAILED with the reason when the script is missing or the timeout unusable (nothing listed)', async () => {
    const missing = executionSetup({ scriptPath: 'scripts/nope.sh' });
    const report = await missing.start(missing.command(24)).done;
    expect(report).toMatchObject({ status: 'FAILED', exitCode: 1 });
    expect(report.stderr).toContain(`Cannot run the command: Script ${join(missing.baseDir, 'scripts/nope.sh')} does not exist`);
    // The agent's log says why too.
    expect(missing.logs.some((l) => l.level === 'error' && l.msg.includes('Cannot run CUSTOM_COMMAND of SVC_SERVER') && l.msg.includes('scripts/nope.sh does not exist'))).toBe(true);
    expect(missing.runningFile() ?? []).toEqual([]);
    expect(missing.running.runningCount()).toBe(0);

    const badTimeout = executionSetup();
    const report2 = await badTimeout.start(badTimeout.command(25, { command_timeout: 'soon' })).done;
    expect(report2).toMatchObject({ status: 'FAILED', exitCode: 1 });
    expect(report2.stderr).toContain('commandParams.command_timeout "soon" is not a number of seconds');
    expect(badTimeout.runningFile() ?? []).toEqual([]);
  });

  it('keeps the component busy from before the script starts until the attempt ends; nothing for cluster -1', async () => {
    const s = executionSetup();
    const idle: unknown[] = [];
    s.activity.onIdle((component) => idle.push(component));
    const { done } = s.start(s.command(27));
    await s.waitListed(27);
    expect(s.activity.busy('c1', 'SVC_SERVER')).toBe(true);
    s.go();
    expect(await done).toMatchObject({ status: 'COMPLETED' });
    expect(s.activity.busy('c1', 'SVC_SERVER')).toBe(false);
    expect(idle).toEqual([{ clusterId: 'c1', serviceName: 'SVC', componentName: 'SVC_SERVER' }]);

    // An attempt that fails before its script runs ends the busy spell too.
    const missing = executionSetup({ scriptPath: 'scripts/nope.sh' });
    const told: unknown[] = [];
    missing.activity.onIdle((component) => told.push(component));
    expect(await missing.start(missing.command(28)).done).toMatchObject({ status: 'FAILED' });
    expect(told).toHaveLength(1);
    expect(missing.activity.busy('c1', 'SVC_SERVER')).toBe(false);

    // Outside any cluster: never busy.
    const outside = executionSetup();
    const untold: unknown[] = [];
    outside.activity.onIdle((component) => untold.push(component));
    const { done: outsideDone } = outside.start({ ...outside.command(29), clusterId: '-1' });
    await outside.waitListed(29);
    expect(outside.activity.busy('-1', 'SVC_SERVER')).toBe(false);
    outside.go();
    expect(await outsideDone).toMatchObject({ status: 'COMPLETED' });
    expect(untold).toEqual([]);
  });

  it('a CANCEL kills the tree (children included) and unlists it', async () => {
    const s = executionSetup({ script: `sleep 300 & echo $! > "$3/kid"\necho "started $1"\nwait\n` });
    const { actor, done } = s.start(s.command(26));
    const listed = await s.waitListed(26);
    const kid = await poll('the child pid', () => existsSync(join(s.baseDir, 'kid')) && Number(readFileSync(join(s.baseDir, 'kid'), 'utf8').trim()));
    track(kid);
    actor.send({ type: 'CANCEL', reason: 'user asked' });
    const report = await done;
    expect(report).toMatchObject({ status: 'FAILED', taskId: 26 });
    expect(report.stdout).toContain("Command aborted. Reason: 'user asked'");
    expect(isRunning(listed.process.pid)).toBe(false);
    expect(isRunning(kid)).toBe(false);
    // The attempt is over: the task stays listed (without a process) until its report is stored.
    expect(s.runningFile()?.filter((e) => e.process)).toEqual([]);
  });

  it('a stopped actor (the agent going away) kills the tree; drain waits for it', async () => {
    const s = executionSetup({ script: `sleep 300 & echo $! > "$3/kid"\nwait\n` });
    const { actor } = s.start(s.command(27));
    const listed = await s.waitListed(27);
    const kid = await poll('the child pid', () => existsSync(join(s.baseDir, 'kid')) && Number(readFileSync(join(s.baseDir, 'kid'), 'utf8').trim()));
    track(kid);
    expect(s.running.runningCount()).toBe(1);
    actor.stop();
    await expect(s.running.drain(8000)).resolves.toBe(true);
    expect(isRunning(listed.process.pid)).toBe(false);
    expect(isRunning(kid)).toBe(false);
    // The attempt is over: the task stays listed (without a process) until its report is stored.
    expect(s.runningFile()?.filter((e) => e.process)).toEqual([]);
  });
});

// ---- recovery of a dead agent's commands

/** A leftover command tree as a SIGKILLed agent leaves it: detached, with the marker in its environment. */
async function leftoverTree(root: string, marker: string) {
  const pidsFile = join(root, 'tree-pids');
  // two plain children; one in its own session (out of the process group); one in its own
  // session whose parent exits at once (out of both the group and the ppid tree: only the
  // marker finds it)
  const script = `sleep 300 & echo $! >> "$1"
sleep 300 & echo $! >> "$1"
setsid sleep 300 & echo $! >> "$1"
sh -c 'setsid sleep 300 & echo $! >> "$1"' sh "$1"
echo ready > "$1.ready"
wait
`;
  const child = spawn('/bin/sh', ['-c', script, 'sh', pidsFile], { detached: true, stdio: 'ignore', env: { ...process.env, [MARKER_ENV]: marker } });
  child.unref();
  const rootPid = child.pid!;
  const rootStart = track(rootPid);
  await poll('the leftover tree', () => existsSync(`${pidsFile}.ready`));
  const kids = readFileSync(pidsFile, 'utf8').split(/\s+/).filter(Boolean).map(Number);
  expect(kids).toHaveLength(4);
  for (const pid of kids) track(pid);
  return { rootPid, rootStart, kids, all: [rootPid, ...kids] };
}

function recoverySetup() {
  const prefixDir = tempDir('aa-recover-');
  const logs: Array<{ actor: string; level: string; msg: string }> = [];
  const log: LogFn = (actor, level, msg) => logs.push({ actor, level, msg });
  const files = (taskId: number) => ({ output: join(prefixDir, `output-${taskId}.txt`), errors: join(prefixDir, `errors-${taskId}.txt`) });
  const template = (taskId: number) => ({ role: 'DATANODE', actionId: `9-${taskId}`, taskId, clusterId: 'c1', serviceName: 'HDFS', roleCommand: 'START' });
  /** What the dead agent (pid DEAD_AGENT) wrote before it died. */
  const deadAgentLeft = (entries: RunningEntry[]) => {
    const dead = new RunningCommands(prefixDir);
    for (const entry of entries) dead.add(entry);
  };
  /** The next agent starting: a fresh store and list, then the recovery. */
  const recover = async () => {
    const { store } = ReportStore.load(prefixDir);
    const running = new RunningCommands(prefixDir);
    const count = await recoverLeftoverCommands({ store, running, log, prefixDir });
    return { count, store, running };
  };
  return { prefixDir, logs, files, template, deadAgentLeft, recover };
}

const DEAD_AGENT = 3_999_999;

describe('recoverLeftoverCommands', () => {
  it('kills every process of a dead agent tree and stores a persisted FAILED report with its output', async () => {
    const r = recoverySetup();
    const marker = `${DEAD_AGENT}-31-${randomBytes(8).toString('hex')}`;
    const tree = await leftoverTree(r.prefixDir, marker);
    for (const pid of tree.all) expect(isRunning(pid), `pid ${pid} runs before the recovery`).toBe(true);
    writeFileSync(r.files(31).output, 'installing packages\nstep 2 of 5\n');
    writeFileSync(r.files(31).errors, 'a warning\n');
    r.deadAgentLeft([
      { taskId: 31, template: r.template(31), process: { pid: tree.rootPid, startTime: tree.rootStart, marker }, files: r.files(31), agentPid: DEAD_AGENT, startedAt: Date.now() - 5000 },
    ]);

    const { count, store } = await r.recover();
    expect(count).toBe(1);
    // gone when it resolved (a short grace only for the last SIGKILL to be delivered)
    const survivors = await poll('the tree to be gone', () => (tree.all.some(isRunning) ? undefined : []), 500).catch(() => tree.all.filter(isRunning));
    expect(survivors).toEqual([]);

    const report = store.finalReport(31)!;
    // CommandReport shape: exitcode, structuredOut as JSON text
    expect(report).toMatchObject({ ...r.template(31), status: 'FAILED', exitcode: 1, structuredOut: '{}' });
    expect(report).not.toHaveProperty('exitCode');
    expect(report.stdout).toMatch(/^installing packages\nstep 2 of 5\n/);
    expect(report.stdout).toContain(`The agent (pid ${DEAD_AGENT}) stopped while this command ran; the next agent (pid ${process.pid}) killed`);
    expect(report.stdout).toMatch(/\n\nCommand failed\n$/);
    expect(report.stderr).toMatch(/^a warning\n/);
    expect(report.stderr).toContain(`The agent (pid ${DEAD_AGENT}) stopped while this command ran`);
    // the note names exactly the processes of the tree
    const named = /killed (\d+) leftover process\(es\) \(([\d, ]+)\)/.exec(String(report.stdout));
    expect(named).not.toBeNull();
    expect(named![2]!.split(', ').map(Number).sort((a, b) => a - b)).toEqual([...tree.all].sort((a, b) => a - b));
    expect(Number(named![1])).toBe(tree.all.length);

    // persisted (reaches the server even if this agent dies too), and the list forgot the entry
    expect(ReportStore.load(r.prefixDir).store.finalReport(31)?.status).toBe('FAILED');
    const next = new RunningCommands(r.prefixDir);
    expect(next.leftovers(() => {})).toEqual([]);
    expect(r.logs.some((l) => l.actor === 'recovery' && l.level === 'warn' && l.msg.includes('Task 31') && l.msg.includes(String(DEAD_AGENT)))).toBe(true);
  });

  it('never signals a recycled pid (wrong start time) and still reports the task FAILED', async () => {
    const r = recoverySetup();
    // an unrelated live process that now holds the pid, with a marker of its own
    const unrelated = spawn('sleep', ['300'], { stdio: 'ignore', env: { ...process.env, [MARKER_ENV]: `other-${randomBytes(8).toString('hex')}` } });
    const start = track(unrelated.pid!);
    const wrongStart = String(Number(start) + 1);
    r.deadAgentLeft([
      {
        taskId: 32,
        template: r.template(32),
        process: { pid: unrelated.pid!, startTime: wrongStart, marker: `${DEAD_AGENT}-32-${randomBytes(8).toString('hex')}` },
        files: r.files(32), // never written: the tree died before any output
        agentPid: DEAD_AGENT,
        startedAt: Date.now() - 5000,
      },
    ]);
    const { count, store } = await r.recover();
    expect(count).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(isRunning(unrelated.pid!)).toBe(true);
    expect(procStat(unrelated.pid!)?.state).not.toBe('T'); // not even stopped
    const report = store.finalReport(32)!;
    expect(report).toMatchObject({ status: 'FAILED', exitcode: 1, taskId: 32 });
    expect(report.stdout).toContain('none of its processes was left');
    expect(new RunningCommands(r.prefixDir).leftovers(() => {})).toEqual([]);
  });

  it('reports a command that was still waiting (queued, between retries) FAILED, without running it', async () => {
    const r = recoverySetup();
    const dead = new RunningCommands(r.prefixDir);
    dead.accept([{ taskId: 41, template: r.template(41) }]);
    const { count, store } = await r.recover();
    expect(count).toBe(1);
    const report = store.finalReport(41)!;
    expect(report).toMatchObject({ ...r.template(41), status: 'FAILED', exitcode: 1 });
    expect(report.stdout).toContain('stopped while this command waited to run; it was not run again');
    expect(existsSync(r.files(41).output)).toBe(false);
  });

  it('does nothing without leftovers', async () => {
    const r = recoverySetup();
    const { count, store } = await r.recover();
    expect(count).toBe(0);
    expect(store.pendingCount()).toBe(0);
    expect(existsSync(join(r.prefixDir, RUNNING_COMMANDS_FILE))).toBe(false);
  });

  it('logs a corrupt list (moved aside) and carries on', async () => {
    const r = recoverySetup();
    writeFileSync(join(r.prefixDir, RUNNING_COMMANDS_FILE), '{"version": 1, "running": [{');
    const { count, store } = await r.recover();
    expect(count).toBe(0);
    expect(store.pendingCount()).toBe(0);
    const warning = r.logs.find((l) => l.actor === 'recovery' && l.level === 'warn');
    expect(warning?.msg).toContain(join(r.prefixDir, RUNNING_COMMANDS_FILE));
  });
});
