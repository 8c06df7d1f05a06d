// commandFiles: the file names of one attempt, their preparation and the structured output read back.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../../../support/tempDirs.mjs';
import { commandFiles, ensureTmpDir, prepareCommandFiles, readStructuredOut } from '../../../../src/actors/commands/commandFiles.js';

afterAll(removeTempDirs);

describe('commandFiles', () => {
  it('names the four files per task, auto_ prefixed for recovery commands', () => {
    expect(commandFiles('/p', 12)).toEqual({
      commandJson: '/p/command-12.json',
      output: '/p/output-12.txt',
      errors: '/p/errors-12.txt',
      structuredOut: '/p/structured-out-12.json',
    });
    expect(commandFiles('/p', '5', true)).toEqual({
      commandJson: '/p/auto_command-5.json',
      output: '/p/auto_output-5.txt',
      errors: '/p/auto_errors-5.txt',
      structuredOut: '/p/auto_structured-out-5.json',
    });
  });
});

describe('prepareCommandFiles', () => {
  it('writes the command JSON (pretty, 0600, no temp file left), removes the old structured output, backs up old output to the first free .N', async () => {
    const dir = tempDir();
    const files = commandFiles(dir, 3);
    writeFileSync(files.structuredOut, '{"old": true}');
    writeFileSync(files.output, 'out of attempt 1');
    writeFileSync(`${files.output}.0`, 'out of attempt 0');
    writeFileSync(files.errors, 'err of attempt 1');
    await prepareCommandFiles(files, { taskId: 3, roleCommand: 'START' }, true);
    expect(readFileSync(files.commandJson, 'utf8')).toBe(JSON.stringify({ taskId: 3, roleCommand: 'START' }, null, 2));
    expect(statSync(files.commandJson).mode & 0o777).toBe(0o600);
    expect(existsSync(files.structuredOut)).toBe(false);
    expect(existsSync(files.output)).toBe(false);
    expect(readFileSync(`${files.output}.0`, 'utf8')).toBe('out of attempt 0');
    expect(readFileSync(`${files.output}.1`, 'utf8')).toBe('out of attempt 1');
    expect(readFileSync(`${files.errors}.0`, 'utf8')).toBe('err of attempt 1');
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  });

  it('leaves the old output in place without backupOutput (status commands)', async () => {
    const files = commandFiles(tempDir(), 4);
    writeFileSync(files.output, 'kept');
    await prepareCommandFiles(files, {}, false);
    expect(readFileSync(files.output, 'utf8')).toBe('kept');
    expect(existsSync(`${files.output}.0`)).toBe(false);
  });
});

describe('ensureTmpDir', () => {
  it('makes the dir (0700), and fails in one line when a file is in the way', async () => {
    const dir = join(tempDir(), 'a', 'tmp');
    await ensureTmpDir(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const file = join(tempDir(), 'file');
    writeFileSync(file, '');
    await expect(ensureTmpDir(file)).rejects.toThrow(`Cannot create [agent] tmp_dir ${file}: `);
  });
});

describe('readStructuredOut', () => {
  it('gives the JSON object, else {} (missing, invalid, not an object)', async () => {
    const dir = tempDir();
    const file = join(dir, 'so.json');
    expect(await readStructuredOut(file)).toEqual({});
    for (const text of ['{not json', '[1, 2]', 'null', '"text"']) {
      writeFileSync(file, text);
      expect(await readStructuredOut(file)).toEqual({});
    }
    writeFileSync(file, '{"version": "1.2"}');
    expect(await readStructuredOut(file)).toEqual({ version: '1.2' });
  });

  it('does not read one over 2 MiB: a message says why', async () => {
    const file = join(tempDir(), 'big.json');
    writeFileSync(file, `{"x": "${'a'.repeat(2 * 1024 * 1024)}"}`);
    const result = await readStructuredOut(file);
    expect(Object.keys(result)).toEqual(['msg']);
    expect(result.msg).toMatch(/is over 2097152 bytes and was not read/);
  });
});
