import { createServer, type Server } from 'node:net';
import getPort from 'get-port';
import { afterEach, describe, expect, it } from 'vitest';
import { createActor, createMachine, waitFor } from 'xstate';
import { describeBindError, pingPortListener } from '../../../../src/actors/local/pingPortListener.js';
import { findPortHolder } from '../../../../src/actors/local/portHolder.js';
import { ping } from '../../../../src/cli/controlClient.js';
import type { ListenerEvent } from '../../../../src/machines/pingPort.js';

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
