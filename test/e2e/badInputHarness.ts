// What every bad-input case of badInput.test.ts needs: a fresh home in a parent dir of its own,
// the real CLI run with a bound (optionally as an unprivileged user), and the facts checked
// afterwards (processes, ping port, pid file, what exists outside the home).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, lchownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import getPort from 'get-port';
import { alive, processesMentioning, readPort, ROOT } from './helpers.js';

const BIN = join(ROOT, 'bin/ambari-agent');

/** nobody: the user an unprivileged case runs as when the tests run as root. */
export const UNPRIVILEGED_ID = 65534;
export const RUNNING_AS_ROOT = process.getuid?.() === 0;

export interface Home {
  /** The dir holding the home (and whatever a case puts beside it); removed afterwards. */
  parent: string;
  home: string;
  ini: string;
  envFile: string;
  /** Defaults of an init-made home; `set` does not move them. */
  piddir: string;
  logdir: string;
  prefix: string;
  pidFile: string;
  /** Rewrites `key=...` inside `[section]` of the ini. */
  set(section: string, key: string, value: string): void;
  /** Writes a file at `path` (relative: under the parent) and returns its absolute path. */
  write(path: string, text: string): string;
  /** Makes a dir (relative: under the parent) and returns its absolute path. */
  dir(path: string, mode?: number): string;
}

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  output: string;
  /** The run outlived its bound and was killed. */
  timedOut: boolean;
}

/** A parent dir with `home` in it: made by `init` ('init'), empty ('empty') or not there ('none'). */
export async function freshHome(kind: 'init' | 'empty' | 'none'): Promise<Home> {
  const parent = mkdtempSync(join(tmpdir(), 'aa-badinput-'));
  // Traversable by the unprivileged user (mkdtemp makes it 0700).
  chmodSync(parent, 0o755);
  const home = join(parent, 'home');
  const at = (path: string) => (path.startsWith('/') ? path : join(parent, path));
  const h: Home = {
    parent,
    home,
    ini: join(home, 'etc/ambari-agent/conf/ambari-agent.ini'),
    envFile: join(home, 'etc/ambari-agent/conf/ambari-env.sh'),
    piddir: join(home, 'var/run/ambari-agent'),
    logdir: join(home, 'var/log/ambari-agent'),
    prefix: join(home, 'var/lib/ambari-agent/data'),
    pidFile: join(home, 'var/run/ambari-agent/ambari-agent.pid'),
    set: (section, key, value) => writeFileSync(h.ini, withIniValue(readFileSync(h.ini, 'utf8'), section, key, value)),
    write: (path, text) => {
      const file = at(path);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, text);
      return file;
    },
    dir: (path, mode) => {
      const dir = at(path);
      mkdirSync(dir, { recursive: true });
      if (mode !== undefined) chmodSync(dir, mode);
      return dir;
    },
  };
  if (kind === 'empty') mkdirSync(home);
  if (kind === 'init') {
    // A url port nothing listens on: an agent that got as far as discovery would stay there.
    // A random ping port: init's pick (the first free of a fixed list) is what other homes on
    // this host get too, and their agents would answer on it.
    const [urlPort, pingPort] = [await getPort({ host: '127.0.0.1' }), await getPort({ host: '127.0.0.1' })];
    const made = await runCli(['init', '--home', home, '--server', '127.0.0.1', '--url-port', String(urlPort), '--set', `agent.ping_port=${pingPort}`], { cwd: parent });
    if (made.code !== 0) throw new Error(`init failed (${made.code}): ${made.output}`);
  }
  return h;
}

/** `text` with `key=value` inside `[section]` (the line must exist). */
function withIniValue(text: string, section: string, key: string, value: string): string {
  let current = '';
  let done = false;
  const lines = text.split('\n').map((line) => {
    const header = /^\[([^\]]+)\]/.exec(line);
    if (header) current = header[1]!.trim();
    else if (!done && current === section && line.startsWith(`${key}=`)) {
      done = true;
      return `${key}=${value}`;
    }
    return line;
  });
  if (!done) throw new Error(`no ${key}= in [${section}]`);
  return lines.join('\n');
}

let nobodysBin: string | undefined;
let runtimeCopy: string | undefined;

/**
 * The CLI an unprivileged run starts: this checkout's when nobody can read it, else (a clone
 * under a 0700 dir, such as one made by mktemp -d) a copy of what the CLI runs on (bin/, dist/,
 * package.json and the production packages) in a temp dir of its own, removed by
 * removeRuntimeCopy.
 */
function binForNobody(): string {
  if (nobodysBin) return nobodysBin;
  const probe = `require('fs').accessSync(${JSON.stringify(join(ROOT, 'dist/cli/main.js'))}, require('fs').constants.R_OK)`;
  const readable = spawnSync(process.execPath, ['-e', probe], { uid: UNPRIVILEGED_ID, gid: UNPRIVILEGED_ID, stdio: 'ignore' }).status === 0;
  if (readable) return (nobodysBin = BIN);
  runtimeCopy = mkdtempSync(join(tmpdir(), 'aa-badinput-cli-'));
  chmodSync(runtimeCopy, 0o755);
  const packages = execFileSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((path) => path.startsWith(join(ROOT, 'node_modules')));
  for (const path of ['bin', 'dist', 'package.json', ...packages.map((dir) => relative(ROOT, dir))]) cpSync(join(ROOT, path), join(runtimeCopy, path), { recursive: true });
  return (nobodysBin = join(runtimeCopy, 'bin/ambari-agent'));
}

/** Removes the copy binForNobody may have made. */
export function removeRuntimeCopy(): void {
  if (runtimeCopy) rmSync(runtimeCopy, { recursive: true, force: true });
  runtimeCopy = undefined;
  nobodysBin = undefined;
}

/** Hands the parent dir (and the home in it) to the unprivileged user, as a non-root operator's own files. */
export function giveToUnprivileged(h: Home): void {
  const walk = (path: string) => {
    lchownSync(path, UNPRIVILEGED_ID, UNPRIVILEGED_ID);
    if (lstatSync(path).isDirectory()) for (const entry of readdirSync(path)) walk(join(path, entry));
  };
  walk(h.parent);
}

/**
 * Runs `ambari-agent ...args` in its own process group; past `boundMs` the group is SIGKILLed
 * and the run reports `timedOut` (the case fails: a hang). `unprivileged`: as nobody when root.
 */
export function runCli(args: string[], options: { cwd: string; boundMs?: number; unprivileged?: boolean }): Promise<Run> {
  const { cwd, boundMs = 30_000, unprivileged = false } = options;
  const asNobody = unprivileged && RUNNING_AS_ROOT;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [asNobody ? binForNobody() : BIN, ...args], {
      cwd,
      env: { ...process.env, ...(asNobody ? { HOME: cwd } : {}) },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
      ...(asNobody ? { uid: UNPRIVILEGED_ID, gid: UNPRIVILEGED_ID } : {}),
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, boundMs);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, output: stdout + stderr, timedOut });
    });
  });
}

/** Where an agent running on system defaults would make its dirs; none may appear. */
const SYSTEM_PATHS = ['/var/run/ambari-agent', '/run/ambari-agent', '/var/log/ambari-agent', '/var/lib/ambari-agent', '/etc/ambari-agent', '/usr/lib/ambari-agent'];

/** What exists outside the home: the system paths, the root dir's and the parent dir's entries. */
export function outsideSnapshot(h: Home): { system: string[]; root: string[]; parent: string[] } {
  return {
    system: SYSTEM_PATHS.filter((path) => existsSync(path)),
    root: readdirSync('/').sort(),
    parent: readdirSync(h.parent).sort(),
  };
}

/** Processes whose command line names a path under the parent (the home's agent, its wrapper). */
export const processesOf = (h: Home): number[] => processesMentioning(h.parent);

/** True when the home's ping port answers "OK" (an agent holds it). */
export async function pingAnswers(h: Home): Promise<boolean> {
  if (!existsSync(h.ini)) return false;
  let port: number | undefined;
  try {
    port = Number(/^ping_port=(\d+)$/m.exec(readFileSync(h.ini, 'utf8'))?.[1]);
  } catch {
    return false;
  }
  if (!port) return false;
  return (await readPort(port, 2000).catch(() => '')) === 'OK';
}

/** The pid the pid file names when it is a regular file naming a live process. */
export function livePidInPidFile(h: Home): number | undefined {
  try {
    if (!statSync(h.pidFile).isFile()) return undefined;
    const pid = Number.parseInt(readFileSync(h.pidFile, 'utf8').trim(), 10);
    return pid > 0 && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Ends (by pid) whatever still runs from the parent dir, then removes it. */
export async function removeHome(h: Home): Promise<void> {
  if (livePidInPidFile(h) !== undefined) await runCli(['stop', '--home', h.home], { cwd: h.parent, boundMs: 60_000 });
  for (const pid of processesOf(h)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(h.parent, { recursive: true, force: true });
}

/** A regex from a template: the literal parts are regex source, the values are matched as text. */
export function rx(strings: TemplateStringsArray, ...values: string[]): RegExp {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(strings.raw.reduce((source, part, i) => source + part + (i < values.length ? escape(values[i]!) : ''), ''), 'm');
}
