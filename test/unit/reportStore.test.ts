import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../support/tempDirs.mjs';
import { PENDING_REPORTS_FILE, ReportStore } from '../../src/actors/reportStore.js';

afterAll(removeTempDirs);

const completed = (taskId: number, clusterId?: string) => ({ taskId, clusterId, role: 'DATANODE', status: 'COMPLETED', exitCode: 0, stdout: 'ok', stderr: '', structuredOut: {} });
const failed = (taskId: number, clusterId?: string) => ({ ...completed(taskId, clusterId), status: 'FAILED', exitCode: 1 });
const inProgress = (taskId: number, clusterId?: string) => ({ taskId, clusterId, role: 'DATANODE', status: 'IN_PROGRESS', tmpout: `/tmp/output-${taskId}.txt` });

function fresh(dir = tempDir('aa-reports-')) {
  const { store, warnings } = ReportStore.load(dir);
  expect(warnings).toEqual([]);
  return { dir, store };
}

const statuses = (store: ReportStore) => Object.fromEntries(Object.values(store.batch()?.body.clusters ?? {}).flat().map((r) => [r.taskId, r.status]));

describe('ReportStore', () => {
  it('round trips put, batch and acknowledge', () => {
    const { store } = fresh();
    expect(store.batch()).toBeUndefined();
    store.put(completed(1, '2'));
    store.put(inProgress(2, '2'));
    expect(store.pendingCount()).toBe(2);
    expect(store.finalCount()).toBe(1);
    const batch = store.batch()!;
    expect(batch.taskIds.sort()).toEqual([1, 2]);
    expect(batch.body).toEqual({ clusters: { '2': [completed(1, '2'), inProgress(2, '2')] } });
    store.acknowledge(batch.taskIds, batch.version);
    expect(store.pendingCount()).toBe(0);
    expect(store.finalCount()).toBe(0);
    expect(store.batch()).toBeUndefined();
  });

  it('keeps an unacknowledged batch for resending', () => {
    const { store } = fresh();
    store.put(completed(1, '2'));
    const first = store.batch()!;
    expect(store.batch()).toEqual(first);
  });

  it('lets a final report replace an IN_PROGRESS one', () => {
    const { store } = fresh();
    store.put(inProgress(5, 'c'));
    store.put(completed(5, 'c'));
    expect(statuses(store)).toEqual({ 5: 'COMPLETED' });
    expect(store.pendingCount()).toBe(1);
  });

  it('never lets a late IN_PROGRESS report replace a final one', () => {
    const { store } = fresh();
    store.put(failed(5, 'c'));
    store.put(inProgress(5, 'c'));
    expect(statuses(store)).toEqual({ 5: 'FAILED' });
    expect(store.batch()!.body.clusters.c[0]).toMatchObject({ exitCode: 1, stdout: 'ok' });
  });

  it('does not lose a report that arrives between batch() and acknowledge()', () => {
    const { dir, store } = fresh();
    store.put(inProgress(1, 'c'));
    store.put(completed(2, 'c'));
    const batch = store.batch()!;
    store.put(completed(1, 'c')); // newer report for a task in the batch
    store.put(completed(3, 'c')); // a task not in the batch
    store.acknowledge(batch.taskIds, batch.version);
    expect(statuses(store)).toEqual({ 1: 'COMPLETED', 3: 'COMPLETED' });
    const next = store.batch()!;
    expect(next.taskIds.sort()).toEqual([1, 3]);
    // and the persisted state agrees (crash right after the acknowledge)
    expect(statuses(ReportStore.load(dir).store)).toEqual({ 1: 'COMPLETED', 3: 'COMPLETED' });
    store.acknowledge(next.taskIds, next.version);
    expect(store.pendingCount()).toBe(0);
    expect(ReportStore.load(dir).store.pendingCount()).toBe(0);
  });

  it('keeps final reports across a crash, but not IN_PROGRESS ones', () => {
    const { dir, store } = fresh();
    store.put(completed(1, 'c'));
    store.put(failed(2));
    store.put(inProgress(3, 'c'));
    // no close: a fresh store simply reads the directory again
    const { store: reloaded, warnings } = ReportStore.load(dir);
    expect(warnings).toEqual([]);
    expect(reloaded.pendingCount()).toBe(2);
    expect(reloaded.finalCount()).toBe(2);
    expect(reloaded.batch()!.body).toEqual({ clusters: { c: [completed(1, 'c')], null: [failed(2)] } });
    // the reloaded store still refuses a late IN_PROGRESS report for a final task
    reloaded.put(inProgress(1, 'c'));
    expect(statuses(reloaded)).toEqual({ 1: 'COMPLETED', 2: 'FAILED' });
  });

  it('writes the file with mode 0600 and leaves no temp files', () => {
    const { dir, store } = fresh();
    store.put(completed(1, 'c'));
    store.put(completed(2, 'c'));
    const batch = store.batch()!;
    store.acknowledge([1], batch.version);
    expect(readdirSync(dir)).toEqual([PENDING_REPORTS_FILE]);
    expect(statSync(join(dir, PENDING_REPORTS_FILE)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(join(dir, PENDING_REPORTS_FILE), 'utf8')).reports.map((r: { taskId: number }) => r.taskId)).toEqual([2]);
  });

  it('does not write IN_PROGRESS reports to disk', () => {
    const { dir, store } = fresh();
    store.put(inProgress(1, 'c'));
    expect(existsSync(join(dir, PENDING_REPORTS_FILE))).toBe(false);
  });

  it('removes temp files left by a crash mid-write, but not a live writer\'s', () => {
    const dir = tempDir('aa-reports-');
    const deadPid = spawnSync('true').pid!;
    writeFileSync(join(dir, `${PENDING_REPORTS_FILE}.${deadPid}.tmp`), '{"half');
    // Another agent of this home writing right now (loaded before the pid file decides who runs).
    const live = `${PENDING_REPORTS_FILE}.${process.ppid}.tmp`;
    writeFileSync(join(dir, live), '{"being written');
    const { store, warnings } = ReportStore.load(dir);
    expect(warnings).toEqual([]);
    expect(store.pendingCount()).toBe(0);
    expect(readdirSync(dir)).toEqual([live]);
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
    store.put(completed(7, 'c'));
    expect(readdirSync(dir).sort()).toEqual([PENDING_REPORTS_FILE, names[0]].sort());
    expect(statuses(ReportStore.load(dir).store)).toEqual({ 7: 'COMPLETED' });
  });

  it('groups reports by cluster, host-level ones under "null"', () => {
    const { store } = fresh();
    store.put(completed(1, 'a'));
    store.put(completed(2, 'b'));
    store.put(inProgress(3, 'a'));
    store.put(completed(4));
    const { body, taskIds } = store.batch()!;
    expect(Object.keys(body.clusters).sort()).toEqual(['a', 'b', 'null']);
    expect(body.clusters.a.map((r) => r.taskId)).toEqual([1, 3]);
    expect(body.clusters.b.map((r) => r.taskId)).toEqual([2]);
    expect(body.clusters.null.map((r) => r.taskId)).toEqual([4]);
    expect(taskIds.sort()).toEqual([1, 2, 3, 4]);
  });

  it('ignores acknowledgements for unknown tasks', () => {
    const { store } = fresh();
    store.put(completed(1, 'c'));
    store.acknowledge([99], store.batch()!.version);
    expect(store.pendingCount()).toBe(1);
  });
});
