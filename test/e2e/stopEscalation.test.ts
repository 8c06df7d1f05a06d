// `stop` against an agent that ignores SIGTERM: after the original's 30 s of polling it kills
// the agent's whole process tree (children included) with SIGKILL. Slow by design (~31 s).
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { writePidFileAtomic } from '../../src/actors/local/pidFile.js';
import { alive, cleanup, cli, homeFiles, newHome, readPidFile, startAgent, waitFor } from './helpers.js';

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
    // Recorded as the agent records itself (pid file + identity), so stop takes it for the agent.
    writePidFileAtomic(homeFiles(home).pidFile, stubborn.pid!);

    const result = await cli(['stop', '--home', home]);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain('Stopping ambari-agent');
    expect(result.stdout).toContain('Agent not going to die gracefully, going to execute kill -9');
    expect(result.stdout).toContain('ambari-agent successfully stopped');
    expect(alive(stubborn.pid!)).toBe(false);
    expect(alive(childPid!)).toBe(false);
    expect(existsSync(homeFiles(home).pidFile)).toBe(false);
  });

  it('a pid file naming another process (one of ours, standing in for a stranger): never signalled; status 2, stop and start name it', async () => {
    const home = await newHome();
    const files = homeFiles(home);
    const stranger = spawn('sleep', ['60'], { stdio: 'ignore' });
    started.push(stranger.pid!);
    writeFileSync(files.pidFile, `${stranger.pid}\n`);

    const status = await cli(['status', '--home', home]);
    expect(status.code).toBe(2);
    expect(status.output).toContain(`Stale PID File at: ${files.pidFile} (it names process ${stranger.pid} (sleep), with no identity record`);

    const stopped = await cli(['stop', '--home', home]);
    expect(stopped.code, stopped.output).toBe(0);
    expect(stopped.output).toContain(`it names process ${stranger.pid} (sleep)`);
    expect(stopped.output).not.toContain('Stopping ambari-agent');
    expect(alive(stranger.pid!)).toBe(true);
    expect(existsSync(files.pidFile)).toBe(false);

    // A recycled pid: the identity record's start time is not the process's.
    writeFileSync(files.pidFile, `${stranger.pid}\n`);
    writeFileSync(`${files.pidFile}.identity`, JSON.stringify({ pid: stranger.pid, startTime: '1', script: '/x/dist/daemon/main.js' }));
    const start = await startAgent(home);
    expect(start.code, start.output).toBe(0);
    expect(start.stdout).toContain(`names ${stranger.pid}, which is not this home's agent (process ${stranger.pid} (sleep), started after the agent`);
    expect(alive(stranger.pid!)).toBe(true);
    expect(readPidFile(home)).toBe(start.pid);
    const running = await cli(['status', '--home', home]);
    expect(running.code, running.output).toBe(0);
  });
});
