import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../support/tempDirs.mjs';

const WRAPPER = new URL('../../bin/ambari-agent-wrapper', import.meta.url).pathname;

/** Runs the real wrapper (bin/ambari-agent-wrapper) around a small Node "agent" script. */
function runWrapper(pidFile: string, script: string, args: string[] = []) {
  const child = spawn('/bin/sh', [WRAPPER, pidFile, process.execPath, script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, exited, output: () => out, errors: () => err };
}

const until = async (predicate: () => boolean) => {
  const deadline = Date.now() + 10_000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
};

afterAll(removeTempDirs);

describe('wrapper restart loop (bin/ambari-agent-wrapper, real processes)', () => {
  it('restarts the agent on exit code 77, removing the pid file, and passes any other code on', async () => {
    const dir = tempDir('aa-wrap-');
    const pidFile = join(dir, 'ambari-agent.pid');
    const runs = join(dir, 'runs');
    // Each run notes whether a pid file was left for it, writes its own, then exits 77 twice
    // and 3 the third time.
    const script = join(dir, 'agent.mjs');
    writeFileSync(
      script,
      `import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
       const [runs, pidFile] = process.argv.slice(2);
       appendFileSync(runs, (existsSync(pidFile) ? 'stale' : 'clean') + '\\n');
       writeFileSync(pidFile, String(process.pid));
       const n = readFileSync(runs, 'utf8').trim().split('\\n').length;
       process.exit(n < 3 ? 77 : 3);`,
    );
    const { exited, errors } = runWrapper(pidFile, script, [runs, pidFile]);
    expect(await exited).toBe(3);
    expect(readFileSync(runs, 'utf8')).toBe('clean\nclean\nclean\n');
    expect(errors()).toMatch(/exited with code 77, restarting \(restart 1\)\n.*exited with code 77, restarting \(restart 2\)\n$/);
    // After a non-77 exit the pid file is left for `stop`/`start` to judge, as in the original.
    expect(existsSync(pidFile)).toBe(true);
  });

  it('keeps its own pid in ambari-agent-wrapper.pid across restarts (for a service manager), removed when it ends', async () => {
    const dir = tempDir('aa-wrap-');
    const pidFile = join(dir, 'ambari-agent.pid');
    const wrapperPidFile = join(dir, 'ambari-agent-wrapper.pid');
    const runs = join(dir, 'runs');
    // Each run records the wrapper pid file's content; the first exits 77, the second waits to be told.
    const script = join(dir, 'agent.mjs');
    writeFileSync(
      script,
      `import { appendFileSync, readFileSync } from 'node:fs';
       const [runs, wrapperPidFile] = process.argv.slice(2);
       appendFileSync(runs, readFileSync(wrapperPidFile, 'utf8').trim() + '\\n');
       if (readFileSync(runs, 'utf8').trim().split('\\n').length < 2) process.exit(77);
       process.on('SIGTERM', () => process.exit(0));
       setInterval(() => {}, 1000);`,
    );
    const { child, exited } = runWrapper(pidFile, script, [runs, wrapperPidFile]);
    await until(() => existsSync(runs) && readFileSync(runs, 'utf8').split('\n').length > 2);
    expect(readFileSync(runs, 'utf8')).toBe(`${child.pid}\n${child.pid}\n`);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(wrapperPidFile)).toBe(false);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`forwards ${signal} to the running agent and exits with the agent's code`, async () => {
      const dir = tempDir('aa-wrap-');
      const script = join(dir, 'agent.mjs');
      writeFileSync(
        script,
        `process.on('${signal}', () => { console.log('agent got ${signal}'); setTimeout(() => process.exit(4), 200); });
         console.log('ready'); setInterval(() => {}, 1000);`,
      );
      const { child, exited, output } = runWrapper(join(dir, 'pid'), script);
      await until(() => output().includes('ready'));
      child.kill(signal);
      // The wrapper waits out the agent's graceful exit (200 ms) and reports its real code.
      expect(await exited).toBe(4);
      expect(output()).toBe(`ready\nagent got ${signal}\n`);
    });
  }

  it('reports an agent killed by a signal as 128+N', async () => {
    const dir = tempDir('aa-wrap-');
    const script = join(dir, 'agent.mjs');
    writeFileSync(script, `console.log(process.pid); setInterval(() => {}, 1000);`);
    const { exited, output } = runWrapper(join(dir, 'pid'), script);
    await until(() => output().includes('\n'));
    process.kill(Number(output().trim()), 'SIGKILL');
    expect(await exited).toBe(128 + 9);
  });

  it('does not start a new agent when asked to stop while the agent is restarting', async () => {
    const dir = tempDir('aa-wrap-');
    const script = join(dir, 'agent.mjs');
    // The agent takes SIGTERM as "stop" but answers it with exit 77, as a restart would.
    writeFileSync(script, `process.on('SIGTERM', () => process.exit(77)); console.log('run'); setInterval(() => {}, 1000);`);
    const { child, exited, output } = runWrapper(join(dir, 'pid'), script);
    await until(() => output().includes('run'));
    child.kill('SIGTERM');
    expect(await exited).toBe(77);
    expect(output()).toBe('run\n');
  });

  it('explains its usage when called without a command', async () => {
    const bare = spawn('/bin/sh', [WRAPPER, '/tmp/x.pid'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    bare.stderr.on('data', (d) => (err += d));
    const code = await new Promise((resolve) => bare.on('close', resolve));
    expect(code).toBe(2);
    expect(err).toContain('usage: ambari-agent-wrapper PIDFILE COMMAND');
  });
});
