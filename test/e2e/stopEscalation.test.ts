// `stop` against an agent that ignores SIGTERM: after the original's 30 s of polling it kills
// the agent's whole process tree (children included) with SIGKILL. Slow by design (~31 s).
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { alive, cleanup, cli, homeFiles, newHome, waitFor } from './helpers.js';

const started: number[] = [];
afterEach(async () => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await cleanup();
});

describe('stop escalation', () => {
  it('SIGKILLs the process tree of an agent that ignores SIGTERM, then removes the pid file', { timeout: 60_000 }, async () => {
    const home = await newHome();
    // A stand-in agent: ignores SIGTERM and has a child that ignores it too.
    const stubborn = spawn(
      process.execPath,
      [
        '-e',
        `process.on('SIGTERM', () => {});
         const { spawn } = require('node:child_process');
         const child = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)"], { stdio: 'ignore' });
         console.log(child.pid);
         setInterval(() => {}, 1000);`,
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    started.push(stubborn.pid!);
    let out = '';
    stubborn.stdout.on('data', (d) => (out += d));
    const childPid = await waitFor(() => (out.includes('\n') ? Number(out.trim()) : undefined), { what: 'the stand-in agent child' });
    started.push(childPid!);
    writeFileSync(homeFiles(home).pidFile, `${stubborn.pid}\n`);

    const result = await cli(['stop', '--home', home]);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain('Stopping ambari-agent');
    expect(result.stdout).toContain('Agent not going to die gracefully, going to execute kill -9');
    expect(result.stdout).toContain('ambari-agent successfully stopped');
    expect(alive(stubborn.pid!)).toBe(false);
    expect(alive(childPid!)).toBe(false);
    expect(existsSync(homeFiles(home).pidFile)).toBe(false);
  });
});
