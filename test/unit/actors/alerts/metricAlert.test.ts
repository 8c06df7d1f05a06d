import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import getPort from 'get-port';
import { createMetricAlertKind, jmxPropertyMap } from '../../../../src/actors/alerts/metricAlert.js';
import { collectAlert } from '../../../../src/actors/alerts/collectAlert.js';
import { PyFloat } from '../../../../src/actors/alerts/pyValue.js';
import { context, definition } from './alertTestHelpers.js';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => { s.close(resolve); s.closeAllConnections(); })));
});

// A JMX servlet: /jmx?qry=<bean> answers {"beans":[...]} from this table (raw JSON text, to keep 1.0 a float).
const BEANS: Record<string, string> = {
  'java.lang:type=OperatingSystem': '{"beans":[{"name":"java.lang:type=OperatingSystem","SystemCpuLoad":0.5,"AvailableProcessors":4}]}',
  'Hadoop:service=NameNode,name=FSNamesystem': '{"beans":[{"name":"Hadoop:service=NameNode,name=FSNamesystem","CapacityUsed":30,"CapacityRemaining":70,"RpcQueueTime":1.0}]}',
  'Hadoop:service=NameNode,name=NameNodeInfo': '{"beans":[{"name":"other"},{"name":"Hadoop:service=NameNode,name=NameNodeInfo","NameDirStatuses":"{\\"failed\\": {\\"/d1\\": \\"IMAGE\\"}, \\"active\\": {}}"}]}',
};

async function jmxServer(): Promise<number> {
  const port = await getPort({ host: '127.0.0.1' });
  const server = http.createServer((req, res) => {
    const qry = new URL(req.url!, 'http://x').searchParams.get('qry') ?? '';
    if (qry in BEANS) res.end(BEANS[qry]);
    else {
      res.statusCode = 404;
      res.end('no');
    }
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return port;
}

const metric = createMetricAlertKind({ python: 'python3' });
const cpuReporting = {
  ok: { text: '{1} CPU, load {0:.1%}' },
  warning: { text: '{1} CPU, load {0:.1%}', value: 200.0 },
  critical: { text: '{1} CPU, load {0:.1%}', value: 250.0 },
  units: '%',
};

describe('METRIC', () => {
  it('the fixtures\' CPU alert: value expression {0} * 100 and thresholds', async () => {
    const port = await jmxServer();
    const def = definition({
      type: 'METRIC',
      uri: { http: '{{hbase-site/hbase.master.info.port}}', default_port: 60010, connection_timeout: 5.0 },
      jmx: { property_list: ['java.lang:type=OperatingSystem/SystemCpuLoad', 'java.lang:type=OperatingSystem/AvailableProcessors'], value: '{0} * 100' },
      reporting: cpuReporting,
    });
    const conf = context({ 'hbase-site': { 'hbase.master.info.port': `0.0.0.0:${port}` } });
    expect(await metric.check(def, conf)).toEqual({ state: 'OK', args: [0.5, 4, new PyFloat(50)] });
    expect(await collectAlert(metric, def, conf, () => 5)).toMatchObject({ state: 'OK', text: '4 CPU, load 50.0%' });

    const hot = { ...def, source: { ...def.source, jmx: { ...def.source.jmx, value: '{0} * 500' } } };
    expect((await metric.check(hot, conf)).state).toBe('CRITICAL');
  });

  it('two beans, the capacity expression, a float kept a float, the value appended', async () => {
    const port = await jmxServer();
    const def = definition({
      type: 'METRIC',
      uri: { http: `127.0.0.1:${port}` },
      jmx: {
        property_list: ['Hadoop:service=NameNode,name=FSNamesystem/CapacityUsed', 'Hadoop:service=NameNode,name=FSNamesystem/CapacityRemaining'],
        value: '{0}/({0} + {1}) * 100.0',
      },
      reporting: { ok: { text: 'Capacity Used:[{2:.0f}%, {0}], Capacity Remaining:[{1}]' }, warning: { value: 75.0 }, critical: { value: 80.0 } },
    });
    const result = await collectAlert(metric, def, context());
    expect(result).toMatchObject({ state: 'OK', text: 'Capacity Used:[30%, 30], Capacity Remaining:[70]' });

    const latency = definition({ type: 'METRIC', uri: { http: `127.0.0.1:${port}` }, jmx: { property_list: ['Hadoop:service=NameNode,name=FSNamesystem/RpcQueueTime'], value: '{0}' }, reporting: { ok: { text: 'Queue:[{0}]' }, warning: { value: 3000.0 }, critical: { value: 5000.0 } } });
    expect((await collectAlert(metric, latency, context())).text).toBe('Queue:[1.0]');
  });

  it('the multi-line calculate(args) expression runs in python3; the bean is found by name', async () => {
    const port = await jmxServer();
    const def = definition({
      type: 'METRIC',
      uri: { http: `127.0.0.1:${port}` },
      jmx: {
        property_list: ['Hadoop:service=NameNode,name=NameNodeInfo/NameDirStatuses'],
        value: "calculate(args)\ndef calculate(args):\n  import json\n  json_statuses = json.loads({0})\n  return len(json_statuses['failed']) if 'failed' in json_statuses else 0",
      },
      reporting: { ok: { text: 'Directories are healthy' }, warning: { text: 'Failed directory count: {1}', value: 1.0 }, critical: { text: 'Failed directory count: {1}', value: 1.0 } },
    });
    expect(await collectAlert(metric, def, context())).toMatchObject({ state: 'CRITICAL', text: 'Failed directory count: 1' });
  });

  it('no values (unknown bean, server down) is UNKNOWN; a missing attribute names it', async () => {
    const port = await jmxServer();
    const none = definition({ type: 'METRIC', uri: { http: `127.0.0.1:${port}` }, jmx: { property_list: ['No:bean/x'] } }, 'nn_alert');
    expect(await collectAlert(metric, none, context())).toMatchObject({ state: 'UNKNOWN', text: '[Alert][nn_alert] Unable to extract JSON from JMX response' });
    const missing = definition({ type: 'METRIC', uri: { http: `127.0.0.1:${port}` }, jmx: { property_list: ['java.lang:type=OperatingSystem/Nope'] } });
    expect(await collectAlert(metric, missing, context())).toMatchObject({ state: 'UNKNOWN', text: `Unable to find Nope in JSON from http://127.0.0.1:${port}/jmx?qry=java.lang:type=OperatingSystem ` });
  });

  it('groups properties by bean in first-seen order', () => {
    expect([...jmxPropertyMap(['A/x', 'B/y', 'A/z'])]).toEqual([['A', ['x', 'z']], ['B', ['y']]]);
  });
});
