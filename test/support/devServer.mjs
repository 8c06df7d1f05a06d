// Runs the real dev server (bin/ambari-dev-server) as a child process on loopback, for
// black-box tests and benchmarks. Ports default to free ones; the data dir (and so the CA)
// can be kept across restarts of the server. `statePage: true` adds `--status-page 0` and
// exposes the page's URL as `statePageUrl`.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ROOT } from './cli.mjs';

/**
 * @param {{ host?: string; urlPort?: number; securedUrlPort?: number; apiPort?: number; dataDir?: string; twoWaySsl?: boolean; statePage?: boolean | number; env?: Record<string, string>; args?: string[] }} [options]
 *   statePage: true (any free port) or a port number; args: more command-line options
 */
export async function startDevServer({ host = '127.0.0.1', urlPort = 0, securedUrlPort = 0, apiPort = 0, dataDir, twoWaySsl = false, statePage = false, env = {}, args: extraArgs = [] } = {}) {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'aa-devsrv-'));
  const args = [join(ROOT, 'bin/ambari-dev-server'), '--host', host, '--url-port', String(urlPort), '--secured-url-port', String(securedUrlPort), '--api-port', String(apiPort), '--data-dir', dir, '-v'];
  if (twoWaySsl) args.push('--two-way-ssl');
  if (statePage !== false) args.push('--status-page', String(statePage === true ? 0 : statePage));
  args.push(...extraArgs);
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let log = '';
  child.stderr.on('data', (d) => (log += d));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal)));
  const ready = await Promise.race([
    new Promise((resolve) => createInterface({ input: child.stdout }).once('line', (line) => resolve(JSON.parse(line)))),
    exited.then((code) => {
      throw new Error(`ambari-dev-server exited (${code}) before it was ready:\n${log}`);
    }),
  ]);
  const api = async (path, init) => {
    const response = await fetch(`http://${host}:${ready.api_port}${path}`, init && { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(init) });
    return { status: response.status, body: await response.json() };
  };
  return {
    ...ready,
    urlPort: ready.url_port,
    securedUrlPort: ready.secured_url_port,
    apiPort: ready.api_port,
    /** The state page (http://127.0.0.1:N/), with statePage only. */
    statePageUrl: ready.status_page_url,
    dataDir: dir,
    pid: child.pid,
    log: () => log,
    api,
    /** GET /api/v1/hosts/NAME, or undefined when the server does not know it. */
    host: async (name) => {
      const { status, body } = await api(`/api/v1/hosts/${encodeURIComponent(name)}`);
      return status === 200 ? body : undefined;
    },
    /** SIGTERM and wait; keep: true leaves the data dir for a restart. */
    stop: async ({ keep = false } = {}) => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
      if (!keep && !dataDir) rmSync(dir, { recursive: true, force: true });
    },
    /** SIGKILL: a server that dies without closing its connections. */
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
