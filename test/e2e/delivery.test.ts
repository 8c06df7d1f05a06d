// Delivery, black-box, against the dev server in its default strict mode: every command the
// server sends (with a messageId, again until confirmed on /reports/responses, as the Java
// server's MessageEmitter) runs exactly once, across connection breaks and agent restarts, and
// every report reaches the server although it answers some with an error, in frames under its
// stomp.max_incoming.message.size.
import { readFileSync, writeFileSync, chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
// @ts-ignore plain .mjs helper without type declarations
import { startDevServer } from '../support/devServer.mjs';
// @ts-ignore plain .mjs helper without type declarations
import * as scripts from '../support/commandScripts.mjs';
import { cleanup, cli, devServerAgent, homeFiles, logText, waitFor, waitForLog, waitForState, type DevServer } from './helpers.js';

let server: DevServer;
let dir: string;
let seq = 0;

beforeAll(async () => {
  // Resent every 2 s instead of 15, so a lost command comes back quickly.
  server = (await startDevServer({ args: ['--command-retry-interval', '2'] })) as DevServer;
  dir = scripts.scriptDir('aa-delivery-');
});
afterEach(async () => {
  await cleanup();
  scripts.killLeftoverScripts();
});
afterAll(async () => {
  await server?.stop();
  scripts.removeScriptDirs();
});

/** A sh script that appends its command file's path (so its task) to `records`, one line a run. */
function recordingScript(name: string): { script: string; records: string } {
  const where = join(dir, `${name}-${++seq}`);
  mkdirSync(where, { recursive: true });
  const records = join(where, 'runs.txt');
  writeFileSync(records, '');
  const script = join(where, 'record.sh');
  writeFileSync(script, `#!/bin/sh\necho "$2" >> ${JSON.stringify(records)}\necho recorded\n`);
  chmodSync(script, 0o755);
  return { script, records };
}

const runs = (records: string) => readFileSync(records, 'utf8').split('\n').filter(Boolean);
const connected = async (host: string) => (await server.host(host))?.connected === true;

describe('delivery', () => {
  it('20 commands, each sent just before the connection is cut: none lost, each run once', async () => {
    const { host } = await devServerAgent(server, { name: 'cut', set: ['server.reconnect_delay=1'] });
    const { script, records } = recordingScript('cut');
    const taskIds: number[] = [];
    for (let i = 0; i < 20; i++) {
      // Registered and subscribed again after the last cut.
      await waitFor(() => connected(host), { timeoutMs: 30000, what: `${host} connected (round ${i})` });
      await waitFor(async () => (await server.host(host))?.state !== 'lost', { timeoutMs: 30000, what: 'registered' });
      taskIds.push(await scripts.submitCommand(server, host, { script, scriptType: 'SHELL', timeout: 30 }));
      const cut = await server.api(`/api/v1/hosts/${host}/cut`, {});
      expect([200, 409], JSON.stringify(cut.body)).toContain(cut.status);
    }
    for (const taskId of taskIds) {
      const task = await scripts.waitForTask(server, taskId, (t: any) => scripts.FINAL.has(t.status), { timeoutMs: 90000 });
      expect(task.status, JSON.stringify(task)).toBe('COMPLETED');
      // Sent with a messageId; a message whose confirmation the cut swallowed was sent again
      // (or, past its retries, its unfinished tasks went out in a new one).
      expect(task.delivery, JSON.stringify(task)).toMatchObject({ message_id: expect.any(Number) });
    }
    // Each task's script ran once: one line per command file, twenty different files.
    const lines = runs(records);
    expect(lines.length, lines.join('\n')).toBe(20);
    expect(new Set(lines).size).toBe(20);
    for (const taskId of taskIds) expect(lines.some((line) => line.endsWith(`/command-${taskId}.json`)), `task ${taskId}`).toBe(true);
  }, 240_000);

  it('reports answered with an error are sent again; two large ones go in separate frames under the limit', async () => {
    // DEBUG: acknowledged frames are logged with their sizes.
    const { home, host } = await devServerAgent(server, { name: 'errors', set: ['agent.parallel_execution=1'], startArgs: ['--verbose'] });
    // 1.2 MB on stdout and on stderr each (cut to log_max_symbols_size, 900000 characters, per
    // stream): one report is about 1.8 MB, so two never share a 1.95 MB frame. Both wait for
    // `go`, so they end together and their final reports are pending at the same time.
    const where = join(dir, `big-${++seq}`);
    mkdirSync(where, { recursive: true });
    const go = join(where, 'go');
    const { script } = scripts.pythonScript(where, 'big', `
while not os.path.exists(${JSON.stringify(go)}):
    time.sleep(0.05)
line = 'x' * 99 + '\\n'
for i in range(12000):
    sys.stdout.write(line)
    sys.stderr.write(line)
print('LAST LINE', flush=True)
`);
    const ids = [await scripts.submitCommand(server, host, { script, timeout: 60 }), await scripts.submitCommand(server, host, { script, timeout: 60 })];
    for (const taskId of ids) await scripts.waitForTask(server, taskId, 'IN_PROGRESS');
    // The next two report frames are answered with Spring's ErrorMessage: whichever rounds they
    // hit, the one after them carries both final reports.
    const failing = await server.api(`/api/v1/hosts/${host}/fail_next`, { destination: '/reports/commands_status', count: 2 });
    expect(failing.status, JSON.stringify(failing.body)).toBe(200);
    writeFileSync(go, '');
    for (const taskId of ids) {
      const task = await scripts.waitForTask(server, taskId, (t: any) => scripts.FINAL.has(t.status), { timeoutMs: 60000 });
      expect(task.status).toBe('COMPLETED');
      expect(task.stdout).toMatch(/LAST LINE\n/);
    }
    const log = logText(home);
    // The refusals were logged and the reports sent again.
    expect(log).toMatch(/Cannot report task\(s\) .* the server answered \{"payload":/);
    expect(log).toMatch(/sending again in \d+ s/);
    // The connection was never closed for an oversized frame (the server closes with 1009).
    expect(log).not.toMatch(/1009/);
    expect(log).not.toMatch(/Unregistering/);
    // A round carried both final reports: each in a frame of its own, under the limit.
    const frames = [...log.matchAll(/\(frame \d of (\d), (\d+) bytes\)/g)];
    expect(frames.length, 'frames logged').toBeGreaterThan(0);
    expect(frames.every(([, count]) => count === '2')).toBe(true);
    for (const [, , bytes] of frames) expect(Number(bytes)).toBeLessThanOrEqual(1_950_000);
  }, 120_000);

  it('a task delivered again after the agent restarted is confirmed and not run again', async () => {
    const { home, host } = await devServerAgent(server, { name: 'again' });
    const { script, records } = recordingScript('again');
    const taskId: number = await scripts.submitCommand(server, host, { script, scriptType: 'SHELL', timeout: 30 });
    await scripts.waitForTask(server, taskId, 'COMPLETED');
    expect(runs(records)).toHaveLength(1);

    expect((await cli(['restart', '--home', home])).code).toBe(0);
    await waitForState(home, 'connected', 20000);
    await waitFor(() => connected(host), { timeoutMs: 20000, what: 'connected again' });
    // The server sends the same task again (a message whose confirmation it never got).
    const command = JSON.parse(readFileSync(join(homeFiles(home).prefix, `command-${taskId}.json`), 'utf8'));
    const pushed = await server.api(`/api/v1/hosts/${host}/messages`, {
      destination: '/user/commands',
      headers: { messageId: '9001' },
      body: { clusters: { '0': { commands: [command] } } },
    });
    expect(pushed.status, JSON.stringify(pushed.body)).toBe(200);

    await waitForLog(home, `Task(s) ${taskId} delivered again; taken before`);
    // Confirmed: the server got an OK agent report for message 9001.
    await waitFor(() => server.log().includes('message id 9001'), { timeoutMs: 10000, what: 'the confirmation of message 9001' });
    // Commands run one at a time in arrival order: had the repeat been taken, it would have run
    // before this next command does.
    const next: number = await scripts.submitCommand(server, host, { script, scriptType: 'SHELL', timeout: 30 });
    await scripts.waitForTask(server, next, 'COMPLETED');
    expect(runs(records).map((line) => line.replace(/.*\/command-(\d+)\.json$/, '$1'))).toEqual([String(taskId), String(next)]);
    expect((await scripts.getTask(server, taskId)).status).toBe('COMPLETED');
  }, 60_000);
});
