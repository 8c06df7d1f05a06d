// commandRunner: a timeout or cancel never signals a package manager or what runs below it
// (AMBARI-22888). The fake `apt-get` is a shell script of that name, so /proc/PID/comm is
// "apt-get"; it waits for a file the test creates once the kill is over, then writes to its
// stdout (still a pipe of the runner) and a marker file, and records any SIGTERM it gets.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../../../support/tempDirs.mjs';
import { killTracked, pollUntilGone, procStat, running, setup, track, type TestRequest } from '../../../support/commandRuns.js';
import { runCommand, type RunResult } from '../../../../src/actors/commands/commandRunner.js';
import { MARKER_ENV, PACKAGE_MANAGERS, killLeftoverTree, sparedMessage } from '../../../../src/actors/commands/processTree.js';

afterEach(killTracked);
afterAll(removeTempDirs);

interface Fake {
  aptGet: string;
  go: string;
  done: string;
  terms: string;
  pids: string;
}

function fakeAptGet(dir: string): Fake {
  const fake: Fake = { aptGet: join(dir, 'apt-get'), go: join(dir, 'go'), done: join(dir, 'done'), terms: join(dir, 'terms'), pids: join(dir, 'pids') };
  writeFileSync(
    fake.aptGet,
    `#!/bin/sh
trap 'echo TERM >> "${fake.terms}"' TERM
while [ ! -f "${fake.go}" ]; do sleep 0.05; done
echo "apt-get finished"
echo done > "${fake.done}"
`,
  );
  chmodSync(fake.aptGet, 0o755);
  return fake;
}

/** The command script: apt-get in the background, then a sleeping sibling; prints READY. */
function commandScript(fake: Fake, stubborn: boolean): string {
  // READY only once the background child is apt-get: until its exec it is a forked sh, which a
  // kill rightly does not spare.
  return `"${fake.aptGet}" &
apt=$!
until [ "$(cat /proc/$apt/comm 2>/dev/null)" = apt-get ]; do sleep 0.01; done
echo "apt $apt" >> "${fake.pids}"
${stubborn ? `trap '' TERM\n(trap '' TERM; exec sleep 60) &` : 'sleep 60 &'}
echo "sibling $!" >> "${fake.pids}"
echo "script $$" >> "${fake.pids}"
echo READY
wait
`;
}

function readPids(fake: Fake): Record<string, number> {
  const pids: Record<string, number> = {};
  for (const line of readFileSync(fake.pids, 'utf8').split('\n').filter(Boolean)) {
    const [role, pid] = line.split(' ');
    pids[role!] = Number(pid);
    expect(track(Number(pid)), `${role} runs at READY`).toBe(true);
  }
  return pids;
}

async function waitUntil(what: string, predicate: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Lets the spared apt-get finish, and checks it did, unsignalled, and that nothing is left. */
async function letItFinish(fake: Fake, pids: Record<string, number>): Promise<void> {
  expect(procStat(pids.apt!)?.state).not.toBe('T'); // never frozen
  writeFileSync(fake.go, '');
  await waitUntil('the spared apt-get to finish', () => existsSync(fake.done) && !running(pids.apt!));
  expect(readFileSync(fake.done, 'utf8')).toBe('done\n');
  expect(existsSync(fake.terms)).toBe(false);
  expect(Object.values(pids).filter(running)).toEqual([]);
}

async function runUntilReady(req: TestRequest, fake: Fake, { cancel }: { cancel: boolean }): Promise<{ result: RunResult; pids: Record<string, number> }> {
  const controller = new AbortController();
  let pids: Record<string, number> = {};
  let seen = '';
  const result = await runCommand({
    ...req,
    signal: controller.signal,
    onOutput: (chunk) => {
      seen += chunk.stdout ?? '';
      if (Object.keys(pids).length === 0 && seen.includes('READY')) {
        pids = readPids(fake);
        if (cancel) controller.abort();
      }
    },
  });
  return { result, pids };
}

describe('package managers in a killed tree', () => {
  it('lists the original exception_list plus dpkg and dnf', () => {
    expect([...PACKAGE_MANAGERS].sort()).toEqual(['apt', 'apt-get', 'dnf', 'dpkg', 'yum', 'zypp', 'zypper']);
  });

  it('cancel: the script and its sibling are killed, apt-get and its children are left to finish', async () => {
    const req = setup('install.sh', '', { scriptType: 'SHELL' });
    const fake = fakeAptGet(req.root);
    writeFileSync(req.script, commandScript(fake, false));
    const { result, pids } = await runUntilReady(req, fake, { cancel: true });

    expect(result).toMatchObject({ cancelled: true, timedOut: false, exitCode: 143 });
    expect(running(pids.script!)).toBe(false);
    expect(running(pids.sibling!)).toBe(false);
    expect(running(pids.apt!)).toBe(true);
    expect(result.spared.map((p) => p.pid)).toContain(pids.apt);
    expect(result.spared.find((p) => p.pid === pids.apt)?.name).toBe('apt-get');
    expect(result.stderr).toContain(sparedMessage(result.spared));
    expect(sparedMessage([{ pid: 12, name: 'apt-get' }])).toBe('\nThe package manager process(es) 12 (apt-get) were left to finish.');
    await letItFinish(fake, pids);
  });

  it('timeout of a script that ignores SIGTERM: it and its sibling are frozen and SIGKILLed, apt-get is not touched', async () => {
    const req = setup('stubborn.sh', '', { scriptType: 'SHELL', timeoutSeconds: 1 });
    const fake = fakeAptGet(req.root);
    writeFileSync(req.script, commandScript(fake, true));
    const { result, pids } = await runUntilReady(req, fake, { cancel: false });

    expect(result).toMatchObject({ timedOut: true, exitCode: 999 });
    expect(running(pids.script!)).toBe(false);
    expect(running(pids.sibling!)).toBe(false);
    expect(running(pids.apt!)).toBe(true);
    expect(result.spared.map((p) => p.pid)).toContain(pids.apt);
    await letItFinish(fake, pids);
  });

  it('a leftover tree (its agent gone) is killed the same way: apt-get spared', async () => {
    const dir = tempDir('aa-leftover-');
    const fake = fakeAptGet(dir);
    const marker = `leftover-${process.pid}-${Date.now()}`;
    const root = spawn('/bin/sh', ['-c', commandScript(fake, false)], { detached: true, stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, [MARKER_ENV]: marker } });
    let out = '';
    root.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await waitUntil('the leftover tree to be READY', () => out.includes('READY'));
    const pids = readPids(fake);
    const exited = new Promise((resolve) => root.once('exit', resolve));

    const { killed, spared } = await killLeftoverTree({ pid: root.pid!, startTime: procStat(root.pid!)!.start, marker });
    expect(killed).toEqual(expect.arrayContaining([pids.script, pids.sibling]));
    expect(killed).not.toContain(pids.apt);
    expect(spared.map((p) => p.pid)).toContain(pids.apt);
    await exited;
    expect(await pollUntilGone([pids.script!, pids.sibling!], Date.now() + 5000)).toEqual([]);
    await letItFinish(fake, pids);
  });
});
