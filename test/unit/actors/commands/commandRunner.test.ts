// commandRunner: one attempt of one command, with real python3 / sh processes.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { removeTempDirs } from '../../../support/tempDirs.mjs';
import { killTracked, pollUntilGone, running, setup, track, type TestRequest } from '../../../support/commandRuns.js';
import { TIMEOUT_EXIT_CODE } from '../../../../src/machines/command.js';
import { commandFiles } from '../../../../src/actors/commands/commandFiles.js';
import { DEFAULT_OUTPUT_CHARS, runCommand, timeoutMessage } from '../../../../src/actors/commands/commandRunner.js';
import { KILL_GRACE_MS } from '../../../../src/actors/commands/processTree.js';

afterEach(killTracked);
afterAll(removeTempDirs);

const DUMP_ARGV = `
import json, os, sys
with open(sys.argv[4], 'w') as f:
    json.dump({'argv': sys.argv, 'cwd': os.getcwd()}, f)
`;

/**
 * A python script that builds a tree, records every pid of it in TMPDIR/pids, prints READY and
 * sleeps. Its tree: 2 x `sleep 60`; a shell that starts `setsid sleep 60 &` (a new session and
 * process group) and waits; a shell that starts `setsid sleep 60 &` and exits at once, so that
 * the sleep is orphaned to init (neither in the group nor in the ppid tree any more).
 */
function treeScript(ignoreTerm: boolean): string {
  return `
import os, signal, subprocess, sys, time
${ignoreTerm ? 'signal.signal(signal.SIGTERM, signal.SIG_IGN)  # inherited by the children' : ''}
pids_file = os.path.join(sys.argv[6], 'pids')
bg = 'if command -v setsid >/dev/null 2>&1; then setsid sleep 60 & else sleep 60 & fi; echo $! >> "$1"'
kids = [subprocess.Popen(['sleep', '60']) for _ in range(2)]
staying = subprocess.Popen(['/bin/sh', '-c', bg + '; wait', 'sh', pids_file])
leaving = subprocess.Popen(['/bin/sh', '-c', bg + '; exit 0', 'sh', pids_file])
leaving.wait()
while True:
    with open(pids_file) as f:
        if len(f.read().split()) >= 2:
            break
    time.sleep(0.01)
with open(pids_file, 'a') as f:
    for p in [os.getpid(), staying.pid] + [k.pid for k in kids]:
        f.write('%d\\n' % p)
print('READY', flush=True)
time.sleep(30)
`;
}

/** True once, for the chunk that completes "READY" (chunks may split it). */
function readyWatcher(): (text: string | undefined) => boolean {
  let all = '';
  let fired = false;
  return (text) => {
    all += text ?? '';
    if (fired || !all.includes('READY')) return false;
    fired = true;
    return true;
  };
}

/** Reads TMPDIR/pids once the script printed READY; every pid must be running then. */
function recordTree(req: TestRequest): number[] {
  const pids = readFileSync(join(req.tmpDir, 'pids'), 'utf8').split(/\s+/).filter(Boolean).map(Number);
  for (const pid of pids) expect(track(pid), `pid ${pid} runs at READY`).toBe(true);
  return pids;
}

// ---- tests

describe('runCommand', () => {
  it('runs a python script with the original argument list; files and result are right', async () => {
    const req = setup(
      'ok.py',
      `${DUMP_ARGV}
print('to stdout')
sys.stderr.write('to stderr\\n')
`,
    );
    const files = commandFiles(req.prefixDir, req.taskId);
    writeFileSync(files.output, 'stale output from an earlier attempt that is longer\n');
    const result = await runCommand(req);

    expect(result.exitCode).toBe(0);
    expect(result.timedOut).toBe(false);
    expect(result.cancelled).toBe(false);
    expect(result.pid).toBeGreaterThan(0);
    expect(result.stdout).toBe('to stdout\n');
    expect(result.stderr).toBe('to stderr\n');
    expect(readFileSync(files.output, 'utf8')).toBe('to stdout\n');
    expect(readFileSync(files.errors, 'utf8')).toBe('to stderr\n');
    expect(JSON.parse(readFileSync(files.commandJson, 'utf8'))).toEqual(req.command);
    expect(readFileSync(files.commandJson, 'utf8')).toContain('\n  "taskId": 7');
    expect(statSync(files.commandJson).mode & 0o777).toBe(0o600);
    expect(result.structuredOut).toEqual({
      argv: [req.script, 'INSTALL', files.commandJson, req.baseDir, files.structuredOut, 'INFO', req.tmpDir, 'PROTOCOL_TLSv1_2', ''],
      cwd: req.baseDir,
    });
  });

  it('reports a non-zero exit as a result; stale or invalid structured output gives {}; cwd falls back to the prefix', async () => {
    const req = setup('fail.py', `import sys, os\nsys.stderr.write(os.getcwd())\nsys.exit(3)\n`, {
      logLevel: 'DEBUG',
      auto: true,
    });
    req.scripts = [{ script: req.script, baseDir: join(req.baseDir, 'missing') }];
    const files = commandFiles(req.prefixDir, req.taskId, true);
    writeFileSync(files.structuredOut, '{"from": "an earlier attempt"}');
    const result = await runCommand(req);
    expect(result.exitCode).toBe(3);
    expect(result.structuredOut).toEqual({});
    expect(result.stderr).toBe(req.prefixDir);
    expect(existsSync(files.commandJson)).toBe(true);

    const invalid = setup('invalid.py', `import sys\nopen(sys.argv[4], 'w').write('{not json')\n`);
    const second = await runCommand(invalid);
    expect(second.exitCode).toBe(0);
    expect(second.structuredOut).toEqual({});
  });

  it('runs a SHELL script with /bin/sh and the same arguments', async () => {
    const req = setup(
      'ok.sh',
      `echo "args: $*"\necho oops >&2\nprintf '{"shell": true, "level": "%s"}' "$5" > "$4"\nexit 0\n`,
      { scriptType: 'SHELL', commandName: 'START', logLevel: 'WARN' },
    );
    const files = commandFiles(req.prefixDir, req.taskId);
    const result = await runCommand(req);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(
      `args: START ${files.commandJson} ${req.baseDir} ${files.structuredOut} WARN ${req.tmpDir} PROTOCOL_TLSv1_2 \n`,
    );
    expect(result.stderr).toBe('oops\n');
    expect(result.structuredOut).toEqual({ shell: true, level: 'WARN' });
  });

  it('throws for an unknown script type and for a missing script, naming them', async () => {
    const req = setup('x.py', 'pass\n');
    await expect(runCommand({ ...req, scriptType: 'PUPPET' })).rejects.toThrow(/PUPPET/);
    const missing = join(req.baseDir, 'nope.py');
    await expect(runCommand({ ...req, scripts: [{ script: missing, baseDir: req.baseDir }] })).rejects.toThrow(`Script ${missing} does not exist`);
    expect(existsSync(commandFiles(req.prefixDir, req.taskId).commandJson)).toBe(false);
  });

  it('keeps only the tail of a large output (its last log_max_symbols_size characters), all of it in the file', async () => {
    expect(DEFAULT_OUTPUT_CHARS).toBe(900_000);
    const req = setup('big.py', `import sys\nsys.stdout.write('a' * 3000 + '\\n' + 'é' * 1500 + '\\n' + 'b' * 1000 + 'END')\n`);
    const result = await runCommand({ ...req, outputChars: 2600 });
    // The last 2600 characters (multi-byte ones count once).
    expect(result.stdout).toBe('a'.repeat(95) + '\n' + 'é'.repeat(1500) + '\n' + 'b'.repeat(1000) + 'END');
    expect(statSync(commandFiles(req.prefixDir, req.taskId).output).size).toBe(3001 + 3001 + 1003);
    // The default keeps it all.
    const all = await runCommand(req);
    expect(all.stdout.length).toBe(3001 + 1501 + 1003);
  });

  it('streams output live through onOutput before the script exits', async () => {
    // The script waits for a file that only the onOutput callback creates: without live
    // output it would run into its timeout.
    const req = setup(
      'live.py',
      `import os, sys, time
print('hello live', flush=True)
go = os.path.join(sys.argv[6], 'go')
while not os.path.exists(go):
    time.sleep(0.01)
print('bye')
`,
      { timeoutSeconds: 5 },
    );
    const chunks: string[] = [];
    const result = await runCommand({
      ...req,
      onOutput: (chunk) => {
        if (chunk.stdout) chunks.push(chunk.stdout);
        if (chunks.join('').includes('hello live')) writeFileSync(join(req.tmpDir, 'go'), '');
      },
    });
    expect(result.timedOut).toBe(false);
    expect(result.exitCode).toBe(0);
    expect(chunks.join('')).toBe('hello live\nbye\n');
    expect(result.stdout).toBe('hello live\nbye\n');
  });

  it('on timeout: exit code 999, the timeout line, and the whole tree (new sessions, orphans) gone', async () => {
    const req = setup('tree.py', treeScript(false), { timeoutSeconds: 1 });
    let pids: number[] = [];
    const sawReady = readyWatcher();
    const startedAt = Date.now();
    const result = await runCommand({
      ...req,
      onOutput: (chunk) => {
        if (sawReady(chunk.stdout)) pids = recordTree(req);
      },
    });
    const deadline = startedAt + 1000;

    expect(pids.length).toBe(6); // 2 setsid sleeps, python, the staying shell, 2 sleeps
    expect(result.timedOut).toBe(true);
    expect(result.cancelled).toBe(false);
    expect(result.exitCode).toBe(TIMEOUT_EXIT_CODE);
    expect(result.stdout).toBe('READY\n');
    expect(result.stderr.endsWith(timeoutMessage(1))).toBe(true);
    expect(timeoutMessage(1)).toBe('\nPython script has been killed due to timeout after waiting 1 secs');
    const errors = readFileSync(commandFiles(req.prefixDir, req.taskId).errors, 'utf8');
    expect(errors.endsWith(timeoutMessage(1))).toBe(true);

    const left = await pollUntilGone(pids, deadline + 2000);
    expect(left).toEqual([]);
    expect(Date.now()).toBeLessThanOrEqual(deadline + 2000 + 100);
  });

  it('on cancel: kills the tree (SIGKILL after the grace when SIGTERM is ignored), cancelled, non-zero exit', async () => {
    const req = setup('stubborn.py', treeScript(true), { timeoutSeconds: 10 });
    const controller = new AbortController();
    let pids: number[] = [];
    const sawReady = readyWatcher();
    let abortedAt = 0;
    const result = await runCommand({
      ...req,
      signal: controller.signal,
      onOutput: (chunk) => {
        if (sawReady(chunk.stdout)) {
          pids = recordTree(req);
          abortedAt = Date.now();
          controller.abort();
        }
      },
    });
    expect(abortedAt).toBeGreaterThan(0);
    expect(result.cancelled).toBe(true);
    expect(result.timedOut).toBe(false);
    expect(result.exitCode).toBe(128 + 9); // SIGTERM ignored: killed by SIGKILL
    expect(result.stderr).not.toContain('timeout');
    // Nothing left by the time the promise resolved; that took the grace, not much more.
    expect(pids.filter(running)).toEqual([]);
    expect(Date.now() - abortedAt).toBeGreaterThanOrEqual(KILL_GRACE_MS - 100);
    expect(Date.now() - abortedAt).toBeLessThan(KILL_GRACE_MS + 1500);
  });

  it('on cancel of a script that honours SIGTERM: exit 143 without waiting for the grace', async () => {
    const req = setup('polite.py', treeScript(false), { timeoutSeconds: 10 });
    const controller = new AbortController();
    let pids: number[] = [];
    const sawReady = readyWatcher();
    let abortedAt = 0;
    const result = await runCommand({
      ...req,
      signal: controller.signal,
      onOutput: (chunk) => {
        if (sawReady(chunk.stdout)) {
          pids = recordTree(req);
          abortedAt = Date.now();
          controller.abort();
        }
      },
    });
    expect(result.cancelled).toBe(true);
    expect(result.exitCode).toBe(128 + 15);
    expect(pids.length).toBe(6);
    expect(pids.filter(running)).toEqual([]);
    expect(Date.now() - abortedAt).toBeLessThan(KILL_GRACE_MS);
  });

  it('with an already aborted signal runs nothing', async () => {
    const req = setup('never.py', `import sys\nopen(sys.argv[6] + '/ran', 'w').close()\n`);
    const controller = new AbortController();
    controller.abort();
    const result = await runCommand({ ...req, signal: controller.signal });
    expect(result).toMatchObject({ cancelled: true, exitCode: 143, stdout: '', stderr: '' });
    expect(result.pid).toBeUndefined();
    expect(existsSync(join(req.tmpDir, 'ran'))).toBe(false);
  });
});
