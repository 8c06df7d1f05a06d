// commandReporter: the actor that sends the report store's pending command reports over the
// session's link. A real ReportStore in a temp dir, a fake `send` the test answers by hand, and
// fake timers (the interval and the retry backoff are the reporter's only timers), stepped
// exactly: no assertion depends on how long anything takes.
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor, type AnyActorRef } from 'xstate';
import { removeTempDirs, tempDir } from '../../../support/tempDirs.mjs';
import { COMMANDS_STATUS_DESTINATION, RETRY_FIRST_MS, RETRY_MAX_MS, createCommandReporter } from '../../../../src/actors/reporters/commandReporter.js';
import { acknowledged as isOkAnswer } from '../../../../src/actors/host/hostComponents.js';
import type { WireCommandReport } from '../../../../src/actors/commands/commandReport.js';
import { FRAME_HEADROOM_BYTES, jsonBytes } from '../../../../src/actors/reporters/reportFrames.js';
import { ReportStore } from '../../../../src/actors/reporters/reportStore.js';
import type { LogFn } from '../../../../src/logging/logger.js';
import { completedReport } from '../../../support/commandReports.js';

afterAll(removeTempDirs);

const INTERVAL_S = 5;
/** Every property Jackson reads on CommandReport (agent/CommandReport.java). */
const COMMAND_REPORT_PROPERTIES = ['role', 'actionId', 'stdout', 'stderr', 'structuredOut', 'status', 'exitcode', 'serviceName', 'taskId', 'clusterId', 'roleCommand', 'customCommand'];

const completed = (taskId: number, clusterId = 'c1', stdout = 'ok'): WireCommandReport => completedReport(taskId, { clusterId, stdout });
const failed = (taskId: number, clusterId = 'c1'): WireCommandReport => ({ ...completed(taskId, clusterId), status: 'FAILED', exitcode: 1 });

/** A Spring ErrorMessage as RootStompConfig's @MessageExceptionHandler answers (no "status"). */
const SPRING_ERROR = { payload: { message: 'Cannot deserialize CommandStatusReports', localizedMessage: 'x' }, headers: { id: 'abc' } };

/** Lets promise callbacks and file reads run (no timers involved). */
async function settle(until: () => boolean = () => false): Promise<void> {
  for (let i = 0; i < 20_000 && !until(); i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

interface Call {
  link: unknown;
  destination: string;
  body: { clusters: Record<string, WireCommandReport[]> };
  resolve: (answer?: unknown) => void;
  reject: (err: Error) => void;
}

/** A `send` that records every request and leaves it open until the test answers it. */
function fakeSend() {
  const calls: Call[] = [];
  let open = 0;
  let maxOpen = 0;
  const send = (link: unknown, destination: string, body: unknown): Promise<unknown> =>
    new Promise((resolve, reject) => {
      open++;
      maxOpen = Math.max(maxOpen, open);
      const done = () => open--;
      calls.push({
        link,
        destination,
        body: structuredClone(body) as Call['body'],
        resolve: (answer) => {
          done();
          resolve(answer ?? { status: 'OK' });
        },
        reject: (err) => {
          done();
          reject(err);
        },
      });
    });
  return { calls, send, maxOpen: () => maxOpen };
}

const taskIdsOf = (call: Call) =>
  Object.values(call.body.clusters)
    .flat()
    .map((r) => r.taskId)
    .sort((a, b) => a - b);

const actors: AnyActorRef[] = [];

function setup(prefill: (store: ReportStore) => void = () => {}, options: { maxFrameBytes?: number; dir?: string } = {}) {
  const dir = options.dir ?? tempDir('aa-reporter-');
  const { store } = ReportStore.load(dir);
  prefill(store);
  const fake = fakeSend();
  const logs: Array<{ level: string; msg: string }> = [];
  const log: LogFn = (_actor, level, msg) => logs.push({ level, msg });
  // Count the store subscriptions the reporter holds (onChange's unsubscribe is wrapped).
  let subscriptions = 0;
  const onChange = store.onChange.bind(store);
  vi.spyOn(store, 'onChange').mockImplementation((listener) => {
    subscriptions++;
    const unsubscribe = onChange(listener);
    let done = false;
    return () => {
      if (!done) subscriptions--;
      done = true;
      return unsubscribe();
    };
  });
  const reporter = createCommandReporter({ store, intervalSeconds: INTERVAL_S, maxOutputChars: 1000, maxFrameBytes: options.maxFrameBytes, send: fake.send, log });
  const start = () => {
    const actor = createActor(reporter, { input: { link: 'L' } });
    actors.push(actor);
    actor.start();
    return actor;
  };
  /** Output files of a running task, and the IN_PROGRESS entry for it. */
  const running = (taskId: number, stdout = '', clusterId = 'c1') => {
    const files = { output: join(dir, `output-${taskId}.txt`), errors: join(dir, `errors-${taskId}.txt`), structuredOut: join(dir, `structured-out-${taskId}.json`) };
    writeFileSync(files.output, stdout);
    writeFileSync(files.errors, '');
    store.putInProgress({ header: { taskId, clusterId, role: 'DATANODE', actionId: `1-${taskId}`, serviceName: 'HDFS', roleCommand: 'START' }, files, withOutput: true });
    return files;
  };
  const warnings = () => logs.filter((l) => l.level === 'warn').map((l) => l.msg);
  return { dir, store, start, logs, warnings, running, subscriptions: () => subscriptions, ...fake };
}

/** What a freshly loaded store (a restarted agent) would find on disk. */
const onDisk = (dir: string) => (ReportStore.load(dir).store.snapshot()?.entries ?? []).map((e) => e.taskId).sort((a, b) => a - b);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'] });
});

afterEach(() => {
  for (const actor of actors.splice(0)) actor.stop();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('commandReporter', () => {
  it('sends everything pending at start as CommandStatusReports of CommandReports, to /reports/commands_status over the given link', async () => {
    const { store, start, calls, dir, running } = setup((s) => {
      s.putFinal(completed(1, 'c1'));
      s.putFinal(failed(2, 'c2'));
    });
    running(3, 'line 1\nhalf way\n');
    start();
    await settle(() => calls.length > 0);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.link).toBe('L');
    expect(calls[0]!.destination).toBe(COMMANDS_STATUS_DESTINATION);
    expect(COMMANDS_STATUS_DESTINATION).toBe('/reports/commands_status');
    // CommandStatusReports (agent/stomp/dto): {"clusters": {CLUSTER_ID: [CommandReport, ...]}}
    expect(calls[0]!.body).toEqual({
      clusters: {
        c1: [
          completed(1, 'c1'),
          // CommandReport of a running task: exitcode 777, its output's last lines, structuredOut as text
          { taskId: 3, clusterId: 'c1', role: 'DATANODE', actionId: '1-3', serviceName: 'HDFS', roleCommand: 'START', status: 'IN_PROGRESS', exitcode: 777, stdout: 'line 1\nhalf way\n', stderr: '', structuredOut: '{}' },
        ],
        c2: [failed(2, 'c2')],
      },
    });
    for (const report of Object.values(calls[0]!.body.clusters).flat()) {
      for (const key of Object.keys(report)) expect(COMMAND_REPORT_PROPERTIES).toContain(key);
      expect(typeof report.structuredOut).toBe('string');
    }
    calls[0]!.resolve();
    await settle();
    // the final reports are done; the running task stays until its result comes
    expect(store.snapshot()!.entries.map((e) => e.taskId)).toEqual([3]);
    expect(onDisk(dir)).toEqual([]);
  });

  it('only {"status":"OK"} acknowledges', () => {
    expect(isOkAnswer({ status: 'OK' })).toBe(true);
    expect(isOkAnswer({ status: 'FAILED' })).toBe(false);
    expect(isOkAnswer(SPRING_ERROR)).toBe(false);
    expect(isOkAnswer({})).toBe(false);
    expect(isOkAnswer(undefined)).toBe(false);
  });

  it('sends nothing when nothing is pending, neither at start nor on the interval', async () => {
    const { start, calls } = setup();
    start();
    await vi.advanceTimersByTimeAsync(3 * INTERVAL_S * 1000);
    await settle();
    expect(calls).toHaveLength(0);
  });

  it('sends the IN_PROGRESS report as soon as a command starts, then every interval with the latest lines', async () => {
    const { start, calls, running } = setup();
    start();
    const files = running(6, 'line 1\n');
    await settle(() => calls.length > 0);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.body.clusters.c1![0]).toMatchObject({ taskId: 6, status: 'IN_PROGRESS', stdout: 'line 1\n' });
    calls[0]!.resolve();
    await settle();
    appendFileSync(files.output, 'line 2\n');
    await vi.advanceTimersByTimeAsync(INTERVAL_S * 1000 - 1);
    await settle();
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await settle(() => calls.length > 1);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.body.clusters.c1![0]!.stdout).toBe('line 1\nline 2\n');
  });

  it('sends a final report put while it runs at once, without waiting for the interval', async () => {
    const { store, start, calls } = setup();
    start();
    store.putFinal(completed(5));
    await settle(() => calls.length > 0);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.body).toEqual({ clusters: { c1: [completed(5)] } });
  });

  it('keeps reports the server answered with an error (Spring ErrorMessage, FAILED), logs the tasks and the answer, and resends with a doubling backoff', async () => {
    const { store, start, calls, dir, warnings } = setup((s) => s.putFinal(completed(1)));
    start();
    await settle(() => calls.length === 1);
    calls[0]!.resolve(SPRING_ERROR);
    await settle();
    expect(store.finalReport(1)?.status).toBe('COMPLETED');
    expect(onDisk(dir)).toEqual([1]);
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toContain('task(s) 1');
    expect(warnings()[0]).toContain('Cannot deserialize CommandStatusReports');
    expect(warnings()[0]).toContain(`sending again in ${RETRY_FIRST_MS / 1000} s`);

    // 1 s, 2 s, 4 s, ... : nothing before each delay, the resend right at it
    const expectedDelays = [1000, 2000, 4000, 8000, 16000, 30000, 30000];
    for (const [i, delay] of expectedDelays.entries()) {
      await vi.advanceTimersByTimeAsync(delay - 1);
      await settle();
      expect(calls, `attempt ${i + 2} before its ${delay} ms`).toHaveLength(i + 1);
      await vi.advanceTimersByTimeAsync(1);
      await settle(() => calls.length === i + 2);
      expect(calls).toHaveLength(i + 2);
      expect(calls[i + 1]!.body).toEqual(calls[0]!.body);
      if (i < expectedDelays.length - 1) {
        calls[i + 1]!.resolve(i % 2 === 0 ? { status: 'FAILED' } : SPRING_ERROR);
        await settle();
      }
    }
    expect(RETRY_MAX_MS).toBe(30_000);
    expect(warnings()).toHaveLength(expectedDelays.length);
    expect(warnings()[1]).toContain('{"status":"FAILED"}');
    calls.at(-1)!.resolve();
    await settle();
    expect(store.pendingCount()).toBe(0);
    expect(onDisk(dir)).toEqual([]);
  });

  it('resends after no answer within the request timeout, with the backoff; the backoff starts over after an OK', async () => {
    const { store, start, calls, warnings } = setup((s) => s.putFinal(completed(1)));
    start();
    await settle(() => calls.length === 1);
    calls[0]!.reject(new Error('10 seconds timeout expired waiting for response from server at /user/ to message from /reports/commands_status'));
    await settle();
    expect(warnings()[0]).toMatch(/task\(s\) 1 \(\d+ bytes\): 10 seconds timeout expired.*sending again in 1 s/);
    await vi.advanceTimersByTimeAsync(1000);
    await settle(() => calls.length === 2);
    calls[1]!.reject(new Error('connection lost'));
    await settle();
    expect(warnings()[1]).toContain('sending again in 2 s');
    await vi.advanceTimersByTimeAsync(2000);
    await settle(() => calls.length === 3);
    calls[2]!.resolve();
    await settle();
    expect(store.pendingCount()).toBe(0);
    // a new failure waits 1 s again
    store.putFinal(completed(2));
    await settle(() => calls.length === 4);
    calls[3]!.reject(new Error('timeout'));
    await settle();
    expect(warnings()[2]).toContain('sending again in 1 s');
  });

  it('while backing off, neither the interval nor new reports send anything; the retry sends them all', async () => {
    const { store, start, calls } = setup((s) => s.putFinal(completed(1)));
    start();
    await settle(() => calls.length === 1);
    calls[0]!.resolve({ status: 'FAILED' });
    await settle();
    // two failures: the next retry is 2 s away
    await vi.advanceTimersByTimeAsync(1000);
    await settle(() => calls.length === 2);
    calls[1]!.resolve({ status: 'FAILED' });
    await settle();
    store.putFinal(completed(2));
    await settle();
    expect(calls).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(2000);
    await settle(() => calls.length === 3);
    expect(calls).toHaveLength(3);
    expect(taskIdsOf(calls[2]!)).toEqual([1, 2]);
  });

  it('sends one request at a time: a report put during a flight goes right after it', async () => {
    const { store, start, calls, maxOpen } = setup((s) => s.putFinal(completed(1)));
    start();
    await settle(() => calls.length === 1);
    store.putFinal(completed(2));
    store.putFinal(failed(3));
    // an interval tick during the flight does not start a second request either
    await vi.advanceTimersByTimeAsync(INTERVAL_S * 1000);
    await settle();
    expect(calls).toHaveLength(1);
    calls[0]!.resolve();
    await settle(() => calls.length === 2);
    expect(taskIdsOf(calls[1]!)).toEqual([2, 3]);
    calls[1]!.resolve();
    await settle();
    expect(store.pendingCount()).toBe(0);
    expect(maxOpen()).toBe(1);
    // and nothing is left over to send: a report acknowledged OK never goes again
    await vi.advanceTimersByTimeAsync(3 * INTERVAL_S * 1000);
    await settle();
    expect(calls).toHaveLength(2);
  });

  it('does not drop the result put while the IN_PROGRESS report was in flight, and never reports the task running after it', async () => {
    const { store, start, calls, dir, running } = setup();
    const files = running(1, 'old\n');
    start();
    await settle(() => calls.length === 1);
    expect(calls[0]!.body.clusters.c1![0]!.status).toBe('IN_PROGRESS');
    store.putFinal(completed(1, 'c1', 'the result'));
    calls[0]!.resolve();
    await settle(() => calls.length === 2);
    expect(calls[1]!.body).toEqual({ clusters: { c1: [completed(1, 'c1', 'the result')] } });
    expect(onDisk(dir)).toEqual([1]);
    calls[1]!.resolve();
    await settle();
    expect(store.pendingCount()).toBe(0);
    expect(onDisk(dir)).toEqual([]);
    // a late IN_PROGRESS (say, a retried attempt's) is refused: nothing more goes out
    expect(store.putInProgress({ header: { taskId: 1, clusterId: 'c1' }, files, withOutput: true })).toBe(false);
    await vi.advanceTimersByTimeAsync(3 * INTERVAL_S * 1000);
    await settle();
    expect(calls).toHaveLength(2);
  });

  it('sends nothing more once stopped, and removes its store listener and timers', async () => {
    const { store, start, calls, subscriptions, running } = setup();
    const actor = start();
    expect(subscriptions()).toBe(1);
    actor.stop();
    expect(subscriptions()).toBe(0);
    running(1);
    store.putFinal(completed(2));
    await vi.advanceTimersByTimeAsync(3 * INTERVAL_S * 1000);
    await settle();
    expect(calls).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
    // both stay pending for the next session's reporter
    expect(store.pendingCount()).toBe(2);
  });

  it('stopped during a flight: acknowledges what the server answered, but sends nothing after and schedules no retry', async () => {
    const { store, start, calls, warnings } = setup((s) => s.putFinal(completed(1)));
    const actor = start();
    await settle(() => calls.length === 1);
    store.putFinal(completed(2)); // would go right after the flight
    actor.stop();
    calls[0]!.resolve();
    await settle();
    expect(store.finalReport(1)).toBeUndefined();
    expect(store.finalReport(2)?.status).toBe('COMPLETED');
    await vi.advanceTimersByTimeAsync(3 * INTERVAL_S * 1000);
    await settle();
    expect(calls).toHaveLength(1);
    // a failure after the stop is not worth a warning (the link is going away)
    const second = setup((s) => s.putFinal(completed(3)));
    const actor2 = second.start();
    await settle(() => second.calls.length === 1);
    actor2.stop();
    second.calls[0]!.reject(new Error('closed'));
    await settle();
    expect(second.store.finalReport(3)?.status).toBe('COMPLETED');
    expect(second.warnings()).toEqual([]);
    expect(warnings()).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a new reporter (after a re-registration) resends at once what the previous one could not deliver', async () => {
    const { store, start, calls } = setup((s) => s.putFinal(completed(1)));
    const first = start();
    await settle(() => calls.length === 1);
    calls[0]!.reject(new Error('connection closed'));
    await settle();
    first.stop();
    start();
    await settle(() => calls.length === 2);
    expect(taskIdsOf(calls[1]!)).toEqual([1]);
    calls[1]!.resolve();
    await settle();
    expect(store.pendingCount()).toBe(0);
  });

  it('after a restart (the store reloaded from disk) the unacknowledged final reports go out', async () => {
    const before = setup((s) => {
      s.putFinal(completed(1));
      s.putFinal(failed(2, 'c2'));
    });
    const old = before.start();
    await settle(() => before.calls.length === 1);
    before.calls[0]!.resolve({ status: 'FAILED' });
    await settle();
    old.stop(); // the agent dies

    const after = setup(() => {}, { dir: before.dir });
    after.start();
    await settle(() => after.calls.length === 1);
    expect(after.calls[0]!.body).toEqual({ clusters: { c1: [completed(1)], c2: [failed(2, 'c2')] } });
    after.calls[0]!.resolve();
    await settle();
    expect(onDisk(before.dir)).toEqual([]);
  });

  it('splits many reports into frames under max_report_frame_bytes, acknowledged frame by frame', async () => {
    const maxFrameBytes = 20_000;
    const big = (taskId: number) => completed(taskId, 'c1', `${'é'.repeat(3000)}\n`); // ~6 KB of UTF-8
    const { store, start, calls, warnings } = setup(
      (s) => {
        for (let taskId = 1; taskId <= 9; taskId++) s.putFinal(big(taskId));
      },
      { maxFrameBytes },
    );
    start();
    await settle(() => calls.length === 1);
    // frame by frame, one at a time; the second gets an error answer
    for (let i = 0; ; i++) {
      await settle(() => calls.length > i);
      if (calls.length <= i) break;
      calls[i]!.resolve(i === 1 ? SPRING_ERROR : { status: 'OK' });
      await settle();
    }
    const frames = calls.map((call) => call.body);
    expect(frames.length).toBeGreaterThan(2);
    for (const body of frames) expect(jsonBytes(body) + FRAME_HEADROOM_BYTES).toBeLessThanOrEqual(maxFrameBytes);
    expect(calls.flatMap(taskIdsOf).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    // every report whole: not cut, since each fits
    for (const report of frames.flatMap((b) => b.clusters.c1!)) expect(report).toEqual(big(report.taskId));
    // only the refused frame's reports are left, and the warning names that frame
    expect(store.snapshot()!.entries.map((e) => e.taskId)).toEqual(taskIdsOf(calls[1]!));
    expect(warnings()).toHaveLength(1);
    expect(warnings()[0]).toContain(`task(s) ${taskIdsOf(calls[1]!).join(', ')} (frame 2 of ${frames.length}`);
  });
});
