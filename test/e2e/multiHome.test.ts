// Several agents on one host, each under its own --home.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { alive, cleanup, cli, homeFiles, newHome, parentPid, pingPortOf, processesMentioning, readPidFile, readPort, startAgent } from './helpers.js';

afterEach(cleanup);

describe('multiple homes', () => {
  it('two agents run side by side; stopping one leaves the other running', async () => {
    const one = await newHome();
    const two = await newHome();
    expect(pingPortOf(one)).not.toBe(pingPortOf(two));

    const a = await startAgent(one);
    expect(a.code, a.output).toBe(0);
    const b = await startAgent(two);
    expect(b.code, b.output).toBe(0);
    const pidOne = readPidFile(one)!;
    const pidTwo = readPidFile(two)!;
    expect(pidOne).not.toBe(pidTwo);
    expect(await readPort(pingPortOf(one))).toBe('OK');
    expect(await readPort(pingPortOf(two))).toBe('OK');

    const statusOne = await cli(['status', '--home', one]);
    const statusTwo = await cli(['status', '--home', two]);
    expect(statusOne.code, statusOne.output).toBe(0);
    expect(statusTwo.code, statusTwo.output).toBe(0);
    expect(statusOne.stdout).toContain(`Found ambari-agent PID: ${pidOne}`);
    expect(statusTwo.stdout).toContain(`Found ambari-agent PID: ${pidTwo}`);
    expect(statusOne.stdout).toMatch(/^State: \S+$/m);
    expect(statusOne.stdout).not.toContain('State: unknown');
    expect(statusTwo.stdout).not.toContain('State: unknown');

    const wrapperOne = parentPid(pidOne)!;
    const stopped = await cli(['stop', '--home', one]);
    expect(stopped.code, stopped.output).toBe(0);
    expect(alive(pidOne)).toBe(false);
    expect(alive(wrapperOne)).toBe(false);
    expect(existsSync(homeFiles(one).pidFile)).toBe(false);
    expect(processesMentioning(one)).toEqual([]);
    expect((await cli(['status', '--home', one])).code).toBe(3);

    expect(alive(pidTwo)).toBe(true);
    const stillTwo = await cli(['status', '--home', two]);
    expect(stillTwo.code, stillTwo.output).toBe(0);
    expect(stillTwo.stdout).toContain(`Found ambari-agent PID: ${pidTwo}`);
    expect(stillTwo.stdout).not.toContain('State: unknown');
    expect(await readPort(pingPortOf(two))).toBe('OK');

    const stoppedTwo = await cli(['stop', '--home', two]);
    expect(stoppedTwo.code, stoppedTwo.output).toBe(0);
    expect(processesMentioning(two)).toEqual([]);
  });

  it('a home deeper than a Unix socket path allows: status and state reach its agent through the socket in its own pid dir', async () => {
    const home = await newHome({ subdir: join('d'.repeat(80), 'e'.repeat(40)) });
    const socket = join(home, 'var/run/ambari-agent/ambari-agent.sock');
    expect(Buffer.byteLength(socket)).toBeGreaterThan(108);
    const started = await startAgent(home);
    expect(started.code, started.output).toBe(0);
    expect(statSync(socket).isSocket()).toBe(true);
    const status = await cli(['status', '--home', home]);
    expect(status.code, status.output).toBe(0);
    expect(status.stdout).toMatch(/^State: (discovering|registering|connected)$/m);
    const state = await cli(['state', '--home', home]);
    expect(state.code, state.output).toBe(0);
    expect(state.stdout).toContain('supervisor');
    const stopped = await cli(['stop', '--home', home]);
    expect(stopped.code, stopped.output).toBe(0);
    expect(existsSync(socket)).toBe(false);
    expect(processesMentioning(home)).toEqual([]);
  });
});
