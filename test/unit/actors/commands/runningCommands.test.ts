// RunningCommands: the on-disk list of command attempts that run right now (so that the next
// agent can clean up after one that died), and the tracking of attempt promises for a stop.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../../../support/tempDirs.mjs';
import { RUNNING_COMMANDS_FILE, RunningCommands, type RunningEntry } from '../../../../src/actors/commands/runningCommands.js';

afterAll(removeTempDirs);

const entry = (taskId: number, dir = '/prefix'): RunningEntry => ({
  taskId,
  template: { role: 'DATANODE', actionId: `1-${taskId}`, taskId, clusterId: 'c1', serviceName: 'HDFS', roleCommand: 'START' },
  process: { pid: 40000 + taskId, startTime: String(123456 + taskId), marker: `4242-${taskId}-abcdef` },
  files: { output: join(dir, `output-${taskId}.txt`), errors: join(dir, `errors-${taskId}.txt`) },
  agentPid: 4242,
  startedAt: 1_700_000_000_000 + taskId,
});

const fileOf = (dir: string) => join(dir, RUNNING_COMMANDS_FILE);
const readFile = (dir: string) => JSON.parse(readFileSync(fileOf(dir), 'utf8')) as { version: number; running: RunningEntry[] };
const taskIds = (entries: RunningEntry[]) => entries.map((e) => e.taskId).sort((a, b) => a - b);

/** leftovers() of a fresh instance (the next agent), with the warnings it gave. */
function nextAgent(dir: string) {
  const warnings: string[] = [];
  const running = new RunningCommands(dir);
  const leftovers = running.leftovers((m) => warnings.push(m));
  return { running, leftovers, warnings };
}

const deferred = <T = void>() => {
  let resolve!: (value: T) => void;
  let reject!: (err: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
};

/** True when `promise` settled within the current turn of promise callbacks. */
async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return settled;
}

describe('RunningCommands persistence', () => {
  it('lists a task from accept until remove; an attempt adds its process and attemptEnded drops only that', () => {
    const dir = tempDir('aa-running-');
    const running = new RunningCommands(dir);
    const { process: _p, files: _f, startedAt: _s, ...waiting } = entry(1, dir);
    running.accept([{ taskId: 1, template: entry(1, dir).template }]);
    expect(readFile(dir).running).toEqual([{ ...waiting, agentPid: process.pid }]);
    running.add(entry(1, dir));
    expect(readFile(dir).running).toEqual([entry(1, dir)]);
    running.attemptEnded(1);
    expect(readFile(dir).running).toEqual([waiting]);
    expect(new RunningCommands(dir).leftovers(() => {})).toEqual([waiting]);
    running.remove(1);
    expect(readFile(dir).running).toEqual([]);
  });

  it('writes every add and remove to DIR/running-commands.json, mode 0600, with no temp file left', () => {
    const dir = tempDir('aa-running-');
    const running = new RunningCommands(dir);
    expect(running.file).toBe(fileOf(dir));
    running.add(entry(1, dir));
    expect(readFile(dir)).toEqual({ version: 1, running: [entry(1, dir)] });
    expect(statSync(fileOf(dir)).mode & 0o777).toBe(0o600);
    running.add(entry(2, dir));
    expect(taskIds(readFile(dir).running)).toEqual([1, 2]);
    running.remove(1);
    expect(readFile(dir)).toEqual({ version: 1, running: [entry(2, dir)] });
    expect(statSync(fileOf(dir)).mode & 0o777).toBe(0o600);
    running.remove(2);
    expect(readFile(dir)).toEqual({ version: 1, running: [] });
    expect(readdirSync(dir)).toEqual([RUNNING_COMMANDS_FILE]);
  });

  it('replaces the file (temp file + rename) instead of rewriting it in place', () => {
    const dir = tempDir('aa-running-');
    const running = new RunningCommands(dir);
    running.add(entry(1));
    const before = statSync(fileOf(dir)).ino;
    running.add(entry(2));
    // a reader holding the old file never sees half a write: the path names a new inode
    expect(statSync(fileOf(dir)).ino).not.toBe(before);
    expect(readdirSync(dir)).toEqual([RUNNING_COMMANDS_FILE]);
  });

  it('replaces an entry of the same task (a retry) instead of listing it twice', () => {
    const dir = tempDir('aa-running-');
    const running = new RunningCommands(dir);
    running.add(entry(1));
    running.add({ ...entry(1), process: { pid: 777, startTime: '9', marker: 'second-attempt' } });
    expect(readFile(dir).running).toHaveLength(1);
    expect(readFile(dir).running[0]!.process?.marker).toBe('second-attempt');
  });

  it('creates a missing directory, and does not write for an unknown task', () => {
    const dir = join(tempDir('aa-running-'), 'not', 'yet');
    const running = new RunningCommands(dir);
    running.remove(5);
    expect(existsSync(fileOf(dir))).toBe(false);
    running.add(entry(5));
    expect(taskIds(readFile(dir).running)).toEqual([5]);
  });

  it("gives a new instance what a previous one left (never saw end)", () => {
    const dir = tempDir('aa-running-');
    const dead = new RunningCommands(dir);
    dead.add(entry(1, dir));
    dead.add(entry(2, dir));
    dead.add(entry(3, dir));
    dead.remove(2);
    // the agent dies here
    const { leftovers, warnings } = nextAgent(dir);
    expect(warnings).toEqual([]);
    expect(leftovers.sort((a, b) => a.taskId - b.taskId)).toEqual([entry(1, dir), entry(3, dir)]);
  });

  it('has no leftovers without a file, or when the previous run ended its attempts', () => {
    const dir = tempDir('aa-running-');
    expect(nextAgent(dir)).toMatchObject({ leftovers: [], warnings: [] });
    const clean = new RunningCommands(dir);
    clean.add(entry(1));
    clean.remove(1);
    expect(nextAgent(dir)).toMatchObject({ leftovers: [], warnings: [] });
  });

  it('keeps the previous run entries listed, beside this run ones, until each is removed', () => {
    const dir = tempDir('aa-running-');
    new RunningCommands(dir).add(entry(1));
    const { running, leftovers } = nextAgent(dir);
    expect(taskIds(leftovers)).toEqual([1]);
    // A new command before the recovery is done must not drop the leftover from the file.
    running.accept([{ taskId: 2, template: entry(2).template }]);
    expect(taskIds(readFile(dir).running)).toEqual([1, 2]);
    running.remove(1);
    expect(taskIds(readFile(dir).running)).toEqual([2]);
    expect(taskIds(nextAgent(dir).leftovers)).toEqual([2]);
  });

  // An agent killed between writing the temp file and renaming it leaves the temp file behind.
  it('removes temp files a writer killed mid-write left (as ReportStore and the caches do)', () => {
    const dir = tempDir('aa-running-');
    new RunningCommands(dir).add(entry(1));
    const stale = `${RUNNING_COMMANDS_FILE}.tmp-99999-0badf00d`;
    writeFileSync(join(dir, stale), '{"version": 1, "runn');
    const { leftovers, warnings } = nextAgent(dir);
    expect(taskIds(leftovers)).toEqual([1]);
    expect(warnings).toEqual([]);
    expect(readdirSync(dir)).toEqual([RUNNING_COMMANDS_FILE]);
  });

  it.each([
    ['not JSON', '{"version": 1, "running": ['],
    ['an array', '[]'],
    ['another version', JSON.stringify({ version: 2, running: [] })],
    ['no list', JSON.stringify({ version: 1 })],
    ['a bad taskId', JSON.stringify({ version: 1, running: [{ ...entry(1), taskId: '1' }] })],
    ['no template', JSON.stringify({ version: 1, running: [{ ...entry(1), template: null }] })],
    ['a pid that is not a number', JSON.stringify({ version: 1, running: [{ ...entry(1), process: { pid: 'x', startTime: '1', marker: 'm' } }] })],
    ['a numeric start time', JSON.stringify({ version: 1, running: [{ ...entry(1), process: { pid: 1, startTime: 1, marker: 'm' } }] })],
    ['no marker', JSON.stringify({ version: 1, running: [{ ...entry(1), process: { pid: 1, startTime: '1' } }] })],
    ['no errors file', JSON.stringify({ version: 1, running: [{ ...entry(1), files: { output: '/o' } }] })],
  ])('moves a corrupt file (%s) aside, with a warning naming it, and has no leftovers', (_what, text) => {
    const dir = tempDir('aa-running-');
    writeFileSync(fileOf(dir), text);
    const { running, leftovers, warnings } = nextAgent(dir);
    expect(leftovers).toEqual([]);
    expect(warnings).toHaveLength(1);
    expect(existsSync(fileOf(dir))).toBe(false);
    const aside = readdirSync(dir).filter((n) => n.startsWith(`${RUNNING_COMMANDS_FILE}.corrupt-`));
    expect(aside).toHaveLength(1);
    // never deleted: the content is kept for a human to look at
    expect(readFileSync(join(dir, aside[0]!), 'utf8')).toBe(text);
    expect(warnings[0]).toContain(fileOf(dir));
    expect(warnings[0]).toContain(join(dir, aside[0]!));
    expect(warnings[0]).toMatch(/corrupt/);
    // this run's bookkeeping goes on in a fresh file
    running.add(entry(9));
    expect(taskIds(nextAgent(dir).leftovers)).toEqual([9]);
  });
});

describe('RunningCommands track / drain', () => {
  it('track hands the attempt back and counts it until it settles', async () => {
    const running = new RunningCommands(tempDir('aa-running-'));
    const a = deferred<number>();
    const b = deferred<number>();
    expect(running.track(a.promise)).toBe(a.promise);
    const tracked = running.track(b.promise);
    tracked.catch(() => {});
    expect(running.runningCount()).toBe(2);
    a.resolve(1);
    await a.promise;
    expect(running.runningCount()).toBe(1);
    b.reject(new Error('setup failed'));
    await expect(tracked).rejects.toThrow('setup failed');
    await new Promise((resolve) => setImmediate(resolve));
    expect(running.runningCount()).toBe(0);
  });

  it('drain resolves true at once when nothing runs', async () => {
    const running = new RunningCommands(tempDir('aa-running-'));
    const started = Date.now();
    await expect(running.drain(5000)).resolves.toBe(true);
    expect(Date.now() - started).toBeLessThan(100);
  });

  it('drain resolves true once every tracked attempt settled, rejected ones included', async () => {
    const running = new RunningCommands(tempDir('aa-running-'));
    const a = deferred();
    const b = deferred();
    running.track(a.promise);
    running.track(b.promise).catch(() => {});
    const drained = running.drain(5000);
    expect(await isSettled(drained)).toBe(false);
    a.resolve();
    expect(await isSettled(drained)).toBe(false);
    b.reject(new Error('killed'));
    expect(await isSettled(drained)).toBe(true);
    await expect(drained).resolves.toBe(true);
  });

  it('drain also waits for an attempt tracked while it waits', async () => {
    const running = new RunningCommands(tempDir('aa-running-'));
    const a = deferred();
    const b = deferred();
    running.track(a.promise);
    const drained = running.drain(5000);
    running.track(b.promise);
    a.resolve();
    expect(await isSettled(drained)).toBe(false);
    b.resolve();
    await expect(drained).resolves.toBe(true);
  });

  it('drain resolves false when an attempt is still running at the timeout', async () => {
    const running = new RunningCommands(tempDir('aa-running-'));
    running.track(new Promise(() => {}));
    const done = deferred();
    running.track(done.promise);
    done.resolve();
    const started = Date.now();
    await expect(running.drain(150)).resolves.toBe(false);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(140);
    expect(took).toBeLessThan(1000);
    expect(running.runningCount()).toBe(1);
    await expect(running.drain(0)).resolves.toBe(false);
  });
});
