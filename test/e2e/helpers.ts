// Shared helpers for the black-box e2e tests (not a test file: vitest only runs *.test.ts).
// Built on test/support; adds process scans by home path, log polling and ini reading.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import getPort from 'get-port';
// @ts-ignore plain .mjs helpers without type declarations
import * as support from '../support/cli.mjs';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  output: string;
}

export interface HomeFiles {
  ini: string;
  pidFile: string;
  outFile: string;
  logFile: string;
  prefix: string;
  keysdir: string;
}

export const ROOT: string = support.ROOT;
export const cli: (args: string[], options?: { env?: Record<string, string> }) => Promise<CliResult> = support.cli;
export const homeFiles: (home: string) => HomeFiles = support.homeFiles;
export const readPidFile: (home: string) => number | undefined = support.readPidFile;
export const alive: (pid: number) => boolean = support.alive;
export const parentPid: (pid: number) => number | undefined = support.parentPid;
/** Polls until the predicate gives a value (not undefined/false/null) and returns it. */
export const waitFor: <T>(
  predicate: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  options?: { timeoutMs?: number; intervalMs?: number; what?: string },
) => Promise<T> =
  support.waitFor;

const myHomes = new Set<string>();

/**
 * A home made by `ambari-agent init`. Unless a url port is given, it points at a port nothing
 * listens on (from get-port), so discovery fails fast and the agent stays in `discovering`.
 */
export async function newHome(options: { servers?: string[]; urlPort?: number; set?: string[]; subdir?: string } = {}): Promise<string> {
  const urlPort = options.urlPort ?? (await getPort({ host: '127.0.0.1' }));
  const home: string = await support.makeHome({ servers: options.servers ?? ['127.0.0.1'], urlPort, set: options.set ?? [], subdir: options.subdir });
  myHomes.add(home);
  return home;
}

/** Pids (other than this test process) whose command line mentions `text` (e.g. a home path). */
export function processesMentioning(text: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (cmdline.split('\0').some((arg) => arg === text || arg.startsWith(`${text}/`)) && alive(pid)) found.push(pid);
  }
  return found;
}

/** The dev server test/support/devServer.mjs starts (a child process), as the tests use it. */
export interface DevServer {
  pid: number;
  urlPort: number;
  securedUrlPort: number;
  apiPort: number;
  dataDir: string;
  /** With startDevServer({ statePage: true }). */
  statePageUrl?: string;
  api(path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** GET /api/v1/hosts/NAME, or undefined when the server does not know the host. */
  host(name: string): Promise<any>;
  stop(options?: { keep?: boolean }): Promise<void>;
  kill(): Promise<void>;
  log(): string;
}

/** What devServerAgent needs of a dev server. */
export type DevServerLike = Pick<DevServer, 'urlPort' | 'securedUrlPort' | 'api'>;

const hostnameDirs = new Set<string>();
let agentSeq = 0;

/**
 * A started agent of `server`, registered (`connected`) under a fresh name of its own (a
 * hostname script; `name` is its first part), reporting commands every second; `set` adds ini
 * settings, `startArgs` goes to `start`. Checks that the server lists the host.
 */
export async function devServerAgent(
  server: DevServerLike,
  options: { name?: string; set?: string[]; startArgs?: string[] } = {},
): Promise<{ home: string; host: string; pid: number }> {
  const host = `${options.name ?? 'agent'}-${process.pid}-${++agentSeq}.test`;
  const dir = mkdtempSync(join(tmpdir(), 'aa-hostname-'));
  hostnameDirs.add(dir);
  const script = join(dir, 'hostname.sh');
  writeFileSync(script, `#!/bin/sh\necho ${host}\n`);
  chmodSync(script, 0o755);
  const home = await newHome({
    servers: ['127.0.0.1'],
    urlPort: server.urlPort,
    set: [
      'server.connect_retry_delay=1',
      `server.secured_url_port=${server.securedUrlPort}`,
      `agent.hostname_script=${script}`,
      'agent.command_reports_interval=1',
      ...(options.set ?? []),
    ],
  });
  const started = await startAgent(home, options.startArgs);
  if (started.code !== 0 || started.pid === undefined) throw new Error(`start failed (${started.code}):\n${started.output}`);
  await waitForState(home, 'connected', 15000);
  const hosts = (await server.api('/api/v1/hosts')).body.items.map((h: { host_name: string }) => h.host_name);
  if (!hosts.includes(host)) throw new Error(`the dev server does not list ${host}: ${hosts.join(', ')}`);
  return { home, host, pid: started.pid };
}

/** Stops every agent of every home (support's cleanupAll), then SIGKILLs, by pid, anything we started that is left. */
export async function cleanup(): Promise<void> {
  const homes = [...myHomes];
  myHomes.clear();
  for (const dir of hostnameDirs) rmSync(dir, { recursive: true, force: true });
  hostnameDirs.clear();
  const leftovers = homes.flatMap((home) => processesMentioning(home));
  await support.cleanupAll();
  for (const pid of new Set([...leftovers, ...homes.flatMap((home) => processesMentioning(home))])) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

export function logText(home: string): string {
  const file = homeFiles(home).logFile;
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

export function waitForLog(home: string, pattern: RegExp | string, timeoutMs = 15000): Promise<string> {
  const matches = (text: string) => (typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text));
  return waitFor(() => {
    const text = logText(home);
    return matches(text) ? text : undefined;
  }, { timeoutMs, intervalMs: 50, what: `log line ${String(pattern)}` });
}

/** A value from the home's ini (first `key=` line inside `[section]`). */
export function iniValue(home: string, section: string, key: string): string | undefined {
  let current = '';
  for (const line of readFileSync(homeFiles(home).ini, 'utf8').split('\n')) {
    const header = /^\[([^\]]+)\]/.exec(line);
    if (header) {
      current = header[1]!.trim();
      continue;
    }
    const match = /^([^=#;\s][^=]*?)\s*=\s?(.*)$/.exec(line);
    if (current === section && match && match[1] === key) return match[2]!.trim();
  }
  return undefined;
}

export const pingPortOf = (home: string) => Number(iniValue(home, 'agent', 'ping_port'));

/** Connects to a TCP port on 127.0.0.1 and returns everything it sends before closing. */
export function readPort(port: number, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    let data = '';
    socket.setEncoding('utf8');
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer on port ${port}`)));
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(data));
  });
}

/** A pid that certainly belonged to a process that has exited (and been reaped). */
export function deadPid(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', () => resolve(child.pid!));
  });
}

/** The `State: X` line of `ambari-agent status` output. */
export const stateOf = (output: string) => /^State: (\S+)/m.exec(output)?.[1];

/** Polls `status` until it reports `state`; returns that status result. */
export async function waitForState(home: string, state: string, timeoutMs = 15000): Promise<CliResult> {
  let last: CliResult | undefined;
  try {
    return await waitFor(async () => {
      last = await cli(['status', '--home', home]);
      return last.code === 0 && stateOf(last.stdout) === state ? last : undefined;
    }, { timeoutMs, intervalMs: 200, what: `State: ${state}` });
  } catch (err) {
    throw new Error(`${(err as Error).message}; last status (exit ${last?.code}):\n${last?.output}`);
  }
}

/** `start`, asserting nothing; returns the result and the agent pid it reports. */
export async function startAgent(home: string, extra: string[] = []): Promise<CliResult & { pid?: number }> {
  const result = await cli(['start', '--home', home, ...extra]);
  const pid = /^Agent PID: (\d+)$/m.exec(result.stdout)?.[1];
  return { ...result, pid: pid === undefined ? undefined : Number(pid) };
}
