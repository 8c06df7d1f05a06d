// commandReporter: the actor that sends the report store's pending command reports over the
// session's link. A real ReportStore in a temp dir, a fake `send` the test answers by hand, and
// fake setInterval/clearInterval (the reporter's only timer) so the interval is stepped exactly.
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor, type AnyActorRef } from 'xstate';
import { removeTempDirs, tempDir } from '../support/tempDirs.mjs';
import { COMMANDS_STATUS_DESTINATION, createCommandReporter } from '../../src/actors/commandReporter.js';
import { ReportStore } from '../../src/actors/reportStore.js';
import type { LogFn } from '../../src/logging/logger.js';

afterAll(removeTempDirs);

const INTERVAL_S = 5;

const completed = (taskId: number, clusterId = 'c1', stdout = 'ok') => ({ taskId, clusterId, role: 'DATANODE', status: 'COMPLETED', exitCode: 0, stdout, stderr: '', structuredOut: {} });
const failed = (taskId: number, clusterId = 'c1') => ({ ...completed(taskId, clusterId), status: 'FAILED', exitCode: 1 });
const inProgress = (taskId: number, clusterId = 'c1', stdout = '') => ({ taskId, clusterId, role: 'DATANODE', status: 'IN_PROGRESS', exitCode: 777, stdout, stderr: '', tmpout: `/p/output-${taskId}.txt` });

/** Lets promise callbacks (then / catch / finally chains) run. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Call {
  link: unknown;
  destination: string;
  body: { clusters: Record<string, Array<Record<string, unknown>>> };
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
    .map((r) => r.taskId as number)
    .sort((a, b) => a - b);

const actors: AnyActorRef[] = [];

function setup(prefill: (store: ReportStore) => void = () => {}) {
  const dir = tempDir('aa-reporter-');
  const { store } = ReportStore.load(dir);
  prefill(store);
  const fake = fakeSend();
  const logs: Array<{ level: string; msg: string }> = [];
  const log: LogFn = (_actor, level, msg) => logs.push({ level, msg });
  // Count the store subscriptions the reporter holds (onFinal's unsubscribe is wrapped).
  let subscriptions = 0;
  const onFinal = store.onFinal.bind(store);
  vi.spyOn(store, 'onFinal').mockImplementation((listener) => {
    subscriptions++;
    const unsubscribe = onFinal(listener);
    let done = false;
    return () => {
      if (!done) subscriptions--;
      done = true;
      return unsubscribe();
    };
  });
  const reporter = createCommandReporter({ store, intervalSeconds: INTERVAL_S, send: fake.send, log });
  const start = () => {
    const actor = createActor(reporter, { input: { link: 'L' } });
    actors.push(actor);
    actor.start();
    return actor;
  };
  return { dir, store, start, logs, subscriptions: () => subscriptions, ...fake };
}

/** What a freshly loaded store (a restarted agent) would find on disk. */
const onDisk = (dir: string) => ReportStore.load(dir).store.batch()?.taskIds.sort((a, b) => a - b) ?? [];

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
});

afterEach(() => {
  for (const actor of actors.splice(0)) actor.stop();
  vi.useRealTimers();
  vi.restoreAllMocks();
});

describe('commandReporter', () => {
  it('sends everything pending at start, grouped per cluster, to /reports/commands_status over the given link', async () => {
    const { store, start, calls, dir } = setup((s) => {
      s.put(completed(1, 'c1'));
      s.put(failed(2, 'c2'));
      s.put(inProgress(3, 'c1', 'half way'));
    });
    start();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.link).toBe('L');
    expect(calls[0]!.destination).toBe(COMMANDS_STATUS_DESTINATION);
    expect(COMMANDS_STATUS_DESTINATION).toBe('/reports/commands_status');
    expect(calls[0]!.body).toEqual({
      clusters: {
        c1: [completed(1, 'c1'), inProgress(3, 'c1', 'half way')],
        c2: [failed(2, 'c2')],
      },
    });
    calls[0]!.resolve();
    await settle();
    expect(store.pendingCount()).toBe(0);
    expect(onDisk(dir)).toEqual([]);
  });

  it('sends nothing when nothing is pending, neither at start nor on the interval', async () => {
    const { start, calls } = setup();
    start();
    await vi.advanceTimersByTimeAsync(3 * INTERVAL_S * 1000);
    expect(calls).toHaveLength(0);
  });

  it('sends a final report put while it runs at once, without waiting for the interval', () => {
    const { store, start, calls } = setup();
    start();
    expect(calls).toHaveLength(0);
    store.put(completed(5));
    expect(calls).toHaveLength(1);
    expect(calls[0]!.body).toEqual({ clusters: { c1: [completed(5)] } });
  });

  it('sends IN_PROGRESS reports on the interval only', async () => {
    const { store, start, calls } = setup();
    start();
    store.put(inProgress(6, 'c1', 'line 1'));
    expect(calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(INTERVAL_S * 1000 - 1);
    expect(calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.body).toEqual({ clusters: { c1: [inProgress(6, 'c1', 'line 1')] } });
    calls[0]!.resolve();
    await settle();
    expect(store.pendingCount()).toBe(0);
    // the next one goes on the next tick
    store.put(inProgress(6, 'c1', 'line 2'));
    await vi.advanceTimersByTimeAsync(INTERVAL_S * 1000);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.body.clusters.c1![0]!.stdout).toBe('line 2');
  });

  it('drops a report only once the send resolved', async () => {
    const { store, start, calls, dir } = setup((s) => s.put(completed(1)));
    start();
    expect(calls).toHaveLength(1);
    await settle();
    expect(store.get(1)?.status).toBe('COMPLETED');
    expect(onDisk(dir)).toEqual([1]);
    calls[0]!.resolve();
    await settle();
    expect(store.get(1)).toBeUndefined();
    expect(onDisk(dir)).toEqual([]);
  });

  it('keeps a report whose send was rejected and sends it again on the next flush', async () => {
    const { store, start, calls, dir, logs } = setup((s) => s.put(completed(1)));
    start();
    calls[0]!.reject(new Error('connection closed: gone'));
    await settle();
    expect(store.get(1)?.status).toBe('COMPLETED');
    expect(onDisk(dir)).toEqual([1]);
    expect(logs.some((l) => l.level === 'warn' && l.msg.includes('connection closed: gone') && l.msg.includes('1'))).toBe(true);
    expect(calls).toHaveLength(1); // no hammering right after a failure
    await vi.advanceTimersByTimeAsync(INTERVAL_S * 1000);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.body).toEqual(calls[0]!.body);
    calls[1]!.resolve();
    await settle();
    expect(store.pendingCount()).toBe(0);
    expect(onDisk(dir)).toEqual([]);
  });

  it('keeps a report the server answered with a refusal (status other than OK), and says so', async () => {
    const { store, start, calls, dir, logs } = setup((s) => s.put(completed(1)));
    start();
    calls[0]!.resolve({ status: 'ERROR', reason: 'unknown task' });
    await settle();
    expect(store.get(1)?.status).toBe('COMPLETED');
    expect(onDisk(dir)).toEqual([1]);
    expect(logs.some((l) => l.level === 'warn' && l.msg.includes('refused') && l.msg.includes('unknown task'))).toBe(true);
    await vi.advanceTimersByTimeAsync(INTERVAL_S * 1000);
    calls[1]!.resolve();
    await settle();
    expect(store.pendingCount()).toBe(0);
  });

  it('sends one request at a time: a final report put during a flight goes right after it', async () => {
    const { store, start, calls, maxOpen } = setup((s) => s.put(completed(1)));
    start();
    expect(calls).toHaveLength(1);
    store.put(completed(2));
    store.put(failed(3));
    // an interval tick during the flight does not start a second request either
    await vi.advanceTimersByTimeAsync(INTERVAL_S * 1000);
    expect(calls).toHaveLength(1);
    calls[0]!.resolve();
    await settle();
    expect(calls).toHaveLength(2);
    expect(taskIdsOf(calls[1]!)).toEqual([2, 3]);
    calls[1]!.resolve();
    await settle();
    expect(store.pendingCount()).toBe(0);
    expect(maxOpen()).toBe(1);
    // and nothing is left over to send
    await vi.advanceTimersByTimeAsync(INTERVAL_S * 1000);
    expect(calls).toHaveLength(2);
  });

  it('sends a final report put during a failed flight right after the failure', async () => {
    const { store, start, calls, maxOpen } = setup((s) => s.put(completed(1)));
    start();
    store.put(completed(2));
    calls[0]!.reject(new Error('timeout'));
    await settle();
    expect(calls).toHaveLength(2);
    expect(taskIdsOf(calls[1]!)).toEqual([1, 2]);
    expect(maxOpen()).toBe(1);
  });

  it('does not drop a newer report for a task put while its older report was in flight', async () => {
    const { store, start, calls, dir } = setup((s) => s.put(inProgress(1, 'c1', 'old')));
    start();
    expect(calls[0]!.body.clusters.c1![0]!.status).toBe('IN_PROGRESS');
    store.put(completed(1, 'c1', 'the result'));
    calls[0]!.resolve();
    await settle();
    // the acknowledgement was for the IN_PROGRESS report; the result is still there and sent next
    expect(calls).toHaveLength(2);
    expect(calls[1]!.body).toEqual({ clusters: { c1: [completed(1, 'c1', 'the result')] } });
    expect(store.get(1)?.stdout).toBe('the result');
    expect(onDisk(dir)).toEqual([1]);
    calls[1]!.resolve();
    await settle();
    expect(store.pendingCount()).toBe(0);
    expect(onDisk(dir)).toEqual([]);
  });

  it('does not drop a newer IN_PROGRESS report put during the flight either', async () => {
    const { store, start, calls } = setup((s) => s.put(inProgress(1, 'c1', 'old')));
    start();
    store.put(inProgress(1, 'c1', 'newer'));
    calls[0]!.resolve();
    await settle();
    expect(store.get(1)?.stdout).toBe('newer');
    await vi.advanceTimersByTimeAsync(INTERVAL_S * 1000);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.body.clusters.c1![0]!.stdout).toBe('newer');
  });

  it('sends nothing more once stopped, and removes its store listener', async () => {
    const { store, start, calls, subscriptions } = setup();
    const actor = start();
    expect(subscriptions()).toBe(1);
    store.put(inProgress(1));
    actor.stop();
    expect(subscriptions()).toBe(0);
    store.put(completed(2));
    await vi.advanceTimersByTimeAsync(3 * INTERVAL_S * 1000);
    expect(calls).toHaveLength(0);
    expect(vi.getTimerCount()).toBe(0);
    // both stay pending for the next session's reporter
    expect(store.pendingCount()).toBe(2);
  });

  it('stopped during a flight: acknowledges what the server answered, but sends nothing after', async () => {
    const { store, start, calls, logs } = setup((s) => s.put(completed(1)));
    const actor = start();
    store.put(completed(2)); // would go right after the flight
    actor.stop();
    calls[0]!.resolve();
    await settle();
    expect(store.get(1)).toBeUndefined();
    expect(store.get(2)?.status).toBe('COMPLETED');
    await vi.advanceTimersByTimeAsync(3 * INTERVAL_S * 1000);
    expect(calls).toHaveLength(1);
    // a failure after the stop is not worth a warning (the link is going away)
    const second = setup((s) => s.put(completed(3)));
    const actor2 = second.start();
    actor2.stop();
    second.calls[0]!.reject(new Error('closed'));
    await settle();
    expect(second.store.get(3)?.status).toBe('COMPLETED');
    expect(second.logs.filter((l) => l.level === 'warn')).toEqual([]);
    expect(logs.filter((l) => l.level === 'warn')).toEqual([]);
  });

  it('a new reporter (after a re-registration) resends what the previous one could not deliver', async () => {
    const { store, start, calls } = setup((s) => s.put(completed(1)));
    const first = start();
    first.stop();
    calls[0]!.reject(new Error('connection closed'));
    await settle();
    start();
    expect(calls).toHaveLength(2);
    expect(taskIdsOf(calls[1]!)).toEqual([1]);
    calls[1]!.resolve();
    await settle();
    expect(store.pendingCount()).toBe(0);
  });
});
