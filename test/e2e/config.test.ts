// init's file modes, --version and reset. Bad input (ini, dirs, env file, command line) is in
// badInput.test.ts.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, cli, homeFiles, iniValue, newHome, readPidFile, ROOT, startAgent } from './helpers.js';

afterEach(cleanup);

describe('init', () => {
  it('keeps secrets private: the keys dir 0700, ambari-env.sh 0600, the logs 0640', async () => {
    const home = await newHome();
    const mode = (path: string) => statSync(path).mode & 0o777;
    expect(mode(iniValue(home, 'security', 'keysdir')!)).toBe(0o700);
    expect(mode(join(dirname(homeFiles(home).ini), 'ambari-env.sh'))).toBe(0o600);
    const started = await startAgent(home);
    expect(started.code, started.output).toBe(0);
    expect(mode(homeFiles(home).logFile)).toBe(0o640);
    expect(mode(homeFiles(home).outFile)).toBe(0o640);
  });
});

describe('version', () => {
  it('--version prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const result = await cli(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  });
});

describe('reset', () => {
  it('rewrites [server] hostname, clears the keys dir and keeps the rest of the ini', async () => {
    const home = await newHome();
    const { ini, keysdir } = homeFiles(home);
    writeFileSync(join(keysdir, 'ca.crt'), 'cert');
    writeFileSync(join(keysdir, 'agent.key'), 'key');
    const before = readFileSync(ini, 'utf8').split('\n');

    const result = await cli(['reset', 'new-server.example.test', '--home', home]);
    expect(result.code, result.output).toBe(0);
    expect(result.stdout).toContain('ambari-agent has been reset successfully');
    expect(iniValue(home, 'server', 'hostname')).toBe('new-server.example.test');
    expect(readdirSync(keysdir)).toEqual([]);

    const after = readFileSync(ini, 'utf8').split('\n');
    expect(after).toHaveLength(before.length);
    const changed = after.map((line, i) => [before[i], line]).filter(([a, b]) => a !== b);
    expect(changed).toEqual([['hostname=127.0.0.1', 'hostname=new-server.example.test']]);
    // The rewritten ini still loads.
    expect((await cli(['status', '--home', home])).code).toBe(3);
  });

  it('refuses while the agent runs, and without a host', async () => {
    const home = await newHome();
    const noHost = await cli(['reset', '--home', home]);
    expect(noHost.code).toBe(1);
    expect(noHost.output).toContain('You must supply the hostname of the Ambari Server');

    const started = await startAgent(home);
    expect(started.code, started.output).toBe(0);
    writeFileSync(join(homeFiles(home).keysdir, 'ca.crt'), 'cert');
    const running = await cli(['reset', 'other.example.test', '--home', home]);
    expect(running.code).toBe(1);
    expect(running.output).toContain('ambari-agent is running. You must stop it before using reset.');
    expect(iniValue(home, 'server', 'hostname')).toBe('127.0.0.1');
    expect(readdirSync(homeFiles(home).keysdir)).toEqual(['ca.crt']);
    expect(readPidFile(home)).toBe(started.pid);
  });
});
