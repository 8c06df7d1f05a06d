import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_SOCKET_PATH, socketAddress } from '../../../../src/actors/local/socketAddress.js';
import { askAgent, connectControl } from '../../../../src/cli/controlClient.js';

const dirs: string[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function deepDir(): string {
  const base = mkdtempSync(join(tmpdir(), 'aa-sock-'));
  dirs.push(base);
  const deep = join(base, 'a'.repeat(60), 'b'.repeat(60));
  mkdirSync(deep, { recursive: true });
  return deep;
}

const openFds = () => readdirSync('/proc/self/fd').length;

/** A server on `path` (bound as socketAddress says) answering each request line with {"ok": true}. */
async function answeringServer(path: string): Promise<void> {
  const bound = socketAddress(path);
  const server = createServer((socket) => socket.once('data', () => socket.end('{"ok":true}\n')));
  servers.push(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(bound.address, resolve);
  });
  bound.release();
}

describe('socketAddress', () => {
  it('gives a short path as it is', () => {
    const address = socketAddress('/run/x/ambari-agent.sock');
    expect(address.address).toBe('/run/x/ambari-agent.sock');
    address.release();
  });

  it('binds and connects a socket deeper than sun_path allows, in its own dir, through the dir descriptor', async () => {
    const path = join(deepDir(), 'ambari-agent.sock');
    expect(Buffer.byteLength(path)).toBeGreaterThan(108);
    const before = openFds();
    const address = socketAddress(path);
    expect(Buffer.byteLength(address.address)).toBeLessThanOrEqual(MAX_SOCKET_PATH);
    expect(address.address).toMatch(/^\/proc\/self\/fd\/\d+\/ambari-agent\.sock$/);
    address.release();
    address.release();
    expect(openFds()).toBe(before);

    await answeringServer(path);
    // The listening socket, and no descriptor of the dir any more.
    expect(openFds()).toBe(before + 1);
    expect(statSync(path).isSocket()).toBe(true);
    expect(await askAgent(path, { cmd: 'status' })).toEqual({ ok: true });
    // The client's descriptor of the dir is closed once connected and done.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(openFds()).toBe(before + 1);
  });

  it('a deep socket whose dir does not exist fails as a connect does (ENOENT), with nothing left open', async () => {
    const path = join(deepDir(), 'missing', 'ambari-agent.sock');
    const before = openFds();
    const error = await new Promise<NodeJS.ErrnoException>((resolve) => connectControl(path).on('error', resolve));
    expect(error.code).toBe('ENOENT');
    expect(existsSync(path)).toBe(false);
    expect(openFds()).toBe(before);
  });
});
