import { existsSync, lutimesSync, mkdirSync, readdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../../../support/tempDirs.mjs';
import { CLEANABLE_FILE, cleanPass } from '../../../../src/actors/local/dataCleaner.js';

afterAll(removeTempDirs);

const DAY = 86400;

function file(path: string, bytes: number, ageSeconds: number) {
  writeFileSync(path, 'x'.repeat(bytes));
  const when = Date.now() / 1000 - ageSeconds;
  utimesSync(path, when, when);
}

describe('data cleaner pass', () => {
  it('matches the original file name patterns, anchored at the start', () => {
    for (const name of ['errors-1.txt', 'output-22.txt', 'site-3.pp', 'structured-out-4.json', 'command-5.json', 'auto_command-6.json', 'auto_errors-7.txt', 'auto_output-8.txt', 'auto_structured-out-9.json', 'output-1.txt.bak', 'output-22.txt.0', 'errors-1.txt.12', 'auto_output-8.txt.1']) {
      expect(CLEANABLE_FILE.test(name), name).toBe(true);
    }
    for (const name of ['xoutput-1.txt', 'output-.txt', 'output-a.txt', 'notes.txt', 'command-1.yaml']) {
      expect(CLEANABLE_FILE.test(name), name).toBe(false);
    }
  });

  it('deletes old matching files, keeps the rest, never follows symlinks out of the prefix', async () => {
    const root = tempDir();
    const prefix = join(root, 'prefix');
    const outside = join(root, 'outside');
    mkdirSync(join(prefix, 'sub'), { recursive: true });
    mkdirSync(outside);
    file(join(prefix, 'output-1.txt'), 10, 3 * DAY);
    file(join(prefix, 'sub', 'errors-2.txt'), 10, 3 * DAY);
    file(join(prefix, 'command-3.json'), 10, 60);
    file(join(prefix, 'notes.txt'), 10, 30 * DAY);
    file(join(outside, 'output-9.txt'), 10, 30 * DAY);
    file(join(outside, 'target.txt'), 10, 30 * DAY);
    symlinkSync(outside, join(prefix, 'linked-dir'));
    symlinkSync(join(outside, 'target.txt'), join(prefix, 'output-7.txt'));
    const old = Date.now() / 1000 - 3 * DAY;
    lutimesSync(join(prefix, 'output-7.txt'), old, old);

    const errors: string[] = [];
    const result = await cleanPass({ dir: prefix, maxAgeSeconds: DAY, maxSizeBytes: 1e9 }, (p) => errors.push(p));

    expect(errors).toEqual([]);
    expect(result).toMatchObject({ deleted: 3, kept: 1, errors: 0 });
    expect(existsSync(join(prefix, 'output-1.txt'))).toBe(false);
    expect(existsSync(join(prefix, 'sub', 'errors-2.txt'))).toBe(false);
    expect(existsSync(join(prefix, 'output-7.txt'))).toBe(false);
    expect(existsSync(join(prefix, 'command-3.json'))).toBe(true);
    expect(existsSync(join(prefix, 'notes.txt'))).toBe(true);
    expect(readdirSync(outside).sort()).toEqual(['output-9.txt', 'target.txt']);
  });

  it('deletes oldest first until the matching files fit the size budget', async () => {
    const prefix = tempDir();
    file(join(prefix, 'output-1.txt'), 400, 3000);
    file(join(prefix, 'output-2.txt'), 400, 2000);
    file(join(prefix, 'output-3.txt'), 400, 1000);
    file(join(prefix, 'big-unrelated.bin'), 5000, 5000);
    const result = await cleanPass({ dir: prefix, maxAgeSeconds: DAY, maxSizeBytes: 900 }, () => {});
    expect(result).toMatchObject({ deleted: 1, deletedBytes: 400, kept: 2 });
    expect(readdirSync(prefix).sort()).toEqual(['big-unrelated.bin', 'output-2.txt', 'output-3.txt']);
  });

  it('reports a missing prefix dir as an error instead of throwing', async () => {
    const errors: string[] = [];
    const result = await cleanPass({ dir: '/nonexistent/prefix', maxAgeSeconds: DAY, maxSizeBytes: 1 }, (p) => errors.push(p));
    expect(result.errors).toBe(1);
    expect(errors).toEqual(['/nonexistent/prefix']);
  });
});
