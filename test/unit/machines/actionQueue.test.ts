import { describe, expect, it } from 'vitest';
import { createActor, createMachine, waitFor, type AnyActorRef } from 'xstate';
import { actionQueueMachine, startable } from '../../../src/machines/actionQueue.js';
import { fromCancellablePromise } from '../../../src/machines/cancellableAttempt.js';
import { commandMachine, type AttemptResult, type RunInput, type CommandReport, type ExecutionCommand } from '../../../src/machines/command.js';

const settle = () => new Promise((resolve) => setImmediate(resolve));
const cmd = (taskId: number, retry = false): ExecutionCommand => ({
  taskId,
  commandId: taskId,
  role: 'R',
  roleCommand: 'START',
  commandParams: { command_retry_enabled: String(retry), max_duration_for_retries: retry ? '0' : '0' },
});

/** A queue under a parent that records the reports; each attempt waits until the test finishes it. */
function run(parallel: boolean) {
  const started: number[] = [];
  const finishers = new Map<number, (result: AttemptResult) => void>();
  const reports: CommandReport[] = [];
  const queue = actionQueueMachine.provide({
    actions: { commandDone: (_, params) => reports.push(params.report) },
    actors: {
      command: commandMachine.provide({
        actors: {
          run: fromCancellablePromise<AttemptResult, RunInput>(({ input, signal }) => {
            started.push(input.command.taskId);
            return new Promise((resolve) => {
              finishers.set(input.command.taskId, resolve);
              signal.addEventListener('abort', () => resolve({ exitCode: 143, stdout: '', stderr: '', structuredOut: {}, timedOut: false, cancelled: true }));
            });
          }),
        },
      }),
    },
  });
  const parent = createActor(
    createMachine({
      invoke: { id: 'queue', src: queue, input: { parallel } },
    }),
  ).start();
  const q = () => parent.getSnapshot().children.queue as AnyActorRef;
  const finish = async (taskId: number, exitCode = 0) => {
    finishers.get(taskId)!({ exitCode, stdout: `t${taskId}`, stderr: '', structuredOut: {}, timedOut: false, cancelled: false });
    await waitFor(q(), () => reports.some((r) => r.taskId === taskId), { timeout: 2000 });
    await settle();
  };
  return { parent, q, started, reports, finish };
}

describe('action queue', () => {
  it('runs commands one at a time, in arrival order, reporting each', async () => {
    const { q, started, reports, finish } = run(false);
    q().send({ type: 'EXECUTE', commands: [cmd(1), cmd(2)] });
    q().send({ type: 'EXECUTE', commands: [cmd(3)] });
    await settle();
    expect(started).toEqual([1]);
    await finish(1);
    expect(started).toEqual([1, 2]);
    await finish(2, 5);
    await finish(3);
    expect(started).toEqual([1, 2, 3]);
    expect(reports.map((r) => [r.taskId, r.status, r.exitCode])).toEqual([[1, 'COMPLETED', 0], [2, 'FAILED', 5], [3, 'COMPLETED', 0]]);
    expect(q().getSnapshot().context).toMatchObject({ queue: [], running: [], completed: 3 });
    expect(Object.keys(q().getSnapshot().children)).toEqual([]);
  });

  it('with parallel_execution starts everything, but a retry-enabled command runs alone', async () => {
    const { q, started, finish } = run(true);
    q().send({ type: 'EXECUTE', commands: [cmd(1), cmd(2), cmd(3, true), cmd(4)] });
    await settle();
    expect(started).toEqual([1, 2]);
    await finish(1);
    expect(started).toEqual([1, 2]);
    await finish(2);
    expect(started).toEqual([1, 2, 3]);
    await finish(3);
    expect(started).toEqual([1, 2, 3, 4]);
  });

  it('ignores a task it already has (a repeated delivery runs once)', async () => {
    const { q, started, reports, finish } = run(false);
    q().send({ type: 'EXECUTE', commands: [cmd(7), cmd(7)] });
    await settle();
    q().send({ type: 'EXECUTE', commands: [cmd(7)] });
    await finish(7);
    await settle();
    expect(started).toEqual([7]);
    expect(reports).toHaveLength(1);
  });

  it('a cancelled task sent again under the same id runs again (ActionScheduler reschedules a timed-out task)', async () => {
    const { q, started, reports } = run(false);
    q().send({ type: 'EXECUTE', commands: [cmd(9)] });
    await settle();
    q().send({ type: 'CANCEL', taskId: 9, reason: 'timed out' });
    await waitFor(q(), () => reports.length === 1, { timeout: 2000 });
    await settle();
    q().send({ type: 'EXECUTE', commands: [cmd(9)] });
    await settle();
    expect(started).toEqual([9, 9]);
  });

  it('the same id while its cancelled run has not ended yet is not taken (no second actor of that id)', async () => {
    const { q, started } = run(false);
    q().send({ type: 'EXECUTE', commands: [cmd(4), cmd(5)] });
    await settle();
    q().send({ type: 'CANCEL', taskId: 5, reason: 'x' });
    q().send({ type: 'EXECUTE', commands: [cmd(5)] });
    await settle();
    expect(q().getSnapshot().status).toBe('active');
    expect(started).toEqual([4]);
  });

  it('CANCEL takes a queued task out and kills a running one; both are reported FAILED with the reason', async () => {
    const { q, started, reports } = run(false);
    q().send({ type: 'EXECUTE', commands: [cmd(1), cmd(2), cmd(3)] });
    await settle();
    q().send({ type: 'CANCEL', taskId: 2, reason: 'no longer needed' });
    await waitFor(q(), () => reports.length === 1, { timeout: 2000 });
    expect(reports[0]).toMatchObject({ taskId: 2, status: 'FAILED' });
    q().send({ type: 'CANCEL', taskId: 1, reason: 'operator abort' });
    await waitFor(q(), () => reports.length === 2, { timeout: 2000 });
    expect(reports[1]).toMatchObject({ taskId: 1, status: 'FAILED', exitCode: 143 });
    expect(reports[1]!.stderr).toContain("Command aborted. Reason: 'operator abort'");
    await settle();
    expect(started).toEqual([1, 3]);
  });

  it('a background command starts at once beside a running one; the queue is idle only when all reported', async () => {
    const { q, started, finish } = run(false);
    q().send({ type: 'EXECUTE', commands: [cmd(1), cmd(2)] });
    await settle();
    expect(q().getSnapshot().value).toBe('busy');
    q().send({ type: 'EXECUTE', commands: [{ ...cmd(3), commandType: 'BACKGROUND_EXECUTION_COMMAND' }] });
    await settle();
    expect(started).toEqual([1, 3]);
    await finish(3);
    expect(started).toEqual([1, 3]);
    await finish(1);
    await finish(2);
    expect(q().getSnapshot().value).toBe('idle');
  });

  it('CANCEL_ALL cancels what runs and what waits, reports each, refuses new commands, ends idle', async () => {
    const { q, started, reports } = run(false);
    q().send({ type: 'EXECUTE', commands: [cmd(1), cmd(2)] });
    await settle();
    q().send({ type: 'CANCEL_ALL', reason: 'agent stopping' });
    await waitFor(q(), (s) => s.matches('idle'), { timeout: 2000 });
    expect(reports.map((r) => [r.taskId, r.status]).sort()).toEqual([[1, 'FAILED'], [2, 'FAILED']]);
    expect(reports.every((r) => r.stderr.includes("Command aborted. Reason: 'agent stopping'"))).toBe(true);
    q().send({ type: 'EXECUTE', commands: [cmd(3)] });
    await settle();
    expect(started).toEqual([1]);
    expect(q().getSnapshot().value).toBe('idle');
  });

  it('startable() encodes the rule on its own', () => {
    expect(startable({ parallel: false, queue: [5, 6], running: [1], retrying: [], kinds: { 5: 'background', 6: 'execution' } })).toEqual([5]);
    expect(startable({ parallel: false, queue: [6], running: [5], retrying: [], kinds: { 5: 'status', 6: 'execution' } })).toEqual([6]);
    expect(startable({ parallel: false, queue: [1, 2], running: [], retrying: [] })).toEqual([1]);
    expect(startable({ parallel: true, queue: [1, 2], running: [], retrying: [] })).toEqual([1, 2]);
    expect(startable({ parallel: true, queue: [1, 2], running: [], retrying: [1] })).toEqual([1]);
    expect(startable({ parallel: true, queue: [2, 1], running: [], retrying: [1] })).toEqual([2]);
    expect(startable({ parallel: true, queue: [2], running: [9], retrying: [9] })).toEqual([]);
    expect(startable({ parallel: false, queue: [2], running: [9], retrying: [] })).toEqual([]);
  });
});
