// Auto-start, black-box: the real dev server and agent, the PROBE_SERVER stack component (its
// START leaves TMPDIR/probe_server.state, its STATUS checks it). Recovery is turned on the way
// the server does it: cluster-env in a /user/configs event, recoveryConfig.components in a
// /user/host_level_params event (pushed through the dev server's /messages API). Removing the
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

async function push(host: string, destination: string, body: unknown): Promise<void> {
  const answer = await server.api(`/api/v1/hosts/${host}/messages`, { destination, body });
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
}

describe('auto-start', () => {
  it('starts a component found INSTALLED that should be STARTED, once per window (max count 1)', async () => {
    const { home, host } = await devServerAgent(server, { name: 'autostart', set: ['agent.status_commands_run_interval=1'] });
    const placed = await server.api(`/api/v1/hosts/${host}/components`, { service_name: 'PROBE', component_name: 'PROBE_SERVER', script: 'scripts/probe_server.py' });
    expect([200, 201]).toContain(placed.status);
    expect((await run(host, 'PROBE_SERVER', 'INSTALL')).status).toBe('COMPLETED');

    await push(host, '/user/configs', {
      timestamp: Date.now(),
      clusters: {
        [CLUSTER]: {
          configurations: { 'cluster-env': { recovery_enabled: 'true', recovery_type: 'AUTO_START', recovery_max_count: '1', recovery_window_in_minutes: '2', recovery_retry_interval: '1', recovery_lifetime_max_count: '12' } },
          configurationAttributes: {},
        },
      },
    });
    await push(host, '/user/host_level_params', { clusters: { [CLUSTER]: { recoveryConfig: { components: [{ component_name: 'PROBE_SERVER', service_name: 'PROBE', desired_state: 'INSTALLED' }] } } } });
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

    // Dies again within the window: max count 1 reached, it stays down.
    rmSync(stateFile);
    await waitFor(async () => (await statusOf()) === 'INSTALLED', { timeoutMs: 30000, what: 'PROBE_SERVER INSTALLED' });
    await new Promise((resolve) => setTimeout(resolve, 8000));
    expect(existsSync(stateFile)).toBe(false);
    expect(logText(home).match(/Created recovery command/g)).toHaveLength(1);
    expect(await statusOf()).toBe('INSTALLED');
  }, 120_000);
});
