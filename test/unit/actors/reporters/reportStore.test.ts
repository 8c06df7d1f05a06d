import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../../../support/tempDirs.mjs';
import { PENDING_REPORTS_FILE, ReportStore } from '../../../../src/actors/reporters/reportStore.js';
import type { WireCommandReport } from '../../../../src/actors/commands/commandReport.js';

afterAll(removeTempDirs);

// Final reports in the CommandReport shape (agent/CommandReport.java).
const completed = (taskId: number, clusterId?: string): WireCommandReport => ({
  taskId,
  ...(clusterId === undefined ? {} : { clusterId }),
  role: 'DATANODE',
  status: 'COMPLETED',
  exitcode: 0,
  stdout: 'ok',
  stderr: 'None',
  structuredOut: '{}',
});
const failed = (taskId: number, clusterId?: string): WireCommandReport => ({ ...completed(taskId, clusterId), status: 'FAILED', exitcode: 1 });
const files = (taskId: number) => ({ output: `/tmp/output-${taskId}.txt`, errors: `/tmp/errors-${taskId}.txt`, structuredOut: `/tmp/structured-out-${taskId}.json` });
const inProgress = (taskId: number, clusterId?: string) => ({ header: { taskId, ...(clusterId === undefined ? {} : { clusterId }), role: 'DATANODE' }, files: files(taskId), withOutput: true });

function fresh(dir = tempDir('aa-reports-')) {
  const { store, warnings } = ReportStore.load(dir);
  expect(warnings).toEqual([]);
  return { dir, store };
}

/** taskId -> status ("IN_PROGRESS" for a running task) of what is pending. */
const statuses = (store: ReportStore) =>
  Object.fromEntries((store.snapshot()?.entries ?? []).map((e) => [e.taskId, e.kind === 'final' ? e.report.status : 'IN_PROGRESS']));
const taskIds = (store: ReportStore) => (store.snapshot()?.entries ?? []).map((e) => e.taskId).sort((a, b) => a - b);
const acknowledgeAll = (store: ReportStore) => {
  const snapshot = store.snapshot()!;
  store.acknowledge(snapshot.entries.map((e) => e.taskId), snapshot.version);
};

describe('ReportStore', () => {
  it('round trips putFinal, snapshot and acknowledge; an acknowledged IN_PROGRESS entry stays (the command still runs)', () => {
    const { store } = fresh();
    expect(store.snapshot()).toBeUndefined();
    store.putFinal(completed(1, '2'));
    expect(store.putInProgress(inProgress(2, '2'))).toBe(true);
    expect(store.pendingCount()).toBe(2);
    expect(store.finalCount()).toBe(1);
    const snapshot = store.snapshot()!;
    expect(snapshot.entries).toEqual([
      { kind: 'final', taskId: 1, clusterKey: '2', report: completed(1, '2') },
      { kind: 'progress', taskId: 2, clusterKey: '2', header: inProgress(2, '2').header, files: files(2), withOutput: true },
    ]);
    store.acknowledge([1, 2], snapshot.version);
    expect(statuses(store)).toEqual({ 2: 'IN_PROGRESS' });
    expect(store.finalCount()).toBe(0);
    store.putFinal(completed(2, '2'));
    acknowledgeAll(store);
    expect(store.snapshot()).toBeUndefined();
  });

  it('keeps an unacknowledged report for resending', () => {
    const { store } = fresh();
    store.putFinal(completed(1, '2'));
    const first = store.snapshot()!;
    expect(store.snapshot()).toEqual(first);
  });

  it('refuses an IN_PROGRESS report put as final', () => {
    const { store } = fresh();
    expect(() => store.putFinal({ ...completed(1), status: 'IN_PROGRESS' })).toThrow('not final');
  });

  it('lets a final report replace an IN_PROGRESS one', () => {
    const { store } = fresh();
    store.putInProgress(inProgress(5, 'c'));
    store.putFinal(completed(5, 'c'));
    expect(statuses(store)).toEqual({ 5: 'COMPLETED' });
    expect(store.pendingCount()).toBe(1);
  });

  it('never lets a late IN_PROGRESS report replace a final one, not even after the final one was acknowledged', () => {
    const { store } = fresh();
    store.putFinal(failed(5, 'c'));
    expect(store.putInProgress(inProgress(5, 'c'))).toBe(false);
    expect(statuses(store)).toEqual({ 5: 'FAILED' });
    expect(store.finalReport(5)).toMatchObject({ exitcode: 1, stdout: 'ok' });
    acknowledgeAll(store);
    // acknowledged: the task is done; a late IN_PROGRESS must not make it look running again
    expect(store.putInProgress(inProgress(5, 'c'))).toBe(false);
    expect(store.snapshot()).toBeUndefined();
  });

  it('does not lose a report that arrives between snapshot() and acknowledge()', () => {
    const { dir, store } = fresh();
    store.putInProgress(inProgress(1, 'c'));
    store.putFinal(completed(2, 'c'));
    const snapshot = store.snapshot()!;
    store.putFinal(completed(1, 'c')); // newer report for a task in the snapshot
    store.putFinal(completed(3, 'c')); // a task not in the snapshot
    store.acknowledge([1, 2], snapshot.version);
    expect(statuses(store)).toEqual({ 1: 'COMPLETED', 3: 'COMPLETED' });
    expect(taskIds(store)).toEqual([1, 3]);
    // and the persisted state agrees (crash right after the acknowledge)
    expect(statuses(ReportStore.load(dir).store)).toEqual({ 1: 'COMPLETED', 3: 'COMPLETED' });
    acknowledgeAll(store);
    expect(store.pendingCount()).toBe(0);
    expect(ReportStore.load(dir).store.pendingCount()).toBe(0);
  });

  it('keeps final reports across a crash, but not IN_PROGRESS ones', () => {
    const { dir, store } = fresh();
    store.putFinal(completed(1, 'c'));
    store.putFinal(failed(2));
    store.putInProgress(inProgress(3, 'c'));
    // no close: a fresh store simply reads the directory again
    const { store: reloaded, warnings } = ReportStore.load(dir);
    expect(warnings).toEqual([]);
    expect(reloaded.pendingCount()).toBe(2);
    expect(reloaded.finalCount()).toBe(2);
    expect(reloaded.snapshot()!.entries).toEqual([
      { kind: 'final', taskId: 1, clusterKey: 'c', report: completed(1, 'c') },
      { kind: 'final', taskId: 2, clusterKey: 'null', report: failed(2) },
    ]);
    // the reloaded store still refuses a late IN_PROGRESS report for a final task
    expect(reloaded.putInProgress(inProgress(1, 'c'))).toBe(false);
    expect(statuses(reloaded)).toEqual({ 1: 'COMPLETED', 2: 'FAILED' });
  });

  it("reads an older agent's file (version 1, its own report shape) into the CommandReport shape", () => {
    const dir = tempDir('aa-reports-');
    const old = {
      version: 1,
      reports: [
        {
          taskId: 7,
          clusterId: 'c',
          report: { taskId: 7, clusterId: 'c', role: 'DATANODE', actionId: 3, status: 'FAILED', exitCode: 2, stdout: 'x', stderr: '', structuredOut: { a: 1 }, tmpout: '/p/output-7.txt' },
        },
      ],
    };
    writeFileSync(join(dir, PENDING_REPORTS_FILE), JSON.stringify(old));
    const { store } = fresh(dir);
    expect(store.finalReport(7)).toEqual({ taskId: 7, clusterId: 'c', role: 'DATANODE', actionId: '3', status: 'FAILED', exitcode: 2, stdout: 'x', stderr: '', structuredOut: '{"a":1}' });
  });

  it('writes the file with mode 0600 and leaves no temp files', () => {
    const { dir, store } = fresh();
    store.putFinal(completed(1, 'c'));
    store.putFinal(completed(2, 'c'));
    store.acknowledge([1], store.snapshot()!.version);
    expect(readdirSync(dir)).toEqual([PENDING_REPORTS_FILE]);
    expect(statSync(join(dir, PENDING_REPORTS_FILE)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(join(dir, PENDING_REPORTS_FILE), 'utf8')).reports.map((r: { taskId: number }) => r.taskId)).toEqual([2]);
  });

  it('does not write IN_PROGRESS reports to disk', () => {
    const { dir, store } = fresh();
    store.putInProgress(inProgress(1, 'c'));
    expect(existsSync(join(dir, PENDING_REPORTS_FILE))).toBe(false);
  });

  // FILE.tmp-PID-RANDOM is util/atomicWrite's temp name; FILE.PID.tmp the one of older agents.
  it.each([
    ['FILE.tmp-PID-RANDOM', (pid: number) => `${PENDING_REPORTS_FILE}.tmp-${pid}-0badf00d`],
    ['FILE.PID.tmp', (pid: number) => `${PENDING_REPORTS_FILE}.${pid}.tmp`],
  ])('removes temp files left by a crash mid-write, but not a live writer\'s (%s)', (_style, tempName) => {
    const dir = tempDir('aa-reports-');
    const deadPid = spawnSync('true').pid!;
    writeFileSync(join(dir, tempName(deadPid)), '{"half');
    // Another agent of this home writing right now (loaded before the pid file decides who runs).
    const live = tempName(process.ppid);
    writeFileSync(join(dir, live), '{"being written');
    const { store, warnings } = ReportStore.load(dir);
    expect(warnings).toEqual([]);
    expect(store.pendingCount()).toBe(0);
    expect(readdirSync(dir)).toEqual([live]);
  });

  it('a temp file this process left (a write that failed before) is removed at load', () => {
    const dir = tempDir('aa-reports-');
    writeFileSync(join(dir, `${PENDING_REPORTS_FILE}.tmp-${process.pid}-0badf00d`), '{"half');
    ReportStore.load(dir);
    expect(readdirSync(dir)).toEqual([]);
  });

  it.each([
    ['not JSON', '{"version":1,"reports":[{"taskId":'],
    ['wrong shape', '{"version":1,"reports":[{"taskId":"x","clusterId":"c","report":{"status":"COMPLETED"}}]}'],
    ['empty', ''],
  ])('starts empty with a warning and moves a corrupt file aside (%s)', (_name, content) => {
    const dir = tempDir('aa-reports-');
    const file = join(dir, PENDING_REPORTS_FILE);
    writeFileSync(file, content);
    const { store, warnings } = ReportStore.load(dir);
    expect(store.pendingCount()).toBe(0);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(file);
    const names = readdirSync(dir);
    expect(names).toHaveLength(1);
    expect(names[0]).toMatch(/^pending-reports\.json\.corrupt-.+/);
    expect(readFileSync(join(dir, names[0]), 'utf8')).toBe(content);
    // the store still works and does not touch the moved-aside file
    store.putFinal(completed(7, 'c'));
    expect(readdirSync(dir).sort()).toEqual([PENDING_REPORTS_FILE, names[0]].sort());
    expect(statuses(ReportStore.load(dir).store)).toEqual({ 7: 'COMPLETED' });
  });

  it('keys reports by cluster, host-level ones under "null"', () => {
    const { store } = fresh();
    store.putFinal(completed(1, 'a'));
    store.putFinal(completed(2, 'b'));
    store.putInProgress(inProgress(3, 'a'));
    store.putFinal(completed(4));
    expect(store.snapshot()!.entries.map((e) => [e.taskId, e.clusterKey])).toEqual([
      [1, 'a'],
      [2, 'b'],
      [3, 'a'],
      [4, 'null'],
    ]);
  });

  it('ignores acknowledgements for unknown tasks', () => {
    const { store } = fresh();
    store.putFinal(completed(1, 'c'));
    store.acknowledge([99], store.snapshot()!.version);
    expect(store.pendingCount()).toBe(1);
  });

  it('tells its listeners of every report put, IN_PROGRESS ones included', () => {
    const { store } = fresh();
    let calls = 0;
    const off = store.onChange(() => calls++);
    store.putInProgress(inProgress(1, 'c'));
    store.putFinal(completed(1, 'c'));
    expect(calls).toBe(2);
    off();
    store.putFinal(completed(2, 'c'));
    expect(calls).toBe(2);
  });
});

describe('fitting a final report to a frame, once', () => {
  it('stores (and persists) the report as `fit` cut it, so no send round cuts it again', async () => {
    const { fitReport, reportBudget } = await import('../../../../src/actors/reporters/reportFrames.js');
    const { dir, store } = fresh();
    store.fit = (report, key) => fitReport(report, reportBudget(20_000, key));
    store.putFinal({ ...completed(9, '0'), stdout: `${'x'.repeat(50_000)}THE END` });
    const stored = (store.snapshot()!.entries[0] as { report: WireCommandReport }).report;
    expect(stored.stdout.length).toBeLessThan(20_000);
    expect(stored.stdout.endsWith('THE END')).toBe(true);
    const persisted = readFileSync(join(dir, PENDING_REPORTS_FILE), 'utf8');
    expect(persisted.length).toBeLessThan(25_000);
  });
});
