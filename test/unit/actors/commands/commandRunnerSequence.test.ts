// commandRunner: the sequence of scripts of one attempt (hooks + script), the argument list,
// the interpreter, the scripts' environment, [agent] tmp_dir and the output backups.
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { removeTempDirs } from '../../../support/tempDirs.mjs';
import { killTracked, running, setup, testEnvironment, track, type TestRequest } from '../../../support/commandRuns.js';
import { TIMEOUT_EXIT_CODE } from '../../../../src/machines/command.js';
import { commandFiles } from '../../../../src/actors/commands/commandFiles.js';
import { runCommand, timeoutMessage } from '../../../../src/actors/commands/commandRunner.js';
import { MARKER_ENV, type SpawnedProcess } from '../../../../src/actors/commands/processTree.js';
import { ENCRYPTION_KEY_ENV, pythonInterpreter, scriptEnvironment, scriptExtraArgs } from '../../../../src/actors/commands/scriptEnvironment.js';
import { configFromText } from '../../../../src/config/loadConfig.js';

afterEach(killTracked);
afterAll(removeTempDirs);

/**
 * A SHELL script in its own base dir under the fixture's root: prints NAME, its BASEDIR and
 * cwd on stdout and NAME on stderr, records that it ran in ROOT/ran, then runs `tail`.
 */
function addScript(req: TestRequest, name: string, tail = ''): { script: string; baseDir: string } {
  const baseDir = join(req.root, `hooks-${name}`);
  mkdirSync(baseDir, { recursive: true });
  const script = join(baseDir, `${name}.sh`);
  writeFileSync(script, `echo "${name} base=$3 cwd=$(pwd)"\necho "${name} err" >&2\necho ${name} >> "${join(req.root, 'ran')}"\n${tail}\n`);
  return { script, baseDir };
}

const ran = (req: TestRequest): string[] => (existsSync(join(req.root, 'ran')) ? readFileSync(join(req.root, 'ran'), 'utf8').split('\n').filter(Boolean) : []);

function shellRequest(): TestRequest {
  return setup('unused.sh', 'exit 0\n', { scriptType: 'SHELL' });
}

describe('a sequence of scripts', () => {
  it('runs them in order with their own BASEDIR and cwd; output appended; structured output kept across; the last pid', async () => {
    const req = shellRequest();
    const before = addScript(req, 'before', `printf '{"from": "before"}' > "$4"`);
    const main = addScript(req, 'main', `cat "$4" > "${join(req.root, 'seen-by-main')}"`);
    const after = addScript(req, 'after', `printf '{"from": "after"}' > "$4"`);
    const files = commandFiles(req.prefixDir, req.taskId);
    writeFileSync(files.structuredOut, '{"from": "an earlier attempt"}');
    const spawned: SpawnedProcess[] = [];
    const result = await runCommand({ ...req, scripts: [before, main, after], onSpawn: (p) => spawned.push(p) });

    expect(result.exitCode).toBe(0);
    expect(ran(req)).toEqual(['before', 'main', 'after']);
    const line = (name: string, dir: string) => `${name} base=${dir} cwd=${dir}\n`;
    expect(result.stdout).toBe(line('before', before.baseDir) + line('main', main.baseDir) + line('after', after.baseDir));
    expect(readFileSync(files.output, 'utf8')).toBe(result.stdout);
    expect(readFileSync(files.errors, 'utf8')).toBe('before err\nmain err\nafter err\n');
    // Removed once before the first script, then kept: main saw what before wrote.
    expect(readFileSync(join(req.root, 'seen-by-main'), 'utf8')).toBe('{"from": "before"}');
    expect(result.structuredOut).toEqual({ from: 'after' });
    expect(spawned).toHaveLength(3);
    expect(new Set(spawned.map((p) => p.pid)).size).toBe(3);
    expect(new Set(spawned.map((p) => p.marker)).size).toBe(3);
    expect(result.pid).toBe(spawned[2]!.pid);
  });

  it("runs a step with its own scriptType: a Python hook.py around a SHELL command's script", async () => {
    const req = shellRequest();
    const hookDir = join(req.root, 'before-INSTALL');
    mkdirSync(hookDir, { recursive: true });
    writeFileSync(join(hookDir, 'hook.py'), `import sys\nprint("python hook for " + sys.argv[1])\n`);
    const main = addScript(req, 'main');
    const result = await runCommand({ ...req, scripts: [{ script: join(hookDir, 'hook.py'), baseDir: hookDir, scriptType: 'PYTHON' }, main] });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain(`python hook for ${req.commandName}\n`);
    expect(ran(req)).toEqual(['main']);
  });

  it('stops at the first non-zero exit, whose code is the result', async () => {
    const req = shellRequest();
    const scripts = [addScript(req, 'one'), addScript(req, 'two', 'exit 4'), addScript(req, 'three')];
    const result = await runCommand({ ...req, scripts });
    expect(result.exitCode).toBe(4);
    expect(result.timedOut).toBe(false);
    expect(ran(req)).toEqual(['one', 'two']);
    expect(result.stderr).toBe('one err\ntwo err\n');
  });

  it('gives each script the whole timeout; a timeout kills the running one and runs nothing after it', async () => {
    const req = shellRequest();
    // Together over the timeout, each well under it.
    const slow = [addScript(req, 'slow1', 'sleep 1.2'), addScript(req, 'slow2', 'sleep 1.2')];
    const unhurried = await runCommand({ ...req, scripts: slow, timeoutSeconds: 2 });
    expect(unhurried).toMatchObject({ exitCode: 0, timedOut: false });
    expect(ran(req)).toEqual(['slow1', 'slow2']);

    const again = shellRequest();
    const scripts = [addScript(again, 'first'), addScript(again, 'stuck', 'echo $$ > "$(dirname "$0")/pid"; exec sleep 60'), addScript(again, 'never')];
    const result = await runCommand({ ...again, scripts, timeoutSeconds: 1 });
    expect(result).toMatchObject({ exitCode: TIMEOUT_EXIT_CODE, timedOut: true, cancelled: false });
    expect(ran(again)).toEqual(['first', 'stuck']);
    expect(result.stderr).toBe(`first err\nstuck err\n${timeoutMessage(1)}`);
    const stuck = Number(readFileSync(join(scripts[1]!.baseDir, 'pid'), 'utf8'));
    expect(track(stuck)).toBe(false); // gone by the time the result came
  });

  it('a cancel kills the running script and runs nothing after it', async () => {
    const req = shellRequest();
    const scripts = [addScript(req, 'first'), addScript(req, 'waiting', 'echo READY; sleep 60'), addScript(req, 'never')];
    const controller = new AbortController();
    let pid = 0;
    const result = await runCommand({
      ...req,
      scripts,
      signal: controller.signal,
      onSpawn: (p) => {
        pid = p.pid;
        track(p.pid);
      },
      onOutput: (chunk) => {
        if (chunk.stdout?.includes('READY')) controller.abort();
      },
    });
    expect(result).toMatchObject({ cancelled: true, timedOut: false, exitCode: 143 });
    expect(result.pid).toBe(pid);
    expect(ran(req)).toEqual(['first', 'waiting']);
    expect(running(pid)).toBe(false);
  });

  it('checks every script up front; an empty sequence is a setup error', async () => {
    const req = shellRequest();
    const first = addScript(req, 'first');
    const missing = join(req.root, 'hooks-x', 'missing.sh');
    await expect(runCommand({ ...req, scripts: [first, { script: missing, baseDir: req.root }] })).rejects.toThrow(`Script ${missing} does not exist`);
    expect(ran(req)).toEqual([]);
    await expect(runCommand({ ...req, scripts: [] })).rejects.toThrow(/No script to run/);
  });
});

describe('arguments, interpreter and environment', () => {
  it('passes TMPDIR and the extra arguments (PROTOCOL CA_CERT_PATH -o) after the original six', async () => {
    const req = setup('argv.sh', 'for a in "$@"; do echo "[$a]"; done\n', { scriptType: 'SHELL' });
    const files = commandFiles(req.prefixDir, req.taskId);
    const result = await runCommand({ ...req, environment: testEnvironment(req.tmpDir, { extraArgs: ['PROTOCOL_TLSv1_2', '/etc/ca.pem', '-o'] }) });
    expect(result.stdout.split('\n').filter(Boolean)).toEqual(
      ['INSTALL', files.commandJson, req.baseDir, files.structuredOut, 'INFO', req.tmpDir, 'PROTOCOL_TLSv1_2', '/etc/ca.pem', '-o'].map((a) => `[${a}]`),
    );
  });

  it('the extra arguments come from [security] force_https_protocol, ca_cert_path and [logging] log_out_files', () => {
    const defaults = configFromText('', '/h/a.ini', '/h');
    expect(scriptExtraArgs(defaults)).toEqual(['PROTOCOL_TLSv1_2', '']);
    const set = configFromText('[security]\nforce_https_protocol=PROTOCOL_TLSv1_3\nca_cert_path=/etc/ca.pem\n[logging]\nlog_out_files=\n', '/h/a.ini', '/h');
    expect(scriptExtraArgs(set)).toEqual(['PROTOCOL_TLSv1_3', '/etc/ca.pem', '-o']);
    const environment = scriptEnvironment(set, () => 'k', { PYTHON: '/opt/py/bin/python3.9' });
    expect(environment).toMatchObject({ interpreter: '/opt/py/bin/python3.9', tmpDir: '/var/lib/ambari-agent/tmp', extraArgs: ['PROTOCOL_TLSv1_3', '/etc/ca.pem', '-o'] });
    expect(environment.encryptionKey()).toBe('k');
  });

  it('PYTHON picks the interpreter of PYTHON scripts; unset or empty means python3', async () => {
    expect(pythonInterpreter({ PYTHON: '/usr/bin/python3.9' })).toBe('/usr/bin/python3.9');
    expect(pythonInterpreter({ PYTHON: '' })).toBe('python3');
    expect(pythonInterpreter({})).toBe('python3');

    const req = setup('hello.py', "print('hello from python')\n");
    const fake = join(req.root, 'fake-python');
    writeFileSync(fake, '#!/bin/sh\necho "fake interpreter got $1"\nexec python3 "$@"\n');
    chmodSync(fake, 0o755);
    const result = await runCommand({ ...req, environment: testEnvironment(req.tmpDir, { interpreter: fake }) });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(`fake interpreter got ${req.script}\nhello from python\n`);
  });

  it('the scripts get the agent environment, AGENT_ENCRYPTION_KEY when the server sent one, and the run marker', async () => {
    const dump = `import json, os, sys\njson.dump({k: os.environ.get(k) for k in ['FROM_AGENT', '${ENCRYPTION_KEY_ENV}', '${MARKER_ENV}']}, open(sys.argv[4], 'w'))\n`;
    const req = setup('env.py', dump);
    let key: string | undefined;
    const environment = testEnvironment(req.tmpDir, { encryptionKey: () => key, baseEnv: { ...process.env, FROM_AGENT: 'yes', [ENCRYPTION_KEY_ENV]: undefined } });
    const spawned: SpawnedProcess[] = [];
    const without = await runCommand({ ...req, environment, onSpawn: (p) => spawned.push(p) });
    expect(without.structuredOut).toEqual({ FROM_AGENT: 'yes', [ENCRYPTION_KEY_ENV]: null, [MARKER_ENV]: spawned[0]!.marker });
    key = 's3cr3t-key';
    const withKey = await runCommand({ ...req, environment });
    expect(withKey.structuredOut).toMatchObject({ FROM_AGENT: 'yes', [ENCRYPTION_KEY_ENV]: 's3cr3t-key' });
  });
});

describe('[agent] tmp_dir', () => {
  it('is created with mode 0700 when missing; one that cannot be made is a setup error naming it', async () => {
    const req = setup('t.sh', 'test -d "$6" && echo "tmp ok"\n', { scriptType: 'SHELL' });
    const tmpDir = join(req.root, 'deep', 'tmp');
    const result = await runCommand({ ...req, environment: testEnvironment(tmpDir) });
    expect(result.stdout).toBe('tmp ok\n');
    expect(statSync(tmpDir).mode & 0o777).toBe(0o700);

    const blocked = join(req.root, 'a-file');
    writeFileSync(blocked, '');
    await expect(runCommand({ ...req, environment: testEnvironment(join(blocked, 'tmp')) })).rejects.toThrow(`Cannot create [agent] tmp_dir ${join(blocked, 'tmp')}`);
    await expect(runCommand({ ...req, environment: testEnvironment(blocked) })).rejects.toThrow(`Cannot create [agent] tmp_dir ${blocked}`);
  });
});

describe('output backups', () => {
  it('moves an earlier attempt\'s output and errors to FILE.0, FILE.1, ... before a new attempt', async () => {
    const req = setup('n.sh', 'n=$(cat "$6/n" 2>/dev/null || echo 0); echo "run $n"; echo "err $n" >&2; echo $((n + 1)) > "$6/n"\n', { scriptType: 'SHELL' });
    const files = commandFiles(req.prefixDir, req.taskId);
    for (let i = 0; i < 3; i++) await runCommand(req);
    expect(readFileSync(files.output, 'utf8')).toBe('run 2\n');
    expect(readFileSync(`${files.output}.0`, 'utf8')).toBe('run 0\n');
    expect(readFileSync(`${files.output}.1`, 'utf8')).toBe('run 1\n');
    expect(readFileSync(`${files.errors}.1`, 'utf8')).toBe('err 1\n');
    expect(existsSync(`${files.output}.2`)).toBe(false);
  });

  it('keeps none for status commands (backupOutput false): the files are simply overwritten', async () => {
    const req = setup('s.sh', 'echo status\n', { scriptType: 'SHELL', backupOutput: false });
    for (let i = 0; i < 2; i++) await runCommand(req);
    expect(readdirSync(req.prefixDir).sort()).toEqual(['command-7.json', 'errors-7.txt', 'output-7.txt']);
  });
});
