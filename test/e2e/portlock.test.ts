// The ping port is the machine-wide lock: an agent that cannot bind it must not stay up.
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  alive, cleanup, cli, homeFiles, newHome, pingPortOf, processesMentioning, readPidFile, readPort, startAgent,
} from './helpers.js';

const servers: Server[] = [];

afterEach(async () => {
  await cleanup();
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

function listenOn(port: number): Promise<Server> {
  const server = createServer((socket) => socket.end());
  servers.push(server);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => resolve(server));
  });
}

describe('ping port lock', () => {
  it('start fails when another process holds the ping port, naming that process', async () => {
    const home = await newHome();
    const port = pingPortOf(home);
    expect(port).toBeGreaterThan(0);
    const holder = await listenOn(port);

    const started = await startAgent(home);
    expect(started.code, started.output).toBe(255);
    expect(started.output).toContain('ERROR: ambari-agent start failed');
    expect(started.output).toContain(`Could not open port ${port} because port already used by another process`);
    // The holder is this test process: its pid and (part of) its command line are named.
    const myCommand = readFileSync(`/proc/${process.pid}/cmdline`, 'utf8').split('\0').filter(Boolean)[0]!;
    expect(started.output).toMatch(new RegExp(`^${process.pid} ${myCommand.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`, 'm'));
    expect(started.output).not.toContain('Ambari Agent successfully started');
    expect(started.output).not.toContain('    at ');

    expect(existsSync(homeFiles(home).pidFile)).toBe(false);
    expect(processesMentioning(home)).toEqual([]);
    expect((await cli(['status', '--home', home])).code).toBe(3);

    // Once the port is free again the same home starts normally.
    await new Promise((resolve) => holder.close(resolve));
    servers.splice(servers.indexOf(holder), 1);
    const second = await startAgent(home);
    expect(second.code, second.output).toBe(0);
    expect(await readPort(port)).toBe('OK');
  });

  it('a second home configured with the same ping port cannot start while the first runs', async () => {
    const first = await newHome();
    const port = pingPortOf(first);
    const second = await newHome({ set: [`agent.ping_port=${port}`] });
    expect(pingPortOf(second)).toBe(port);

    const a = await startAgent(first);
    expect(a.code, a.output).toBe(0);
    const firstPid = readPidFile(first)!;

    const b = await startAgent(second);
    expect(b.code, b.output).toBe(255);
    expect(b.output).toContain(`Could not open port ${port} because port already used by another process`);
    expect(b.output).toMatch(new RegExp(`^${firstPid} .*daemon/main\\.js --home ${first}`, 'm'));
    expect(existsSync(homeFiles(second).pidFile)).toBe(false);
    expect(processesMentioning(second)).toEqual([]);

    // The first agent is untouched.
    expect(alive(firstPid)).toBe(true);
    const status = await cli(['status', '--home', first]);
    expect(status.code, status.output).toBe(0);
    expect(await readPort(port)).toBe('OK');
  });
});
