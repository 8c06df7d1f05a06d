import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import getPort from 'get-port';
import { AMS_COMPUTE, createAmsAlertKind } from '../../../../src/actors/alerts/amsAlert.js';
import { collectAlert } from '../../../../src/actors/alerts/collectAlert.js';
import { pyStr } from '../../../../src/actors/alerts/pyValue.js';
import { context, definition } from './alertTestHelpers.js';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => { s.close(resolve); s.closeAllConnections(); })));
});

const queries: URL[] = [];
async function amsServer(body: string, status = 200): Promise<number> {
  const port = await getPort({ host: '127.0.0.1' });
  const server = http.createServer((req, res) => {
    queries.push(new URL(req.url!, 'http://x'));
    res.statusCode = status;
    res.end(body);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return port;
}

const METRICS = JSON.stringify({
  metrics: [
    { metricname: 'regionserver.Server.readRequestCount', metrics: { '1459966360838': 10, '1459966370838': 20, '1459966380838': 30 } },
    { metricname: 'other', metrics: { '1459966360838': 1 } },
  ],
});

const ams = createAmsAlertKind({ python: 'python3', now: () => 1_700_000_000_123 });
const source = (port: number, compute: string, extra: Record<string, unknown> = {}) => ({
  type: 'AMS',
  uri: { http: `127.0.0.1:${port}` },
  ams: { metric_list: ['regionserver.Server.readRequestCount'], value: '{0}', compute, interval: 5, app_id: 'HBASE', minimum_value: 0, ...extra },
  reporting: { ok: { text: 'value {0}' }, warning: { text: 'warn {0}', value: 25 }, critical: { text: 'crit {0}', value: 100 } },
});

describe('AMS', () => {
  it('queries the timeline API and computes the mean', async () => {
    const port = await amsServer(METRICS);
    const result = await collectAlert(ams, definition(source(port, 'mean')), context());
    expect(result).toMatchObject({ state: 'OK', text: 'value 20.0' });
    const q = queries.at(-1)!;
    expect(q.pathname).toBe('/ws/v1/timeline/metrics');
    expect(Object.fromEntries(q.searchParams)).toEqual({
      metricNames: 'regionserver.Server.readRequestCount', appId: 'HBASE', hostname: '127.0.0.1',
      startTime: String(1_700_000_000_000 - 300_000), endTime: '1700000000000', precision: 'seconds', grouped: 'true',
    });
  });

  it('count, standard deviation (percentage), minimum_value and a value expression', async () => {
    const port = await amsServer(METRICS);
    expect(await ams.check(definition(source(port, 'count')), context())).toMatchObject({ state: 'OK', args: [3] });
    expect(await ams.check(definition(source(port, 'sample_standard_deviation')), context())).toMatchObject({ state: 'OK' });
    // stdev 10 / mean 20 * 100 = 50.0
    const pct = await collectAlert(ams, definition(source(port, 'sample_standard_deviation_percentage')), context());
    expect(pct).toMatchObject({ state: 'WARNING', text: 'warn 50.0' });
    const filtered = await ams.check(definition(source(port, 'count', { minimum_value: 15 })), context());
    expect(filtered.args).toEqual([2]);
    const scaled = await collectAlert(ams, definition(source(port, 'mean', { value: '{0} * 10' })), context());
    expect(scaled).toMatchObject({ state: 'CRITICAL', text: 'crit 200.0' });
  });

  it('aggregate functions as ambari_commons computes them', () => {
    // Python 3.11.7: mean([1,2,3,4]), sample_standard_deviation([1,2,3,4]), ...percentage, count
    expect(pyStr(AMS_COMPUTE.mean!([1, 2, 3, 4]))).toBe('2.5');
    expect(pyStr(AMS_COMPUTE.sample_standard_deviation!([1, 2, 3, 4]))).toBe('1.2909944487358056');
    expect(pyStr(AMS_COMPUTE.sample_standard_deviation_percentage!([1, 2, 3, 4]))).toBe('51.63977794943222');
    expect(AMS_COMPUTE.mean!([])).toBe(0);
    expect(AMS_COMPUTE.sample_standard_deviation!([5])).toBe(0);
    expect(AMS_COMPUTE.sample_standard_deviation_percentage!([0, 0])).toBe(0);
  });

  it('no data: HTTP code other than 200 is UNKNOWN "metrics unavailable", 200 without the metric is an error, no server is None', async () => {
    const port404 = await amsServer('not found', 404);
    expect(await collectAlert(ams, definition(source(port404, 'mean')), context())).toMatchObject({ state: 'UNKNOWN', text: 'HTTP 404 response (metrics unavailable)' });
    const empty = await amsServer('{"metrics": []}');
    expect(await collectAlert(ams, definition(source(empty, 'mean'), 'ams_x'), context())).toMatchObject({ state: 'UNKNOWN', text: '[Alert][ams_x] Unable to extract JSON from HTTP response' });
    const closed = await getPort({ host: '127.0.0.1' });
    expect(await collectAlert(ams, definition(source(closed, 'mean')), context())).toMatchObject({ state: 'UNKNOWN', text: 'HTTP None response (metrics unavailable)' });
  });
});
