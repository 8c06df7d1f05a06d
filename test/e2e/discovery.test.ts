// Server discovery: HTTPS GET /ca on url_port of each [server] hostname, 10 tries per host.
import { createServer, type Server } from 'node:https';
import getPort from 'get-port';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-ignore plain .mjs helper without type declarations
import { startDevServer } from '../support/devServer.mjs';
// @ts-ignore plain .mjs helper without type declarations
import { selfSignedCert } from '../support/tls.mjs';
import { cleanup, cli, logText, newHome, readPidFile, startAgent, stateOf, waitForLog, waitForState } from './helpers.js';

const closers: Array<() => Promise<void>> = [];

afterEach(async () => {
  await cleanup();
  while (closers.length > 0) await closers.pop()!();
});


/** An HTTPS server like startCaServer's, bound to any loopback address. */
async function caServerOn(host: string, port: number, caStatus = 200): Promise<{ requests: string[] }> {
  const { key, cert } = selfSignedCert();
  const requests: string[] = [];
  const server: Server = createServer({ key, cert }, (req, res) => {
    requests.push(req.url ?? '');
    res.writeHead(req.url === '/ca' ? caStatus : 404);
    res.end(req.url === '/ca' ? cert : undefined);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  closers.push(() => new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  return { requests };
}

describe('discovery', () => {
  it('reaches `connected` through discovery and registration with the dev server', async () => {
    const server = await startDevServer();
    closers.push(() => server.stop());
    const home = await newHome({
      servers: ['127.0.0.1'],
      urlPort: server.urlPort,
      set: ['server.connect_retry_delay=1', `server.secured_url_port=${server.securedUrlPort}`],
    });
    const started = await startAgent(home);
    expect(started.code, started.output).toBe(0);

    const status = await waitForState(home, 'connected', 10000);
    expect(status.stdout).toContain(`Found ambari-agent PID: ${readPidFile(home)}`);
    expect(status.stdout).toMatch(/^Server: 127\.0\.0\.1$/m);
    const log = logText(home);
    expect(log).toMatch(/^INFO .*\[discovery\] Connected to Ambari server 127\.0\.0\.1$/m);
    expect(log).toMatch(/\[supervisor\] state discovering -> registering/);
    expect(log).toMatch(/\[supervisor\] state registering -> connected/);
  });

  it('stays in `discovering` and keeps retrying while no server answers', async () => {
    const deadPort = await getPort({ host: '127.0.0.1' });
    const home = await newHome({ servers: ['127.0.0.1'], urlPort: deadPort, set: ['server.connect_retry_delay=1'] });
    const started = await startAgent(home);
    expect(started.code, started.output).toBe(0);

    const log = await waitForLog(home, /try 2\/10/, 10000);
    expect(log).toMatch(
      new RegExp(`^WARNING .*\\[discovery\\] Server at https://127\\.0\\.0\\.1:${deadPort} is not reachable, sleeping for 1 seconds\\.\\.\\. \\(try 1/10: `, 'm'),
    );
    expect(log).not.toContain('Connected to Ambari server');
    const status = await cli(['status', '--home', home]);
    expect(status.code, status.output).toBe(0);
    expect(stateOf(status.stdout)).toBe('discovering');
  });

  it('an HTTPS answer other than 200 on /ca does not count as reachable', async () => {
    const port = await getPort({ host: '127.0.0.1' });
    const server = await caServerOn('127.0.0.1', port, 503);
    const home = await newHome({ servers: ['127.0.0.1'], urlPort: port, set: ['server.connect_retry_delay=1'] });
    const started = await startAgent(home);
    expect(started.code, started.output).toBe(0);

    const log = await waitForLog(home, /try 2\/10/, 10000);
    expect(log).toMatch(/is not reachable, sleeping for 1 seconds\.\.\. \(try 1\/10: HTTP 503\)/);
    expect(server.requests.filter((url) => url === '/ca').length).toBeGreaterThanOrEqual(2);
    expect(log).not.toContain('Connected to Ambari server');
    expect(stateOf((await cli(['status', '--home', home])).stdout)).toBe('discovering');
  });

  it('fails over to the next host after 10 tries against the first', async () => {
    // Nothing listens on 127.0.0.3:port (connection refused); the server is on 127.0.0.2:port.
    const port = await getPort();
    const securedPort = await getPort();
    const server = await startDevServer({ host: '127.0.0.2', urlPort: port, securedUrlPort: securedPort });
    closers.push(() => server.stop());
    const home = await newHome({
      servers: ['127.0.0.3', '127.0.0.2'],
      urlPort: port,
      set: ['server.connect_retry_delay=1', `server.secured_url_port=${securedPort}`],
    });
    const started = await startAgent(home);
    expect(started.code, started.output).toBe(0);
    expect((await cli(['status', '--home', home])).stdout).toContain('State: discovering');

    const status = await waitForState(home, 'connected', 25000);
    expect(status.stdout).toMatch(/^Server: 127\.0\.0\.2$/m);

    const lines = logText(home).split('\n');
    const tries = lines.filter((l) => l.includes(`Server at https://127.0.0.3:${port} is not reachable`));
    expect(tries.map((l) => /\(try (\d+)\/10/.exec(l)?.[1])).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
    expect(lines.some((l) => l.includes(`https://127.0.0.2:${port} is not reachable`))).toBe(false);
    const connected = lines.findIndex((l) => /\[discovery\] Connected to Ambari server 127\.0\.0\.2$/.test(l));
    expect(connected).toBeGreaterThan(lines.indexOf(tries.at(-1)!));
  });
});
