// Configuration mistakes, usage, --version and reset.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, cli, homeFiles, iniValue, newHome, processesMentioning, readPidFile, ROOT, startAgent } from './helpers.js';

afterEach(cleanup);

const USAGE = 'Usage: ambari-agent {start|stop|restart|status|reset <server_hostname>}';

function editIni(home: string, edit: (text: string) => string): string {
  const file = homeFiles(home).ini;
  const before = readFileSync(file, 'utf8');
  const after = edit(before);
  expect(after).not.toBe(before);
  writeFileSync(file, after);
  return file;
}

function expectOneLineError(result: { code: number | null; stderr: string; output: string }, ...parts: string[]) {
  expect(result.code, result.output).toBe(1);
  const lines = result.stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]!.startsWith('ERROR: ')).toBe(true);
  for (const part of parts) expect(lines[0]).toContain(part);
  expect(result.output).not.toContain('    at ');
}

describe('malformed ini', () => {
  it('a broken section header: start and status print one ERROR line naming the file, exit 1', async () => {
    const home = await newHome();
    const file = editIni(home, (text) => text.replace(/^\[server\]$/m, '[server'));
    const lineNo = readFileSync(file, 'utf8').split('\n').indexOf('[server') + 1;

    for (const command of ['start', 'status', 'stop']) {
      const result = await cli([command, '--home', home]);
      expectOneLineError(result, `ERROR: ${file}`, `line ${lineNo}`, '[server');
    }
    expect(existsSync(homeFiles(home).pidFile)).toBe(false);
    expect(processesMentioning(home)).toEqual([]);
  });

  it('a value of the wrong type names the section, key and value', async () => {
    const home = await newHome();
    const file = editIni(home, (text) => text.replace(/^url_port=.*$/m, 'url_port=abc'));
    for (const command of ['start', 'status']) {
      const result = await cli([command, '--home', home]);
      expectOneLineError(result, `ERROR: ${file}`, "[server] url_port = 'abc' is not a valid port number (0-65535)");
    }
    expect(existsSync(homeFiles(home).pidFile)).toBe(false);
    expect(processesMentioning(home)).toEqual([]);
  });

  it('a retry delay of 0 (a busy loop) or a negative cleanup size (deleting everything) is a one-line error, nothing started', async () => {
    for (const [pattern, line, message] of [
      [/^connect_retry_delay=.*$/m, 'connect_retry_delay=0', "[server] connect_retry_delay = '0' is below 1"],
      [/^data_cleanup_max_size_MB=.*$/m, 'data_cleanup_max_size_MB=-5', "[agent] data_cleanup_max_size_MB = '-5' is below 0"],
    ] as const) {
      const home = await newHome();
      const file = editIni(home, (text) => text.replace(pattern, line));
      expectOneLineError(await cli(['start', '--home', home]), `ERROR: ${file}`, message);
      expect(existsSync(homeFiles(home).pidFile)).toBe(false);
      expect(processesMentioning(home)).toEqual([]);
    }
  });

  it.each([
    ['piddir under a regular file', (home: string) => `piddir=${join(home, 'a-file/run')}`, (home: string) => [`cannot open ${join(home, 'a-file/run/ambari-agent.pid')}: ENOTDIR (a part of the path is a file, not a directory)`]],
    ['logdir that is a regular file', (home: string) => `logdir=${join(home, 'a-file')}`, (home: string) => [`cannot mkdir ${join(home, 'a-file')}: EEXIST (it exists and is not a directory)`]],
    ['piddir under /proc (Node spins in mkdir there)', () => 'piddir=/proc/ambari-agent-test', () => ["[agent] piddir = '/proc/ambari-agent-test' is under /proc, a virtual file system"]],
  ] as const)('a bad dir is one line naming it, exit 1, no hang: %s', async (_name, line, parts) => {
    const home = await newHome();
    writeFileSync(join(home, 'a-file'), 'not a directory\n');
    const key = line(home).split('=')[0]!;
    editIni(home, (text) => text.replace(new RegExp(`^${key}=.*$`, 'm'), line(home)));
    expectOneLineError(await cli(['start', '--home', home]), ...parts(home));
    expect(processesMentioning(home)).toEqual([]);
  });

  it('--home without an ini is a one-line error for every command, and nothing is created', async () => {
    const home = mkdtempSync(join(tmpdir(), 'aa-noini-'));
    try {
      for (const command of ['start', 'status', 'stop', 'restart']) {
        expectOneLineError(await cli([command, '--home', home]), `no ini at ${join(home, 'etc/ambari-agent/conf/ambari-agent.ini')}`, `ambari-agent init --home ${home}`);
      }
      expect(readdirSync(home)).toEqual([]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('init keeps secrets private: the keys dir 0700, ambari-env.sh 0600, the logs 0640', async () => {
    const home = await newHome();
    const mode = (path: string) => statSync(path).mode & 0o777;
    expect(mode(iniValue(home, 'security', 'keysdir')!)).toBe(0o700);
    expect(mode(join(dirname(homeFiles(home).ini), 'ambari-env.sh'))).toBe(0o600);
    const started = await startAgent(home);
    expect(started.code, started.output).toBe(0);
    expect(mode(homeFiles(home).logFile)).toBe(0o640);
    expect(mode(homeFiles(home).outFile)).toBe(0o640);
  });

  it('a non-numeric int value and a key before any section are one-line errors too', async () => {
    const home = await newHome();
    const file = editIni(home, (text) => text.replace(/^connect_retry_delay=.*$/m, 'connect_retry_delay=soon'));
    expectOneLineError(await cli(['start', '--home', home]), file, "[server] connect_retry_delay = 'soon' is not a whole number");

    editIni(home, (text) => `stray=1\n${text.replace(/^connect_retry_delay=.*$/m, 'connect_retry_delay=1')}`);
    expectOneLineError(await cli(['start', '--home', home]), file, 'line 1', 'stray');
    expect(processesMentioning(home)).toEqual([]);
  });
});

describe('ambari-env.sh', () => {
  it('a file the shell fails on: start prints one ERROR line naming it and what the shell said, exit 1, nothing started', async () => {
    const home = await newHome();
    const envFile = join(dirname(homeFiles(home).ini), 'ambari-env.sh');
    writeFileSync(envFile, 'export A=1\nno_such_command_in_env_file\nreturn 2\n');
    for (const command of ['start', 'restart']) {
      const result = await cli([command, '--home', home]);
      expectOneLineError(result, `ERROR: ${envFile}`, 'exit code 2', 'no_such_command_in_env_file');
    }
    expect(existsSync(homeFiles(home).pidFile)).toBe(false);
    expect(processesMentioning(home)).toEqual([]);
  });
});

describe('usage and version', () => {
  it('an unknown command prints the usage and exits 1', async () => {
    const result = await cli(['frobnicate']);
    expect(result.code).toBe(1);
    expect(result.output).toContain(USAGE);
    expect(result.output).toContain('frobnicate');
    expect(result.output).not.toContain('    at ');
  });

  it('no command and an unknown option also exit 1 with the usage', async () => {
    for (const args of [[], ['status', '--no-such-option']]) {
      const result = await cli(args);
      expect(result.code, args.join(' ')).toBe(1);
      expect(result.output).toContain(USAGE);
      expect(result.output).not.toContain('    at ');
    }
  });

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
