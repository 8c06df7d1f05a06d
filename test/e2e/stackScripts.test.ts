// Running the server's stack scripts, black-box: the dev server serves the stack fixture
// (test/fixtures/resources, copied to a temp dir so tests can change it) with --resources; the
// agent downloads the folders a command needs into its cache (.hash, then archive.zip), builds
// the command JSON from its caches and runs the hooks around the script. Commands go out as the
// Java server sends them: a component placed on the host, the script relative to the service
// package folder that the metadata names.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
// @ts-ignore plain .mjs helper without type declarations
import { startDevServer } from '../support/devServer.mjs';
// @ts-ignore plain .mjs helper without type declarations
import { getTask, submitCommand, waitForTask, FINAL } from '../support/commandScripts.mjs';
import { alive, cleanup, devServerAgent, homeFiles, iniValue, logText, ROOT, waitFor, waitForLog, type DevServer } from './helpers.js';

const PROBE_PACKAGE = 'stacks/DEV/1.0/services/PROBE/package';

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

async function placeProbe(host: string, component = { service_name: 'PROBE', component_name: 'PROBE_SERVER', script: 'scripts/probe_server.py' }): Promise<void> {
  const placed = await server.api(`/api/v1/hosts/${host}/components`, component);
  expect([200, 201], JSON.stringify(placed.body)).toContain(placed.status);
}

/** A command of a placed component, as the Java server sends it (no script of its own). */
async function run(host: string, role: string, command: string, params?: Record<string, unknown>): Promise<any> {
  const body: Record<string, unknown> = { role, command };
  if (params) body.params = params;
  const { status, body: answer } = await server.api(`/api/v1/hosts/${host}/commands`, body);
  expect(status, JSON.stringify(answer)).toBe(201);
  return waitForTask(server, answer.task_id, (task: any) => FINAL.has(task.status), { timeoutMs: 30000 });
}

const cacheDirOf = (home: string) => iniValue(home, 'agent', 'cache_dir')!;
const updates = (home: string, folder: string) => logText(home).split('\n').filter((line) => line.includes(`Updated cache dir`) && line.includes(folder)).length;

describe('stack scripts', () => {
  it('INSTALL and START of a placed component: full command JSON, hooks in order, the stack downloaded once', async () => {
    const { home, host } = await devServerAgent(server, { name: 'stack' });
    await placeProbe(host);

    const install = await run(host, 'PROBE_SERVER', 'INSTALL');
    expect(install.status, install.stderr).toBe('COMPLETED');
    const cacheDir = cacheDirOf(home);
    const probe = install.structured_out.probe;
    // Every key the script reads is there (probe_lib.READS).
    expect(probe.missing).toEqual([]);
    expect(install.structured_out.hooks).toEqual(['before-INSTALL', 'after-INSTALL']);
    expect(probe.values).toMatchObject({
      clusterName: 'dev',
      serviceName: 'PROBE',
      role: 'PROBE_SERVER',
      roleCommand: 'INSTALL',
      'clusterLevelParams.stack_name': 'DEV',
      'clusterLevelParams.hooks_folder': 'stack-hooks',
      'serviceLevelParams.service_package_folder': PROBE_PACKAGE,
      'commandParams.script': 'scripts/probe_server.py',
      'ambariLevelParams.jdk_location': `http://127.0.0.1:${server.apiPort}/resources`,
      'agentLevelParams.hostname': host,
      'agentLevelParams.agentCacheDir': cacheDir,
      'clusterHostInfo.probe_server_hosts': [host],
    });
    expect(probe.values['clusterHostInfo.all_hosts']).toContain(host);
    // The original's argument list; the script ran in its package dir inside the cache.
    const [commandName, jsonPath, baseDir, , logLevel, tmpDir] = probe.facts.argv;
    expect(commandName).toBe('INSTALL');
    expect(jsonPath).toBe(join(homeFiles(home).prefix, `command-${install.task_id}.json`));
    expect(baseDir).toBe(join(cacheDir, PROBE_PACKAGE));
    expect(probe.facts.cwd).toBe(baseDir);
    expect(logLevel).toBe('INFO');
    expect(tmpDir).toBe(iniValue(home, 'agent', 'tmp_dir'));
    expect(probe.facts.argv).toHaveLength(8);
    // The folders came from the server: .hash beside the unpacked files.
    expect(readFileSync(join(cacheDir, PROBE_PACKAGE, 'scripts/probe_server.py'), 'utf8')).toBe(readFileSync(join(resources, PROBE_PACKAGE, 'scripts/probe_server.py'), 'utf8'));
    expect(existsSync(join(cacheDir, PROBE_PACKAGE, '.hash'))).toBe(true);
    expect(existsSync(join(cacheDir, 'stack-hooks/before-INSTALL/scripts/hook.py'))).toBe(true);
    expect(existsSync(join(cacheDir, 'host_scripts/alert_probe.py'))).toBe(true);

    const start = await run(host, 'PROBE_SERVER', 'START');
    expect(start.status, start.stderr).toBe('COMPLETED');
    expect(start.structured_out.hooks).toEqual(['before-START', 'before-START-PROBE-PROBE_SERVER']);
    // Checked once per registration: the second command downloaded nothing.
    expect(updates(home, PROBE_PACKAGE)).toBe(1);

    // STATUS runs the same script, its JSON from the caches too, and sees the START.
    const statusOf = async () => (await server.host(host))?.component_status?.find((s: any) => s.componentName === 'PROBE_SERVER')?.status;
    await waitFor(async () => (await statusOf()) === 'STARTED', { timeoutMs: 30000, what: 'PROBE_SERVER STARTED' });
  });

  it('a changed .hash is downloaded again after a re-registration, an unchanged one is not', async () => {
    const { home, host } = await devServerAgent(server, { name: 'hash', set: ['server.reconnect_delay=1'] });
    await placeProbe(host);
    expect((await run(host, 'PROBE_SERVER', 'INSTALL')).status).toBe('COMPLETED');
    expect(updates(home, PROBE_PACKAGE)).toBe(1);

    const reRegister = async () => {
      const registrations = (logText(home).match(/Registered with/g) ?? []).length;
      expect((await server.api(`/api/v1/hosts/${host}/cut`, {})).status).toBe(200);
      await waitFor(() => (logText(home).match(/Registered with/g) ?? []).length > registrations, { timeoutMs: 30000, what: 're-registration' });
    };
    await reRegister();
    expect((await run(host, 'PROBE_SERVER', 'INSTALL')).status).toBe('COMPLETED');
    expect(updates(home, PROBE_PACKAGE)).toBe(1);

    const script = join(resources, PROBE_PACKAGE, 'scripts/probe_server.py');
    writeFileSync(script, `${readFileSync(script, 'utf8')}\n# changed by the test\n`);
    const extra = join(resources, PROBE_PACKAGE, 'scripts/added.txt');
    writeFileSync(extra, 'new file\n');
    try {
      await reRegister();
      expect((await run(host, 'PROBE_SERVER', 'INSTALL')).status).toBe('COMPLETED');
      expect(updates(home, PROBE_PACKAGE)).toBe(2);
      expect(readFileSync(join(cacheDirOf(home), PROBE_PACKAGE, 'scripts/probe_server.py'), 'utf8')).toContain('# changed by the test');
      expect(existsSync(join(cacheDirOf(home), PROBE_PACKAGE, 'scripts/added.txt'))).toBe(true);
    } finally {
      writeFileSync(script, readFileSync(join(ROOT, 'test/fixtures/resources', PROBE_PACKAGE, 'scripts/probe_server.py')));
      rmSync(extra, { force: true });
    }
  });

  it('a custom action runs from custom_actions/scripts', async () => {
    const { home, host } = await devServerAgent(server, { name: 'action' });
    const taskId = await submitCommand(server, host, { role: 'probe_action', command: 'ACTIONEXECUTE', script: 'probe_action.py', timeout: 60, params: { threshold: '20' } });
    const task = await waitForTask(server, taskId, (t: any) => FINAL.has(t.status), { timeoutMs: 30000 });
    expect(task.status, task.stderr).toBe('COMPLETED');
    const cacheDir = cacheDirOf(home);
    expect(task.structured_out.action).toMatchObject({
      command: 'ACTIONEXECUTE',
      role: 'probe_action',
      base_dir: join(cacheDir, 'custom_actions'),
      agentCacheDir: cacheDir,
      jdk_location: `http://127.0.0.1:${server.apiPort}/resources`,
      params: expect.objectContaining({ threshold: '20' }),
    });
  });

  it('a failing before-hook fails the command without running its script', async () => {
    const { host } = await devServerAgent(server, { name: 'hook' });
    await placeProbe(host);
    const task = await run(host, 'PROBE_SERVER', 'INSTALL', { probe_fail_hook: 'before-INSTALL' });
    expect(task.status).toBe('FAILED');
    expect(task.structured_out.hooks).toEqual(['before-INSTALL']);
    expect(task.structured_out.probe).toBeUndefined();
    expect(task.stderr).toContain('hook before-INSTALL: failing as asked');
  });

  it('a folder the server cannot give: the cached copy when tolerated, a failed command when not', async () => {
    // Service LOCAL is in no resources dir: its .hash is a 404.
    const local = { service_name: 'LOCAL', component_name: 'LOCAL_SERVER', script: 'scripts/local.py' };
    const folder = 'stacks/DEV/1.0/services/LOCAL/package';
    const tolerant = await devServerAgent(server, { name: 'tolerant' });
    const script = join(cacheDirOf(tolerant.home), folder, 'scripts/local.py');
    mkdirSync(dirname(script), { recursive: true });
    writeFileSync(script, 'print("the cached copy ran")\n');
    await placeProbe(tolerant.host, local);
    const ran = await run(tolerant.host, 'LOCAL_SERVER', 'INSTALL');
    expect(ran.status, ran.stderr).toBe('COMPLETED');
    expect(ran.stdout).toContain('the cached copy ran');
    expect(logText(tolerant.home)).toMatch(new RegExp(`${folder}.*cached copy`));

    const strict = await devServerAgent(server, { name: 'strict', set: ['agent.tolerate_download_failures=false'] });
    await placeProbe(strict.host, local);
    const failed = await run(strict.host, 'LOCAL_SERVER', 'INSTALL');
    expect(failed.status).toBe('FAILED');
    expect(failed.stderr).toContain(`Cannot update the cache dir ${join(cacheDirOf(strict.home), folder)}`);
  });

  it('a .hash without an archive: the cached copy when tolerated, a failed command when not', async () => {
    // extra/NOARCH is no archivable folder of ambari-server's: its .hash is a plain file, archive.zip a 404.
    const folder = 'extra/NOARCH';
    mkdirSync(join(resources, folder), { recursive: true });
    writeFileSync(join(resources, folder, '.hash'), 'noarch-hash-1\n');
    const command = { role: 'NOARCH_CLIENT', command: 'INSTALL', script: 'scripts/noarch.sh', scriptType: 'SHELL' as const, timeout: 60, params: { service_package_folder: folder } };
    try {
      const tolerant = await devServerAgent(server, { name: 'noarch' });
      const script = join(cacheDirOf(tolerant.home), folder, 'scripts/noarch.sh');
      mkdirSync(dirname(script), { recursive: true });
      writeFileSync(script, 'echo "the cached noarch ran"\n');
      const ran = await waitForTask(server, await submitCommand(server, tolerant.host, command), (t: any) => FINAL.has(t.status), { timeoutMs: 30000 });
      expect(ran.status, ran.stderr).toBe('COMPLETED');
      expect(ran.stdout).toContain('the cached noarch ran');
      expect(logText(tolerant.home)).toMatch(/NOARCH\/archive\.zip: HTTP 404.*the cached copy is used/);

      const strict = await devServerAgent(server, { name: 'noarch-strict', set: ['agent.tolerate_download_failures=false'] });
      const failed = await waitForTask(server, await submitCommand(server, strict.host, command), (t: any) => FINAL.has(t.status), { timeoutMs: 30000 });
      expect(failed.status).toBe('FAILED');
      expect(failed.stderr).toContain(`Cannot update the cache dir ${join(cacheDirOf(strict.home), folder)}`);
      expect(failed.stderr).toContain('archive.zip: HTTP 404');
    } finally {
      rmSync(join(resources, 'extra'), { recursive: true, force: true });
    }
  });

  it('an archive with a member outside its folder is refused, and nothing lands outside', async () => {
    const folder = 'stacks/DEV/1.0/services/EVIL/package';
    mkdirSync(join(resources, folder), { recursive: true });
    writeFileSync(join(resources, folder, '.hash'), 'evil-hash-1\n');
    writeFileSync(join(resources, folder, 'archive.zip'), zipSync({ 'scripts/evil.py': new TextEncoder().encode('print(1)\n'), '../../escaped.txt': new TextEncoder().encode('out\n') }));
    try {
      const { home, host } = await devServerAgent(server, { name: 'evil', set: ['agent.tolerate_download_failures=false'] });
      await placeProbe(host, { service_name: 'EVIL', component_name: 'EVIL_SERVER', script: 'scripts/evil.py' });
      const task = await run(host, 'EVIL_SERVER', 'INSTALL');
      expect(task.status).toBe('FAILED');
      expect(task.stderr).toContain('../../escaped.txt');
      const cacheDir = cacheDirOf(home);
      expect(existsSync(join(cacheDir, folder, 'scripts/evil.py'))).toBe(false);
      const escaped = (dir: string): boolean => readdirSync(dir, { withFileTypes: true }).some((e) => e.name === 'escaped.txt' || (e.isDirectory() && escaped(join(dir, e.name))));
      expect(escaped(home)).toBe(false);
    } finally {
      rmSync(join(resources, 'stacks/DEV/1.0/services/EVIL'), { recursive: true, force: true });
    }
  });

  it('STATUS skips the component while a command runs for it, and checks it right after', async () => {
    const { home, host } = await devServerAgent(server, { name: 'busy', set: ['agent.status_commands_run_interval=1'] });
    await placeProbe(host);
    const statusOf = async () => (await server.host(host))?.component_status?.find((s: any) => s.componentName === 'PROBE_SERVER')?.status;
    await waitFor(async () => (await statusOf()) === 'INSTALLED', { timeoutMs: 30000, what: 'PROBE_SERVER INSTALLED' });
    const { body } = await server.api(`/api/v1/hosts/${host}/commands`, { role: 'PROBE_SERVER', command: 'START', params: { probe_sleep: '4' } });
    await waitForLog(home, 'Skipping status command for PROBE_SERVER: a command for it is running', 20000);
    const task = await waitForTask(server, body.task_id, (t: any) => FINAL.has(t.status), { timeoutMs: 30000 });
    expect(task.status, task.stderr).toBe('COMPLETED');
    await waitForLog(home, 'Status of PROBE_SERVER (cluster 0) after its command: STARTED', 20000);
    await waitFor(async () => (await statusOf()) === 'STARTED', { timeoutMs: 30000, what: 'PROBE_SERVER STARTED' });
  });

  it('a cancelled command spares the package manager in its tree and kills the rest', async () => {
    const { home, host } = await devServerAgent(server, { name: 'apt' });
    const dir = mkdtempSync(join(tmpdir(), 'aa-apt-'));
    try {
      mkdirSync(join(dir, 'bin'));
      // A stand-in for apt-get (its /proc comm is apt-get): it must be left to finish its work.
      writeFileSync(join(dir, 'bin/apt-get'), `#!/bin/sh\necho $$ > ${dir}/apt.pid\nsleep 3\necho done > ${dir}/apt-done\n`, { mode: 0o755 });
      const script = join(dir, 'install.sh');
      writeFileSync(script, `PATH=${dir}/bin:$PATH\napt-get &\nsleep 60 &\necho $! > ${dir}/sleep.pid\nwait\n`);
      const taskId = await submitCommand(server, host, { role: 'APT_CLIENT', command: 'INSTALL', script, scriptType: 'SHELL', timeout: 120 });
      await waitFor(async () => (existsSync(join(dir, "sleep.pid")) && existsSync(join(dir, "apt.pid"))) || FINAL.has((await getTask(server, taskId)).status), { timeoutMs: 20000, what: "the install script started" });
      const running = await getTask(server, taskId);
      expect(running.status, running.stderr).toBe("IN_PROGRESS");
      const sleeper = Number(readFileSync(join(dir, 'sleep.pid'), 'utf8'));
      const apt = Number(readFileSync(join(dir, 'apt.pid'), 'utf8'));
      expect((await server.api(`/api/v1/tasks/${taskId}/abort`, { reason: 'test cancel' })).status).toBe(200);
      const task = await waitForTask(server, taskId, (t: any) => FINAL.has(t.status), { timeoutMs: 30000 });
      expect(task.status).not.toBe('COMPLETED');
      // The dev server marks an aborted task ABORTED itself; the agent's errors file says what it spared.
      const errors = join(homeFiles(home).prefix, `errors-${taskId}.txt`);
      await waitFor(() => existsSync(errors) && readFileSync(errors, 'utf8').includes(`The package manager process(es) ${apt} (apt-get)`), { timeoutMs: 20000, what: 'the spared note' });
      expect(alive(sleeper)).toBe(false);
      // apt-get was never signalled: it ends by itself, its work done.
      await waitFor(() => existsSync(join(dir, 'apt-done')), { timeoutMs: 20000, what: 'apt-get to finish' });
      await waitFor(() => !alive(apt), { timeoutMs: 10000, what: 'apt-get to exit' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
