// The dev server's state in its data dir: tasks.json (TaskStore) and components.json
// (ComponentStore) written atomically after every change and loaded at start; corrupt files
// moved aside; and a whole server restarted on the same data dir carrying on with its tasks
// and topology while agents come back.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { ServerLog } from '../../../src/server/agentEndpoint.js';
import { ComponentStore, parseComponentRequest, type ComponentRequest } from '../../../src/server/componentStore.js';
import type { DevServer } from '../../../src/server/devServer.js';
import { parseCommandRequest, TaskStore, type CommandRequest } from '../../../src/server/taskStore.js';
import { startLoopbackDevServer } from '../../support/inProcessDevServer.js';
import { closeAllClients, TestStompClient } from '../../support/stompTestClient.js';

type Json = Record<string, any>;

const root = mkdtempSync(join(tmpdir(), 'aa-devserver-persist-'));
let dir: string;
let counter = 0;
let warnings: string[];
const log: ServerLog = (level, msg) => {
  if (level === 'warn') warnings.push(msg);
};

beforeEach(() => {
  dir = join(root, `case-${++counter}`);
  mkdirSync(dir);
  warnings = [];
});

afterAll(async () => {
  await closeAllClients();
  rmSync(root, { recursive: true, force: true });
});

function command(fields: Json = {}): CommandRequest {
  const parsed = parseCommandRequest({ role: 'DATANODE', command: 'INSTALL', script: 'scripts/datanode.py', ...fields });
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed.request;
}

function component(fields: Json = {}): ComponentRequest {
  const parsed = parseComponentRequest({ service_name: 'ZOOKEEPER', component_name: 'ZOOKEEPER_SERVER', script: 'scripts/zk.py', ...fields });
  if ('error' in parsed) throw new Error(parsed.error);
  return parsed.request;
}

const tasksFile = () => join(dir, 'tasks.json');
const openTasks = (now: () => number = Date.now) => new TaskStore(now, { file: tasksFile(), log });

describe('TaskStore persistence', () => {
  it('a second store on the same file has every task, the id counters and the pending cancels', () => {
    let clock = 1_000;
    const first = openTasks(() => clock);
    const queued = first.create('a.test', command());
    const running = first.create('a.test', command({ role: 'NAMENODE', params: { phase: 'X' }, timeout: 30 }));
    const done = first.create('b.test', command({ script_type: 'SHELL' }));
    const cancelled = first.create('a.test', command());
    const pending = first.create('b.test', command());
    first.markSent([queued, running, done, cancelled]);
    first.markConfirmed([queued.task_id]);
    const unconfirmed = first.create('a.test', command());
    first.markSent([unconfirmed]);
    clock = 2_000;
    expect(first.applyReport('a.test', { taskId: running.task_id, status: 'IN_PROGRESS', stdout: 'so far' })).toHaveProperty('task');
    expect(first.applyReport('b.test', { taskId: done.task_id, status: 'COMPLETED', exitcode: 0, stdout: 'ok', structuredOut: '{"v": 1}' })).toHaveProperty('task');
    expect(first.abort(cancelled.task_id, 'changed my mind')).toMatchObject({ outcome: 'aborted', cancel: true });

    const second = openTasks(() => 9_000);
    // Sent but never confirmed: the resend queue did not outlive the server, so it goes out again.
    expect(second.list().filter((t) => t.task_id !== unconfirmed.task_id)).toEqual(first.list().filter((t) => t.task_id !== unconfirmed.task_id));
    expect(second.list().map((t) => [t.task_id, t.status])).toEqual([
      [queued.task_id, 'QUEUED'],
      [running.task_id, 'IN_PROGRESS'],
      [done.task_id, 'COMPLETED'],
      [cancelled.task_id, 'ABORTED'],
      [pending.task_id, 'PENDING'],
      [unconfirmed.task_id, 'PENDING'],
    ]);
    expect(second.pending('a.test').map((t) => t.task_id)).toEqual([unconfirmed.task_id]);
    expect(second.get(done.task_id)).toMatchObject({ exit_code: 0, stdout: 'ok', structured_out: { v: 1 }, started_at: 2_000, ended_at: 2_000 });
    expect(second.get(running.task_id)).toMatchObject({ stdout: 'so far', params: { phase: 'X' }, timeout: 30, sent: true });
    expect(second.pending('b.test').map((t) => t.task_id)).toEqual([pending.task_id]);
    expect(second.pendingCancels('a.test')).toEqual([{ taskId: cancelled.task_id, reason: 'changed my mind' }]);
    // Ids go on where they were, never reused.
    expect(second.create('a.test', command())).toMatchObject({ task_id: 7, request_id: 7, created_at: 9_000 });
    // The agent's resent report for a task still in progress lands after the restart.
    expect(second.applyReport('a.test', { taskId: running.task_id, status: 'FAILED', exitcode: 1 })).toMatchObject({ task: { status: 'FAILED' } });
    expect(openTasks().get(running.task_id)).toMatchObject({ status: 'FAILED', exit_code: 1 });
    expect(warnings).toEqual([]);
  });

  it('every change is on disk at once (mode 0600, no temp file left); a batch saves at its end', () => {
    const store = openTasks();
    const saved = () => JSON.parse(readFileSync(tasksFile(), 'utf8')) as Json;
    const task = store.create('a.test', command());
    expect(saved().tasks.map((t: Json) => t.status)).toEqual(['PENDING']);
    expect(statSync(tasksFile()).mode & 0o777).toBe(0o600);
    store.markSent([task]);
    expect(saved().tasks[0].status).toBe('QUEUED');
    store.abort(task.task_id, 'r');
    expect(saved().cancels).toEqual([{ task_id: task.task_id, host: 'a.test', reason: 'r' }]);
    store.cancelsDelivered([task.task_id]);
    expect(saved().cancels).toEqual([]);

    store.batch(() => {
      store.create('a.test', command());
      store.create('a.test', command());
      expect(saved().tasks).toHaveLength(1); // not yet
    });
    expect(saved()).toMatchObject({ last_task_id: 3, last_request_id: 3 });
    expect(saved().tasks).toHaveLength(3);
    expect(readdirSync(dir)).toEqual(['tasks.json']);
  });

  it('without a file it stays in memory (and writes nothing)', () => {
    const store = new TaskStore();
    store.create('a.test', command());
    expect(store.list()).toHaveLength(1);
    expect(new TaskStore().list()).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it.each([
    ['not JSON', '{"version": 1, "tasks": ['],
    ['not an object', '[]'],
    ['an unknown version', '{"version": 2, "last_task_id": 0, "last_request_id": 0, "tasks": [], "cancels": []}'],
    ['a task with an unknown status', JSON.stringify({ version: 1, last_task_id: 1, last_request_id: 1, cancels: [], tasks: [{ ...validTask(1), status: 'BOGUS' }] })],
    ['a task missing a field', JSON.stringify({ version: 1, last_task_id: 1, last_request_id: 1, cancels: [], tasks: [{ ...validTask(1), sent: undefined }] })],
    ['the same task twice', JSON.stringify({ version: 1, last_task_id: 1, last_request_id: 1, cancels: [], tasks: [validTask(1), validTask(1)] })],
    ['a bad cancel', JSON.stringify({ version: 1, last_task_id: 1, last_request_id: 1, cancels: [{ task_id: 'x' }], tasks: [] })],
  ])('a corrupt file (%s) is moved aside with a warning; the store starts empty', (_what, content) => {
    writeFileSync(tasksFile(), content);
    const store = openTasks();
    expect(store.list()).toEqual([]);
    const aside = readdirSync(dir).filter((name) => name.startsWith('tasks.json.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(aside[0]).toMatch(/^tasks\.json\.corrupt-\d{4}-\d\d-\d\dT[\d-]+Z$/);
    expect(readFileSync(join(dir, aside[0]!), 'utf8')).toBe(content); // kept, for a post-mortem
    expect(readdirSync(dir)).not.toContain('tasks.json');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(tasksFile());
    expect(warnings[0]).toContain('corrupt');
    // The next change writes a fresh file that loads.
    expect(store.create('a.test', command()).task_id).toBe(1);
    expect(openTasks().list()).toHaveLength(1);
  });

  it('the control: a valid file written by hand loads', () => {
    writeFileSync(tasksFile(), JSON.stringify({ version: 1, last_task_id: 7, last_request_id: 3, cancels: [], tasks: [validTask(5)] }));
    const store = openTasks();
    expect(store.list().map((t) => t.task_id)).toEqual([5]);
    expect(store.create('a.test', command())).toMatchObject({ task_id: 8, request_id: 6 });
    expect(warnings).toEqual([]);
  });

  it('removes temp files left by a process that died mid-write', () => {
    writeFileSync(join(dir, 'tasks.json.12345.tmp'), '{"half'); // the name of servers before util/atomicWrite
    writeFileSync(join(dir, 'tasks.json.tmp-12345-0badf00d'), '{"half');
    writeFileSync(join(dir, 'tasks.json.notes'), 'not ours');
    openTasks();
    expect(readdirSync(dir).sort()).toEqual(['tasks.json.notes']);
  });

  it('a failed save is a warning, not an error: the task is still there in memory', () => {
    mkdirSync(join(dir, 'not-a-dir'));
    const store = new TaskStore(Date.now, { file: join(dir, 'not-a-dir', 'tasks.json'), log });
    // After the load, the directory becomes a file: every save fails from now on.
    rmSync(join(dir, 'not-a-dir'), { recursive: true });
    writeFileSync(join(dir, 'not-a-dir'), '');
    const task = store.create('a.test', command());
    expect(store.get(task.task_id)).toBe(task);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/cannot save .*not-a-dir\/tasks\.json/);
  });

  it('500 tasks created in a burst, each saved, take well under a few seconds', () => {
    const store = openTasks();
    const started = performance.now();
    for (let i = 0; i < 500; i++) store.create(`host-${i % 10}.test`, command({ params: { i: String(i) } }));
    const elapsed = performance.now() - started;
    process.stdout.write(`[devServerPersistence] 500 task creations with a save each: ${elapsed.toFixed(0)} ms\n`);
    expect(openTasks().list()).toHaveLength(500);
    expect(elapsed).toBeLessThan(5_000);
  });
});

describe('ComponentStore persistence', () => {
  const file = () => join(dir, 'components.json');

  it('a second store on the same file has the components and their hosts', () => {
    const first = new ComponentStore({ file: file(), log });
    first.add('b.test', component());
    first.add('a.test', component());
    first.add('a.test', component({ service_name: 'HDFS', component_name: 'DATANODE', script: '/abs/dn.sh', script_type: 'SHELL', version: '2.7' }));
    const second = new ComponentStore({ file: file(), log });
    expect(second.list()).toEqual(first.list());
    expect(second.list()).toEqual([
      { service_name: 'HDFS', component_name: 'DATANODE', script: '/abs/dn.sh', script_type: 'SHELL', version: '2.7', desired_state: 'STARTED', hosts: ['a.test'] },
      { service_name: 'ZOOKEEPER', component_name: 'ZOOKEEPER_SERVER', script: 'scripts/zk.py', script_type: 'PYTHON', version: '1.0', desired_state: 'STARTED', hosts: ['a.test', 'b.test'] },
    ]);
    expect(statSync(file()).mode & 0o777).toBe(0o600);
    expect(warnings).toEqual([]);
  });

  it.each([
    ['not JSON', 'garbage'],
    ['a component with a path for a name', JSON.stringify({ version: 1, components: [{ service_name: '../x', component_name: 'C', script: 's', script_type: 'PYTHON', version: '1', hosts: [] }] })],
    ['hosts not a list', JSON.stringify({ version: 1, components: [{ service_name: 'S', component_name: 'C', script: 's', script_type: 'PYTHON', version: '1', hosts: 'a' }] })],
  ])('a corrupt file (%s) is moved aside with a warning; no components', (_what, content) => {
    writeFileSync(file(), content);
    const store = new ComponentStore({ file: file(), log });
    expect(store.list()).toEqual([]);
    expect(readdirSync(dir).filter((name) => name.startsWith('components.json.corrupt-'))).toHaveLength(1);
    expect(warnings).toEqual([expect.stringContaining('corrupt')]);
  });
});

function validTask(taskId: number): Json {
  return {
    task_id: taskId, request_id: taskId, host_name: 'a.test', service_name: 'null', role: 'R', command: 'INSTALL', script: 's.py',
    script_type: 'PYTHON', timeout: 600, params: {}, status: 'QUEUED', exit_code: null, stdout: '', stderr: '', structured_out: {},
    created_at: 1, started_at: null, ended_at: null, sent: true,
  };
}

// ---------------------------------------------------------------------------------------------

describe('a dev server restarted on the same data dir', () => {
  async function api(server: DevServer, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
    const response = await fetch(`http://127.0.0.1:${server.apiPort}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(5_000),
    });
    return { status: response.status, body: JSON.parse(await response.text()) as Json };
  }

  async function agent(server: DevServer, hostName: string): Promise<TestStompClient> {
    const client = await TestStompClient.open(server.securedUrlPort);
    expect(await client.register(hostName)).toMatchObject({ exitstatus: 0 });
    client.subscribe('/user/commands', 'sub-commands');
    await client.request('/heartbeat', { id: 0 }); // the SUBSCRIBE was handled
    return client;
  }

  it('keeps its tasks (in progress stays in progress, pending is delivered later) and its topology (members with their ids, before their agents are back)', async () => {
    const serverLog: string[] = [];
    const options = { log: ((level, msg) => serverLog.push(`${level} ${msg}`)) as ServerLog };
    let server = await startLoopbackDevServer(dir, options);
    try {
      const one = await agent(server, 'one.test');
      const two = await agent(server, 'two.test');
      await two.close();
      expect((await api(server, '/api/v1/hosts/two.test/components', { service_name: 'HDFS', component_name: 'DATANODE', script: 'dn.py' })).status).toBe(201);
      expect((await api(server, '/api/v1/hosts/one.test/commands', { role: 'A', command: 'START', script: 'a.py' })).body).toMatchObject({ task_id: 1, status: 'QUEUED' });
      expect((await api(server, '/api/v1/hosts/two.test/commands', { role: 'B', command: 'START', script: 'b.py' })).body).toMatchObject({ task_id: 2, status: 'PENDING' });
      expect((await one.request('/reports/commands_status', { clusters: { '0': [{ taskId: 1, status: 'IN_PROGRESS', stdout: 'half' }] } })).body).toEqual({ status: 'OK' });
      expect((await api(server, '/api/v1/hosts/one.test/components', { service_name: 'ZOOKEEPER', component_name: 'ZOOKEEPER_SERVER', script: 'zk.py' })).status).toBe(201);
      await one.close();
    } finally {
      await server.close();
    }
    expect(readdirSync(dir)).toEqual(expect.arrayContaining(['tasks.json', 'components.json', 'hosts.json']));

    server = await startLoopbackDevServer(dir, options);
    try {
      const tasks = (await api(server, '/api/v1/tasks')).body.items as Json[];
      expect(tasks.map((t) => [t.task_id, t.host_name, t.status, t.stdout])).toEqual([
        [1, 'one.test', 'IN_PROGRESS', 'half'],
        [2, 'two.test', 'PENDING', ''],
      ]);
      // The agent comes back and resends its report: the task finishes on the new server.
      const one = await agent(server, 'one.test');
      // two.test is not back yet, but still a member with its id: its component is in the topology.
      const early = (await one.request('/agents/topologies', { hash: null })).body as Json;
      expect(early.clusters['0'].components.map((c: Json) => c.componentName)).toEqual(['DATANODE', 'ZOOKEEPER_SERVER']);
      expect((await api(server, '/api/v1/hosts/one.test/commands', { role: 'C', command: 'STOP', script: 'c.py' })).body.task_id).toBe(3);
      await one.request('/reports/commands_status', { clusters: { '0': [{ taskId: 1, status: 'COMPLETED', exitcode: 0, stdout: 'all' }] } });
      expect((await api(server, '/api/v1/tasks/1')).body).toMatchObject({ status: 'COMPLETED', exit_code: 0, stdout: 'all' });
      // The waiting task goes out once its agent is back.
      const two = await agent(server, 'two.test');
      const pushed = await two.waitFor((f) => f.command === 'MESSAGE' && f.headers.destination === '/user/commands', 'task 2');
      expect(JSON.parse(pushed.body).clusters['0'].commands.map((c: Json) => c.taskId)).toEqual([2]);
      // The hosts came back with their ids: the topology is the one from before they did.
      const topology = (await one.request('/agents/topologies', { hash: null })).body as Json;
      const hostId = (name: string) => (topology.clusters['0'].hosts as Json[]).find((h) => h.hostName === name)!.hostId;
      expect(topology.clusters['0'].components).toEqual([
        expect.objectContaining({ componentName: 'DATANODE', hostIds: [hostId('two.test')] }),
        expect.objectContaining({ componentName: 'ZOOKEEPER_SERVER', hostIds: [hostId('one.test')] }),
      ]);
      expect(topology.hash).toBe(early.hash);
      expect(serverLog.filter((line) => line.startsWith('warn'))).toEqual([]);
    } finally {
      await closeAllClients();
      await server.close();
    }
  });

  it('starts empty, with a warning in the server log, when tasks.json is corrupt', async () => {
    writeFileSync(join(dir, 'tasks.json'), '{"version": 1, "tasks": [');
    const serverLog: string[] = [];
    const server = await startLoopbackDevServer(dir, { log: (level, msg) => serverLog.push(`${level} ${msg}`) });
    try {
      expect((await api(server, '/api/v1/tasks')).body).toEqual({ items: [] });
      expect(serverLog).toContainEqual(expect.stringMatching(/^warn .*tasks\.json is corrupt.*moved to .*tasks\.json\.corrupt-/));
      expect(readdirSync(dir).some((name) => name.startsWith('tasks.json.corrupt-'))).toBe(true);
    } finally {
      await server.close();
    }
  });
});
