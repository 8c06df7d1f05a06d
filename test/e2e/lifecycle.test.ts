// start / status / stop / restart as an operator sees them, plus stale pid files.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import {
  alive, cleanup, cli, deadPid, homeFiles, newHome, parentPid, pingPortOf, processesMentioning, readPidFile, readPort,
  startAgent, stateOf, waitFor,
} from './helpers.js';

const STATES = ['preflight', 'lockingPort', 'daemonizing', 'discovering', 'registering', 'connected', 'stopping', 'stopped'];

afterEach(cleanup);

describe('lifecycle', () => {
  it('start --log-format json writes pino JSON lines to the log; an unknown format is one line, exit 1, nothing started', async () => {
    const home = await newHome();
    const bad = await cli(['start', '--home', home, '--log-format', 'xml']);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim()).toBe('ambari-agent: --log-format xml: not a log format (ambari or json)');
    expect(readPidFile(home)).toBeUndefined();

    const started = await startAgent(home, ['--log-format', 'json']);
    expect(started.code, started.output).toBe(0);
    await waitFor(() => (readFileSync(homeFiles(home).logFile, 'utf8').includes('-> discovering') ? true : undefined), { timeoutMs: 15000, what: 'discovering in the log' });
    expect((await cli(['stop', '--home', home])).code).toBe(0);
    const lines = readFileSync(homeFiles(home).logFile, 'utf8').trim().split('\n');
    const records = lines.map((line) => JSON.parse(line) as { level: number; time: number; msg: string; actor: string; pid: number });
    expect(records[0]).toMatchObject({ level: 30, actor: 'agent', pid: started.pid });
    expect(records[0]!.msg).toMatch(/^Starting ambari-agent /);
    expect(records.some((record) => record.actor === 'supervisor' && /stopping/.test(record.msg))).toBe(true);
  });

  it('start truncates the .out file, as the control script does; a failed start shows only its own run', async () => {
    const home = await newHome();
    const files = homeFiles(home);
    writeFileSync(files.outFile, 'ERROR: an earlier run said this\n');
    const started = await startAgent(home);
    expect(started.code, started.output).toBe(0);
    expect(readFileSync(files.outFile, 'utf8')).not.toContain('an earlier run');
    expect((await cli(['stop', '--home', home])).code).toBe(0);
  });

  it('start -> status -> second start refused -> stop -> status 3, nothing left running', async () => {
    const home = await newHome();
    const files = homeFiles(home);

    const started = await startAgent(home);
    expect(started.code, started.output).toBe(0);
    expect(started.stdout).toContain('Ambari Agent successfully started');
    expect(started.stdout).toContain(`Agent PID at: ${files.pidFile}`);
    expect(started.stdout).toContain(`Agent out at: ${files.outFile}`);
    expect(started.stdout).toContain(`Agent log at: ${files.logFile}`);

    // The pid file names the agent process (the wrapper's child), and it is the pid start printed.
    const agentPid = readPidFile(home)!;
    expect(agentPid).toBe(started.pid);
    expect(alive(agentPid)).toBe(true);
    // Its parent is the wrapper (whatever it is written in), which names this home too.
    const wrapperPid = parentPid(agentPid)!;
    expect(wrapperPid).toBeGreaterThan(1);
    expect(readFileSync(`/proc/${wrapperPid}/cmdline`, 'utf8')).toMatch(/wrapper/);
    expect(readFileSync(`/proc/${agentPid}/cmdline`, 'utf8')).toContain('daemon/main.js');
    expect(alive(wrapperPid)).toBe(true);

    // The ping port is held and answers OK.
    expect(await readPort(pingPortOf(home))).toBe('OK');

    const status = await cli(['status', '--home', home]);
    expect(status.code, status.output).toBe(0);
    expect(status.stdout).toContain(`Found ambari-agent PID: ${agentPid}`);
    expect(status.stdout).toContain('ambari-agent running.');
    expect(STATES).toContain(stateOf(status.stdout));

    const again = await cli(['start', '--home', home]);
    expect(again.code).toBe(255);
    expect(again.stderr).toContain('ERROR: ambari-agent already running');
    expect(readPidFile(home)).toBe(agentPid);
    expect(alive(agentPid)).toBe(true);
    // Exactly one wrapper and one agent for this home.
    expect(processesMentioning(home).sort()).toEqual([agentPid, wrapperPid].sort());

    const stopped = await cli(['stop', '--home', home]);
    expect(stopped.code, stopped.output).toBe(0);
    expect(stopped.stdout).toContain('ambari-agent successfully stopped');
    expect(existsSync(files.pidFile)).toBe(false);
    expect(alive(agentPid)).toBe(false);
    expect(alive(wrapperPid)).toBe(false);
    expect(processesMentioning(home)).toEqual([]);

    const after = await cli(['status', '--home', home]);
    expect(after.code).toBe(3);
    expect(after.stdout).toContain('ambari-agent currently not running');

    const stopAgain = await cli(['stop', '--home', home]);
    expect(stopAgain.code).toBe(0);
    expect(stopAgain.stdout).toContain(`ambari-agent is not running. No PID found at ${files.pidFile}`);
  });

  it('a stale pid file: status exits 2, start removes it and starts', async () => {
    const home = await newHome();
    const files = homeFiles(home);
    const stale = await deadPid();
    expect(alive(stale)).toBe(false);
    writeFileSync(files.pidFile, `${stale}\n`);

    const status = await cli(['status', '--home', home]);
    expect(status.code).toBe(2);
    expect(status.output).toContain(`ambari-agent not running. Stale PID File at: ${files.pidFile}`);

    const started = await startAgent(home);
    expect(started.code, started.output).toBe(0);
    expect(started.stdout).toContain(`${files.pidFile} found with no process`);
    expect(started.stdout).toContain('Ambari Agent successfully started');
    const pid = readPidFile(home)!;
    expect(pid).not.toBe(stale);
    expect(pid).toBe(started.pid);
    expect(alive(pid)).toBe(true);

    const running = await cli(['status', '--home', home]);
    expect(running.code, running.output).toBe(0);
    expect(running.stdout).toContain(`Found ambari-agent PID: ${pid}`);
  });

  it('restart replaces the agent with a new process', async () => {
    const home = await newHome();
    const first = await startAgent(home);
    expect(first.code, first.output).toBe(0);
    const oldPid = readPidFile(home)!;
    const oldWrapper = parentPid(oldPid)!;

    const restarted = await cli(['restart', '--home', home]);
    expect(restarted.code, restarted.output).toBe(0);
    expect(restarted.stdout).toContain('Restarting ambari-agent');
    expect(restarted.stdout).toContain('ambari-agent successfully stopped');
    expect(restarted.stdout).toContain('Ambari Agent successfully started');

    const newPid = readPidFile(home)!;
    expect(newPid).toBeDefined();
    expect(newPid).not.toBe(oldPid);
    expect(restarted.stdout).toContain(`Agent PID: ${newPid}`);
    expect(alive(oldPid)).toBe(false);
    expect(alive(oldWrapper)).toBe(false);
    expect(alive(newPid)).toBe(true);
    expect(processesMentioning(home)).toHaveLength(2);

    const status = await cli(['status', '--home', home]);
    expect(status.code, status.output).toBe(0);
    expect(status.stdout).toContain(`Found ambari-agent PID: ${newPid}`);
  });

  it('restart of a stopped agent just starts it', async () => {
    const home = await newHome();
    const restarted = await cli(['restart', '--home', home]);
    expect(restarted.code, restarted.output).toBe(0);
    expect(restarted.stdout).toContain('Restarting ambari-agent');
    expect(restarted.stdout).toContain('Ambari Agent successfully started');
    const pid = readPidFile(home)!;
    expect(alive(pid)).toBe(true);
    await waitFor(async () => (await cli(['status', '--home', home])).code === 0, { what: 'status 0' });
  });
});
