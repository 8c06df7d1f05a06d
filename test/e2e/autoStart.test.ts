// Auto-start, black-box: the real dev server and agent, the PROBE_SERVER stack component (its
// START leaves TMPDIR/probe_server.state, its STATUS checks it). Recovery is turned on the way
// the server does it: cluster-env in a /user/configs event, recoveryConfig.components in a
// /user/host_level_params event (set through the dev server's recovery API). Removing the
// state file is the component dying: the agent starts it again on its own, once per window.
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
// @ts-ignore plain .mjs helper without type declarations
import { startDevServer } from '../support/devServer.mjs';
// @ts-ignore plain .mjs helper without type declarations
import { waitForTask, FINAL } from '../support/commandScripts.mjs';
import { cleanup, devServerAgent, homeFiles, iniValue, logText, ROOT, waitFor, waitForLog, type DevServer } from './helpers.js';

const CLUSTER = '0';
let server: DevServer;
let resources: string;

beforeAll(async () => {
  resources = mkdtempSync(join(tmpdir(), 'aa-resources-'));
  cpSync(join(ROOT, 'test/fixtures/resources'), resources, { recursive: true });
  server = (await startDevServer({ args: ['--resources', resources] })) as DevServer;
});
afterEach(cleanup);
afterAll(async () => {
  await server?.stop();
  rmSync(resources, { recursive: true, force: true });
});

async function run(host: string, role: string, command: string): Promise<any> {
  const { status, body } = await server.api(`/api/v1/hosts/${host}/commands`, { role, command });
  expect(status, JSON.stringify(body)).toBe(201);
  return waitForTask(server, body.task_id, (task: any) => FINAL.has(task.status), { timeoutMs: 30000 });
}

describe('auto-start', () => {
  it('starts a component found INSTALLED that should be STARTED, once per window (max count 1)', async () => {
    const { home, host } = await devServerAgent(server, { name: 'autostart', set: ['agent.status_commands_run_interval=1', 'agent.alert_interval_unit_seconds=1', 'agent.alert_reports_interval=1'] });
    const placed = await server.api(`/api/v1/hosts/${host}/components`, { service_name: 'PROBE', component_name: 'PROBE_SERVER', script: 'scripts/probe_server.py' });
    expect([200, 201]).toContain(placed.status);
    expect((await run(host, 'PROBE_SERVER', 'INSTALL')).status).toBe('COMPLETED');

    // The dev server's recovery API: cluster-env on /user/configs, recoveryConfig.components on
    // /user/host_level_params, as the Java server sends them.
    const recovery = await fetch(`http://127.0.0.1:${server.apiPort}/api/v1/clusters/dev/recovery`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ recovery_enabled: true, recovery_type: 'AUTO_START', recovery_max_count: 1, recovery_window_in_minutes: 2, recovery_retry_interval: 1, recovery_lifetime_max_count: 12, components: ['PROBE_SERVER'] }),
    });
    expect(recovery.status, await recovery.text()).toBe(200);
    await waitForLog(home, 'Recovery on: AUTO_START, at most 1 per 2 min, 1 min apart, 12 in all');
    await waitForLog(home, 'Components enabled for recovery: PROBE_SERVER');

    // The server's START: desired STARTED from now on.
    expect((await run(host, 'PROBE_SERVER', 'START')).status).toBe('COMPLETED');
    const statusOf = async () => (await server.host(host))?.component_status?.find((s: any) => s.componentName === 'PROBE_SERVER')?.status;
    await waitFor(async () => (await statusOf()) === 'STARTED', { timeoutMs: 30000, what: 'PROBE_SERVER STARTED' });

    // It dies: the agent starts it again by itself, and tells the server only its status.
    const stateFile = join(iniValue(home, 'agent', 'tmp_dir')!, 'probe_server.state');
    expect(existsSync(stateFile)).toBe(true);
    const tasksBefore = (await server.api('/api/v1/tasks')).body.items.length;
    rmSync(stateFile);
    await waitForLog(home, /Created recovery command START for component PROBE_SERVER/, 20000);
    await waitForLog(home, /Recovery command START of PROBE_SERVER \(task \d+\) COMPLETED/, 30000);
    expect(existsSync(stateFile)).toBe(true);
    await waitFor(async () => (await statusOf()) === 'STARTED', { timeoutMs: 30000, what: 'PROBE_SERVER STARTED again' });
    const autoId = /Recovery command START of PROBE_SERVER \(task (\d+)\)/.exec(logText(home))![1];
    // The task id is the agent's own counter from its start time in seconds; auto_* files.
    expect(Number(autoId)).toBeGreaterThan(Math.floor(Date.now() / 1000) - 600);
    const prefix = homeFiles(home).prefix;
    expect(readdirSync(prefix)).toContain(`auto_output-${autoId}.txt`);
    expect(readdirSync(prefix)).not.toContain(`output-${autoId}.txt`);
    const tasks = (await server.api('/api/v1/tasks')).body.items;
    expect(tasks.length).toBe(tasksBefore);
    expect(tasks.some((t: any) => String(t.task_id) === autoId)).toBe(false);

    // The RECOVERY alert counts what the recovery actor did for the component.
    const definition = await server.api('/api/v1/clusters/dev/alert_definitions', {
      name: 'probe_server_autostart', serviceName: 'PROBE', componentName: 'PROBE_SERVER', interval: 1, scope: 'HOST',
      source: { type: 'RECOVERY', reporting: { ok: { text: '{1} recoveries of {2}' }, warning: { text: 'warn {1} {2}' }, critical: { text: 'crit {1} {2}' } } },
    });
    expect(definition.status, JSON.stringify(definition.body)).toBe(201);
    const recoveryAlert = async () => (await server.api(`/api/v1/hosts/${host}/alerts`)).body?.alerts?.find((a: any) => a.name === 'probe_server_autostart');
    await waitFor(async () => (await recoveryAlert())?.text === '1 recoveries of PROBE_SERVER', { timeoutMs: 20000, what: 'the RECOVERY alert' });
    expect((await recoveryAlert()).state).toBe('OK');

    // Dies again within the window: max count 1 reached, it stays down.
    rmSync(stateFile);
    await waitFor(async () => (await statusOf()) === 'INSTALLED', { timeoutMs: 30000, what: 'PROBE_SERVER INSTALLED' });
    await new Promise((resolve) => setTimeout(resolve, 8000));
    expect(existsSync(stateFile)).toBe(false);
    expect(logText(home).match(/Created recovery command/g)).toHaveLength(1);
    expect(await statusOf()).toBe('INSTALLED');
  }, 120_000);
});
