// Runs the real CLI (bin/ambari-agent) and tracks every agent home a test creates, so that
// `cleanupAll` can stop what is still running (by pid, never by name).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const BIN = join(ROOT, 'bin/ambari-agent');

/** home -> the temp dir to remove at clean-up. */
const homes = new Map();

/** Runs `ambari-agent ...args`; resolves with { code, stdout, stderr, output }. */
export function cli(args, options = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr, output: stdout + stderr }));
  });
}

/**
 * A fresh home made by `ambari-agent init`; extra `--set section.key=value` settings allowed.
 * @param {{ servers?: string[]; urlPort?: number; set?: string[] }} [options]
 */
/**
 * subdir: the home goes that deep below a fresh temp dir (the whole temp dir is removed at clean-up).
 * @param {{ servers?: string[]; urlPort?: number; set?: string[]; subdir?: string }} [options]
 */
export async function makeHome({ servers = ['127.0.0.1'], urlPort, set = [], subdir } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'aa-home-'));
  const home = subdir ? join(root, subdir) : root;
  homes.set(home, root);
  const args = ['init', '--home', home, ...servers.flatMap((s) => ['--server', s]), ...set.flatMap((s) => ['--set', s])];
  if (urlPort !== undefined) args.push('--url-port', String(urlPort));
  const result = await cli(args);
  if (result.code !== 0) throw new Error(`init failed: ${result.output}`);
  return home;
}

export const homeFiles = (home) => ({
  ini: join(home, 'etc/ambari-agent/conf/ambari-agent.ini'),
  pidFile: join(home, 'var/run/ambari-agent/ambari-agent.pid'),
  outFile: join(home, 'var/log/ambari-agent/ambari-agent.out'),
  logFile: join(home, 'var/log/ambari-agent/ambari-agent.log'),
  prefix: join(home, 'var/lib/ambari-agent/data'),
  keysdir: join(home, 'var/lib/ambari-agent/keys'),
});

export function readPidFile(home) {
  const file = homeFiles(home).pidFile;
  return existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : undefined;
}

export function alive(pid) {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

export async function waitFor(predicate, { timeoutMs = 15000, intervalMs = 50, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await predicate();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export function parentPid(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** Stops every agent a test home still runs (agent pid and its wrapper), then deletes the homes. */
export async function cleanupAll() {
  for (const [home, root] of homes) {
    const pid = readPidFile(home);
    if (pid && alive(pid)) {
      const wrapper = parentPid(pid);
      await cli(['stop', '--home', home]);
      for (const p of [pid, wrapper]) if (p && p > 1 && alive(p)) { try { process.kill(p, 'SIGKILL'); } catch {} }
    }
    rmSync(root, { recursive: true, force: true });
  }
  homes.clear();
}
