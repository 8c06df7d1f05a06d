import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../../../support/tempDirs.mjs';
import { checkPidFile, identityFile, isAlive, readPid, removePidFileIfOwned, scriptOf, writePidFileAtomic } from '../../../../src/actors/local/pidFile.js';

afterAll(removeTempDirs);

describe('pid file', () => {
  it('is written atomically and removed only by its owner', () => {
    const path = join(tempDir(), 'ambari-agent.pid');
    expect(readPid(path)).toBeUndefined();
    writePidFileAtomic(path, process.pid);
    expect(readPid(path)).toBe(process.pid);
    expect(removePidFileIfOwned(path, process.pid + 1)).toBe(false);
    expect(existsSync(path)).toBe(true);
    expect(removePidFileIfOwned(path, process.pid)).toBe(true);
    expect(existsSync(path)).toBe(false);
    expect(isAlive(process.pid)).toBe(true);
    expect(isAlive(2 ** 22 + 12345)).toBe(false);
    expect(existsSync(identityFile(path))).toBe(false);
  });

  it('takes the script from a command line with or without Node flags before it', () => {
    expect(scriptOf(['/usr/bin/node', '/a/dist/daemon/main.js', '--home', '/h'])).toBe('/a/dist/daemon/main.js');
    expect(scriptOf(['/usr/bin/node', '--lite-mode', '--no-expose-wasm', '/a/dist/daemon/main.js', '--home', '/h'])).toBe('/a/dist/daemon/main.js');
    expect(scriptOf(['/usr/bin/node', '--lite-mode'])).toBeUndefined();
    expect(scriptOf([])).toBeUndefined();
    expect(scriptOf(undefined)).toBeUndefined();
  });

  it('verifies the pid against the identity record: start time and script (checked on this process, never signalled)', () => {
    const path = join(tempDir(), 'ambari-agent.pid');
    expect(checkPidFile(path)).toEqual({ kind: 'none' });
    writePidFileAtomic(path, process.pid);
    expect(checkPidFile(path)).toEqual({ kind: 'agent', pid: process.pid });
    const identity = JSON.parse(readFileSync(identityFile(path), 'utf8')) as Record<string, unknown>;
    expect(identity).toMatchObject({ pid: process.pid, startTime: expect.stringMatching(/^\d+$/), script: readFileSync('/proc/self/cmdline', 'utf8').split('\0').slice(1).find((arg) => !arg.startsWith('-')) });

    writeFileSync(identityFile(path), JSON.stringify({ ...identity, startTime: '1' }));
    expect(checkPidFile(path)).toMatchObject({ kind: 'stranger', pid: process.pid, what: expect.stringContaining('(a reused pid)') });
    writeFileSync(identityFile(path), JSON.stringify({ ...identity, script: '/elsewhere/main.js' }));
    expect(checkPidFile(path)).toMatchObject({ kind: 'stranger', what: expect.stringContaining("not the agent's /elsewhere/main.js") });
    rmSync(identityFile(path));
    expect(checkPidFile(path)).toMatchObject({ kind: 'stranger', what: expect.stringContaining('with no identity record') });
    writeFileSync(path, `${2 ** 22 + 12345}\n`);
    expect(checkPidFile(path)).toEqual({ kind: 'dead', pid: 2 ** 22 + 12345 });
  });
});
