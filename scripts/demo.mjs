// `npm run demo`: the dev server plus one agent in a fresh home under .demo/, the agent in the
// foreground so its log shows it going from preflight to connected. Ctrl-C stops both.
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const demo = join(root, '.demo');
const home = join(demo, 'agent');

rmSync(home, { recursive: true, force: true });
const server = spawn(process.execPath, [join(root, 'bin/ambari-dev-server'), '--url-port', '0', '--secured-url-port', '0', '--api-port', '0', '--status-page', '0', '--data-dir', join(demo, 'server'), '--resources', join(root, 'test/fixtures/resources'), '-v'], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
server.on('exit', (code) => {
  if (code) {
    console.error(`ambari-dev-server exited with code ${code}`);
    process.exit(code);
  }
});
const ready = await new Promise((resolve) => createInterface({ input: server.stdout }).once('line', (line) => resolve(JSON.parse(line))));
console.log(`dev server: url_port ${ready.url_port}, secured_url_port ${ready.secured_url_port}, API http://127.0.0.1:${ready.api_port}/api/v1/hosts (data in ${join(demo, 'server')})`);
console.log(`dev server state page: ${ready.status_page_url}`);

const agentCli = join(root, 'bin/ambari-agent');
const init = spawnSync(process.execPath, [agentCli, 'init', '--home', home, '--server', '127.0.0.1', '--url-port', String(ready.url_port), '--secured-url-port', String(ready.secured_url_port), '--set', 'server.connect_retry_delay=2'], { stdio: 'inherit' });
if (init.status !== 0) {
  server.kill('SIGTERM');
  process.exit(init.status ?? 1);
}
console.log('agent: starting in the foreground (Ctrl-C stops agent and server)\n');
// The agent's own state page on a free port (its address is in the log and in `status`).
const agent = spawn(process.execPath, [agentCli, 'start', '--foreground', '--status-page', '0', '--home', home], { stdio: 'inherit' });
// Ctrl-C reaches every process of the terminal's group; we only wait for the agent to finish.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => agent.kill('SIGTERM'));
agent.on('exit', (code) => {
  server.kill('SIGTERM');
  server.once('exit', () => process.exit(code ?? 0));
});

// Once the agent is registered, the dev server places the stack fixture's PROBE_SERVER on its
// host and sends INSTALL and START, shaped as Ambari's server sends them: the agent finds the
// script through the metadata, downloads the stack from the dev server's resources and runs
// the stack hooks around it (test/fixtures/README.md).
const api = `http://127.0.0.1:${ready.api_port}/api/v1`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const post = (path, body) =>
  fetch(`${api}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: await r.json() }));
for (let i = 0; i < 600 && agent.exitCode === null; i++) {
  const hosts = await fetch(`${api}/hosts`).then((r) => r.json()).catch(() => ({ items: [] }));
  const host = hosts.items?.find((h) => h.state !== 'lost');
  if (host) {
    const placed = await post(`/hosts/${host.host_name}/components`, { service_name: 'PROBE', component_name: 'PROBE_SERVER', script: 'scripts/probe_server.py' });
    if (placed.status >= 300) console.log(`demo: placing PROBE_SERVER answered ${placed.status}: ${JSON.stringify(placed.body)}`);
    for (const command of ['INSTALL', 'START']) {
      const task = await post(`/hosts/${host.host_name}/commands`, { role: 'PROBE_SERVER', command });
      console.log(`\ndemo: sent ${command} PROBE_SERVER as task ${task.body.task_id} to ${host.host_name}; follow it with curl ${api}/tasks/${task.body.task_id}`);
    }
    console.log(`demo: watch the agent at the "state page is at" address above, or run: bin/ambari-agent state --home ${home} --watch\n`);
    break;
  }
  await sleep(500);
}
