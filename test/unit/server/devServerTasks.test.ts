// The dev server's half of command execution, in-process on 127.0.0.1 with free ports: tasks
// created through the JSON API go to a fake agent (a raw STOMP client) as /user/commands
// MESSAGEs shaped as fixtures/execution_commands.json; the fake agent's /reports/commands_status
// reports update them; delivery waits for an agent that is away; aborts send cancel commands;
// agent actions; component and host status reports.
import { DEFAULT_AMBARI_VERSION } from '../../../src/version.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { StompFrame } from '../../../src/protocol/stompFrame.js';
import type { DevServer } from '../../../src/server/devServer.js';
import { startLoopbackDevServer } from '../../support/inProcessDevServer.js';
import { fixture } from '../../support/fixtures.js';
import { closeAllClients, TestStompClient } from '../../support/stompTestClient.js';

type Json = Record<string, any>;

const COMMANDS = '/user/commands';
const ACTIONS = '/user/agent_actions';

let dataDir: string;
let server: DevServer;
const logs: string[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'aa-devserver-tasks-'));
  server = await startLoopbackDevServer(dataDir, { log: (level, msg) => logs.push(`${level} ${msg}`) });
});

afterAll(async () => {
  await closeAllClients();
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
  if (process.env.DEV_SERVER_TEST_LOG) process.stderr.write(`${logs.join('\n')}\n`);
});

async function api(path: string, init: { method?: string; body?: unknown; rawBody?: string } = {}) {
  const body = init.rawBody ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
  const response = await fetch(`http://127.0.0.1:${server.apiPort}${path}`, {
    method: init.method ?? (body === undefined ? 'GET' : 'POST'),
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body,
    signal: AbortSignal.timeout(5_000),
  });
  return { status: response.status, body: JSON.parse(await response.text()) as Json };
}

/** A fake agent, closed when the current test finishes. */
class FakeAgent {
  private heartbeatId = 0;

  private constructor(
    readonly client: TestStompClient,
    readonly hostName: string,
  ) {}

  /** Registers as hostName and, unless told not to, subscribes /user/commands as the agent does. */
  static async start(hostName: string, { subscribeCommands = true } = {}): Promise<FakeAgent> {
    const client = await TestStompClient.open(server.securedUrlPort);
    onTestFinished(() => client.close());
    const agent = new FakeAgent(client, hostName);
    client.send({ command: 'CONNECT', headers: { 'accept-version': '1.2', host: '127.0.0.1', 'heart-beat': '0,0' }, body: '' });
    await client.waitFor((f) => f.command === 'CONNECTED', 'CONNECTED');
    client.subscribe('/user/', 'sub-0');
    client.subscribe(ACTIONS, 'sub-actions');
    expect((await client.request('/register', { hostname: hostName, agentVersion: DEFAULT_AMBARI_VERSION })).body).toMatchObject({ exitstatus: 0 });
    if (subscribeCommands) await agent.subscribeCommands();
    return agent;
  }

  /** SUBSCRIBE /user/commands; resolves once the server has handled it. */
  async subscribeCommands(): Promise<void> {
    this.client.subscribe(COMMANDS, 'sub-commands');
    await this.sync();
  }

  /** A round trip: the server handled every frame sent before. */
  async sync(): Promise<void> {
    this.heartbeatId = (await this.client.request('/heartbeat', { id: this.heartbeatId })).body.id as number;
  }

  /** The next /user/commands MESSAGE, parsed. */
  async nextCommands(what = 'a /user/commands MESSAGE'): Promise<Json> {
    const frame = await this.client.waitFor((f) => f.command === 'MESSAGE' && f.headers.destination === COMMANDS, what);
    expect(frame.headers.subscription).toBe('sub-commands');
    // MessageEmitter.createHeaders: a numeric messageId, confirmed with an AckReport as the agent does.
    expect(frame.headers.messageId).toMatch(/^\d+$/);
    expect((await this.client.request('/reports/responses', { messageId: Number(frame.headers.messageId), status: 'OK' })).body).toEqual({ status: 'OK' });
    return JSON.parse(frame.body) as Json;
  }

  commandFrames(): StompFrame[] {
    return this.client.frames.filter((f) => f.command === 'MESSAGE' && f.headers.destination === COMMANDS);
  }

  async report(reports: Json[], clusterId = '0'): Promise<Json> {
    return (await this.client.request('/reports/commands_status', { clusters: { [clusterId]: reports } })).body;
  }

  close(): Promise<void> {
    return this.client.close();
  }
}

/** The report the agent makes of a command (its report template plus what is given). */
function reportOf(command: Json, fields: Json): Json {
  return { role: command.role, actionId: command.commandId, taskId: command.taskId, clusterId: command.clusterId, serviceName: command.serviceName, roleCommand: command.roleCommand, ...fields };
}

async function createTask(host: string, body: Json = {}): Promise<Json> {
  const created = await api(`/api/v1/hosts/${host}/commands`, { body: { role: 'DATANODE', command: 'INSTALL', script: 'scripts/datanode.py', ...body } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body;
}

async function task(id: number): Promise<Json> {
  const answer = await api(`/api/v1/tasks/${id}`);
  expect(answer.status).toBe(200);
  return answer.body;
}

const sortedKeys = (value: object) => Object.keys(value).sort();

describe('tasks: delivery and reports', () => {
  it('a task for a connected, subscribed agent is pushed at once, shaped as execution_commands.json', async () => {
    const agent = await FakeAgent.start('exec.test');
    const before = Date.now();
    const created = await createTask('EXEC.test', { service_name: 'HDFS', params: { phase: 'INITIAL_INSTALL', command_retry_enabled: 'false' } });
    // The first task of a fresh server.
    expect(created).toEqual({ task_id: 1, request_id: 1, status: 'QUEUED' });

    const message = await agent.nextCommands();
    const reference = fixture<Json>('execution_commands.json');
    const referenceCommand = reference.clusters['0'].commands[0] as Json;
    // ExecutionCommandEvent: requiredConfigTimestamp and clusters, as the fixture.
    expect(sortedKeys(message)).toEqual(sortedKeys(reference));
    expect(message.requiredConfigTimestamp).toBeTypeOf('number');
    expect(Object.keys(message.clusters)).toEqual(['0']);
    // ExecutionCommandsCluster is NON_EMPTY: no cancelCommands.
    expect(message.clusters['0']).toEqual({ commands: [expect.any(Object)] });
    const command = message.clusters['0'].commands[0] as Json;
    // ExecutionCommand (agent/ExecutionCommand.java): the properties Jackson writes, non-empty.
    expect(sortedKeys(command)).toEqual(['clusterId', 'clusterName', 'commandId', 'commandParams', 'commandType', 'requestId', 'role', 'roleCommand', 'serviceName', 'taskId']);
    for (const key of Object.keys(command)) if (key in referenceCommand && key !== 'commandId') expect(typeof command[key], key).toBe(typeof referenceCommand[key]);
    expect(command).toMatchObject({
      requestId: 1,
      taskId: 1,
      commandId: '1-0', // StageUtils.getActionId(requestId, stageId)
      clusterId: '0',
      serviceName: 'HDFS',
      role: 'DATANODE',
      commandType: 'EXECUTION_COMMAND',
      roleCommand: 'INSTALL',
    });
    // commandParams: the keys of the fixture's full example, all strings.
    expect(command.commandParams).toEqual({
      script: 'scripts/datanode.py',
      script_type: 'PYTHON',
      command_timeout: '600',
      service_package_folder: expect.any(String),
      hooks_folder: expect.any(String),
      phase: 'INITIAL_INSTALL',
      command_retry_enabled: 'false',
      max_duration_for_retries: '0',
    });
    const fullParams = reference.clusters['0'].commands[1].commandParams as Json;
    for (const key of ['script', 'script_type', 'command_timeout', 'service_package_folder', 'hooks_folder']) {
      expect(typeof command.commandParams[key], key).toBe(typeof fullParams[key]);
    }

    const view = await task(1);
    expect(view).toMatchObject({
      task_id: 1,
      request_id: 1,
      host_name: 'exec.test',
      role: 'DATANODE',
      command: 'INSTALL',
      script: 'scripts/datanode.py',
      script_type: 'PYTHON',
      timeout: 600,
      params: { phase: 'INITIAL_INSTALL', command_retry_enabled: 'false' },
      status: 'QUEUED',
      exit_code: null,
      stdout: '',
      stderr: '',
      structured_out: {},
      started_at: null,
      ended_at: null,
      sent: true,
    });
    expect(view.created_at).toBeGreaterThanOrEqual(before);
    expect(view.created_at).toBeLessThanOrEqual(Date.now());
  });

  it('a command of a placed component goes out as the Java server sends it: its script, the folder left to the metadata', async () => {
    const agent = await FakeAgent.start('placed.test');
    const placed = await api('/api/v1/hosts/placed.test/components', { body: { service_name: 'PROBE', component_name: 'PROBE_SERVER', script: 'scripts/probe_server.py' } });
    expect(placed.status).toBe(201);
    const created = await api('/api/v1/hosts/placed.test/commands', { body: { role: 'PROBE_SERVER', command: 'START' } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const message = await agent.nextCommands();
    const command = message.clusters['0'].commands[0] as Json;
    expect(command).toMatchObject({ serviceName: 'PROBE', role: 'PROBE_SERVER', roleCommand: 'START' });
    // AmbariManagementControllerImpl.createHostAction + ExecutionCommandWrapper's hooks_folder.
    expect(command.commandParams).toEqual({
      script: 'scripts/probe_server.py',
      script_type: 'PYTHON',
      command_timeout: '600',
      max_duration_for_retries: '0',
      command_retry_enabled: 'false',
      hooks_folder: 'stack-hooks',
    });
    const refused = await api('/api/v1/hosts/placed.test/commands', { body: { role: 'NOT_PLACED', command: 'START' } });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toContain('no "script" given and no component NOT_PLACED is placed on placed.test');
    const action = await api('/api/v1/hosts/placed.test/commands', { body: { role: 'check_host', command: 'ACTIONEXECUTE' } });
    expect(action.status).toBe(400);
    expect(action.body.error).toContain('"script" is required for ACTIONEXECUTE');
  });

  it('refuses a POST that is not application/json (what a cross-site page can send without asking): 415, no task', async () => {
    await FakeAgent.start('csrf.test');
    const before = (await api('/api/v1/tasks')).body;
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', undefined]) {
      const answer = await fetch(`http://127.0.0.1:${server.apiPort}/api/v1/hosts/csrf.test/commands`, {
        method: 'POST',
        headers: type ? { 'content-type': type } : {},
        body: type === undefined ? new Blob([JSON.stringify({ role: 'X', command: 'START', script: '/bin/true' })]) : JSON.stringify({ role: 'X', command: 'START', script: '/bin/true' }),
        signal: AbortSignal.timeout(5_000),
      });
      expect(answer.status, String(type)).toBe(415);
      expect(((await answer.json()) as Json).error).toContain('content-type application/json');
    }
    expect((await api('/api/v1/tasks')).body).toEqual(before);
  });

  it('IN_PROGRESS then COMPLETED reports: status, output, exit code and timestamps', async () => {
    const agent = await FakeAgent.start('run.test');
    const { task_id } = await createTask('run.test', { role: 'ZOOKEEPER_SERVER', command: 'START', script: 'scripts/zk.sh', script_type: 'SHELL', timeout: 30 });
    const command = (await agent.nextCommands()).clusters['0'].commands[0] as Json;
    expect(command.taskId).toBe(task_id);
    expect(command.commandParams).toMatchObject({ script: 'scripts/zk.sh', script_type: 'SHELL', command_timeout: '30' });

    expect(await agent.report([reportOf(command, { status: 'IN_PROGRESS', stdout: 'starting', stderr: '' })])).toEqual({ status: 'OK' });
    const running = await task(task_id);
    expect(running).toMatchObject({ status: 'IN_PROGRESS', stdout: 'starting', exit_code: null, ended_at: null });
    expect(running.started_at).toBeTypeOf('number');
    expect(running.started_at).toBeGreaterThanOrEqual(running.created_at);

    await new Promise((resolve) => setTimeout(resolve, 5));
    const final = { status: 'COMPLETED', exitcode: 0, stdout: 'started\n\nCommand completed successfully!\n', stderr: 'a warning', structuredOut: JSON.stringify({ version: '3.4.5' }) };
    expect(await agent.report([reportOf(command, final)])).toEqual({ status: 'OK' });
    const done = await task(task_id);
    expect(done).toMatchObject({ status: 'COMPLETED', exit_code: 0, stdout: final.stdout, stderr: 'a warning', structured_out: { version: '3.4.5' }, started_at: running.started_at, final_reports: ['COMPLETED 0'] });
    expect(done.ended_at).toBeGreaterThan(done.started_at);

    // A progress report resent late changes nothing.
    expect(await agent.report([reportOf(command, { status: 'IN_PROGRESS', stdout: 'starting' })])).toEqual({ status: 'OK' });
    expect(await task(task_id)).toEqual(done);
    // Every final report is noted (npm run chaos counts those sent again, and contradictions).
    expect(await agent.report([reportOf(command, final)])).toEqual({ status: 'OK' });
    expect(await agent.report([reportOf(command, { ...final, status: 'FAILED', exitcode: 1 })])).toEqual({ status: 'OK' });
    expect((await task(task_id)).final_reports).toEqual(['COMPLETED 0', 'COMPLETED 0', 'FAILED 1']);
  });

  it("CommandReport's exit code is `exitcode`: the Python agent's `exitCode` is an unknown property, so the Java default 0 is kept", async () => {
    const agent = await FakeAgent.start('camel.test');
    const created = await createTask('camel.test');
    const [command] = (await agent.nextCommands()).clusters['0'].commands as Json[];
    const { exitcode: _dropped, ...report } = reportOf(command!, { status: 'FAILED', exitcode: 3 });
    expect(await agent.report([{ ...report, exitCode: 3 }])).toEqual({ status: 'OK' });
    expect(await task(created.task_id)).toMatchObject({ status: 'FAILED', exit_code: 0 });
  });

  it('FAILED reports keep the agent status, also for a timeout (exit code 999)', async () => {
    const agent = await FakeAgent.start('fail.test');
    const failing = await createTask('fail.test');
    const timingOut = await createTask('fail.test', { timeout: 1 });
    const commands = [...(await agent.nextCommands()).clusters['0'].commands, ...(await agent.nextCommands()).clusters['0'].commands] as Json[];
    expect(commands.map((c) => c.taskId)).toEqual([failing.task_id, timingOut.task_id]);

    // A final report with no IN_PROGRESS before it: started_at is the time of that report.
    await agent.report([
      reportOf(commands[0]!, { status: 'FAILED', exitcode: 1, stdout: 'Command failed after 1 tries\n', stderr: 'Traceback ...' }),
      reportOf(commands[1]!, { status: 'FAILED', exitcode: 999, stdout: '', stderr: 'Python script has been killed due to timeout after waiting 1 secs' }),
    ]);
    const failed = await task(failing.task_id);
    expect(failed).toMatchObject({ status: 'FAILED', exit_code: 1, stderr: 'Traceback ...' });
    expect(failed.started_at).toBeTypeOf('number');
    expect(failed.ended_at).toBe(failed.started_at);
    expect(await task(timingOut.task_id)).toMatchObject({ status: 'FAILED', exit_code: 999, stderr: expect.stringMatching(/killed due to timeout/) });
  });

  it('a task created while the agent is away stays PENDING and is delivered when it registers and subscribes again', async () => {
    const first = await FakeAgent.start('away.test');
    await first.close();
    await expect.poll(async () => (await api('/api/v1/hosts/away.test')).body.connected).toBe(false);

    const one = await createTask('away.test', { command: 'START' });
    const two = await createTask('away.test', { command: 'STOP' });
    expect(one.status).toBe('PENDING');
    expect(await task(one.task_id)).toMatchObject({ status: 'PENDING', sent: false });

    // Registered, not yet subscribed to /user/commands (the agent's post-registration sync).
    const back = await FakeAgent.start('away.test', { subscribeCommands: false });
    await back.sync();
    expect(back.commandFrames()).toEqual([]);
    expect((await task(two.task_id)).status).toBe('PENDING');
    // Also a task created now, while registered but not subscribed.
    const three = await createTask('away.test', { command: 'RESTART' });
    expect(three.status).toBe('PENDING');

    await back.subscribeCommands();
    const message = await back.nextCommands();
    const commands = message.clusters['0'].commands as Json[];
    expect(commands.map((c) => [c.taskId, c.roleCommand])).toEqual([
      [one.task_id, 'START'],
      [two.task_id, 'STOP'],
      [three.task_id, 'RESTART'],
    ]);
    for (const id of [one.task_id, two.task_id, three.task_id]) expect(await task(id)).toMatchObject({ status: 'QUEUED', sent: true });
  });

  it('a connection already subscribed to /user/commands gets the waiting tasks right after its registration answer', async () => {
    const first = await FakeAgent.start('early.test');
    await first.close();
    await expect.poll(async () => (await api('/api/v1/hosts/early.test')).body.connected).toBe(false);
    const { task_id } = await createTask('early.test');

    const client = await TestStompClient.open(server.securedUrlPort);
    onTestFinished(() => client.close());
    await client.connect();
    client.subscribe('/user/', 'sub-0');
    client.subscribe(COMMANDS, 'sub-commands');
    await client.request('/register', { hostname: 'early.test', agentVersion: DEFAULT_AMBARI_VERSION });
    const frame = await client.waitFor((f) => f.headers.destination === COMMANDS, 'the commands MESSAGE');
    expect(JSON.parse(frame.body).clusters['0'].commands[0].taskId).toBe(task_id);
    // After the answer to /register.
    expect(client.frames.map((f) => f.headers.destination ?? f.command)).toEqual(['CONNECTED', '/user/', COMMANDS]);
  });

  it('a delivered task stays in progress over a reconnect, is not sent again, and takes the resent report', async () => {
    const first = await FakeAgent.start('resend.test');
    const { task_id } = await createTask('resend.test');
    const command = (await first.nextCommands()).clusters['0'].commands[0] as Json;
    await first.report([reportOf(command, { status: 'IN_PROGRESS' })]);
    await first.close();

    const second = await FakeAgent.start('resend.test');
    await second.sync();
    expect(second.commandFrames()).toEqual([]);
    expect(await task(task_id)).toMatchObject({ status: 'IN_PROGRESS', sent: true, ended_at: null });

    await second.report([reportOf(command, { status: 'COMPLETED', exitcode: 0, stdout: 'done' })]);
    expect(await task(task_id)).toMatchObject({ status: 'COMPLETED', exit_code: 0, stdout: 'done' });
  });

  it('reports of unknown tasks (or of another host) are answered OK and logged', async () => {
    const agent = await FakeAgent.start('stray.test');
    const other = await FakeAgent.start('owner.test');
    const { task_id } = await createTask('owner.test');
    const command = (await other.nextCommands()).clusters['0'].commands[0] as Json;

    expect(await agent.report([{ taskId: 987654, status: 'COMPLETED', exitcode: 0 }])).toEqual({ status: 'OK' });
    expect(await agent.report([reportOf(command, { status: 'COMPLETED', exitcode: 0 })])).toEqual({ status: 'OK' });
    // CommandStatusReports.clusters is a TreeMap: a String is refused (the ErrorMessage shape).
    expect((await agent.client.request('/reports/commands_status', { clusters: 'none' })).body).toMatchObject({ payload: { message: expect.stringMatching(/^Could not read JSON: Cannot deserialize value of type `java\.util\.TreeMap/) } });
    expect(logs.some((line) => /stray\.test.*unknown task 987654/.test(line))).toBe(true);
    expect(logs.some((line) => new RegExp(`stray\\.test.*task ${task_id} of host owner\\.test`).test(line))).toBe(true);
    expect((await task(task_id)).status).toBe('QUEUED');
    expect(agent.client.isOpen).toBe(true);
  });

  it('GET /api/v1/tasks lists all tasks, or one host\'s, by id', async () => {
    await FakeAgent.start('list-a.test');
    await FakeAgent.start('list-b.test');
    const a1 = await createTask('list-a.test');
    const b1 = await createTask('list-b.test');
    const a2 = await createTask('list-a.test');

    const all = await api('/api/v1/tasks');
    expect(all.status).toBe(200);
    const ids = all.body.items.map((t: Json) => t.task_id);
    expect(ids).toEqual([...ids].sort((x: number, y: number) => x - y));
    expect(ids).toEqual(expect.arrayContaining([a1.task_id, b1.task_id, a2.task_id]));

    const forA = await api('/api/v1/tasks?host=LIST-A.test');
    expect(forA.status).toBe(200);
    expect(forA.body.items.map((t: Json) => t.task_id)).toEqual([a1.task_id, a2.task_id]);
    expect(forA.body.items[0]).toMatchObject({ host_name: 'list-a.test', status: 'QUEUED' });
    expect((await api('/api/v1/tasks?host=nobody.test')).status).toBe(404);
  });
});

describe('tasks: abort', () => {
  it('aborting a delivered task sends a cancel command with target_task_id; the agent\'s FAILED report keeps it ABORTED', async () => {
    const agent = await FakeAgent.start('abort.test');
    const { task_id } = await createTask('abort.test');
    const command = (await agent.nextCommands()).clusters['0'].commands[0] as Json;
    await agent.report([reportOf(command, { status: 'IN_PROGRESS' })]);

    const aborted = await api(`/api/v1/tasks/${task_id}/abort`, { body: { reason: 'operator said so' } });
    expect(aborted.status).toBe(200);
    expect(aborted.body).toEqual({ task_id, status: 'ABORTED', cancel: 'sent' });
    const cancel = await agent.nextCommands('the cancel MESSAGE');
    expect(cancel).toEqual({ clusters: { '0': { cancelCommands: [{ target_task_id: task_id, reason: 'operator said so' }] } } });
    const view = await task(task_id);
    expect(view.status).toBe('ABORTED');
    expect(view.ended_at).toBeTypeOf('number');

    // The agent kills the command and reports it FAILED, the reason appended.
    const stdout = "partial\nCommand aborted. Reason: 'operator said so'\n\nCommand failed after 1 tries\n";
    await agent.report([reportOf(command, { status: 'FAILED', exitcode: 143, stdout, stderr: "Command aborted. Reason: 'operator said so'" })]);
    expect(await task(task_id)).toMatchObject({ status: 'ABORTED', exit_code: 143, stdout, ended_at: view.ended_at });

    // Finished: 409, and nothing more is sent.
    const again = await api(`/api/v1/tasks/${task_id}/abort`, { body: {} });
    expect(again.status).toBe(409);
    expect(again.body.error).toMatch(/already finished \(ABORTED\)/);
  });

  it('aborting a finished task is a 409; an unknown one a 404', async () => {
    const agent = await FakeAgent.start('abort-done.test');
    const { task_id } = await createTask('abort-done.test');
    const command = (await agent.nextCommands()).clusters['0'].commands[0] as Json;
    await agent.report([reportOf(command, { status: 'COMPLETED', exitcode: 0 })]);

    const refused = await api(`/api/v1/tasks/${task_id}/abort`, { body: {} });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatch(new RegExp(`task ${task_id} already finished \\(COMPLETED\\)`));
    expect((await task(task_id)).status).toBe('COMPLETED');
    await agent.sync();
    expect(agent.commandFrames()).toHaveLength(1);

    expect((await api('/api/v1/tasks/99999/abort', { body: {} })).status).toBe(404);
  });

  it('an undelivered task is aborted without a message; a delivered one of an absent agent gets its cancel when the agent is back', async () => {
    const first = await FakeAgent.start('abort-away.test');
    const delivered = await createTask('abort-away.test');
    expect(delivered.status).toBe('QUEUED');
    await first.nextCommands(); // received and acknowledged
    await first.close();
    await expect.poll(async () => (await api('/api/v1/hosts/abort-away.test')).body.connected).toBe(false);
    const undelivered = await createTask('abort-away.test');
    expect(undelivered.status).toBe('PENDING');

    expect((await api(`/api/v1/tasks/${undelivered.task_id}/abort`, { body: {} })).body).toEqual({ task_id: undelivered.task_id, status: 'ABORTED', cancel: 'not needed' });
    expect((await api(`/api/v1/tasks/${delivered.task_id}/abort`, { body: {} })).body).toEqual({ task_id: delivered.task_id, status: 'ABORTED', cancel: 'pending' });
    expect(await task(undelivered.task_id)).toMatchObject({ status: 'ABORTED', sent: false });

    const back = await FakeAgent.start('abort-away.test');
    const message = await back.nextCommands('the cancel MESSAGE');
    expect(message.clusters['0']).toEqual({ cancelCommands: [{ target_task_id: delivered.task_id, reason: expect.any(String) }] });
    await back.sync();
    // Only that one message: the aborted undelivered task never goes out.
    expect(back.commandFrames()).toHaveLength(1);
  });
});

describe('agent actions', () => {
  it('RESTART_AGENT is delivered on /user/agent_actions', async () => {
    const agent = await FakeAgent.start('restart.test');
    const sent = await api('/api/v1/hosts/Restart.test/actions', { body: { action: 'RESTART_AGENT' } });
    expect(sent.status).toBe(200);
    expect(sent.body).toEqual({ host_name: 'restart.test', action: 'RESTART_AGENT', sent: ACTIONS });
    const frame = await agent.client.waitFor((f) => f.command === 'MESSAGE' && f.headers.destination === ACTIONS, 'the agent action');
    expect(frame.headers.subscription).toBe('sub-actions');
    expect(JSON.parse(frame.body)).toEqual({ actionName: 'RESTART_AGENT' });
  });

  it('other actions and bad bodies are a 400, an absent agent a 409, an unknown host a 404', async () => {
    const agent = await FakeAgent.start('actions.test');
    for (const [body, message] of [
      [{ action: 'REBOOT' }, /unknown action "REBOOT"; known: RESTART_AGENT/],
      [{}, /expected \{"action"/],
      [{ action: 7 }, /expected \{"action"/],
      [{ action: 'RESTART_AGENT', now: true }, /unknown field\(s\) "now"/],
    ] as const) {
      const answer = await api('/api/v1/hosts/actions.test/actions', { body });
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error).toMatch(message);
    }
    expect((await api('/api/v1/hosts/nobody.test/actions', { body: { action: 'RESTART_AGENT' } })).status).toBe(404);
    await agent.close();
    await expect.poll(async () => (await api('/api/v1/hosts/actions.test')).body.connected).toBe(false);
    const absent = await api('/api/v1/hosts/actions.test/actions', { body: { action: 'RESTART_AGENT' } });
    expect(absent.status).toBe(409);
    expect(absent.body.error).toMatch(/not connected/);
  });
});

describe('validation', () => {
  it('bad command requests are a 400 with a message saying what is wrong; unknown hosts a 404', async () => {
    await FakeAgent.start('valid.test');
    const good = { role: 'DATANODE', command: 'INSTALL', script: 'scripts/datanode.py' };
    const cases: Array<[unknown, RegExp]> = [
      [{ command: 'INSTALL', script: 's.py' }, /"role" is required/],
      [{ ...good, command: '' }, /"command" must be a non-empty string/],
      [{ ...good, script: 42 }, /"script" must be a non-empty string/],
      [{ ...good, script_type: 'RUBY' }, /"script_type" must be "PYTHON" or "SHELL", not "RUBY"/],
      [{ ...good, timeout: '600' }, /"timeout" must be a whole number of seconds >= 1, not "600"/],
      [{ ...good, timeout: 0 }, /"timeout" must be a whole number/],
      [{ ...good, timeout: 1.5 }, /"timeout" must be a whole number/],
      [{ ...good, params: ['a'] }, /"params" must be a JSON object/],
      [{ ...good, params: { command_timeout: '5' } }, /"params" may not set command_timeout/],
      [{ ...good, service_name: 3 }, /"service_name" must be a non-empty string/],
      [{ ...good, timout: 5 }, /unknown field\(s\) "timout"/],
      [['DATANODE'], /expected a JSON object/],
    ];
    for (const [body, message] of cases) {
      const answer = await api('/api/v1/hosts/valid.test/commands', { body });
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error, JSON.stringify(body)).toMatch(message);
    }
    const notJson = await api('/api/v1/hosts/valid.test/commands', { rawBody: '{"role":' });
    expect(notJson.status).toBe(400);
    expect(notJson.body.error).toMatch(/not valid JSON/);
    expect((await api('/api/v1/tasks?host=valid.test')).body.items).toEqual([]);

    const unknownHost = await api('/api/v1/hosts/nobody.test/commands', { body: good });
    expect(unknownHost.status).toBe(404);
    expect(unknownHost.body.error).toMatch(/nobody\.test/);

    const badId = await api('/api/v1/tasks/abc');
    expect(badId.status).toBe(400);
    expect(badId.body.error).toMatch(/task id must be a positive integer/);
    expect((await api('/api/v1/tasks/0')).status).toBe(400);
    expect((await api('/api/v1/tasks/424242')).status).toBe(404);
    const badAbort = await api('/api/v1/tasks/1/abort', { body: { reason: 5 } });
    expect(badAbort.status).toBe(400);
    expect(badAbort.body.error).toMatch(/"reason"/);
    expect((await api('/api/v1/tasks/1', { method: 'POST', body: {} })).status).toBe(405);
  });
});

describe('status reports', () => {
  it('component and host status reports show on the host, latest per component', async () => {
    const agent = await FakeAgent.start('status.test');
    const bystander = await FakeAgent.start('bystander.test');
    const empty = await api('/api/v1/hosts/status.test');
    expect(empty.body).toMatchObject({ component_status: [], host_status: null });

    // The fixture (from the Python agent's tests) also has SECURITY_STATUS entries, which the Java
    // enum ComponentStatusReport.CommandStatusCommand (STATUS only) refuses: the whole frame is.
    const components = fixture<Json>('components_status_report.json');
    expect((await agent.client.request('/reports/component_status', { clusters: components })).body).toMatchObject({ payload: { message: expect.stringContaining('SECURITY_STATUS') } });
    const statusOnly = { '0': (components['0'] as Json[]).filter((entry) => entry.command === 'STATUS') };
    expect((await agent.client.request('/reports/component_status', { clusters: statusOnly })).body).toEqual({ status: 'OK' });
    const hostStatus = fixture<Json>('agent_host_status_update.json');
    expect((await agent.client.request('/reports/host_status', hostStatus)).body).toEqual({ status: 'OK' });

    let host = (await api('/api/v1/hosts/status.test')).body;
    expect(host.component_status).toHaveLength(2);
    expect(host.component_status.map((c: Json) => [c.componentName, c.command, c.status])).toEqual([
      ['ZOOKEEPER_CLIENT', 'STATUS', 'INSTALLED'],
      ['ZOOKEEPER_SERVER', 'STATUS', 'INSTALLED'],
    ]);
    for (const entry of host.component_status) expect(entry.reported_at).toBeTypeOf('number');
    expect(host.host_status).toEqual({ ...hostStatus, reported_at: expect.any(Number) });

    // The agent reports changes only; the latest wins, the others stay.
    const started = { componentName: 'ZOOKEEPER_SERVER', serviceName: 'ZOOKEEPER', command: 'STATUS', status: 'STARTED', clusterId: '0' };
    await agent.client.request('/reports/component_status', { clusters: { '0': [started] } });
    await agent.client.request('/reports/host_status', { agentEnv: { umask: '18' } });
    host = (await api('/api/v1/hosts/status.test')).body;
    expect(host.component_status).toHaveLength(2);
    expect(host.component_status.find((c: Json) => c.componentName === 'ZOOKEEPER_SERVER' && c.command === 'STATUS')).toEqual({ ...started, reported_at: expect.any(Number) });
    expect(host.host_status).toEqual({ agentEnv: { umask: '18' }, reported_at: expect.any(Number) });

    // Per host: the other host has none; the list of hosts stays a summary.
    await bystander.sync();
    expect((await api('/api/v1/hosts/bystander.test')).body).toMatchObject({ component_status: [], host_status: null });
    const listed = (await api('/api/v1/hosts')).body.items.find((h: Json) => h.host_name === 'status.test');
    expect(listed).not.toHaveProperty('component_status');

    // Kept over a re-registration.
    await agent.close();
    await FakeAgent.start('status.test');
    expect((await api('/api/v1/hosts/status.test')).body.component_status).toHaveLength(2);
  });
});
