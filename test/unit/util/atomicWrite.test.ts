import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../../support/tempDirs.mjs';
import { removeStaleTempFiles, tempFileFor, tempFileWriter, writeFileAtomic, writeFileAtomicSync } from '../../../src/util/atomicWrite.js';

afterAll(removeTempDirs);

const modeOf = (file: string) => statSync(file).mode & 0o777;

const writers = {
  sync: (file: string, data: string, options?: Parameters<typeof writeFileAtomicSync>[2]) => Promise.resolve().then(() => writeFileAtomicSync(file, data, options)),
  async: writeFileAtomic,
};

describe.each(Object.entries(writers))('writeFileAtomic (%s)', (_kind, write) => {
  it('writes a new file and replaces an existing one, leaving nothing else in the directory', async () => {
    const dir = tempDir('aa-atomic-');
    const file = join(dir, 'state.json');
    await write(file, 'first\n');
    expect(readFileSync(file, 'utf8')).toBe('first\n');
    await write(file, 'second\n');
    expect(readFileSync(file, 'utf8')).toBe('second\n');
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('gives the file exactly the mode asked for, whatever the umask; 0600 by default', async () => {
    const dir = tempDir('aa-atomic-');
    const old = process.umask(0o077);
    try {
      await write(join(dir, 'public'), 'x', { mode: 0o644 });
      await write(join(dir, 'default'), 'x');
    } finally {
      process.umask(old);
    }
    expect(modeOf(join(dir, 'public'))).toBe(0o644);
    expect(modeOf(join(dir, 'default'))).toBe(0o600);
    // Replacing a file gives the new mode too (the old file's is not kept).
    await write(join(dir, 'public'), 'y', { mode: 0o640 });
    expect(modeOf(join(dir, 'public'))).toBe(0o640);
  });

  it('a failing rename leaves no temp file and the target as it was', async () => {
    const dir = tempDir('aa-atomic-');
    // A non-empty directory where the file should go: rename(2) over it fails (EISDIR).
    const target = join(dir, 'target');
    mkdirSync(target);
    writeFileSync(join(target, 'inside'), 'kept');
    await expect(write(target, 'data', { fsync: false })).rejects.toMatchObject({ code: 'EISDIR' });
    expect(readdirSync(dir)).toEqual(['target']);
    expect(readFileSync(join(target, 'inside'), 'utf8')).toBe('kept');
  });

  it('a missing directory is an error, not a directory made on the way', async () => {
    const dir = tempDir('aa-atomic-');
    await expect(write(join(dir, 'missing', 'file'), 'data')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('writes without fsync when told to', async () => {
    const dir = tempDir('aa-atomic-');
    await write(join(dir, 'f'), 'quick', { fsync: false });
    expect(readFileSync(join(dir, 'f'), 'utf8')).toBe('quick');
  });
});

describe('writeFileAtomic', () => {
  it('concurrent writes of one file in one process do not share a temp file', async () => {
    const dir = tempDir('aa-atomic-');
    const file = join(dir, 'f');
    const texts = Array.from({ length: 20 }, (_, i) => `${String(i).repeat(10_000)}\n`);
    await Promise.all(texts.map((text) => writeFileAtomic(file, text, { fsync: false })));
    expect(texts).toContain(readFileSync(file, 'utf8'));
    expect(readdirSync(dir)).toEqual(['f']);
  });

  it('writes bytes as well as text', async () => {
    const dir = tempDir('aa-atomic-');
    const bytes = Uint8Array.from([0, 1, 2, 255]);
    writeFileAtomicSync(join(dir, 'a'), bytes);
    await writeFileAtomic(join(dir, 'b'), bytes);
    expect([...readFileSync(join(dir, 'a'))]).toEqual([0, 1, 2, 255]);
    expect([...readFileSync(join(dir, 'b'))]).toEqual([0, 1, 2, 255]);
  });
});

describe('a reader in another process', () => {
  // Reads the file in a tight loop until STOP exists; counts reads that are not one whole version.
  const READER = `
    const { readFileSync, existsSync } = require('node:fs');
    const [file, stop, size] = process.argv.slice(1);
    let reads = 0, torn = 0;
    while (!existsSync(stop)) {
      const text = readFileSync(file, 'utf8');
      reads++;
      if (text.length !== Number(size) || (text !== 'a'.repeat(text.length) && text !== 'b'.repeat(text.length))) torn++;
    }
    process.stdout.write(JSON.stringify({ reads, torn }));
  `;
  const SIZE = 1024 * 1024;

  async function race(write: (file: string, text: string) => void): Promise<{ reads: number; torn: number }> {
    const dir = tempDir('aa-atomic-');
    const file = join(dir, 'f');
    const stop = join(dir, 'stop');
    writeFileSync(file, 'a'.repeat(SIZE));
    const reader = spawn(process.execPath, ['-e', READER, file, stop, String(SIZE)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    reader.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise((resolve) => reader.on('exit', resolve));
    const until = Date.now() + 1500;
    for (let i = 0; Date.now() < until; i++) {
      write(file, (i % 2 ? 'a' : 'b').repeat(SIZE));
      await new Promise((resolve) => setImmediate(resolve));
    }
    writeFileSync(stop, '');
    await exited;
    return JSON.parse(out) as { reads: number; torn: number };
  }

  it('never sees a partial file', async () => {
    const { reads, torn } = await race((file, text) => writeFileAtomicSync(file, text, { fsync: false }));
    expect(reads).toBeGreaterThan(0);
    expect(torn).toBe(0);
  });

  it('the control: with a plain writeFileSync it does', async () => {
    const { torn } = await race((file, text) => writeFileSync(file, text));
    expect(torn).toBeGreaterThan(0);
  });
});

describe('temp file names', () => {
  it('carry the writer pid, which tempFileWriter reads back', () => {
    const temp = tempFileFor('/some/dir/state.json');
    expect(temp.startsWith('/some/dir/state.json.tmp-')).toBe(true);
    expect(temp).toContain(String(process.pid));
    expect(tempFileWriter('/some/dir/state.json', basename(temp))).toBe(process.pid);
    expect(tempFileFor('/some/dir/state.json')).not.toBe(temp);
  });

  it.each([
    ['state.json.tmp-1234-0badf00d', 1234],
    ['state.json.1234.tmp', 1234], // the name agents used before the shared helper
    ['state.json', undefined],
    ['state.json.corrupt-2026-01-01T00-00-00-000Z', undefined],
    ['state.json.tmp-abc-0badf00d', undefined],
    ['state.json.x.tmp', undefined],
    ['other.json.tmp-1234-0badf00d', undefined],
    ['xstate.json.1234.tmp', undefined],
  ])('%s -> writer %s', (name, writer) => {
    expect(tempFileWriter('/d/state.json', name)).toBe(writer);
  });
});

describe('removeStaleTempFiles', () => {
  it('removes the file\'s temp files, keeps the ones spare() names and everything else', () => {
    const dir = tempDir('aa-atomic-');
    const file = join(dir, 'state.json');
    const deadPid = spawnSync('true').pid!;
    for (const name of ['state.json', `state.json.tmp-${deadPid}-00ff00ff`, `state.json.${deadPid}.tmp`, `state.json.tmp-${process.ppid}-0badf00d`, 'state.json.notes', `other.json.${deadPid}.tmp`]) {
      writeFileSync(join(dir, name), 'x');
    }
    expect(removeStaleTempFiles(file, (writer) => writer === process.ppid)).toBe(2);
    expect(readdirSync(dir).sort()).toEqual(['other.json.' + deadPid + '.tmp', 'state.json', `state.json.tmp-${process.ppid}-0badf00d`, 'state.json.notes'].sort());
    expect(removeStaleTempFiles(file)).toBe(1);
    expect(readdirSync(dir).sort()).toEqual([`other.json.${deadPid}.tmp`, 'state.json', 'state.json.notes'].sort());
  });

  it('a missing directory removes nothing', () => {
    expect(removeStaleTempFiles(join(tempDir('aa-atomic-'), 'missing', 'state.json'))).toBe(0);
  });

});
