// The dev server's strict mode and command delivery, each test naming the Java class it follows:
// Jackson-like reading of agent bodies, the ErrorMessage answer, the registration refusal, the
// frame size limit, messageId + resend until acknowledged, and the fault injection routes.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { CommandReport, CommandStatusReports, AckReport, Register } from '../../../src/server/agentSchemas.js';
import type { DevServer } from '../../../src/server/devServer.js';
import { readAs } from '../../../src/server/jacksonSchema.js';
import { areVersionsEqual } from '../../../src/server/versionUtils.js';
import { DEFAULT_AMBARI_VERSION } from '../../../src/version.js';
import { startLoopbackDevServer } from '../../support/inProcessDevServer.js';
import { closeAllClients, TestStompClient } from '../../support/stompTestClient.js';

type Json = Record<string, any>;
const COMMANDS = '/user/commands';
let dataDir: string;
let server: DevServer;
const logs: string[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'aa-devserver-strict-'));
  server = await startLoopbackDevServer(dataDir, { maxMessageSize: 4096, commandRetryIntervalMs: 150, commandRetryCount: 4, log: (level, msg) => logs.push(`${level} ${msg}`) });
});

afterAll(async () => {
  await closeAllClients();
  await server?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

async function api(path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const response = await fetch(`http://127.0.0.1:${server.apiPort}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    signal: AbortSignal.timeout(5_000),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

async function agent(hostName: string, { commands = true } = {}): Promise<TestStompClient> {
  const client = await TestStompClient.open(server.securedUrlPort);
  onTestFinished(() => client.close());
  expect(await client.register(hostName)).toEqual({ status: 'OK', exitstatus: 0, id: 0 });
  if (commands) {
    client.subscribe(COMMANDS, 'sub-commands');
    await client.request('/heartbeat', { id: 0 });
  }
  return client;
}

describe('Jackson reading (MappingJackson2MessageConverter defaults, jacksonSchema.ts)', () => {
  it('CommandReport (agent/CommandReport.java): structuredOut is a String, exitcode an int, taskId a long, status any String', () => {
    expect(readAs(CommandReport, { taskId: 1, status: 'COMPLETED', exitcode: 0, structuredOut: '{"a":1}' })).toEqual({ ok: true, unknown: [] });
    const object = readAs(CommandReport, { taskId: 1, structuredOut: { a: 1 } });
    expect(object).toMatchObject({ ok: false, exception: 'com.fasterxml.jackson.databind.exc.MismatchedInputException' });
    expect(!object.ok && object.error).toMatch(/^Cannot deserialize value of type `java\.lang\.String` from Object value \(token `JsonToken\.START_OBJECT`\) \(through reference chain: org\.apache\.ambari\.server\.agent\.CommandReport\["structuredOut"\]\)$/);
    expect(readAs(CommandReport, { status: 'WHATEVER' }).ok).toBe(true); // a String, not an enum
    expect(readAs(CommandReport, { exitcode: 1.5, taskId: '7' }).ok).toBe(true); // ACCEPT_FLOAT_AS_INT, scalar coercion
    expect(readAs(CommandReport, { taskId: 'seven' })).toMatchObject({ ok: false, error: expect.stringMatching(/not a valid `long` value/) });
    expect(readAs(CommandReport, { exitcode: 2 ** 31 })).toMatchObject({ ok: false, error: expect.stringMatching(/out of range of int/) });
    expect(readAs(CommandReport, { exitCode: 0, tmpout: 'x' })).toEqual({ ok: true, unknown: ['exitCode', 'tmpout'] });
  });

  it('CommandStatusReports (stomp/dto/CommandStatusReports.java): one bad report fails the whole body, with its reference chain', () => {
    const read = readAs(CommandStatusReports, { clusters: { '0': [{ taskId: 1 }, { taskId: 2, structuredOut: [] }] } });
    expect(!read.ok && read.error).toMatch(/CommandStatusReports\["clusters"\]->java\.util\.TreeMap\["0"\]->java\.util\.ArrayList\[1\]->org\.apache\.ambari\.server\.agent\.CommandReport\["structuredOut"\]/);
  });

  it('AckReport (stomp/dto/AckReport.java): status is the enum AckStatus', () => {
    expect(readAs(AckReport, { messageId: 3, status: 'OK' }).ok).toBe(true);
    expect(readAs(AckReport, { messageId: 3, status: 'FINE' })).toMatchObject({ ok: false, error: expect.stringMatching(/not one of the values accepted for Enum class: \[OK, ERROR\]/) });
  });

  it('Register (agent/Register.java): nested HostInfo and AgentEnv are typed too', () => {
    expect(readAs(Register, { hostname: 'h', hardwareProfile: { memorysize: 'lots' } }).ok).toBe(false);
    expect(readAs(Register, { hostname: 'h', agentEnv: { umask: '18', hostHealth: { liveServices: [{ name: 'ntpd' }] } } }).ok).toBe(true);
  });
});

describe('VersionUtils.areVersionsEqual(server, agent, true) (ambari-server-spi utils/VersionUtils.java)', () => {
  it.each([
    ['2.8.0.0', '2.8.0.0', true],
    ['2.8.0.0', '2.8.0', true],
    ['2.8.0.0', ' 2.8.0.0-123 ', true],
    ['2.8.0.0', '2.7.9.0', false],
    ['2.8.0.0', '0.1.0', false],
    ['2.8.0.0', null, false],
    ['2.8.0.0', '', false],
    ['${ambariVersion}', 'anything', true],
  ] as const)('%s vs %s: %s', (server, agentVersion, equal) => {
    expect(areVersionsEqual(server, agentVersion)).toBe(equal);
  });
});

describe('RegistrationResponse (agent/RegistrationResponse.java) from HeartbeatController.register', () => {
  it('another agentVersion: id -1, exitstatus 1, log = HeartBeatHandler.handleRegistration\'s message; the host is not registered', async () => {
    const client = await TestStompClient.open(server.securedUrlPort);
    onTestFinished(() => client.close());
    expect(await client.register('old.test', { agentVersion: '0.1.0' })).toEqual({
      status: 'OK',
      exitstatus: 1,
      id: -1,
      log: `Cannot register host with non compatible agent version, hostname=old.test, agentVersion=0.1.0, serverVersion=${DEFAULT_AMBARI_VERSION}`,
    });
    expect((await api('/api/v1/hosts/old.test')).status).toBe(404);
  });
});

describe('ErrorMessage (RootStompConfig.ExceptionHandlingAdvice) for a body Jackson cannot read', () => {
  it('a commands_status frame with one bad report is answered with the error, correlationId kept, and nothing of it applied', async () => {
    const client = await agent('bad-report.test');
    const { task_id } = (await api('/api/v1/hosts/bad-report.test/commands', { role: 'R', command: 'START', script: 's.py' })).body;
    await client.waitFor((f) => f.headers.destination === COMMANDS, 'the command');
    const good = { taskId: task_id, status: 'COMPLETED', exitcode: 0, structuredOut: '{}' };
    const { frame, body } = await client.request('/reports/commands_status', { clusters: { '0': [good, { taskId: task_id, structuredOut: { no: 'object' } }] } }, '77');
    expect(frame.headers).toMatchObject({ destination: '/user/', correlationId: '77' });
    expect(body).toEqual({
      payload: { cause: null, stackTrace: [], message: expect.stringMatching(/^Could not read JSON: Cannot deserialize value of type `java\.lang\.String` from Object value.*; nested exception is com\.fasterxml\.jackson\.databind\.exc\.MismatchedInputException: /), localizedMessage: expect.any(String), suppressed: [] },
      headers: { id: expect.stringMatching(/^[0-9a-f-]{36}$/), timestamp: expect.any(Number) },
      originalMessage: null,
    });
    expect((await api(`/api/v1/tasks/${task_id}`)).body.status).toBe('QUEUED');
    // The same report, well formed: applied; structuredOut (a JSON string) stored parsed.
    expect((await client.request('/reports/commands_status', { clusters: { '0': [{ ...good, structuredOut: '{"v":1}' }] } })).body).toEqual({ status: 'OK' });
    expect((await api(`/api/v1/tasks/${task_id}`)).body).toMatchObject({ status: 'COMPLETED', exit_code: 0, structured_out: { v: 1 } });
    expect(client.isOpen).toBe(true);
  });

  it('unknown properties are ignored (FAIL_ON_UNKNOWN_PROPERTIES off) and logged once per destination and property', async () => {
    const client = await agent('unknown-props.test', { commands: false });
    logs.length = 0;
    for (let i = 0; i < 2; i++) expect((await client.request('/reports/host_status', { agentEnv: {}, mounts: [], tmpout: 'x' })).body).toEqual({ status: 'OK' });
    expect(logs.filter((line) => /^warn \/reports\/host_status from .*unknown-props\.test.*unknown property tmpout/.test(line))).toHaveLength(1);
  });
});

describe('the frame size limit (stomp.max_incoming.message.size; Jetty maxTextMessageSize)', () => {
  it('a WebSocket message over it closes the connection with 1009 and Jetty\'s reason; nothing is applied', async () => {
    const client = await agent('big.test', { commands: false });
    client.send({ command: 'SEND', headers: { destination: '/reports/host_status', correlationId: '9' }, body: JSON.stringify({ agentEnv: { firewallName: 'x'.repeat(5000) } }) });
    const closed = await client.waitClosed();
    expect(closed.code).toBe(1009);
    expect(closed.reason).toMatch(/^Text message size \[\d+\] exceeds maximum size \[4096\]$/);
    expect((await api('/api/v1/hosts/big.test')).body.host_status).toBeNull();
  });
});

describe('ExecutionCommandEvent delivery (MessageEmitter: messageId, resend until AckReport)', () => {
  it('a message not acknowledged is sent again with the same messageId; an OK ack stops it; the API shows both', async () => {
    const client = await agent('retry.test');
    const { task_id } = (await api('/api/v1/hosts/retry.test/commands', { role: 'R', command: 'START', script: 's.py' })).body;
    const first = await client.waitFor((f) => f.headers.destination === COMMANDS, 'the command');
    await expect.poll(() => client.frames.filter((f) => f.headers.destination === COMMANDS).length, { timeout: 3_000 }).toBeGreaterThanOrEqual(2);
    const sent = client.frames.filter((f) => f.headers.destination === COMMANDS);
    expect(new Set(sent.map((f) => f.headers.messageId))).toEqual(new Set([first.headers.messageId]));
    expect((await api(`/api/v1/tasks/${task_id}`)).body.delivery).toMatchObject({ message_id: Number(first.headers.messageId), acknowledged: false });

    expect((await client.request('/reports/responses', { messageId: Number(first.headers.messageId), status: 'OK' })).body).toEqual({ status: 'OK' });
    const count = client.frames.filter((f) => f.headers.destination === COMMANDS).length;
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(client.frames.filter((f) => f.headers.destination === COMMANDS)).toHaveLength(count);
    expect((await api(`/api/v1/tasks/${task_id}`)).body.delivery).toEqual({ message_id: Number(first.headers.messageId), sent_count: count, acknowledged: true, given_up: false });
  });

  it('past the last retry, the tasks go out again in a new message while the agent is still connected', async () => {
    const client = await agent('silent.test');
    const { task_id } = (await api('/api/v1/hosts/silent.test/commands', { role: 'R', command: 'START', script: 's.py' })).body;
    const first = await client.waitFor((f) => f.headers.destination === COMMANDS, 'the command');
    // 1 + 4 attempts 150 ms apart, one more interval, then a new message carrying the same task.
    const later = await client.waitFor((f) => f.headers.destination === COMMANDS && f.headers.messageId !== first.headers.messageId, 'a new message', 5_000);
    expect(JSON.parse(later.body).clusters['0'].commands.map((c: Json) => c.taskId)).toEqual([task_id]);
  });

  it('20 commands, each submitted just before the connection is cut: 0 lost', { timeout: 60_000 }, async () => {
    const host = 'cut.test';
    const received = new Set<number>();
    const taskIds: number[] = [];
    /** A connection that acknowledges and records every command, as the agent does. */
    const connect = async () => {
      const client = await agent(host);
      client.onFrame((frame) => {
        if (frame.headers.destination !== COMMANDS) return;
        for (const command of JSON.parse(frame.body).clusters['0'].commands ?? []) received.add(command.taskId);
        client.send({ command: 'SEND', headers: { destination: '/reports/responses', correlationId: `ack-${frame.headers.messageId}` }, body: JSON.stringify({ messageId: Number(frame.headers.messageId), status: 'OK' }) });
      });
      return client;
    };
    let client = await connect();
    for (let i = 0; i < 20; i++) {
      taskIds.push((await api(`/api/v1/hosts/${host}/commands`, { role: 'R', command: 'START', script: `s${i}.py` })).body.task_id);
      expect((await api(`/api/v1/hosts/${host}/cut`, {})).status).toBe(200);
      await client.waitClosed();
      client = await connect();
    }
    await expect.poll(() => taskIds.filter((id) => !received.has(id)), { timeout: 30_000, interval: 200 }).toEqual([]);
    const items = (await api(`/api/v1/tasks?host=${host}`)).body.items as Json[];
    expect(items.every((task) => task.delivery?.acknowledged === true || received.has(task.task_id))).toBe(true);
  });
});

describe('fault injection (apiServer.ts)', () => {
  it('fail_next answers the next N SENDs to a destination with the ErrorMessage shape, then OK again', async () => {
    const client = await agent('faulty.test', { commands: false });
    expect((await api('/api/v1/hosts/faulty.test/fail_next', { destination: '/reports/host_status', count: 2 })).body).toEqual({ host_name: 'faulty.test', fail_next: { '/reports/host_status': 2 } });
    for (let i = 0; i < 2; i++) expect((await client.request('/reports/host_status', { agentEnv: { umask: 18 } })).body).toMatchObject({ payload: { message: expect.stringMatching(/^Injected fault/) } });
    expect((await api('/api/v1/hosts/faulty.test')).body.host_status).toBeNull();
    expect((await client.request('/reports/host_status', { agentEnv: { umask: 18 } })).body).toEqual({ status: 'OK' });
    expect((await api('/api/v1/hosts/faulty.test/fail_next', { destination: 'nowhere' })).status).toBe(400);
  });

  it('cut closes the host\'s WebSocket abruptly; 409 when it has none', async () => {
    const client = await agent('cut-once.test', { commands: false });
    expect((await api('/api/v1/hosts/cut-once.test/cut', {})).status).toBe(200);
    expect((await client.waitClosed()).code).toBe(1006);
    await expect.poll(async () => (await api('/api/v1/hosts/cut-once.test')).body.connected).toBe(false);
    expect((await api('/api/v1/hosts/cut-once.test/cut', {})).status).toBe(409);
  });
});
