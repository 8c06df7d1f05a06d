// The recovery machine on a SimulatedClock: its check timer and the counters' seconds are the
// simulated clock's. Alone (the auto commands it sends captured), then beside the real action
// queue (auto commands run in line, their reports go back to recovery, server commands pause it).
import { describe, expect, it } from 'vitest';
import { createActor, setup, SimulatedClock, spawnChild, waitFor, type AnyActorRef } from 'xstate';
import { actionQueueMachine, ACTION_QUEUE_ID, type CommandDoneParams } from '../../../src/machines/actionQueue.js';
import { fromCancellablePromise } from '../../../src/machines/cancellableAttempt.js';
import { commandMachine, type AttemptResult, type ExecutionCommand, type RunInput } from '../../../src/machines/command.js';
import { RECOVERY_CHECK_INTERVAL_MS, RECOVERY_ID, createRecoveryMachine } from '../../../src/machines/recovery.js';
import type { AutoCommand } from '../../../src/actors/recovery/recoveryRules.js';

const START_MS = 1_700_000_000_000;
const settle = () => new Promise((resolve) => setImmediate(resolve));
const clusterEnv = (extra: Record<string, string> = {}) => ({
  recovery_type: 'AUTO_START',
  recovery_max_count: '2',
  recovery_window_in_minutes: '5',
  recovery_retry_interval: '1',
  recovery_lifetime_max_count: '4',
  ...extra,
});
const hostLevelParams = { recoveryConfig: { components: [{ component_name: 'P', service_name: 'S', desired_state: 'STARTED' }] } };

function alone() {
  const clock = new SimulatedClock();
  clock.set(START_MS);
  const sent: AutoCommand[] = [];
  const logs: string[] = [];
  const machine = createRecoveryMachine(() => clock.now()).provide({
    actions: {
      sendAutoCommands: ({ context }) => sent.push(...context.outbox),
      log: (_, { level, msg }) => logs.push(`${level}: ${msg}`),
    },
  });
  const actor = createActor(machine, { clock, input: {} }).start();
  const state = () => actor.getSnapshot().value;
  const tick = (ms = RECOVERY_CHECK_INTERVAL_MS) => clock.increment(ms);
  const finish = (command: AutoCommand, status: 'COMPLETED' | 'FAILED' = 'COMPLETED') =>
    actor.send({ type: 'AUTO_COMMAND.FINISHED', taskId: command.taskId, command: { role: command.role, roleCommand: command.roleCommand }, status });
  return { clock, actor, sent, logs, state, tick, finish };
}

describe('recovery machine', () => {
  it('keeps only plain data in its context (the clock belongs to the machine, not to the context)', () => {
    const { actor } = alone();
    const context = actor.getSnapshot().context;
    expect(structuredClone(context)).toEqual(context);
  });

  it('starts disabled; cluster-env turns it on, invalid limits off with the warning', () => {
    const { actor, state, logs } = alone();
    expect(state()).toBe('disabled');
    actor.send({ type: 'CONFIG.CLUSTER_ENV', clusterId: '2', clusterEnv: clusterEnv() });
    expect(state()).toEqual({ enabled: 'watching' });
    expect(logs).toContain('info: Recovery on: AUTO_START, at most 2 per 5 min, 1 min apart, 4 in all');
    actor.send({ type: 'CONFIG.CLUSTER_ENV', clusterId: '2', clusterEnv: clusterEnv({ recovery_retry_interval: '5' }) });
    expect(state()).toBe('disabled');
    expect(logs).toContain('warn: Recovery disabled: retry_gap must be smaller than window_in_min');
    actor.send({ type: 'CONFIG.CLUSTER_ENV', clusterId: '2', clusterEnv: clusterEnv({ recovery_enabled: 'false' }) });
    expect(state()).toBe('disabled');
  });

  it('starts an INSTALLED component that should be STARTED, within the retry gap and the count per window', () => {
    const { actor, sent, logs, state, tick, finish } = alone();
    actor.send({ type: 'CONFIG.CLUSTER_ENV', clusterId: '2', clusterEnv: clusterEnv() });
    actor.send({ type: 'CONFIG.HOST_LEVEL_PARAMS', clusterId: '2', hostLevelParams });
    actor.send({ type: 'COMPONENT.STATUS', componentName: 'P', status: 'STARTED' });
    tick();
    expect(sent).toEqual([]);

    actor.send({ type: 'COMPONENT.STATUS', componentName: 'P', status: 'INSTALLED' });
    tick(RECOVERY_CHECK_INTERVAL_MS - 1);
    expect(sent).toEqual([]);
    tick(1);
    const firstId = Math.floor(START_MS / 1000) + 1;
    expect(sent).toEqual([{ clusterId: '2', roleCommand: 'START', commandType: 'AUTO_EXECUTION_COMMAND', taskId: firstId, commandId: firstId, role: 'P', serviceName: 'S' }]);
    expect(state()).toEqual({ enabled: 'recovering' });
    tick(10_000);
    expect(sent).toHaveLength(1); // nothing new while one is in flight
    finish(sent[0]);
    expect(state()).toEqual({ enabled: 'watching' });
    expect(actor.getSnapshot().context.rules.statuses.P).toMatchObject({ current: 'STARTED', desired: 'STARTED' });
    expect(actor.getSnapshot().context.rules.actions.P).toMatchObject({ count: 1, lifetimeCount: 1 });

    // Down again at once: not before the retry gap (1 min since the attempt).
    actor.send({ type: 'COMPONENT.STATUS', componentName: 'P', status: 'INSTALLED' });
    tick(40_000);
    expect(sent).toHaveLength(1);
    tick(12_000);
    expect(sent).toHaveLength(2);
    expect(sent[1].taskId).toBe(firstId + 1);
    finish(sent[1], 'FAILED');
    // A failed START leaves it INSTALLED; 2 per window reached: nothing until the window is over.
    tick(70_000);
    expect(sent).toHaveLength(2);
    tick(5 * 60_000 - 60_000);
    expect(sent).toHaveLength(3);
  });

  it('pauses while the queue holds server commands; server commands set the desired state', () => {
    const { actor, sent, state, tick } = alone();
    actor.send({ type: 'CONFIG.CLUSTER_ENV', clusterId: '2', clusterEnv: clusterEnv() });
    actor.send({ type: 'CONFIG.HOST_LEVEL_PARAMS', clusterId: '2', hostLevelParams: { recoveryConfig: { components: [{ component_name: 'P', service_name: 'S', desired_state: 'INSTALLED' }] } } });
    actor.send({ type: 'COMPONENT.STATUS', componentName: 'P', status: 'INSTALLED' });
    tick();
    expect(sent).toEqual([]);
    actor.send({ type: 'QUEUE.WORK', serverCommands: 1 });
    actor.send({ type: 'SERVER_COMMAND.TAKEN', command: { commandType: 'EXECUTION_COMMAND', role: 'P', roleCommand: 'START' } });
    expect(state()).toEqual({ enabled: 'paused' });
    tick(60_000);
    expect(sent).toEqual([]);
    // The START failed: still INSTALLED, desired STARTED: recovery starts it once the queue is empty.
    actor.send({ type: 'SERVER_COMMAND.FINISHED', command: { role: 'P', roleCommand: 'START' }, status: 'FAILED' });
    actor.send({ type: 'QUEUE.WORK', serverCommands: 0 });
    expect(state()).toEqual({ enabled: 'watching' });
    tick();
    expect(sent.map((c) => c.roleCommand)).toEqual(['START']);
  });
});

describe('recovery beside the action queue', () => {
  it('the queue runs the auto command in line, keeps its report from the server and tells recovery', async () => {
    const clock = new SimulatedClock();
    clock.set(START_MS);
    const done: CommandDoneParams[] = [];
    const runs: ExecutionCommand[] = [];
    const finishers = new Map<number, (r: AttemptResult) => void>();
    const queue = actionQueueMachine.provide({
      actions: { commandDone: (_, params) => done.push(params) },
      actors: {
        command: commandMachine.provide({
          actors: {
            run: fromCancellablePromise<AttemptResult, RunInput>(({ input }) => {
              runs.push(input.command);
              return new Promise((resolve) => finishers.set(input.command.taskId, resolve));
            }),
          },
        }),
      },
    });
    const root = setup({ actors: { queue, recovery: createRecoveryMachine(() => clock.now()) } }).createMachine({
      entry: [spawnChild('queue', { id: ACTION_QUEUE_ID, systemId: ACTION_QUEUE_ID, input: { parallel: false } }), spawnChild('recovery', { id: RECOVERY_ID, systemId: RECOVERY_ID, input: {} })],
    });
    const actor = createActor(root, { clock }).start();
    const recovery = actor.system.get(RECOVERY_ID) as AnyActorRef;
    const q = actor.system.get(ACTION_QUEUE_ID) as AnyActorRef;
    const ok: AttemptResult = { exitCode: 0, stdout: '', stderr: '', structuredOut: {}, timedOut: false, cancelled: false };

    recovery.send({ type: 'CONFIG.CLUSTER_ENV', clusterId: '2', clusterEnv: clusterEnv() });
    recovery.send({ type: 'CONFIG.HOST_LEVEL_PARAMS', clusterId: '2', hostLevelParams: { recoveryConfig: { components: [{ component_name: 'P', service_name: 'S', desired_state: 'INSTALLED' }] } } });
    recovery.send({ type: 'COMPONENT.STATUS', componentName: 'P', status: 'INSTALLED' });

    // A server START: recovery learns the desired state and pauses while it runs.
    q.send({ type: 'EXECUTE', commands: [{ taskId: 5, commandId: '1-0', clusterId: '2', role: 'P', serviceName: 'S', roleCommand: 'START', commandType: 'EXECUTION_COMMAND' }] });
    await settle();
    expect(recovery.getSnapshot().value).toEqual({ enabled: 'paused' });
    expect(recovery.getSnapshot().context.rules.statuses.P.desired).toBe('STARTED');
    finishers.get(5)!(ok);
    await waitFor(recovery, (s) => s.matches({ enabled: 'watching' }), { timeout: 2000 });
    expect(recovery.getSnapshot().context.rules.statuses.P.current).toBe('STARTED');

    // The component dies: the next check sends a START through the queue.
    recovery.send({ type: 'COMPONENT.STATUS', componentName: 'P', status: 'INSTALLED' });
    clock.increment(RECOVERY_CHECK_INTERVAL_MS);
    await settle();
    expect(runs.at(-1)).toMatchObject({ commandType: 'AUTO_EXECUTION_COMMAND', roleCommand: 'START', role: 'P', serviceName: 'S', clusterId: '2' });
    const autoId = runs.at(-1)!.taskId;
    expect(recovery.getSnapshot().value).toEqual({ enabled: 'recovering' });
    finishers.get(autoId)!(ok);
    await waitFor(recovery, (s) => s.matches({ enabled: 'watching' }), { timeout: 2000 });
    expect(done.map((d) => d.kind)).toEqual(['execution', 'auto']);
    expect(recovery.getSnapshot().context.rules.statuses.P.current).toBe('STARTED');
    expect(q.getSnapshot().value).toBe('idle');
    actor.stop();
  });
});
