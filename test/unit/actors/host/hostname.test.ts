import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../../../support/tempDirs.mjs';
import { isAlive } from '../../../../src/actors/local/pidFile.js';

afterAll(removeTempDirs);

describe('hostname script', () => {
  it('uses the script output, lower-cased', async () => {
    const { agentHostname } = await import('../../../../src/actors/host/hostname.js');
    const dir = tempDir();
    const script = join(dir, 'name.sh');
    writeFileSync(script, '#!/bin/sh\necho Node-7.Example.COM\n', { mode: 0o755 });
    expect(await agentHostname(script)).toEqual({ hostname: 'node-7.example.com' });
  });

  it('falls back to the host name when the script fails, saying why', async () => {
    const { agentHostname } = await import('../../../../src/actors/host/hostname.js');
    const result = await agentHostname('/nonexistent/hostname-script');
    expect(result.hostname.length).toBeGreaterThan(0);
    expect(result.scriptProblem).toMatch(/^hostname_script \/nonexistent\/hostname-script failed: /);
  });

  it('ends the script and its children when aborted', async () => {
    const { agentHostname } = await import('../../../../src/actors/host/hostname.js');
    const dir = tempDir();
    const script = join(dir, 'slow.sh');
    const childPidFile = join(dir, 'child.pid');
    writeFileSync(script, `#!/bin/sh\nsleep 30 &\necho $! > ${childPidFile}\nwait\n`, { mode: 0o755 });
    const controller = new AbortController();
    const pending = agentHostname(script, controller.signal);
    const deadline = Date.now() + 5000;
    while (!existsSync(childPidFile) || readFileSync(childPidFile, 'utf8').trim() === '') {
      if (Date.now() > deadline) throw new Error('script did not start');
      await new Promise((r) => setTimeout(r, 20));
    }
    const sleeper = Number(readFileSync(childPidFile, 'utf8'));
    controller.abort();
    const result = await pending;
    expect(result.scriptProblem).toContain('failed: stopped');
    await new Promise((r) => setTimeout(r, 100));
    expect(isAlive(sleeper)).toBe(false);
  });
});
