// Signals sent straight to the agent pid (not through `stop`).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  alive, cleanup, cli, homeFiles, logText, newHome, parentPid, processesMentioning, readPidFile, ROOT, startAgent, waitFor, waitForLog,
} from './helpers.js';

const foregroundClis: ChildProcess[] = [];

afterEach(async () => {
  for (const child of foregroundClis.splice(0)) {
    if (child.exitCode === null && child.signalCode === null && child.pid && alive(child.pid)) child.kill('SIGKILL');
  }
  await cleanup();
});

async function runningAgent(set: string[] = []) {
  const home = await newHome({ set: ['server.connect_retry_delay=1', ...set] });
  const started = await startAgent(home);
  expect(started.code, started.output).toBe(0);
  const pid = readPidFile(home)!;
  const wrapper = parentPid(pid)!;
  expect(alive(pid)).toBe(true);
  expect(alive(wrapper)).toBe(true);
  return { home, pid, wrapper };
}

describe.each([
  ['SIGTERM', 15],
  ['SIGINT', 2],
] as const)('%s to the agent', (signal, number) => {
  it(`stops the agent and its wrapper, removes the pid file and logs "received ${number} signal"`, async () => {
    const { home, pid, wrapper } = await runningAgent();
    process.kill(pid, signal);
    await waitFor(() => !alive(pid) && !alive(wrapper), { timeoutMs: 15000, what: 'agent and wrapper to exit' });
    expect(existsSync(homeFiles(home).pidFile)).toBe(false);
    expect(processesMentioning(home)).toEqual([]);
    const log = logText(home);
    expect(log).toContain(`Ambari-agent received ${number} signal, stopping...`);
    expect(log).toMatch(/Cleanup finished, exiting with code:0/);

    const status = await cli(['status', '--home', home]);
    expect(status.code).toBe(3);
    expect(status.stdout).toContain('ambari-agent currently not running');
  });
});

describe('agent crash and wrapper signals', () => {
  it('SIGKILL of the agent: the wrapper exits, the pid file is stale (status 2), stop cleans it, start works again', async () => {
    const { home, pid, wrapper } = await runningAgent();
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !alive(pid) && !alive(wrapper), { timeoutMs: 15000, what: 'agent and wrapper to exit' });
    expect(readPidFile(home)).toBe(pid);

    const status = await cli(['status', '--home', home]);
    expect(status.code).toBe(2);
    expect(status.output).toContain(`Stale PID File at: ${homeFiles(home).pidFile}`);

    const stopped = await cli(['stop', '--home', home]);
    expect(stopped.code, stopped.output).toBe(0);
    expect(existsSync(homeFiles(home).pidFile)).toBe(false);
    expect((await cli(['status', '--home', home])).code).toBe(3);

    const again = await startAgent(home);
    expect(again.code, again.output).toBe(0);
    expect(again.pid).not.toBe(pid);
    expect(alive(again.pid!)).toBe(true);
  });

  it('SIGTERM to the wrapper is passed on to the agent: both exit and the pid file goes', async () => {
    const { home, pid, wrapper } = await runningAgent();
    process.kill(wrapper, 'SIGTERM');
    await waitFor(() => !alive(pid) && !alive(wrapper), { timeoutMs: 15000, what: 'agent and wrapper to exit' });
    expect(existsSync(homeFiles(home).pidFile)).toBe(false);
    expect(logText(home)).toContain('Ambari-agent received 15 signal, stopping...');
    expect(processesMentioning(home)).toEqual([]);
  });
});

describe('SIGUSR1 / SIGUSR2', () => {
  it('SIGUSR1 dumps the actor tree into the log and the agent keeps running', async () => {
    const { home, pid, wrapper } = await runningAgent();
    // Let the first discovery probe fail so discovery sits in its retry wait.
    await waitForLog(home, /try 1\/10/);
    process.kill(pid, 'SIGUSR1');
    const log = await waitForLog(home, '*** ACTOR TREE - END ***');
    const start = log.indexOf('*** ACTOR TREE - START ***');
    expect(start).toBeGreaterThanOrEqual(0);
    const block = log.slice(start, log.indexOf('*** ACTOR TREE - END ***')).split('\n').slice(1);
    // The same tree as `ambari-agent state`: id, state, time in it, the details that matter.
    expect(block.find((l) => /^supervisor discovering for [\d.]+ (ms|s)/.test(l))).toBeDefined();
    expect(block.find((l) => /^[├└]─ pingPort listening for .* port=\d+/.test(l))).toBeDefined();
    expect(block.find((l) => /^[├└]─ discovery (waiting|probing) for .* server=127\.0\.0\.\d+ attempt=\d+/.test(l))).toBeDefined();
    expect(block.find((l) => /^[├└]─ dataCleaner /.test(l))).toBeDefined();

    expect(alive(pid)).toBe(true);
    expect(alive(wrapper)).toBe(true);
    expect(readPidFile(home)).toBe(pid);
    const status = await cli(['status', '--home', home]);
    expect(status.code, status.output).toBe(0);
    expect(status.stdout).toContain(`Found ambari-agent PID: ${pid}`);
    expect(status.stdout).toContain('State: discovering');
  });

  it('SIGUSR2 switches the log to DEBUG and back to INFO', async () => {
    const { home, pid } = await runningAgent();
    await waitForLog(home, /try 1\/10/);
    expect(logText(home)).not.toMatch(/^DEBUG /m);

    process.kill(pid, 'SIGUSR2');
    await waitForLog(home, /^DEBUG .* Log level is now DEBUG$/m);
    // While at DEBUG, the child actors' state changes (DEBUG lines) are logged.
    await waitForLog(home, /^DEBUG .*\[discovery\] state waiting -> probing/m);

    process.kill(pid, 'SIGUSR2');
    const afterToggle = await waitForLog(home, /^INFO .* Log level is now INFO$/m);
    const mark = afterToggle.indexOf('Log level is now INFO');
    // Two more discovery retries (1 s apart) at INFO: they are logged, without DEBUG lines.
    const since = await waitFor(() => {
      const tail = logText(home).slice(mark);
      return (tail.match(/is not reachable/g) ?? []).length >= 2 ? tail : undefined;
    }, { timeoutMs: 10000, what: 'two more discovery retries' });
    expect(since).not.toMatch(/^DEBUG /m);
    expect(alive(pid)).toBe(true);
  });
});

describe('start --foreground', () => {
  /** `ambari-agent start --foreground` in its own process group (as a shell job would be). */
  async function foregroundAgent() {
    const home = await newHome({ set: ['server.connect_retry_delay=1'] });
    const child = spawn(process.execPath, [`${ROOT}/bin/ambari-agent`, 'start', '--foreground', '--home', home], {
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    foregroundClis.push(child);
    let output = '';
    child.stdout!.on('data', (d) => (output += d));
    child.stderr!.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const pid = await waitFor(() => readPidFile(home), { timeoutMs: 15000, what: 'the pid file' });
    await waitFor(async () => (await cli(['status', '--home', home])).code === 0, { what: 'status 0' });
    return { home, child, pid, exited, output: () => output };
  }

  it('logs to stdout; SIGTERM to the CLI stops agent and wrapper, exit 0', async () => {
    const { home, child, pid, exited, output } = await foregroundAgent();
    expect(parentPid(parentPid(pid!)!)).toBe(child.pid); // CLI -> wrapper -> agent
    await waitFor(() => output().includes('[supervisor] state recovering -> discovering'), { what: 'log lines on stdout' });

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await waitFor(() => processesMentioning(home).length === 0, { what: 'nothing left for this home' });
    expect(existsSync(homeFiles(home).pidFile)).toBe(false);
    expect(output()).toContain('Ambari-agent received 15 signal, stopping...');
  });

  it('Ctrl-C (SIGINT to the whole process group) stops it cleanly, exit 0', async () => {
    const { home, child, exited, output } = await foregroundAgent();
    process.kill(-child.pid!, 'SIGINT');
    expect(await exited).toBe(0);
    await waitFor(() => processesMentioning(home).length === 0, { what: 'nothing left for this home' });
    expect(existsSync(homeFiles(home).pidFile)).toBe(false);
    expect(output()).toContain('Ambari-agent received 2 signal, stopping...');
  });
});
