// Shared by the command runner's unit tests: process bookkeeping (every pid a test learns
// about is SIGKILLed afterwards, by pid AND start time, whatever happened) and a request
// fixture with its own prefix, package and tmp dirs.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunRequest } from '../../src/actors/commands/commandRunner.js';
import type { ScriptEnvironment } from '../../src/actors/commands/scriptEnvironment.js';
import { tempDir } from './tempDirs.mjs';

/** pid -> start time (field 22 of /proc/PID/stat), so that a recycled pid is never signalled. */
const seen = new Map<number, string>();

export function procStat(pid: number): { state: string; start: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0]!, start: fields[19]! };
  } catch {
    return undefined;
  }
}

/** Records a pid that runs now; returns false when it is not running. */
export function track(pid: number): boolean {
  const s = procStat(pid);
  if (!s || s.state === 'Z') return false;
  seen.set(pid, s.start);
  return true;
}

/** Zombie-aware: gone when /proc has no such process, a zombie, or a recycled pid. */
export function running(pid: number): boolean {
  const s = procStat(pid);
  return s !== undefined && s.state !== 'Z' && s.state !== 'X' && s.start === seen.get(pid);
}

export async function pollUntilGone(pids: number[], deadline: number): Promise<number[]> {
  for (;;) {
    const left = pids.filter(running);
    if (left.length === 0 || Date.now() >= deadline) return left;
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** For afterEach: SIGKILLs every tracked process still running. */
export function killTracked(): void {
  for (const pid of seen.keys()) {
    if (running(pid)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
  }
  seen.clear();
}

/** A request with one script; `script`, `baseDir` and `tmpDir` are kept for the assertions. */
export type TestRequest = RunRequest & { script: string; baseDir: string; tmpDir: string; root: string };

export function testEnvironment(tmpDir: string, overrides: Partial<ScriptEnvironment> = {}): ScriptEnvironment {
  return { interpreter: 'python3', tmpDir, extraArgs: ['PROTOCOL_TLSv1_2', ''], encryptionKey: () => undefined, ...overrides };
}

export function setup(scriptName: string, body: string, overrides: Partial<RunRequest> = {}): TestRequest {
  const root = tempDir('aa-cmdrun-');
  const prefixDir = join(root, 'prefix');
  const baseDir = join(root, 'package');
  const tmpDir = join(root, 'tmp');
  for (const d of [prefixDir, baseDir]) mkdirSync(d);
  const script = join(baseDir, scriptName);
  writeFileSync(script, body);
  return {
    command: { taskId: 7, roleCommand: 'INSTALL', commandParams: { command_timeout: '10', script_type: 'PYTHON' } },
    taskId: 7,
    prefixDir,
    scripts: [{ script, baseDir }],
    scriptType: 'PYTHON',
    commandName: 'INSTALL',
    environment: testEnvironment(tmpDir),
    timeoutSeconds: 10,
    backupOutput: true,
    script,
    baseDir,
    tmpDir,
    root,
    ...overrides,
  };
}
