import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, SimulatedClock, waitFor } from 'xstate';
import { dataCleanerMachine, type CleanerSettings, type CleanPassResult } from '../../../src/machines/dataCleaner.js';
import { daemonizeMachine } from '../../../src/machines/daemonize.js';
import { preflightMachine, type PreflightCheck } from '../../../src/machines/preflight.js';

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('preflight machine', () => {
  it('runs every check in order and passes', async () => {
    const ran: PreflightCheck[] = [];
    const actor = createActor(
      preflightMachine.provide({ actors: { runCheck: fromPromise(async ({ input }) => void ran.push(input.check)) } }),
      { input: {} },
    ).start();
    await waitFor(actor, (s) => s.status === 'done');
    expect(ran).toEqual(['runtime', 'hostname', 'pidFile', 'prefixDir', 'ambariVersion', 'writableDirs']);
    expect(actor.getSnapshot().value).toBe('passed');
    expect(actor.getSnapshot().output).toEqual({ ok: true, failedCheck: undefined, error: undefined });
  });

  it('stops at the first failing check and reports its message', async () => {
    const ran: PreflightCheck[] = [];
    const actor = createActor(
      preflightMachine.provide({
        actors: {
          runCheck: fromPromise(async ({ input }) => {
            ran.push(input.check);
            if (input.check === 'pidFile') throw new Error('/run/ambari-agent.pid already exists, exiting');
          }),
        },
      }),
      { input: {} },
    ).start();
    await waitFor(actor, (s) => s.status === 'done');
    expect(ran).toEqual(['runtime', 'hostname', 'pidFile']);
    expect(actor.getSnapshot().value).toBe('failed');
    expect(actor.getSnapshot().output).toEqual({ ok: false, failedCheck: 'pidFile', error: '/run/ambari-agent.pid already exists, exiting' });
  });
});

describe('dataCleaner machine', () => {
  const settings = { dir: '/prefix', intervalSeconds: 3600, maxAgeSeconds: 86400, maxSizeBytes: 1000 };

  it('cleans at start, then once every interval; a failed pass keeps the schedule', async () => {
    const passes: number[] = [];
    const clock = new SimulatedClock();
    const actor = createActor(
      dataCleanerMachine.provide({
        actors: {
          cleanPass: fromPromise<CleanPassResult, CleanerSettings>(async () => {
            passes.push(clock.now());
            if (passes.length === 2) throw new Error('EACCES');
            return { deleted: passes.length, deletedBytes: 0, kept: 0, errors: 0 };
          }),
        },
      }),
      { input: settings, clock },
    ).start();
    await waitFor(actor, (s) => s.matches('waiting'));
    expect(passes).toEqual([0]);
    clock.increment(3_599_999);
    await settle();
    expect(passes).toEqual([0]);
    clock.increment(1);
    await waitFor(actor, (s) => s.matches('waiting') && s.context.passes === 2);
    expect(actor.getSnapshot().context.lastError).toBe('EACCES');
    clock.increment(3_600_000);
    await waitFor(actor, (s) => s.matches('waiting') && s.context.passes === 3);
    expect(passes).toEqual([0, 3_600_000, 7_200_000]);
    expect(actor.getSnapshot().context).toMatchObject({ lastError: undefined, lastPass: { deleted: 3 } });
    actor.stop();
  });
});

describe('daemonize machine', () => {
  it('ends in written with the pid', async () => {
    const actor = createActor(daemonizeMachine.provide({ actors: { writePidFile: fromPromise(async () => 321) } }), {
      input: { pidFile: '/tmp/x.pid' },
    }).start();
    await waitFor(actor, (s) => s.status === 'done');
    expect(actor.getSnapshot().value).toBe('written');
    expect(actor.getSnapshot().output).toEqual({ pid: 321, error: undefined });
  });
});
