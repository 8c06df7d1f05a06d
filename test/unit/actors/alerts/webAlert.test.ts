import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import getPort from 'get-port';
import { createWebAlertKind, webAlertUrl } from '../../../../src/actors/alerts/webAlert.js';
import { collectAlert } from '../../../../src/actors/alerts/collectAlert.js';
import { pyNumber } from '../../../../src/actors/alerts/pyValue.js';
import { context, definition } from './alertTestHelpers.js';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => {
    const closed = new Promise((resolve) => s.close(resolve));
    s.closeAllConnections();
    return closed;
  }));
});

async function serve(handler: http.RequestListener): Promise<number> {
  const port = await getPort({ host: '127.0.0.1' });
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return port;
}

const web = createWebAlertKind();
// The fixtures' namenode_webui texts.
const reporting = {
  ok: { text: 'HTTP {0} response in {2:.3f}s' },
  warning: { text: 'HTTP {0} response from {1} in {2:.3f}s ({3})' },
  critical: { text: 'Connection failed to {1} ({3})' },
};
const webDefinition = (extra: Record<string, unknown> = {}) =>
  definition({ type: 'WEB', uri: { http: '{{hdfs-site/dfs.namenode.http-address}}', connection_timeout: 0.5, ...extra }, reporting });

describe('WEB', () => {
  it('200 is OK, 500 is WARNING with the HTTPError text, an acceptable code is OK', async () => {
    const port = await serve((req, res) => {
      res.statusCode = req.url === '/' ? 200 : req.url === '/fail' ? 500 : 401;
      res.end('x');
    });
    const conf = (path: string) => context({ 'hdfs-site': { 'dfs.namenode.http-address': `0.0.0.0:${port}${path}` } });
    const ok = await collectAlert(web, webDefinition(), conf(''));
    expect(ok.state).toBe('OK');
    expect(ok.text).toMatch(/^HTTP 200 response in 0\.\d{3}s$/);

    const warning = await web.check(webDefinition(), conf('/fail'));
    expect(warning.state).toBe('WARNING');
    expect(warning.args[0]).toBe(500);
    expect(warning.args[1]).toBe(`http://127.0.0.1:${port}/fail`);
    expect(warning.args[3]).toBe('HTTP Error 500: Internal Server Error');

    expect((await web.check(webDefinition(), conf('/auth'))).state).toBe('WARNING');
    expect((await web.check(webDefinition({ acceptable_codes: [401] }), conf('/auth'))).state).toBe('OK');
    expect((await web.check(webDefinition({ acceptableCodes: [401] }), conf('/auth'))).state).toBe('OK');
  });

  it('follows a redirect; a slow answer is CRITICAL with "timed out"; a closed port is CRITICAL', async () => {
    const port = await serve((req, res) => {
      if (req.url === '/old') {
        res.writeHead(302, { location: '/' });
        res.end();
      } else if (req.url === '/slow') {
        setTimeout(() => res.end(), 2000);
      } else res.end();
    });
    const conf = (address: string) => context({ 'hdfs-site': { 'dfs.namenode.http-address': address } });
    const moved = await web.check(webDefinition(), conf(`127.0.0.1:${port}/old`));
    expect(moved.state).toBe('OK');
    expect(moved.args[0]).toBe(200);

    const slow = await web.check(webDefinition(), conf(`127.0.0.1:${port}/slow`));
    expect(slow).toEqual({ state: 'CRITICAL', args: [0, `http://127.0.0.1:${port}/slow`, 0, 'timed out'] });

    const closedPort = await getPort({ host: '127.0.0.1' });
    const refused = await collectAlert(web, webDefinition(), conf(`127.0.0.1:${closedPort}`));
    expect(refused.state).toBe('CRITICAL');
    expect(refused.text).toBe(`Connection failed to http://127.0.0.1:${closedPort} (<urlopen error [Errno 111] Connection refused>)`);
  });

  it('response time in seconds', async () => {
    const port = await serve((_req, res) => setTimeout(() => res.end(), 200));
    const result = await web.check(webDefinition(), context({ 'hdfs-site': { 'dfs.namenode.http-address': `127.0.0.1:${port}` } }));
    expect(pyNumber(result.args[2])!.value).toBeGreaterThanOrEqual(0.19);
    expect(pyNumber(result.args[2])!.value).toBeLessThan(2);
  });

  it('kerberos with security enabled is not supported (UNKNOWN); no uri is an error', async () => {
    const conf = context({
      'hdfs-site': { 'dfs.namenode.http-address': '127.0.0.1:1', keytab: '/k', principal: 'HTTP/_HOST@R' },
      'cluster-env': { security_enabled: 'true' },
    });
    const result = await web.check(webDefinition({ kerberos_keytab: '{{hdfs-site/keytab}}', kerberos_principal: '{{hdfs-site/principal}}' }), conf);
    expect(result.state).toBe('UNKNOWN');
    expect(String(result.args[0])).toMatch(/^Kerberos \(SPNEGO\) alerts are not supported yet/);
    await expect(web.check(definition({ type: 'WEB' }), context())).rejects.toThrow('URL(s) were not defined');
  });

  it('builds URLs as _build_web_query does', () => {
    expect(webAlertUrl({ uri: 'h:8080/login.jsp', ssl: false }, 'me')).toBe('http://h:8080/login.jsp');
    expect(webAlertUrl({ uri: 'h', ssl: true }, 'me')).toBe('https://h:443');
    expect(webAlertUrl({ uri: 50070, ssl: false }, 'me')).toBe('http://me:50070');
    expect(webAlertUrl({ uri: 'https://0.0.0.0:1/x', ssl: false }, 'me')).toBe('https://me:1/x');
  });
});
