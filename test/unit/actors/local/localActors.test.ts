import { existsSync, lutimesSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import getPort from 'get-port';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../../../support/tempDirs.mjs';
import { createActor, createMachine, fromCallback, waitFor } from 'xstate';
import { CLEANABLE_FILE, cleanPass } from '../../../../src/actors/local/dataCleaner.js';
import { checkPidFile, identityFile, isAlive, readPid, removePidFileIfOwned, writePidFileAtomic } from '../../../../src/actors/local/pidFile.js';
import { describeBindError, pingPortListener } from '../../../../src/actors/local/pingPortListener.js';
import { findPortHolder } from '../../../../src/actors/local/portHolder.js';
import { ping } from '../../../../src/cli/controlClient.js';
import { describeActor, topLevelState } from '../../../../src/introspection/actorTree.js';
import { formatStateReport, stateReport } from '../../../../src/introspection/stateReport.js';
import { createAgentLogger, formatRecord } from '../../../../src/logging/logger.js';
import { RotatingFile } from '../../../../src/logging/rotatingFile.js';
import type { ListenerEvent } from '../../../../src/machines/pingPort.js';

afterAll(removeTempDirs);
const DAY = 86400;

function file(path: string, bytes: number, ageSeconds: number) {
  writeFileSync(path, 'x'.repeat(bytes));
  const when = Date.now() / 1000 - ageSeconds;
  utimesSync(path, when, when);
}

describe('data cleaner pass', () => {
  it('matches the original file name patterns, anchored at the start', () => {
    for (const name of ['errors-1.txt', 'output-22.txt', 'site-3.pp', 'structured-out-4.json', 'command-5.json', 'auto_command-6.json', 'auto_errors-7.txt', 'auto_output-8.txt', 'auto_structured-out-9.json', 'output-1.txt.bak', 'output-22.txt.0', 'errors-1.txt.12', 'auto_output-8.txt.1']) {
      expect(CLEANABLE_FILE.test(name), name).toBe(true);
    }
    for (const name of ['xoutput-1.txt', 'output-.txt', 'output-a.txt', 'notes.txt', 'command-1.yaml']) {
      expect(CLEANABLE_FILE.test(name), name).toBe(false);
    }
  });

  it('deletes old matching files, keeps the rest, never follows symlinks out of the prefix', async () => {
    const root = tempDir();
    const prefix = join(root, 'prefix');
    const outside = join(root, 'outside');
    mkdirSync(join(prefix, 'sub'), { recursive: true });
    mkdirSync(outside);
    file(join(prefix, 'output-1.txt'), 10, 3 * DAY);
    file(join(prefix, 'sub', 'errors-2.txt'), 10, 3 * DAY);
    file(join(prefix, 'command-3.json'), 10, 60);
    file(join(prefix, 'notes.txt'), 10, 30 * DAY);
    file(join(outside, 'output-9.txt'), 10, 30 * DAY);
    file(join(outside, 'target.txt'), 10, 30 * DAY);
    symlinkSync(outside, join(prefix, 'linked-dir'));
    symlinkSync(join(outside, 'target.txt'), join(prefix, 'output-7.txt'));
    const old = Date.now() / 1000 - 3 * DAY;
    lutimesSync(join(prefix, 'output-7.txt'), old, old);

    const errors: string[] = [];
    const result = await cleanPass({ dir: prefix, maxAgeSeconds: DAY, maxSizeBytes: 1e9 }, (p) => errors.push(p));

    expect(errors).toEqual([]);
    expect(result).toMatchObject({ deleted: 3, kept: 1, errors: 0 });
    expect(existsSync(join(prefix, 'output-1.txt'))).toBe(false);
    expect(existsSync(join(prefix, 'sub', 'errors-2.txt'))).toBe(false);
    expect(existsSync(join(prefix, 'output-7.txt'))).toBe(false);
    expect(existsSync(join(prefix, 'command-3.json'))).toBe(true);
    expect(existsSync(join(prefix, 'notes.txt'))).toBe(true);
    expect(readdirSync(outside).sort()).toEqual(['output-9.txt', 'target.txt']);
  });

  it('deletes oldest first until the matching files fit the size budget', async () => {
    const prefix = tempDir();
    file(join(prefix, 'output-1.txt'), 400, 3000);
    file(join(prefix, 'output-2.txt'), 400, 2000);
    file(join(prefix, 'output-3.txt'), 400, 1000);
    file(join(prefix, 'big-unrelated.bin'), 5000, 5000);
    const result = await cleanPass({ dir: prefix, maxAgeSeconds: DAY, maxSizeBytes: 900 }, () => {});
    expect(result).toMatchObject({ deleted: 1, deletedBytes: 400, kept: 2 });
    expect(readdirSync(prefix).sort()).toEqual(['big-unrelated.bin', 'output-2.txt', 'output-3.txt']);
  });

  it('reports a missing prefix dir as an error instead of throwing', async () => {
    const errors: string[] = [];
    const result = await cleanPass({ dir: '/nonexistent/prefix', maxAgeSeconds: DAY, maxSizeBytes: 1 }, (p) => errors.push(p));
    expect(result.errors).toBe(1);
    expect(errors).toEqual(['/nonexistent/prefix']);
  });
});

describe('rotating log file', () => {
  it('rotates by size into .1 .. .N and drops the oldest', () => {
    const dir = tempDir();
    const path = join(dir, 'ambari-agent.log');
    const log = new RotatingFile(path, 100, 2);
    for (let i = 0; i < 10; i++) log.write(`line ${i} ${'x'.repeat(40)}\n`);
    log.close();
    expect(readdirSync(dir).sort()).toEqual(['ambari-agent.log', 'ambari-agent.log.1', 'ambari-agent.log.2']);
    expect(readFileSync(path, 'utf8')).toContain('line 8');
    expect(readFileSync(path, 'utf8')).toContain('line 9');
    expect(readFileSync(`${path}.1`, 'utf8')).toContain('line 6');
    expect(readFileSync(`${path}.2`, 'utf8')).toContain('line 4');
  });

  it('never throws: a full disk drops lines, and the next line that makes it says how many were lost', () => {
    // /dev/full answers every write with ENOSPC.
    const full = new RotatingFile('/dev/full');
    expect(() => full.write('lost\n')).not.toThrow();
    full.close();

    // A rotation that fails (the backup name is taken by a directory) loses that line only.
    const dir = tempDir();
    const path = join(dir, 'ambari-agent.log');
    const log = new RotatingFile(path, 50, 1);
    log.write(`${'a'.repeat(40)}\n`);
    mkdirSync(join(`${path}.1`, 'taken'), { recursive: true });
    expect(() => log.write(`${'b'.repeat(40)}\n`)).not.toThrow();
    rmSync(`${path}.1`, { recursive: true });
    log.write('c\n');
    log.close();
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines[0]).toBe('a'.repeat(40));
    expect(lines[1]).toMatch(new RegExp(`^WARNING .* \\[logging\\] 1 log line\\(s\\) could not be written to ${path.replace(/[.]/g, '\\.')} \\(\\w+\\) and were dropped$`));
    expect(lines[2]).toBe('c');
  });

  it('--log-format json: pino\'s own records, one JSON line each (level, time, pid, hostname, actor, msg, fields)', () => {
    const dir = tempDir();
    const path = join(dir, 'ambari-agent.log');
    const logger = createAgentLogger({ file: path, level: 'info', alsoStdout: false, format: 'json' });
    logger.log('discovery', 'warn', 'not reachable', { host: 'h' });
    logger.log('discovery', 'debug', 'not at this level');
    logger.close();
    const records = readFileSync(path, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ level: 40, pid: process.pid, hostname: hostname(), actor: 'discovery', msg: 'not reachable', host: 'h' });
    expect(typeof records[0]!.time).toBe('number');

    const ambari = createAgentLogger({ file: join(dir, 'plain.log'), level: 'info', alsoStdout: false });
    ambari.log('discovery', 'info', 'plain');
    ambari.close();
    expect(readFileSync(join(dir, 'plain.log'), 'utf8')).toMatch(/^INFO \d{4}-\d\d-\d\d [\d:]+,\d{3} \[discovery\] plain\n$/);
  });

  it('formats pino records as readable lines carrying the actor id', () => {
    const line = formatRecord(JSON.stringify({ level: 40, time: Date.UTC(2026, 0, 2, 3, 4, 5, 6), actor: 'discovery', msg: 'not reachable', host: 'h' }));
    expect(line).toMatch(/^WARNING 2026-01-0\d \d\d:04:05,006 \[discovery\] not reachable \{"host":"h"\}\n$/);
  });
});

describe('pid file', () => {
  it('is written atomically and removed only by its owner', () => {
    const path = join(tempDir(), 'ambari-agent.pid');
    expect(readPid(path)).toBeUndefined();
    writePidFileAtomic(path, process.pid);
    expect(readPid(path)).toBe(process.pid);
    expect(removePidFileIfOwned(path, process.pid + 1)).toBe(false);
    expect(existsSync(path)).toBe(true);
    expect(removePidFileIfOwned(path, process.pid)).toBe(true);
    expect(existsSync(path)).toBe(false);
    expect(isAlive(process.pid)).toBe(true);
    expect(isAlive(2 ** 22 + 12345)).toBe(false);
    expect(existsSync(identityFile(path))).toBe(false);
  });

  it('verifies the pid against the identity record: start time and script (checked on this process, never signalled)', () => {
    const path = join(tempDir(), 'ambari-agent.pid');
    expect(checkPidFile(path)).toEqual({ kind: 'none' });
    writePidFileAtomic(path, process.pid);
    expect(checkPidFile(path)).toEqual({ kind: 'agent', pid: process.pid });
    const identity = JSON.parse(readFileSync(identityFile(path), 'utf8')) as Record<string, unknown>;
    expect(identity).toMatchObject({ pid: process.pid, startTime: expect.stringMatching(/^\d+$/), script: readFileSync('/proc/self/cmdline', 'utf8').split('\0')[1] });

    writeFileSync(identityFile(path), JSON.stringify({ ...identity, startTime: '1' }));
    expect(checkPidFile(path)).toMatchObject({ kind: 'stranger', pid: process.pid, what: expect.stringContaining('(a reused pid)') });
    writeFileSync(identityFile(path), JSON.stringify({ ...identity, script: '/elsewhere/main.js' }));
    expect(checkPidFile(path)).toMatchObject({ kind: 'stranger', what: expect.stringContaining("not the agent's /elsewhere/main.js") });
    rmSync(identityFile(path));
    expect(checkPidFile(path)).toMatchObject({ kind: 'stranger', what: expect.stringContaining('with no identity record') });
    writeFileSync(path, `${2 ** 22 + 12345}\n`);
    expect(checkPidFile(path)).toEqual({ kind: 'dead', pid: 2 ** 22 + 12345 });
  });
});

describe('ping port listener', () => {
  const servers: Server[] = [];
  afterEach(() => {
    for (const server of servers.splice(0)) server.close();
  });

  /** Runs the listener under a parent that records what it reports. */
  function runListener(port: number) {
    const seen: ListenerEvent[] = [];
    const parent = createActor(
      createMachine({
        invoke: { src: pingPortListener, input: { port } },
        on: { '*': { actions: ({ event }) => seen.push(event as ListenerEvent) } },
      }),
    ).start();
    return { parent, seen };
  }

  it('answers OK on the port and releases it when stopped', async () => {
    const port = await getPort();
    const { parent, seen } = runListener(port);
    await waitFor(parent, () => seen.some((e) => e.type === 'LISTENING'), { timeout: 2000 });
    expect(await ping(port)).toBe('OK');
    await waitFor(parent, () => seen.some((e) => e.type === 'PINGED'), { timeout: 2000 });
    parent.stop();
    await new Promise((r) => setTimeout(r, 50));
    const probe = createServer();
    servers.push(probe);
    await new Promise<void>((resolve, reject) => probe.once('error', reject).listen(port, '0.0.0.0', resolve));
  });

  it('names the port and the process holding it when the port is taken', async () => {
    const port = await getPort();
    const holder = createServer();
    servers.push(holder);
    await new Promise<void>((resolve) => holder.listen(port, '0.0.0.0', resolve));
    expect(findPortHolder(port)?.pid).toBe(process.pid);
    const { parent, seen } = runListener(port);
    await waitFor(parent, () => seen.some((e) => e.type === 'LISTEN_FAILED'), { timeout: 2000 });
    const failure = seen.find((e) => e.type === 'LISTEN_FAILED') as { error: string };
    expect(failure.error).toContain(`Could not open port ${port} because port already used by another process:\n${process.pid} `);
    parent.stop();
  });

  it('explains other bind errors in one line', () => {
    expect(describeBindError(80, Object.assign(new Error('x'), { code: 'EACCES' }))).toBe('Could not open port 80: permission denied (ports below 1024 need root)');
  });
});

describe('actor tree', () => {
  it('describes every actor with id, machine, state and plain context, and prints it indented', () => {
    const child = createMachine({ id: 'childMachine', context: { n: 1, big: Array.from({ length: 20 }, (_, i) => i) }, initial: 'busy', states: { busy: {} } });
    const root = createActor(
      createMachine({
        id: 'rootMachine',
        context: { fn: () => 1, label: 'x' },
        invoke: [
          { id: 'worker', src: child },
          { id: 'callback', src: fromCallback(() => () => {}) },
        ],
        initial: 'running',
        states: { running: { initial: 'inner', states: { inner: {} } } },
      }),
      { id: 'root' },
    ).start();
    const tree = describeActor(root);
    expect(tree).toMatchObject({ id: 'root', machine: 'rootMachine', status: 'active', state: { running: 'inner' }, context: { label: 'x' } });
    expect(tree.context).not.toHaveProperty('fn');
    expect(tree.children.map((c) => c.id)).toEqual(['worker', 'callback']);
    expect((tree.children[0]!.context!.big as unknown[]).length).toBe(11);
    expect(formatStateReport(stateReport(tree)).split('\n')).toEqual(['root (rootMachine) running.inner', '├─ worker (childMachine) busy', '└─ callback']);
    expect(topLevelState(root.getSnapshot().value)).toBe('running');
    root.stop();
  });
});

describe('actor tree of live contexts', () => {
  it('never fails on circular data or objects holding sockets and timers, and stays JSON-safe', () => {
    class Connection {
      timer = setTimeout(() => {}, 1000);
    }
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    const connection = new Connection();
    const root = createActor(
      createMachine({
        id: 'live',
        context: { link: { server: 'h', client: connection }, circular, deep: { a: { b: { c: { d: { e: 1 } } } } }, ok: 3 },
      }),
    ).start();
    const tree = describeActor(root);
    clearTimeout(connection.timer);
    expect(() => JSON.stringify(tree)).not.toThrow();
    expect(tree.context).toEqual({ circular: { name: 'loop' }, deep: { a: { b: { c: { d: '{…}' } } } }, ok: 3 });
    expect(() => formatStateReport(stateReport(tree))).not.toThrow();
    root.stop();
  });
});

describe('hostname script', () => {
  it('uses the script output, lower-cased', async () => {
    const { agentHostname } = await import('../../../../src/actors/host/hostname.js');
    const dir = tempDir();
    const script = join(dir, 'name.sh');
    writeFileSync(script, '#!/bin/sh\necho Node-7.Example.COM\n', { mode: 0o755 });
    expect(await agentHostname(script)).toEqual({ hostname: 'node-7.example.com' });
  });

  it('falls back to the host name when the script fails, saying why', async () => {
    const { agentHostname } = await import('../../../../src/actors/host/hostname.js');
    const result = await agentHostname('/nonexistent/hostname-script');
    expect(result.hostname.length).toBeGreaterThan(0);
    expect(result.scriptProblem).toMatch(/^hostname_script \/nonexistent\/hostname-script failed: /);
  });

  it('ends the script and its children when aborted', async () => {
    const { agentHostname } = await import('../../../../src/actors/host/hostname.js');
    const dir = tempDir();
    const script = join(dir, 'slow.sh');
    const childPidFile = join(dir, 'child.pid');
    writeFileSync(script, `#!/bin/sh\nsleep 30 &\necho $! > ${childPidFile}\nwait\n`, { mode: 0o755 });
    const controller = new AbortController();
    const pending = agentHostname(script, controller.signal);
    const deadline = Date.now() + 5000;
    while (!existsSync(childPidFile) || readFileSync(childPidFile, 'utf8').trim() === '') {
      if (Date.now() > deadline) throw new Error('script did not start');
      await new Promise((r) => setTimeout(r, 20));
    }
    const sleeper = Number(readFileSync(childPidFile, 'utf8'));
    controller.abort();
    const result = await pending;
    expect(result.scriptProblem).toContain('failed: stopped');
    await new Promise((r) => setTimeout(r, 100));
    expect(isAlive(sleeper)).toBe(false);
  });
});
