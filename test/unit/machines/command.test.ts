import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock, waitFor } from 'xstate';
import { fromCancellablePromise } from '../../../src/machines/cancellableAttempt.js';
import { commandMachine, type AttemptResult, type RunInput, type ExecutionCommand } from '../../../src/machines/command.js';

const settle = () => new Promise((resolve) => setImmediate(resolve));

const COMMAND: ExecutionCommand = {
  taskId: 9,
  commandId: 1,
  requestId: 5,
  clusterId: '0',
  serviceName: 'ZOOKEEPER',
  role: 'ZOOKEEPER_SERVER',
  roleCommand: 'INSTALL',
  commandType: 'EXECUTION_COMMAND',
  commandParams: { script: 'scripts/zk.py', script_type: 'PYTHON', command_timeout: '600' },
};

const result = (exitCode: number, extra: Partial<AttemptResult> = {}): AttemptResult => ({
  exitCode, stdout: `out ${exitCode}`, stderr: `err ${exitCode}`, structuredOut: { code: exitCode }, timedOut: false, cancelled: false, ...extra,
});

/** A command actor whose attempts return `results` in turn (the last one repeats). */
function run(command: ExecutionCommand, results: AttemptResult[], options: { hang?: boolean } = {}) {
  const clock = new SimulatedClock();
  const attempts: number[] = [];
  const signals: AbortSignal[] = [];
  const actor = createActor(
    commandMachine.provide({
      actors: {
        run: fromCancellablePromise<AttemptResult, RunInput>(({ input, signal }) => {
          attempts.push(clock.now());
          signals.push(signal);
          const next = results[Math.min(input.attempt - 1, results.length - 1)]!;
          if (!options.hang) return Promise.resolve(next);
          // Runs until aborted, then reports what a killed process tree gives.
          return new Promise((resolve) => signal.addEventListener('abort', () => resolve(result(143, { cancelled: true }))));
        }),
      },
    }),
    { input: { command }, clock },
  ).start();
  return { actor, clock, attempts, signals };
}

describe('command machine', () => {
  it('waits in queued until START, then completes with the original report shape', async () => {
    const { actor, attempts } = run(COMMAND, [result(0)]);
    await settle();
    expect(actor.getSnapshot().value).toBe('queued');
    expect(attempts).toEqual([]);
    actor.send({ type: 'START' });
    await waitFor(actor, (s) => s.status === 'done');
    expect(actor.getSnapshot().value).toBe('completed');
    expect(actor.getSnapshot().output).toEqual({
      role: 'ZOOKEEPER_SERVER', actionId: 1, taskId: 9, clusterId: '0', serviceName: 'ZOOKEEPER', roleCommand: 'INSTALL',
      status: 'COMPLETED', exitCode: 0, stdout: 'out 0\n\nCommand completed successfully!\n', stderr: 'err 0', structuredOut: { code: 0 },
    });
  });

  it('fails after one try when retries are not enabled', async () => {
    const { actor, attempts } = run(COMMAND, [result(3)]);
    actor.send({ type: 'START' });
    await waitFor(actor, (s) => s.status === 'done');
    expect(actor.getSnapshot().value).toBe('failed');
    expect(actor.getSnapshot().output).toMatchObject({ status: 'FAILED', exitCode: 3, stdout: 'out 3\n\nCommand failed after 1 tries\n' });
    expect(attempts).toHaveLength(1);
  });

  it('retries with a doubling delay within max_duration_for_retries, never past the time left', async () => {
    const retrying = { ...COMMAND, commandParams: { ...COMMAND.commandParams, command_retry_enabled: 'true', max_duration_for_retries: '10' } };
    const { actor, clock, attempts } = run(retrying, [result(1)]);
    actor.send({ type: 'START' });
    // Attempts at 0 s, then after 2 s, 4 s, and a last delay cut to the 4 s left.
    for (const step of [2000, 4000, 4000]) {
      await waitFor(actor, (s) => s.matches('retrying'));
      clock.increment(step - 1);
      await settle();
      const before = attempts.length;
      clock.increment(1);
      await waitFor(actor, () => attempts.length === before + 1);
    }
    await waitFor(actor, (s) => s.status === 'done');
    expect(attempts).toEqual([0, 2000, 6000, 10000]);
    expect(actor.getSnapshot().output).toMatchObject({ status: 'FAILED', stdout: 'out 1\n\nCommand failed after 4 tries\n' });
  });

  it('stops retrying as soon as an attempt succeeds', async () => {
    const retrying = { ...COMMAND, commandParams: { ...COMMAND.commandParams, command_retry_enabled: 'true', max_duration_for_retries: '60' } };
    const { actor, clock, attempts } = run(retrying, [result(1), result(0)]);
    actor.send({ type: 'START' });
    await waitFor(actor, (s) => s.matches('retrying'));
    clock.increment(2000);
    await waitFor(actor, (s) => s.status === 'done');
    expect(actor.getSnapshot().value).toBe('completed');
    expect(attempts).toEqual([0, 2000]);
  });

  it('a timed-out attempt ends as timedout with the runner’s 999 and is reported FAILED', async () => {
    const timedOut = result(999, { timedOut: true, stderr: 'err\nPython script has been killed due to timeout after waiting 600 secs' });
    const { actor } = run({ ...COMMAND, commandParams: { ...COMMAND.commandParams, command_retry_enabled: 'true', max_duration_for_retries: '60' } }, [timedOut]);
    actor.send({ type: 'START' });
    await waitFor(actor, (s) => s.status === 'done');
    expect(actor.getSnapshot().value).toBe('timedout');
    expect(actor.getSnapshot().output).toMatchObject({ status: 'FAILED', exitCode: 999, stderr: timedOut.stderr });
  });

  it('CANCEL while queued aborts without running, with the reason in stdout and stderr', async () => {
    const { actor, attempts } = run(COMMAND, [result(0)]);
    actor.send({ type: 'CANCEL', reason: 'Stopped by the operator' });
    await waitFor(actor, (s) => s.status === 'done');
    expect(actor.getSnapshot().value).toBe('aborted');
    expect(attempts).toEqual([]);
    expect(actor.getSnapshot().output?.stdout).toContain("Command aborted. Reason: 'Stopped by the operator'");
    expect(actor.getSnapshot().output?.stderr).toContain("Command aborted. Reason: 'Stopped by the operator'");
    expect(actor.getSnapshot().output?.status).toBe('FAILED');
  });

  it('CANCEL while running aborts the attempt (kills its tree) and reports the killed exit code', async () => {
    const { actor, signals } = run(COMMAND, [result(0)], { hang: true });
    actor.send({ type: 'START' });
    await waitFor(actor, (s) => s.matches('running'));
    expect(signals[0]!.aborted).toBe(false);
    actor.send({ type: 'CANCEL', reason: 'abort requested' });
    expect(signals[0]!.aborted).toBe(true);
    await waitFor(actor, (s) => s.status === 'done');
    expect(actor.getSnapshot().value).toBe('aborted');
    expect(actor.getSnapshot().output).toMatchObject({ status: 'FAILED', exitCode: 143 });
  });

  it('no retry once max_duration_for_retries has passed during an attempt', async () => {
    const retrying = { ...COMMAND, commandParams: { ...COMMAND.commandParams, command_retry_enabled: 'true', max_duration_for_retries: '5' } };
    const clock = new SimulatedClock();
    let finish: (r: AttemptResult) => void = () => {};
    const attempts: number[] = [];
    const actor = createActor(
      commandMachine.provide({ actors: { run: fromCancellablePromise<AttemptResult, RunInput>(({ input }) => { attempts.push(input.attempt); return new Promise((resolve) => { finish = resolve; }); }) } }),
      { input: { command: retrying }, clock },
    ).start();
    actor.send({ type: 'START' });
    await waitFor(actor, (s) => s.matches('running'));
    clock.increment(5000);
    finish(result(1));
    await waitFor(actor, (s) => s.status === 'done');
    expect(actor.getSnapshot().value).toBe('failed');
    expect(attempts).toEqual([1]);
  });

  it('keeps only plain data in its context (no controller, no clock): it survives JSON in every state', async () => {
    const retrying = { ...COMMAND, commandParams: { ...COMMAND.commandParams, command_retry_enabled: 'true', max_duration_for_retries: '60' } };
    const { actor } = run(retrying, [result(1)], { hang: true });
    // Only objects and arrays of plain values (an AbortController would JSON-encode to {} unnoticed).
    const isPlain = (value: unknown): boolean =>
      value === null || ['string', 'number', 'boolean', 'undefined'].includes(typeof value) ||
      (typeof value === 'object' && [Object.prototype, Array.prototype].includes(Object.getPrototypeOf(value)) && Object.values(value as object).every(isPlain));
    const plain = () => expect(isPlain(actor.getSnapshot().context)).toBe(true);
    plain();
    actor.send({ type: 'START' });
    await waitFor(actor, (s) => s.matches('running'));
    plain();
    actor.send({ type: 'CANCEL', reason: 'enough' });
    await waitFor(actor, (s) => s.status === 'done');
    plain();
  });

  it('CANCEL while waiting to retry aborts at once', async () => {
    const retrying = { ...COMMAND, commandParams: { ...COMMAND.commandParams, command_retry_enabled: 'true', max_duration_for_retries: '60' } };
    const { actor, clock, attempts } = run(retrying, [result(1)]);
    actor.send({ type: 'START' });
    await waitFor(actor, (s) => s.matches('retrying'));
    actor.send({ type: 'CANCEL', reason: 'enough' });
    await waitFor(actor, (s) => s.status === 'done');
    clock.increment(60_000);
    await settle();
    expect(attempts).toHaveLength(1);
    expect(actor.getSnapshot().value).toBe('aborted');
  });
});
