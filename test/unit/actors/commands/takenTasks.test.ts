// The persisted set of taken task ids: a command the server delivers again (it resends until
// confirmed, DefaultMessageEmitter) runs once, across agent restarts too.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_TAKEN, TAKEN_TASKS_FILE, TakenTasks } from '../../../../src/actors/commands/takenTasks.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
const newDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'aa-taken-'));
  dirs.push(dir);
  return dir;
};

describe('TakenTasks', () => {
  it('claims new ids once, on disk before it returns; a reload (the next agent) knows them', () => {
    const dir = newDir();
    const { taken, warnings } = TakenTasks.load(dir);
    expect(warnings).toEqual([]);
    expect(taken.claim([5, 6, 5])).toEqual({ fresh: [5, 6], repeated: [5] });
    expect(readFileSync(join(dir, TAKEN_TASKS_FILE), 'utf8')).toBe('5\n6\n');
    expect(taken.claim([6, 7])).toEqual({ fresh: [7], repeated: [6] });

    const next = TakenTasks.load(dir).taken;
    expect(next.has(5) && next.has(6) && next.has(7)).toBe(true);
    expect(next.claim([7, 8])).toEqual({ fresh: [8], repeated: [7] });
  });

  it('a release (a cancel) lets the id be taken again, also after a reload', () => {
    const dir = newDir();
    const { taken } = TakenTasks.load(dir);
    taken.claim([1, 2]);
    taken.release([2, 3]);
    expect(readFileSync(join(dir, TAKEN_TASKS_FILE), 'utf8')).toBe('1\n2\n-2\n');
    expect(TakenTasks.load(dir).taken.has(2)).toBe(false);
    expect(taken.claim([2])).toEqual({ fresh: [2], repeated: [] });
    expect(TakenTasks.load(dir).taken.has(2)).toBe(true);
  });

  it('a last line cut short by a crash (no newline) is not an id', () => {
    const dir = newDir();
    writeFileSync(join(dir, TAKEN_TASKS_FILE), '123\n45');
    const { taken, warnings } = TakenTasks.load(dir);
    expect(warnings).toEqual([]);
    expect(taken.has(123)).toBe(true);
    expect(taken.has(45)).toBe(false);
  });

  it('skips lines that are not ids, saying so', () => {
    const dir = newDir();
    writeFileSync(join(dir, TAKEN_TASKS_FILE), '1\nnope\n2\n+3\n');
    const { taken, warnings } = TakenTasks.load(dir);
    expect(taken.size).toBe(2);
    expect(warnings).toEqual([`${join(dir, TAKEN_TASKS_FILE)}: 2 line(s) that are not task ids skipped`]);
  });

  it('keeps the newest MAX_TAKEN ids, and the file bounded', () => {
    const dir = newDir();
    const { taken } = TakenTasks.load(dir);
    for (let start = 1; start <= 2 * MAX_TAKEN; start += 1000) taken.claim(Array.from({ length: 1000 }, (_, i) => start + i));
    // The file was rewritten when it reached 2 × MAX_TAKEN lines.
    const lines = readFileSync(join(dir, TAKEN_TASKS_FILE), 'utf8').trim().split('\n');
    expect(lines.length).toBe(MAX_TAKEN);
    expect(lines[0]).toBe(String(MAX_TAKEN + 1));
    const reloaded = TakenTasks.load(dir).taken;
    expect(reloaded.size).toBe(MAX_TAKEN);
    expect(reloaded.has(1)).toBe(false);
    expect(reloaded.has(2 * MAX_TAKEN)).toBe(true);
  });
});
