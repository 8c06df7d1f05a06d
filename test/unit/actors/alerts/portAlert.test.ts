import { afterEach, describe, expect, it } from 'vitest';
import net from 'node:net';
import getPort from 'get-port';
import { narrowCsvUri, portAlertKind, portHosts } from '../../../../src/actors/alerts/portAlert.js';
import { collectAlert } from '../../../../src/actors/alerts/collectAlert.js';
import { pyNumber } from '../../../../src/actors/alerts/pyValue.js';
import { context, definition } from './alertTestHelpers.js';

const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

async function listen(onConnection: (socket: net.Socket) => void = () => undefined): Promise<number> {
  const port = await getPort({ host: '127.0.0.1' });
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return port;
}

const reporting = { ok: { text: 'TCP OK - {0:.3f}s response on port {1}' }, warning: { text: 'TCP OK - {0:.3f}s response on port {1}', value: 1.5 }, critical: { text: 'Connection failed: {0} to {1}:{2}', value: 5.0 } };

describe('PORT', () => {
  it('a threshold of 0 or less is the default (a negative socket timeout once threw past the error listener and ended the process)', async () => {
    const port = await getPort({ host: '127.0.0.1' }); // nothing listens: the connect fails
    const def = definition({ type: 'PORT', uri: `127.0.0.1:${port}`, reporting: { warning: { text: 'w', value: 0 }, critical: { text: 'down {1}:{2}', value: -1 } } });
    const result = await collectAlert(portAlertKind, def, context());
    expect(result).toMatchObject({ state: 'CRITICAL', text: `down 127.0.0.1:${port}` });
  });

  it('a cancelled check opens no further socket and ends at once', async () => {
    const port = await getPort({ host: '127.0.0.1' });
    const cancelled = new AbortController();
    cancelled.abort();
    const def = definition({ type: 'PORT', uri: `127.0.0.1:${port}` });
    await expect(portAlertKind.check(def, { ...context(), signal: cancelled.signal })).rejects.toThrow('The check was cancelled');
  });

  it('OK on an open port (seconds measured properly), CRITICAL once it is closed', async () => {
    const port = await listen((socket) => socket.end());
    const def = definition({ type: 'PORT', uri: '{{site/port}}', default_port: 1, reporting });
    const ok = await portAlertKind.check(def, context({ site: { port: `127.0.0.1:${port}` } }));
    expect(ok.state).toBe('OK');
    expect(ok.args[1]).toBe(port);
    const seconds = pyNumber(ok.args[0])!.value;
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThan(1);

    await new Promise((resolve) => servers.pop()!.close(resolve));
    const result = await collectAlert(portAlertKind, def, context({ site: { port: `127.0.0.1:${port}` } }), () => 1234.9);
    expect(result).toEqual({ name: 'test_alert', clusterId: '2', timestamp: 1234, definitionId: 7, state: 'CRITICAL', text: `Connection failed: [Errno 111] Connection refused to 127.0.0.1:${port}` });
  });

  it('WARNING when socket.command is answered slowly, CRITICAL on a timeout or a wrong answer', async () => {
    const port = await listen((socket) => socket.once('data', () => setTimeout(() => socket.end('imok'), 300)));
    const source = (warning: number, critical: number, response = 'imok') => ({
      type: 'PORT',
      uri: `127.0.0.1:${port}`,
      reporting: { warning: { value: warning }, critical: { value: critical } },
      parameters: [{ name: 'socket.command', value: 'ruok' }, { name: 'socket.command.response', value: response }],
    });
    const warning = await portAlertKind.check(definition(source(0.1, 5)), context());
    expect(warning.state).toBe('WARNING');
    expect(pyNumber(warning.args[0])!.value).toBeGreaterThanOrEqual(0.25);

    const critical = await portAlertKind.check(definition(source(0.05, 0.1)), context());
    expect(critical).toEqual({ state: 'CRITICAL', args: ['timed out', '127.0.0.1', port] });

    const wrong = await portAlertKind.check(definition(source(1, 5, 'other')), context());
    expect(wrong).toEqual({ state: 'CRITICAL', args: ['Expected response other, Actual response imok', '127.0.0.1', port] });
  });

  it('default texts, default_port, and no port at all', async () => {
    const port = await listen();
    const result = await collectAlert(portAlertKind, definition({ type: 'PORT', uri: '{{missing/x}}', default_port: port }), context());
    expect(result.state).toBe('OK');
    expect(result.text).toMatch(new RegExp(`^TCP OK - 0\\.\\d{4} response on port ${port}$`));
    const noPort = await portAlertKind.check(definition({ type: 'PORT', uri: 'somehost' }), context());
    expect(noPort).toEqual({ state: 'UNKNOWN', args: ['Unable to determine port from URI somehost'] });
  });

  it('host selection: CSV narrowed to this host; no host or localhost means this host, then its public name', () => {
    expect(narrowCsvUri('h1:1,h2:2,h3:3', 'h2')).toBe('h2:2');
    expect(narrowCsvUri('h1:1,h3:3', 'h2')).toBe('h1:1,h3:3');
    const names = { hostName: 'me', publicHostName: 'me.public' };
    expect(portHosts('other:80', false, names)).toEqual(['other']);
    expect(portHosts('localhost:80', false, names)).toEqual(['me', 'me.public']);
    expect(portHosts('0.0.0.0:80', false, names)).toEqual(['me', 'me.public']);
    expect(portHosts('me', true, names)).toEqual(['me', 'me.public']);
    expect(portHosts('me:80', false, names)).toEqual(['me']);
  });
});
