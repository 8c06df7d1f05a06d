// The state recorder (since-when per actor, the recent events), the state report built from
// the actor tree (details per machine, durations, the text form), and the control channel's
// `state` and `watch` answers over a real Unix socket.
import { connect } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { createActor, createMachine, setup } from 'xstate';
import { createControlChannel, SUPERVISOR_SYSTEM_ID } from '../../../src/actors/local/controlChannel.js';
import { describeActor, type ActorNode } from '../../../src/introspection/actorTree.js';
import { MAX_EVENTS, StateRecorder, stateText } from '../../../src/introspection/stateRecorder.js';
import { detailsOf, formatDuration, formatStateReport, stateReport, type StateReport } from '../../../src/introspection/stateReport.js';
import { removeTempDirs, tempDir } from '../../support/tempDirs.mjs';

afterAll(removeTempDirs);

const tick = () => new Promise((resolve) => setImmediate(resolve));

const toggle = createMachine({
  id: 'toggle',
  initial: 'off',
  states: { off: { on: { FLIP: 'on' } }, on: { on: { FLIP: 'off', END: 'done' } }, done: { type: 'final' } },
});

describe('StateRecorder', () => {
  it('knows since when each actor is in its state and logs state changes and events', async () => {
    let now = 1000;
    const recorder = new StateRecorder(() => now);
    const actor = createActor(toggle, { inspect: recorder.inspect }).start();
    expect(recorder.sinceOf(actor)).toBe(1000);
    now = 1500;
    actor.send({ type: 'FLIP' });
    expect(recorder.sinceOf(actor)).toBe(1500);
    now = 1700;
    actor.send({ type: 'NOTHING' });
    expect(recorder.sinceOf(actor)).toBe(1500);
    const events = recorder.events();
    expect(events.filter((e) => e.kind === 'state').map((e) => [e.t, e.type, e.detail])).toEqual([
      [1000, 'off', undefined],
      [1500, 'on', 'off'],
    ]);
    expect(events.filter((e) => e.kind === 'event').map((e) => e.type)).toEqual(['xstate.init', 'FLIP', 'NOTHING']);
    // A final state ends the actor: it is forgotten (no unbounded map), the change still logged.
    actor.send({ type: 'END' });
    expect(recorder.sinceOf(actor)).toBeUndefined();
    expect(recorder.events().at(-1)).toMatchObject({ kind: 'state', type: 'done', detail: 'on' });
  });

  it('keeps the last 200 events and tells its listeners once per turn', async () => {
    const recorder = new StateRecorder();
    let calls = 0;
    const unsubscribe = recorder.subscribe(() => calls++);
    const actor = createActor(toggle, { inspect: recorder.inspect }).start();
    for (let i = 0; i < 300; i++) actor.send({ type: 'FLIP' });
    expect(recorder.events()).toHaveLength(MAX_EVENTS);
    expect(recorder.events().at(-1)).toMatchObject({ kind: 'state' });
    expect(calls).toBe(0);
    await tick();
    expect(calls).toBe(1);
    unsubscribe();
    actor.send({ type: 'FLIP' });
    await tick();
    expect(calls).toBe(1);
  });

  it('writes nested and parallel state values as text', () => {
    expect(stateText('connected')).toBe('connected');
    expect(stateText({ online: 'registered' })).toBe('online.registered');
    expect(stateText({ a: { b: 'c' }, d: 'e' })).toBe('a.b.c, d.e');
  });
});

const node = (machine: string, state: unknown, context: Record<string, unknown>, since?: number): ActorNode => ({
  id: machine,
  machine,
  status: 'active',
  state,
  since,
  context,
  children: [],
});

describe('state report', () => {
  it('picks the details that matter per machine, with the next retry counted down', () => {
    const now = 100_000;
    // The live responseId is the heartbeat's; the supervisor's copy is only set at registration.
    expect(detailsOf(node('supervisor', 'connected', { activeServer: 'h1', boundPort: 8670, responseId: 4, exitCode: 0 }), now)).toEqual({
      activeServer: 'h1',
      pingPort: 8670,
    });
    expect(detailsOf(node('discovery', 'waiting', { servers: ['a', 'b'], serverIndex: 1, attempt: 3, round: 0, retryDelaySeconds: 10, lastError: 'refused' }, 96_000), now)).toEqual({
      server: 'b',
      attempt: 3,
      round: 0,
      nextRetryInS: 6,
      lastError: 'refused',
    });
    expect(detailsOf(node('actionQueue', 'busy', { running: [7], queue: [8, 9], completed: 2 }), now)).toEqual({ running: [7], queued: [8, 9], completed: 2 });
    expect(detailsOf(node('command', 'retrying', { label: 'START ZK', attempts: 2, retryDelaySeconds: 4 }, 99_000), now)).toEqual({ command: 'START ZK', attempts: 2, nextRetryInS: 3 });
    expect(detailsOf(node('something', 'x', { secret: 1 }), now)).toEqual({});
  });

  it('shows an alert with its last result and next check, the scheduler with its count, recovery with its report', () => {
    const now = 100_000;
    const definition = { name: 'datanode_process', interval: 1, source: { type: 'PORT' } };
    const last = { state: 'CRITICAL', text: 'Connection failed: [Errno 111] Connection refused to h:50010' };
    expect(detailsOf(node('alert', 'idle', { definition, intervalMs: 60_000, last, checks: 3, failures: 0 }, 70_000), now)).toEqual({
      name: 'datanode_process',
      type: 'PORT',
      last: 'CRITICAL: Connection failed: [Errno 111] Connection refused to h:50010',
      checks: 3,
      nextCheckInS: 30,
    });
    expect(detailsOf(node('alertScheduler', 'scheduling', { scheduled: { 'alert-0-1': {}, 'alert-0-2': {} }, updates: 4 }), now)).toEqual({ alerts: 2, updates: 4 });
    const rules = { enabled: true, limits: { lifetimeMaxCount: 2 }, enabledComponents: ['NAMENODE', 'DATANODE'], actions: { NAMENODE: { lifetimeCount: 2 }, DATANODE: { lifetimeCount: 1 } } };
    expect(detailsOf(node('recovery', 'enabled.watching', { rules, inFlight: [] }), now)).toEqual({
      summary: 'PARTIALLY_RECOVERABLE',
      components: 'NAMENODE,DATANODE',
      attempts: 'NAMENODE:2,DATANODE:1',
    });
    expect(detailsOf(node('recovery', 'disabled', { rules: { enabled: false, actions: {} } }), now)).toEqual({ summary: 'DISABLED' });
  });

  it('prints an indented tree with states, durations and details', () => {
    const root: ActorNode = {
      ...node('supervisor', 'connected', { activeServer: 'h1', boundPort: 8670 }, 1000),
      children: [node('pingPort', 'listening', { port: 8670, pings: 2 }, 900), { ...node('session', { online: 'registered' }, { server: 'h1', registrations: 1 }, 1100), id: 'session' }, { id: 'shutdownHelper', status: 'active', children: [] }],
    };
    const report = stateReport(root, 65_000, 42);
    expect(report).toMatchObject({ pid: 42, at: 65_000, root: { id: 'supervisor', state: 'connected', since: 1000, inStateMs: 64_000 } });
    expect(formatStateReport(report).split('\n')).toEqual([
      'supervisor connected for 1 min 4 s  activeServer=h1 pingPort=8670',
      '├─ pingPort listening for 1 min 4 s  port=8670 pings=2',
      '├─ session online.registered for 1 min 3 s  server=h1 registrations=1',
      '└─ shutdownHelper',
    ]);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });

  it('formats durations for people', () => {
    expect(formatDuration(250)).toBe('250 ms');
    expect(formatDuration(1234)).toBe('1.2 s');
    expect(formatDuration(184_000)).toBe('3 min 4 s');
    expect(formatDuration(2 * 3600_000 + 5 * 60_000)).toBe('2 h 5 min');
    expect(formatDuration(3 * 86400_000 + 3600_000)).toBe('3 d 1 h');
  });
});

/** One JSON line at a time from the control socket. */
function lines(socketPath: string, request: unknown) {
  const socket = connect(socketPath);
  socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
  const queue: string[] = [];
  const waiters: Array<(line: string) => void> = [];
  createInterface({ input: socket }).on('line', (line) => {
    const waiter = waiters.shift();
    if (waiter) waiter(line);
    else queue.push(line);
  });
  const next = () => new Promise<string>((resolve) => (queue.length ? resolve(queue.shift()!) : waiters.push(resolve)));
  return { socket, next };
}

describe('control channel: state and watch', () => {
  async function running() {
    const socketPath = join(tempDir('aa-ctl-'), 'agent.sock');
    const recorder = new StateRecorder();
    const channel = createControlChannel(socketPath, { recorder });
    const root = createActor(
      setup({ actors: { channel } }).createMachine({
        invoke: { src: 'channel' },
        initial: 'discovering',
        context: { activeServer: 'h1' },
        states: { discovering: { on: { FOUND: 'connected' } }, connected: {} },
      }),
      { systemId: SUPERVISOR_SYSTEM_ID, inspect: recorder.inspect },
    ).start();
    await new Promise((resolve) => setTimeout(resolve, 50));
    return { socketPath, root, recorder };
  }

  it('answers `state` with the report (since known from the recorder)', async () => {
    const { socketPath, root } = await running();
    const { socket, next } = lines(socketPath, { cmd: 'state' });
    const report = JSON.parse(await next()) as StateReport;
    expect(report.pid).toBe(process.pid);
    expect(report.root).toMatchObject({ state: 'discovering', since: expect.any(Number), inStateMs: expect.any(Number) });
    socket.destroy();
    root.stop();
  });

  it('`watch` sends a report at once and another after each change, and ends when the channel stops', async () => {
    const { socketPath, root } = await running();
    const { socket, next } = lines(socketPath, { cmd: 'watch' });
    expect((JSON.parse(await next()) as StateReport).root.state).toBe('discovering');
    root.send({ type: 'FOUND' });
    expect((JSON.parse(await next()) as StateReport).root.state).toBe('connected');
    const ended = new Promise((resolve) => socket.on('end', resolve));
    root.stop();
    await ended;
    socket.destroy();
  });
});
