import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, fromPromise, sendParent, setup, SimulatedClock, waitFor, type AnyActorRef } from 'xstate';
import { dataCleanerMachine } from '../../../src/machines/dataCleaner.js';
import { daemonizeMachine } from '../../../src/machines/daemonize.js';
import { discoveryMachine, type ProbeInput } from '../../../src/machines/discovery.js';
import { pingPortMachine, type ListenerEvent } from '../../../src/machines/pingPort.js';
import { preflightMachine, type PreflightCheck } from '../../../src/machines/preflight.js';
import { MAX_CHILD_RESTARTS, RESTART_WINDOW_MS, restartDelayMs, supervisorMachine, type SupervisorEvent, type SupervisorInput } from '../../../src/machines/supervisor.js';

function gate<T = void>() {
  let open!: (value: T) => void;
  let fail!: (error: Error) => void;
  const promise = new Promise<T>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

const INPUT: SupervisorInput = {
  pidFile: '/run/test/ambari-agent.pid',
  pingPort: 8670,
  servers: ['server-a'],
  urlPort: 8440,
  retryDelaySeconds: 10,
  syncSteps: ['topologies'],
  cleaner: { dir: '/prefix', intervalSeconds: 3600, maxAgeSeconds: 86400, maxSizeBytes: 1e8 },
};

/** A stand-in session the test drives with REGISTER / LOSE / RESTART / END events. */
const fakeSession = setup({
  actors: {
    crash: fromPromise(async () => {
      throw new Error('session bug');
    }),
  },
}).createMachine({
  id: 'fakeSession',
  initial: 'active',
  states: {
    active: {
      on: {
        REGISTER: { actions: sendParent({ type: 'SESSION.REGISTERED', responseId: 7 }) },
        LOSE: { actions: sendParent({ type: 'SESSION.LOST', reason: 'connection closed by server' }) },
        RESTART: { actions: sendParent({ type: 'AGENT.RESTART', reason: 'Error in responseId sequence - restarting' }) },
        END: 'ended',
        CRASH: 'crashing',
      },
    },
    ended: { type: 'final' },
    // An unexpected error inside the session (its invoked child throws; nothing catches it).
    crashing: { invoke: { src: 'crash' } },
  },
  output: { reason: 'cannot connect' },
});

/**
 * The real supervisor and stage machines, with every leaf effect replaced by a fake that the
 * test opens when it wants the stage to finish. Records what happened in `events`.
 */
function harness(options: { input?: Partial<SupervisorInput>; failingCheck?: PreflightCheck; cleanerThrows?: boolean; holdShutdown?: boolean } = {}) {
  const events: string[] = [];
  const checksGate = gate();
  const pidGate = gate<number>();
  const shutdownGate = gate();
  if (!options.holdShutdown) shutdownGate.open();
  const listeners: Array<(event: ListenerEvent) => void> = [];
  const probeUp = new Set<string>();
  const clock = new SimulatedClock();
  const log: string[] = [];
  const logAction = ({ self }: { self: AnyActorRef }, params: { level: string; msg: string }) => log.push(`${params.level} [${self.id}] ${params.msg}`);

  const machine = supervisorMachine.provide({
    actions: { log: logAction },
    actors: {
      preflight: preflightMachine.provide({
        actions: { log: logAction },
        actors: {
          runCheck: fromPromise<void, { check: PreflightCheck }>(async ({ input }) => {
            await checksGate.promise;
            events.push(`check:${input.check}`);
            if (input.check === options.failingCheck) throw new Error(`${input.check} is wrong`);
          }),
        },
      }),
      dataCleaner: dataCleanerMachine.provide({
        actors: {
          cleanPass: fromPromise(async () => {
            events.push('clean');
            if (options.cleanerThrows) throw new Error('disk on fire');
            return { deleted: 0, deletedBytes: 0, kept: 0, errors: 0 };
          }),
        },
      }),
      pingPort: pingPortMachine.provide({
        actors: {
          listener: fromCallback<ListenerEvent, { port: number }>(({ sendBack }) => {
            events.push('port:open');
            listeners.push(sendBack);
            return () => events.push('port:closed');
          }),
        },
      }),
      daemonize: daemonizeMachine.provide({
        actors: { writePidFile: fromPromise(() => pidGate.promise) },
      }),
      discovery: discoveryMachine.provide({
        actions: { log: logAction },
        actors: {
          probe: fromPromise<void, ProbeInput>(async ({ input }) => {
            events.push(`probe:${input.host}`);
            if (!probeUp.has(input.host)) throw new Error('refused');
          }),
        },
      }),
      // A stand-in with the session's interface as the supervisor sees it (events and output).
      session: fakeSession as never,
      controlChannel: fromCallback(() => {
        events.push('control:open');
        return () => events.push('control:closed');
      }),
      shutdown: fromPromise(async () => {
        events.push('shutdown');
        await shutdownGate.promise;
      }),
      recoverCommands: fromPromise(async () => {
        events.push('recover');
        return 0;
      }),
      // The queue as the supervisor sees it: something that takes CANCEL_ALL when the agent stops.
      actionQueue: fromCallback(({ receive }) => {
        events.push('queue:open');
        receive((event) => events.push(`queue:${event.type}:${String((event as { reason?: unknown }).reason ?? '')}`));
        return () => events.push('queue:closed');
      }) as never,
    },
  });
  const actor = createActor(machine, { input: { ...INPUT, ...options.input }, clock });
  const state = () => actor.getSnapshot().value;
  const reach = (value: string) => waitFor(actor, (s) => s.value === value, { timeout: 2000 });

  const driveTo = async (target: string) => {
    actor.start();
    await reach('preflight');
    if (target === 'preflight') return;
    checksGate.open();
    await reach('lockingPort');
    if (target === 'lockingPort') return;
    listeners[0]!({ type: 'LISTENING', port: 8670 });
    await reach('daemonizing');
    if (target === 'daemonizing') return;
    pidGate.open(4242);
    await reach('discovering');
    if (target === 'discovering') return;
    probeUp.add('server-a');
    clock.increment(10_000);
    await reach('registering');
    if (target === 'registering') return;
    session().send({ type: 'REGISTER' });
    await reach('connected');
  };
  const session = () => actor.getSnapshot().children.session as AnyActorRef;

  return { actor, events, log, clock, listeners, checksGate, pidGate, shutdownGate, probeUp, state, reach, driveTo, session };
}

describe('supervisor machine', () => {
  it('walks preflight -> lockingPort -> daemonizing -> discovering -> registering -> connected', async () => {
    const h = harness();
    await h.driveTo('connected');
    const snapshot = h.actor.getSnapshot();
    expect(snapshot.context).toMatchObject({ boundPort: 8670, pid: 4242, activeServer: 'server-a', responseId: 7, exitCode: 0 });
    expect(h.events.filter((e) => e.startsWith('check:'))).toEqual([
      'check:runtime', 'check:hostname', 'check:pidFile', 'check:prefixDir', 'check:ambariVersion', 'check:writableDirs',
    ]);
    // main.py's order: checks, then cleaner and port lock, then pid file, then the server.
    expect(h.events.indexOf('clean')).toBeGreaterThan(h.events.indexOf('check:writableDirs'));
    expect(h.events.indexOf('control:open')).toBeGreaterThan(h.events.indexOf('port:open'));
    expect(h.events.filter((e) => e === 'probe:server-a')).toHaveLength(2);
    expect(Object.keys(snapshot.children).sort()).toEqual(['actionQueue', 'alerts', 'controlChannel', 'dataCleaner', 'pingPort', 'recovery', 'session']);
    // The pid file is ours before a predecessor's leftover commands are dealt with, and that before the server.
    expect(h.events.indexOf('recover')).toBeGreaterThan(h.events.indexOf('control:open'));
    expect(h.events.indexOf('recover')).toBeLessThan(h.events.indexOf('probe:server-a'));
    expect(h.log).toContain('info [discovery] Connected to Ambari server server-a');
  });

  for (const state of ['preflight', 'lockingPort', 'daemonizing', 'discovering', 'registering', 'connected']) {
    it(`STOP in ${state} reaches stopped with exit code 0 and releases everything`, async () => {
      const h = harness();
      await h.driveTo(state);
      h.actor.send({ type: 'STOP', reason: 'received SIGTERM' });
      await waitFor(h.actor, (s) => s.status === 'done', { timeout: 2000 });
      expect(h.state()).toBe('stopped');
      expect(h.actor.getSnapshot().output).toEqual({ exitCode: 0, error: undefined });
      expect(h.events).toContain('shutdown');
      expect(h.events.filter((e) => e === 'port:open').length).toBe(h.events.filter((e) => e === 'port:closed').length);
      expect(h.events.filter((e) => e === 'control:open').length).toBe(h.events.filter((e) => e === 'control:closed').length);
      expect(h.events.filter((e) => e === 'queue:open').length).toBe(h.events.filter((e) => e === 'queue:closed').length);
      // Running commands are cancelled before the shutdown waits for them.
      if (h.events.includes('queue:open')) {
        expect(h.events).toContain('queue:CANCEL_ALL:The agent is stopping: received SIGTERM');
        expect(h.events.indexOf('queue:CANCEL_ALL:The agent is stopping: received SIGTERM')).toBeLessThan(h.events.indexOf('shutdown'));
      }
      expect(Object.keys(h.actor.getSnapshot().children)).toEqual([]);
      // A stop while discovering cancels the retry timer: no probe after the stop.
      const probes = h.events.filter((e) => e.startsWith('probe:')).length;
      h.clock.increment(60_000);
      await new Promise((r) => setImmediate(r));
      expect(h.events.filter((e) => e.startsWith('probe:')).length).toBe(probes);
    });
  }

  it('a failed preflight check stops with exit code 1 and the check message, before any port is bound', async () => {
    const h = harness({ failingCheck: 'prefixDir' });
    h.actor.start();
    h.checksGate.open();
    await waitFor(h.actor, (s) => s.status === 'done', { timeout: 2000 });
    expect(h.actor.getSnapshot().output).toEqual({ exitCode: 1, error: 'prefixDir is wrong' });
    expect(h.events).not.toContain('check:writableDirs');
    expect(h.events).not.toContain('port:open');
    expect(h.events).toContain('shutdown');
  });

  it('a taken ping port stops with exit code 1 and the listener message', async () => {
    const h = harness();
    await h.driveTo('lockingPort');
    h.listeners[0]!({ type: 'LISTEN_FAILED', error: 'Could not open port 8670 because port already used by another process:\n77 nc -l' });
    await waitFor(h.actor, (s) => s.status === 'done', { timeout: 2000 });
    expect(h.actor.getSnapshot().output?.exitCode).toBe(1);
    expect(h.actor.getSnapshot().output?.error).toBe(
      'Failed to start ping port listener of: Could not open port 8670 because port already used by another process:\n77 nc -l',
    );
    expect(h.events).toContain('port:closed');
  });

  it('a pid file that cannot be written stops with exit code 1 naming the file', async () => {
    const h = harness();
    await h.driveTo('daemonizing');
    h.pidGate.fail(new Error('EACCES: permission denied'));
    await waitFor(h.actor, (s) => s.status === 'done', { timeout: 2000 });
    expect(h.actor.getSnapshot().output).toEqual({
      exitCode: 1,
      error: 'Cannot write pid file /run/test/ambari-agent.pid: EACCES: permission denied',
    });
  });

  it('FATAL (an error that escaped every actor) stops cleanly with exit code 1', async () => {
    const h = harness();
    await h.driveTo('connected');
    h.actor.send({ type: 'FATAL', error: 'boom' });
    await waitFor(h.actor, (s) => s.status === 'done', { timeout: 2000 });
    expect(h.actor.getSnapshot().output).toEqual({ exitCode: 1, error: 'Unexpected error: boom' });
    expect(h.events).toContain('shutdown');
  });

  it('starts no data cleaner when data_cleanup_interval <= 0', async () => {
    const h = harness({ input: { cleaner: undefined } });
    await h.driveTo('connected');
    expect(h.events).not.toContain('clean');
    expect(Object.keys(h.actor.getSnapshot().children).sort()).toEqual(['actionQueue', 'alerts', 'controlChannel', 'pingPort', 'recovery', 'session']);
  });

  it('a lost session goes back to registering, and registers again', async () => {
    const h = harness();
    await h.driveTo('connected');
    h.session().send({ type: 'LOSE' });
    expect(h.state()).toBe('registering');
    expect(h.actor.getSnapshot().context.responseId).toBeUndefined();
    h.session().send({ type: 'REGISTER' });
    expect(h.state()).toBe('connected');
  });

  it('a session that ends (server unreachable) sends the agent back to discovery', async () => {
    const h = harness();
    await h.driveTo('connected');
    const ended = h.session();
    ended.send({ type: 'END' });
    // Synchronously after the session's end: discovering, without a session.
    expect(h.state()).toBe('discovering');
    expect(h.actor.getSnapshot().children.session).toBeUndefined();
    await h.reach('registering');
    expect(h.actor.getSnapshot().children.session).not.toBe(ended);
    expect(h.actor.getSnapshot().children.session).toBeDefined();
  });

  it('AGENT.RESTART stops cleanly with exit code 77 for the wrapper', async () => {
    const h = harness();
    await h.driveTo('connected');
    h.session().send({ type: 'RESTART' });
    await waitFor(h.actor, (s) => s.status === 'done', { timeout: 2000 });
    expect(h.actor.getSnapshot().output).toEqual({ exitCode: 77, error: undefined });
    expect(h.actor.getSnapshot().context.stopReason).toBe('restart: Error in responseId sequence - restarting');
    expect(h.events).toContain('shutdown');
  });

  it('restarts a control channel that fails after a growing back-off, a bounded number of times within the window, then stops with code 1', async () => {
    const h = harness();
    await h.driveTo('discovering');
    const opened = () => h.events.filter((e) => e === 'control:open').length;
    for (let n = 1; n <= MAX_CHILD_RESTARTS; n++) {
      h.actor.send({ type: 'CONTROL_CHANNEL.FAILED', error: 'socket gone' });
      expect(h.state()).toBe('discovering');
      expect(h.actor.getSnapshot().children.controlChannel).toBeUndefined();
      // Not before its back-off, and at its end.
      h.clock.increment(restartDelayMs(n) - 1);
      expect(opened()).toBe(n);
      h.clock.increment(1);
      expect(opened()).toBe(n + 1);
    }
    expect(h.actor.getSnapshot().context.restarts).toEqual({ controlChannel: MAX_CHILD_RESTARTS });
    h.actor.send({ type: 'CONTROL_CHANNEL.FAILED', error: 'socket gone' });
    await waitFor(h.actor, (s) => s.status === 'done', { timeout: 2000 });
    expect(h.actor.getSnapshot().output).toEqual({ exitCode: 1, error: 'socket gone' });
  });

  it('forgets a restart once the window has passed since it: failures spread out never stop the agent', async () => {
    const h = harness();
    await h.driveTo('discovering');
    for (let n = 0; n < 3 * MAX_CHILD_RESTARTS; n++) {
      h.actor.send({ type: 'CONTROL_CHANNEL.FAILED', error: 'socket gone' });
      h.clock.increment(RESTART_WINDOW_MS);
      expect(h.actor.getSnapshot().context.restarts.controlChannel).toBe(0);
    }
    expect(h.state()).toBe('discovering');
    expect(h.events.filter((e) => e === 'control:open')).toHaveLength(1 + 3 * MAX_CHILD_RESTARTS);
    // The back-off starts again from its first step.
    expect(h.log.filter((line) => line.includes('socket gone'))).toHaveLength(3 * MAX_CHILD_RESTARTS);
  });

  it('a failed session backs off before the agent discovers the server again', async () => {
    const h = harness();
    await h.driveTo('connected');
    h.session().send({ type: 'CRASH' });
    await h.reach('backingOff');
    expect(h.actor.getSnapshot().children.session).toBeUndefined();
    expect(h.log.some((line) => line.includes('session bug'))).toBe(true);
    const probes = h.events.filter((e) => e.startsWith('probe:')).length;
    h.clock.increment(restartDelayMs(1) - 1);
    expect(h.state()).toBe('backingOff');
    h.clock.increment(1);
    await h.reach('registering');
    expect(h.events.filter((e) => e.startsWith('probe:')).length).toBeGreaterThan(probes);
  });

  it('a child restart due while stopping does not start the child again', async () => {
    const h = harness({ holdShutdown: true });
    await h.driveTo('discovering');
    h.actor.send({ type: 'CONTROL_CHANNEL.FAILED', error: 'socket gone' });
    h.actor.send({ type: 'STOP', reason: 'received SIGTERM' });
    h.clock.increment(RESTART_WINDOW_MS);
    expect(h.events.filter((e) => e === 'control:open')).toHaveLength(1);
    h.shutdownGate.open();
    await waitFor(h.actor, (s) => s.status === 'done', { timeout: 2000 });
  });

  it('stopping ignores every root-level event: none re-enters it (entry actions and the shutdown wait run once)', async () => {
    const rootEvents = Object.keys(supervisorMachine.config.on ?? {});
    const ignored = Object.keys((supervisorMachine.config.states?.stopping?.on ?? {}) as object);
    expect(rootEvents.filter((type) => !ignored.includes(type))).toEqual([]);

    const h = harness({ holdShutdown: true });
    await h.driveTo('connected');
    h.actor.send({ type: 'STOP', reason: 'first' });
    await h.reach('stopping');
    // Each root-level event, with every field any of them carries.
    for (const type of rootEvents) h.actor.send({ type, reason: 'again', error: 'again', child: 'controlChannel', actorId: 'controlChannel', output: { reason: 'again' } } as unknown as SupervisorEvent);
    h.clock.increment(RESTART_WINDOW_MS);
    expect(h.state()).toBe('stopping');
    expect(h.events.filter((e) => e === 'shutdown')).toHaveLength(1);
    expect(h.events.filter((e) => e.startsWith('queue:CANCEL_ALL'))).toHaveLength(1);
    h.shutdownGate.open();
    await waitFor(h.actor, (s) => s.status === 'done', { timeout: 2000 });
    expect(h.actor.getSnapshot().output).toEqual({ exitCode: 0, error: undefined });
  });

  it('ignores a second STOP while stopping', async () => {
    const h = harness();
    await h.driveTo('discovering');
    h.actor.send({ type: 'STOP', reason: 'first' });
    h.actor.send({ type: 'STOP', reason: 'second' });
    await waitFor(h.actor, (s) => s.status === 'done', { timeout: 2000 });
    expect(h.actor.getSnapshot().context.stopReason).toBe('first');
    expect(h.events.filter((e) => e === 'shutdown')).toHaveLength(1);
  });
});
