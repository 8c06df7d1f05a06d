// The reporters under `connected`, black-box: a component placed on the agent's host through
// the dev server's API joins the agent's topology; the agent runs its status script and
// reports INSTALLED, then STARTED once the script says so; after a restart it reports the
// component's version from GET_VERSION; host status arrives on its interval.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
// @ts-ignore plain .mjs helper without type declarations
import { startDevServer } from '../support/devServer.mjs';
import { cleanup, cli, newHome, startAgent, waitFor, waitForState, type DevServer } from './helpers.js';

let server: DevServer;
let dir: string;

beforeAll(async () => {
  server = (await startDevServer()) as DevServer;
  dir = mkdtempSync(join(tmpdir(), 'aa-status-'));
});
afterEach(cleanup);
afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('status reporters', () => {
  it('component status follows the status script, the version comes from GET_VERSION, host status arrives', async () => {
    const host = `status-${process.pid}.test`;
    const hostnameScript = join(dir, 'hostname.sh');
    writeFileSync(hostnameScript, `#!/bin/sh\necho ${host}\n`);
    chmodSync(hostnameScript, 0o755);
    const started = join(dir, 'started');
    const statusScript = join(dir, 'zookeeper.py');
    // STATUS: 0 (STARTED) once the marker file exists, else 3 (INSTALLED); GET_VERSION: structured output.
    writeFileSync(
      statusScript,
      `import json, os, sys
command, structured_out = sys.argv[1], sys.argv[4]
if command == 'GET_VERSION':
    json.dump({'version': '3.4.6-test'}, open(structured_out, 'w'))
    sys.exit(0)
sys.exit(0 if os.path.exists(${JSON.stringify(started)}) else 3)
`,
    );
    const home = await newHome({
      servers: ['127.0.0.1'],
      urlPort: server.urlPort,
      set: [
        `server.secured_url_port=${server.securedUrlPort}`,
        `agent.hostname_script=${hostnameScript}`,
        'agent.status_commands_run_interval=1',
        'heartbeat.state_interval_seconds=1',
      ],
    });
    expect((await startAgent(home)).code).toBe(0);
    await waitForState(home, 'connected', 15000);

    const placed = await server.api(`/api/v1/hosts/${host}/components`, { service_name: 'ZOOKEEPER', component_name: 'ZOOKEEPER_SERVER', script: statusScript });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const statusOf = async () => (await server.host(host))?.component_status?.find((s: any) => s.componentName === 'ZOOKEEPER_SERVER')?.status;
    await waitFor(async () => (await statusOf()) === 'INSTALLED', { timeoutMs: 15000, what: 'ZOOKEEPER_SERVER INSTALLED' });
    writeFileSync(started, '');
    await waitFor(async () => (await statusOf()) === 'STARTED', { timeoutMs: 15000, what: 'ZOOKEEPER_SERVER STARTED' });

    const record = await server.host(host);
    expect(record.component_status.find((s: any) => s.componentName === 'ZOOKEEPER_SERVER')).toMatchObject({ serviceName: 'ZOOKEEPER', command: 'STATUS', clusterId: '0' });
    expect(record.host_status?.agentEnv?.hostHealth).toBeDefined();
    // HostStatusReport.mounts (DiskInfo list), as HostStatusReporter.py sends them.
    expect(record.host_status?.mounts?.[0]).toMatchObject({ mountpoint: expect.any(String), available: expect.any(String) });

    // Versions are reported once per registration: a restarted agent reports the new component's.
    expect((await cli(['restart', '--home', home])).code).toBe(0);
    await waitForState(home, 'connected', 15000);
    await waitFor(async () => (await server.host(host))?.component_versions?.some((v: any) => v.componentName === 'ZOOKEEPER_SERVER'), {
      timeoutMs: 15000,
      what: 'a component_version report',
    });
    const versions = (await server.host(host)).component_versions;
    expect(versions.find((v: any) => v.componentName === 'ZOOKEEPER_SERVER')).toMatchObject({ serviceName: 'ZOOKEEPER', version: '3.4.6-test' });
  });
});
