import { mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../../support/tempDirs.mjs';
import { RotatingFile } from '../../../src/logging/rotatingFile.js';

afterAll(removeTempDirs);

describe('rotating log file', () => {
  it('rotates by size into .1 .. .N and drops the oldest', () => {
    const dir = tempDir();
    const path = join(dir, 'ambari-agent.log');
    const log = new RotatingFile(path, 100, 2);
    for (let i = 0; i < 10; i++) log.write(`line ${i} ${'x'.repeat(40)}\n`);
    log.close();
    expect(readdirSync(dir).sort()).toEqual(['ambari-agent.log', 'ambari-agent.log.1', 'ambari-agent.log.2']);
    expect(readFileSync(path, 'utf8')).toContain('line 8');
    expect(readFileSync(path, 'utf8')).toContain('line 9');
    expect(readFileSync(`${path}.1`, 'utf8')).toContain('line 6');
    expect(readFileSync(`${path}.2`, 'utf8')).toContain('line 4');
  });

  it('never throws: a full disk drops lines, and the next line that makes it says how many were lost', () => {
    // /dev/full answers every write with ENOSPC.
    const full = new RotatingFile('/dev/full');
    expect(() => full.write('lost\n')).not.toThrow();
    full.close();

    // A rotation that fails (the backup name is taken by a directory) loses that line only.
    const dir = tempDir();
    const path = join(dir, 'ambari-agent.log');
    const log = new RotatingFile(path, 50, 1);
    log.write(`${'a'.repeat(40)}\n`);
    mkdirSync(join(`${path}.1`, 'taken'), { recursive: true });
    expect(() => log.write(`${'b'.repeat(40)}\n`)).not.toThrow();
    rmSync(`${path}.1`, { recursive: true });
    log.write('c\n');
    log.close();
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines[0]).toBe('a'.repeat(40));
    expect(lines[1]).toMatch(new RegExp(`^WARNING .* \\[logging\\] 1 log line\\(s\\) could not be written to ${path.replace(/[.]/g, '\\.')} \\(\\w+\\) and were dropped$`));
    expect(lines[2]).toBe('c');
  });
});
