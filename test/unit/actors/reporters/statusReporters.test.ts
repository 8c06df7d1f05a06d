// The reporters of the `registered` state: component status, component version and host status,
// run as actors over fake send / runStatus / collect on fake timers, with caches built from the
// reference fixtures (topology_create.json, metadata_after_registration.json).
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createActor, toPromise } from 'xstate';
import { ComponentActivity } from '../../../../src/actors/commands/componentActivity.js';
import { changedStatuses, createComponentStatusReporter, type ComponentStatusEntry } from '../../../../src/actors/reporters/componentStatusReporter.js';
import { createComponentVersionReporter } from '../../../../src/actors/reporters/componentVersionReporter.js';
import { componentsOnHost, groupByCluster, type StatusRun } from '../../../../src/actors/host/hostComponents.js';
import { collectHostStatus, createHostStatusReporter } from '../../../../src/actors/reporters/hostStatusReporter.js';
import { AgentCaches } from '../../../../src/caches/index.js';
import type { LogLevel } from '../../../../src/logging/logger.js';
import { fixture } from '../../../support/fixtures.js';

const HOST = 'c6401.ambari.apache.org';
const HDFS_FOLDER = 'common-services/HDFS/2.1.0.2.0/package';
const LINK = { name: 'the link' };

/** Real AgentCaches (so the reporters accept the real class) filled with the fixtures. */
function fixtureCaches(edit?: (topology: Record<string, any>) => void): AgentCaches {
  const caches = new AgentCaches('/nonexistent/cache-dir');
  const topology = fixture<Record<string, any>>('topology_create.json');
  edit?.(topology);
  caches.apply('topologies', topology);
  caches.apply('metadata', fixture('metadata_after_registration.json'));
  return caches;
}

interface Sent {
  link: unknown;
  destination: string;
  body: any;
}

function fakes() {
  const sent: Sent[] = [];
  const logs: Array<{ actor: string; level: LogLevel; msg: string }> = [];
  /** What the next sends do: 'ok' (default), 'reject', 'refuse' ({status: ERROR}). */
  const sendPlan: Array<'ok' | 'reject' | 'refuse'> = [];
  const send = vi.fn(async (link: unknown, destination: string, body: unknown) => {
    sent.push({ link, destination, body: structuredClone(body) });
    const next = sendPlan.shift() ?? 'ok';
    if (next === 'reject') throw new Error('10 seconds timeout expired');
    return next === 'refuse' ? { status: 'ERROR', reason: 'nope' } : { status: 'OK' };
  });
  const log = (actor: string, level: LogLevel, msg: string) => void logs.push({ actor, level, msg });
  return { sent, logs, sendPlan, send, log };
}

/** Lets every pending promise chain run (real setImmediate; only setTimeout and Date are faked). */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
const useFakeClock = () => vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });

const entry = (clusterId: string, componentName: string, status: 'STARTED' | 'INSTALLED', command = 'STATUS'): ComponentStatusEntry => ({
  componentName,
  serviceName: 'HDFS',
  command,
  status,
  clusterId,
});

afterEach(() => {
  vi.useRealTimers();
});

describe('componentsOnHost', () => {
  it('finds what the fixtures place on c6401, with metadata params merged in', () => {
    const caches = fixtureCaches();
    const found = componentsOnHost(caches.get('topologies').clusters, caches.get('metadata').clusters, HOST, 77);
    expect(found.map((c) => `${c.clusterId}/${c.componentName}`)).toEqual(['0/NAMENODE', '0/DATANODE', '0/HDFS_CLIENT', '1/NAMENODE']);
    expect(found[0]).toEqual({
      clusterId: '0',
      serviceName: 'HDFS',
      componentName: 'NAMENODE',
      statusCommands: ['STATUS'],
      statusTimeoutSeconds: 300,
      version: '2.6.0.3-8',
    });
    // Cluster 1 has no metadata: the default commands and timeout.
    expect(found[3]).toMatchObject({ statusCommands: ['STATUS'], statusTimeoutSeconds: 77 });
  });

  it('finds only DATANODE on c6402 and nothing on an unknown host', () => {
    const caches = fixtureCaches();
    const topologies = caches.get('topologies').clusters;
    const metadata = caches.get('metadata').clusters;
    expect(componentsOnHost(topologies, metadata, 'c6402.ambari.apache.org', 60).map((c) => `${c.clusterId}/${c.componentName}`)).toEqual(['0/DATANODE']);
    expect(componentsOnHost(topologies, metadata, 'elsewhere', 60)).toEqual([]);
    expect(componentsOnHost({}, {}, HOST, 60)).toEqual([]);
  });

  it('reads cluster ids and keys as own properties only, and takes the metadata commands and timeout', () => {
    const topologies = JSON.parse(
      '{"__proto__": {"hosts": [{"hostId": 5, "hostName": "h"}], "components": [{"serviceName": "S", "componentName": "C", "hostIds": [5]}]},' +
        ' "constructor": {"hosts": [{"hostId": 1, "hostName": "other"}], "components": []}, "toString": {}}',
    ) as Record<string, unknown>;
    const metadata = JSON.parse('{"__proto__": {"status_commands_to_run": ["STATUS", "SECURITY_STATUS"], "serviceLevelParams": {"S": {"status_commands_timeout": "45"}}}}') as Record<string, unknown>;
    expect(componentsOnHost(topologies, metadata, 'h', 60)).toEqual([
      { clusterId: '__proto__', serviceName: 'S', componentName: 'C', statusCommands: ['STATUS', 'SECURITY_STATUS'], statusTimeoutSeconds: 45 },
    ]);
    // Inherited names are no clusters, hosts or services.
    expect(componentsOnHost({}, {}, 'constructor', 60)).toEqual([]);
    expect(Object.prototype).not.toHaveProperty('hosts');
  });
});

describe('groupByCluster', () => {
  it('groups in first-seen order under own keys, `__proto__` included', () => {
    const grouped = groupByCluster([entry('__proto__', 'A', 'STARTED'), entry('0', 'B', 'STARTED'), entry('__proto__', 'C', 'INSTALLED')]);
    expect(Object.keys(grouped)).toEqual(['0', '__proto__']);
    expect(Object.getPrototypeOf(grouped)).toBe(Object.prototype);
    expect(JSON.parse(JSON.stringify(grouped))).toEqual(JSON.parse('{"0": [{"componentName":"B","serviceName":"HDFS","command":"STATUS","status":"STARTED","clusterId":"0"}], "__proto__": [' +
      '{"componentName":"A","serviceName":"HDFS","command":"STATUS","status":"STARTED","clusterId":"__proto__"},' +
      '{"componentName":"C","serviceName":"HDFS","command":"STATUS","status":"INSTALLED","clusterId":"__proto__"}]}'));
  });
});

describe('changedStatuses', () => {
  it('keeps every result against nothing reported, and only the differing ones after', () => {
    const results = [entry('0', 'NAMENODE', 'STARTED'), entry('0', 'DATANODE', 'INSTALLED'), entry('1', 'NAMENODE', 'STARTED')];
    expect(changedStatuses(results, new Map())).toEqual(results);
    const reported = new Map([
      [JSON.stringify(['0', 'HDFS', 'NAMENODE', 'STATUS']), 'STARTED' as const],
      [JSON.stringify(['0', 'HDFS', 'DATANODE', 'STATUS']), 'STARTED' as const],
      [JSON.stringify(['1', 'HDFS', 'NAMENODE', 'STATUS']), 'STARTED' as const],
    ]);
    expect(changedStatuses(results, reported)).toEqual([results[1]]);
    expect(changedStatuses([entry('0', 'NAMENODE', 'STARTED', 'SECURITY_STATUS')], reported)).toHaveLength(1);
  });
});

describe('component status reporter', () => {
  beforeEach(useFakeClock);

  /** Exit codes per "clusterId/componentName" (default 0); 'throw' makes runStatus throw. */
  function scriptedRun(codes: Record<string, number | 'throw'>) {
    const runs: StatusRun[] = [];
    const runStatus = vi.fn(async (request: StatusRun) => {
      runs.push(request);
      const code = codes[`${request.clusterId}/${request.componentName}`] ?? 0;
      if (code === 'throw') throw new Error('no such script');
      return { exitCode: code, structuredOut: {} };
    });
    return { runs, runStatus };
  }

  function start(options: { codes: Record<string, number | 'throw'>; intervalSeconds?: number; plan?: Array<'ok' | 'reject' | 'refuse'>; activity?: ComponentActivity }) {
    const f = fakes();
    f.sendPlan.push(...(options.plan ?? []));
    const run = scriptedRun(options.codes);
    const activity = options.activity ?? new ComponentActivity();
    const logic = createComponentStatusReporter({
      intervalSeconds: options.intervalSeconds ?? 10,
      defaultTimeoutSeconds: 60,
      caches: fixtureCaches(),
      hostname: () => HOST,
      runStatus: run.runStatus,
      send: f.send,
      log: f.log,
      activity,
    });
    const actor = createActor(logic, { input: { link: LINK } }).start();
    return { ...f, ...run, actor, activity };
  }

  it('reports every status on its first pass, per cluster, with the statuses from the exit codes', async () => {
    const { sent, runs, actor } = start({ codes: { '0/DATANODE': 1, '0/HDFS_CLIENT': 3 } });
    await settle();
    expect(runs.map((r) => `${r.clusterId}/${r.componentName}/${r.commandName}`)).toEqual(['0/NAMENODE/STATUS', '0/DATANODE/STATUS', '0/HDFS_CLIENT/STATUS', '1/NAMENODE/STATUS']);
    expect(runs[0]).toMatchObject({ serviceName: 'HDFS', componentName: 'NAMENODE', timeoutSeconds: 300 });
    expect(runs[0]!.signal).toBeInstanceOf(AbortSignal);
    expect(runs[3]!.timeoutSeconds).toBe(60);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.link).toBe(LINK);
    expect(sent[0]!.destination).toBe('/reports/component_status');
    expect(sent[0]!.body).toEqual({
      clusters: {
        '0': [entry('0', 'NAMENODE', 'STARTED'), entry('0', 'DATANODE', 'INSTALLED'), entry('0', 'HDFS_CLIENT', 'INSTALLED')],
        '1': [entry('1', 'NAMENODE', 'STARTED')],
      },
    });
    // Entry keys as in fixtures/components_status_report.json, plus serviceName.
    const fixtureKeys = Object.keys(fixture<Record<string, Array<Record<string, unknown>>>>('components_status_report.json')['0']![0]!);
    expect(Object.keys(sent[0]!.body.clusters['0'][0]).sort()).toEqual([...fixtureKeys, 'serviceName'].sort());
    actor.stop();
  });

  it('then reports only what changed, every interval', async () => {
    const codes: Record<string, number> = { '0/DATANODE': 1 };
    const { sent, runs, actor } = start({ codes });
    await settle();
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(9_999);
    await settle();
    expect(runs).toHaveLength(4);
    await vi.advanceTimersByTimeAsync(1);
    await settle();
    expect(runs).toHaveLength(8);
    expect(sent).toHaveLength(1); // nothing changed
    codes['0/DATANODE'] = 0;
    codes['1/NAMENODE'] = 1;
    await vi.advanceTimersByTimeAsync(10_000);
    await settle();
    expect(sent).toHaveLength(2);
    expect(sent[1]!.body).toEqual({ clusters: { '0': [entry('0', 'DATANODE', 'STARTED')], '1': [entry('1', 'NAMENODE', 'INSTALLED')] } });
    await vi.advanceTimersByTimeAsync(10_000);
    await settle();
    expect(runs).toHaveLength(16);
    expect(sent).toHaveLength(2);
    actor.stop();
  });

  it('keeps unacknowledged changes (failed or refused send) for the next pass', async () => {
    const { sent, logs, runs, actor } = start({ codes: { '0/DATANODE': 1 }, intervalSeconds: 5, plan: ['reject', 'refuse'] });
    await settle();
    expect(sent).toHaveLength(1);
    expect(logs).toEqual([expect.objectContaining({ actor: 'componentStatus', level: 'warn', msg: expect.stringContaining('10 seconds timeout expired') })]);
    await vi.advanceTimersByTimeAsync(5_000);
    await settle();
    expect(sent).toHaveLength(2); // the full report again: refused
    expect(sent[1]!.body).toEqual(sent[0]!.body);
    expect(logs.filter((l) => l.level === 'warn')).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(5_000);
    await settle();
    expect(sent).toHaveLength(3); // again, acknowledged this time
    expect(sent[2]!.body).toEqual(sent[0]!.body);
    await vi.advanceTimersByTimeAsync(5_000);
    await settle();
    expect(sent).toHaveLength(3);
    expect(runs).toHaveLength(16);
    actor.stop();
  });

  it('counts a status command that throws as INSTALLED and warns once per component', async () => {
    const { sent, logs, actor } = start({ codes: { '0/HDFS_CLIENT': 'throw' }, intervalSeconds: 1 });
    await settle();
    for (let i = 0; i < 3; i++) {
      await vi.advanceTimersByTimeAsync(1_000);
      await settle();
    }
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body.clusters['0'][2]).toEqual(entry('0', 'HDFS_CLIENT', 'INSTALLED'));
    const warnings = logs.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toContain('HDFS_CLIENT');
    actor.stop();
  });

  it('sends nothing, and runs nothing more, once stopped mid-pass; the running script is aborted', async () => {
    const f = fakes();
    const requests: StatusRun[] = [];
    let finish!: () => void;
    const runStatus = (request: StatusRun) => {
      requests.push(request);
      return new Promise<{ exitCode: number; structuredOut: Record<string, unknown> }>((resolve) => (finish = () => resolve({ exitCode: 0, structuredOut: {} })));
    };
    const actor = createActor(
      createComponentStatusReporter({ intervalSeconds: 1, defaultTimeoutSeconds: 60, caches: fixtureCaches(), hostname: () => HOST, runStatus, send: f.send, log: f.log, activity: new ComponentActivity() }),
      { input: { link: LINK } },
    ).start();
    await settle();
    expect(requests).toHaveLength(1);
    actor.stop();
    expect(requests[0]!.signal!.aborted).toBe(true);
    finish();
    await settle();
    await vi.advanceTimersByTimeAsync(60_000);
    await settle();
    expect(requests).toHaveLength(1);
    expect(f.sent).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('schedules nothing after a stop during the send', async () => {
    const f = fakes();
    let answer!: (value: unknown) => void;
    const send = vi.fn(() => new Promise<unknown>((resolve) => (answer = resolve)));
    const run = scriptedRun({});
    const actor = createActor(
      createComponentStatusReporter({ intervalSeconds: 1, defaultTimeoutSeconds: 60, caches: fixtureCaches(), hostname: () => HOST, runStatus: run.runStatus, send, log: f.log, activity: new ComponentActivity() }),
      { input: { link: LINK } },
    ).start();
    await settle();
    expect(send).toHaveBeenCalledTimes(1);
    actor.stop();
    answer({ status: 'OK' });
    await settle();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(send).toHaveBeenCalledTimes(1);
    expect(run.runs).toHaveLength(4);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('never overlaps passes: a pass longer than the interval delays the next; a short one keeps the beat', async () => {
    const f = fakes();
    const starts: number[] = [];
    let running = 0;
    let maxRunning = 0;
    let slow = true;
    const runStatus = async () => {
      starts.push(Date.now());
      maxRunning = Math.max(maxRunning, ++running);
      if (slow) await new Promise((resolve) => setTimeout(resolve, 3_000)); // fake: 4 x 3 s per pass
      running--;
      return { exitCode: 0, structuredOut: {} };
    };
    const t0 = Date.now();
    const actor = createActor(
      createComponentStatusReporter({ intervalSeconds: 5, defaultTimeoutSeconds: 60, caches: fixtureCaches(), hostname: () => HOST, runStatus, send: f.send, log: f.log, activity: new ComponentActivity() }),
      { input: { link: LINK } },
    ).start();
    for (let i = 0; i < 12; i++) await vi.advanceTimersByTimeAsync(1_000);
    // First pass: 0, 3, 6, 9 s; it ends at 12 s, past the 5 s interval: the next starts then.
    expect(starts.map((t) => t - t0)).toEqual([0, 3_000, 6_000, 9_000, 12_000]);
    slow = false;
    await vi.advanceTimersByTimeAsync(3_000);
    await settle();
    // The second pass (12 s) ran its last three commands at once when the clock reached 15 s.
    expect(starts.map((t) => t - t0)).toEqual([0, 3_000, 6_000, 9_000, 12_000, 15_000, 15_000, 15_000]);
    // The third starts 5 s after the second started (17 s), not 5 s after it ended.
    await vi.advanceTimersByTimeAsync(2_000);
    await settle();
    expect(starts.map((t) => t - t0).slice(8)).toEqual([17_000, 17_000, 17_000, 17_000]);
    expect(maxRunning).toBe(1);
    actor.stop();
  });

  it('is turned off by an interval of 0, as the original', async () => {
    const { runs, sent, logs, actor } = start({ codes: {}, intervalSeconds: 0 });
    await settle();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(runs).toEqual([]);
    expect(sent).toEqual([]);
    expect(logs).toEqual([expect.objectContaining({ actor: 'componentStatus', level: 'warn' })]);
    actor.stop();
  });
});

describe('component status reporter and running commands (ComponentActivity)', () => {
  beforeEach(useFakeClock);

  const DATANODE = { clusterId: '0', serviceName: 'HDFS', componentName: 'DATANODE' };
  const runKey = (r: StatusRun) => `${r.clusterId}/${r.componentName}`;
  type StatusResult = { exitCode: number; structuredOut: Record<string, unknown> };

  /**
   * Exit codes per "clusterId/componentName" (default 0); `hold` calls for those keys wait for
   * release(key). Records how many runs of one key overlap.
   */
  function heldRun(codes: Record<string, number>) {
    const runs: StatusRun[] = [];
    const held = new Set<string>();
    const waiting = new Map<string, () => void>();
    const active = new Map<string, number>();
    let maxOverlap = 0;
    const runStatus = async (request: StatusRun): Promise<StatusResult> => {
      runs.push(request);
      const key = runKey(request);
      active.set(key, (active.get(key) ?? 0) + 1);
      maxOverlap = Math.max(maxOverlap, active.get(key)!);
      // What the component is when the check starts (a held check sees the state before a change).
      const exitCode = codes[key] ?? 0;
      if (held.has(key)) {
        held.delete(key);
        await new Promise<void>((resolve) => waiting.set(key, resolve));
      }
      active.set(key, active.get(key)! - 1);
      return { exitCode, structuredOut: {} };
    };
    const release = (key: string) => {
      const resolve = waiting.get(key);
      if (!resolve) throw new Error(`no run of ${key} is held`);
      waiting.delete(key);
      resolve();
    };
    return { runs, runStatus, hold: (key: string) => held.add(key), release, maxOverlap: () => maxOverlap };
  }

  function startWith(run: { runStatus: (request: StatusRun) => Promise<StatusResult> }, plan: Array<'ok' | 'reject' | 'refuse'> = []) {
    const f = fakes();
    f.sendPlan.push(...plan);
    const activity = new ComponentActivity();
    const actor = createActor(
      createComponentStatusReporter({ intervalSeconds: 10, defaultTimeoutSeconds: 60, caches: fixtureCaches(), hostname: () => HOST, runStatus: run.runStatus, send: f.send, log: f.log, activity }),
      { input: { link: LINK } },
    );
    return { ...f, activity, actor };
  }

  const componentsSent = (body: any) => Object.entries(body.clusters as Record<string, ComponentStatusEntry[]>).flatMap(([id, list]) => list.map((e) => `${id}/${e.componentName}=${e.status}`));

  it('skips a busy component in every pass, logging that once per busy spell, and checks the others', async () => {
    const run = heldRun({});
    const { sent, logs, activity, actor } = startWith(run);
    const end = activity.begin(DATANODE);
    actor.start();
    await settle();
    expect(run.runs.map(runKey)).toEqual(['0/NAMENODE', '0/HDFS_CLIENT', '1/NAMENODE']);
    expect(componentsSent(sent[0]!.body)).toEqual(['0/NAMENODE=STARTED', '0/HDFS_CLIENT=STARTED', '1/NAMENODE=STARTED']);
    await vi.advanceTimersByTimeAsync(10_000);
    await settle();
    expect(run.runs).toHaveLength(6);
    const skips = () => logs.filter((l) => l.msg.startsWith('Skipping'));
    expect(skips()).toEqual([{ actor: 'componentStatus', level: 'info', msg: 'Skipping status command for DATANODE: a command for it is running' }]);
    end();
    await settle();
    // Busy again later: logged again.
    const endAgain = activity.begin(DATANODE);
    await vi.advanceTimersByTimeAsync(10_000);
    await settle();
    expect(skips()).toHaveLength(2);
    endAgain();
    actor.stop();
  });

  it('checks the STATUS as soon as the last command of a component ends, and sends it even if unchanged', async () => {
    const run = heldRun({});
    const { sent, logs, activity, actor } = startWith(run);
    actor.start();
    await settle();
    expect(sent).toHaveLength(1);
    expect(componentsSent(sent[0]!.body)).toContain('0/DATANODE=STARTED');
    // Two at once (parallel_execution): busy until both end.
    const endFirst = activity.begin(DATANODE);
    const endSecond = activity.begin(DATANODE);
    endFirst();
    endFirst(); // a second call of one end counts nothing
    await settle();
    expect(run.runs).toHaveLength(4);
    endSecond();
    await settle();
    expect(run.runs.slice(4).map((r) => `${runKey(r)}/${r.commandName}`)).toEqual(['0/DATANODE/STATUS']);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.body).toEqual({ clusters: { '0': [entry('0', 'DATANODE', 'STARTED')] } });
    expect(logs).toContainEqual({ actor: 'componentStatus', level: 'info', msg: 'Status of DATANODE (cluster 0) after its command: STARTED' });
    // Acknowledged: the next pass has nothing new to send.
    await vi.advanceTimersByTimeAsync(10_000);
    await settle();
    expect(run.runs).toHaveLength(9);
    expect(sent).toHaveLength(2);
    actor.stop();
  });

  it('drops a status checked while a command began (stale), and the check after the command waits for the running one', async () => {
    const codes: Record<string, number> = {};
    const run = heldRun(codes);
    run.hold('0/DATANODE');
    const { sent, activity, actor } = startWith(run);
    actor.start();
    await settle();
    expect(run.runs.map(runKey)).toEqual(['0/NAMENODE', '0/DATANODE']);
    // A START of DATANODE begins and ends while the pass's check of it runs.
    const end = activity.begin(DATANODE);
    codes['0/DATANODE'] = 1;
    end();
    await settle();
    expect(run.runs).toHaveLength(2); // the check after the command waits for the pass's one
    run.release('0/DATANODE'); // exits 0: what DATANODE was before the command
    await settle();
    expect(run.runs.map(runKey).filter((key) => key === '0/DATANODE')).toHaveLength(2);
    expect(run.maxOverlap()).toBe(1);
    expect(sent.map((s) => componentsSent(s.body)).sort()).toEqual([['0/DATANODE=INSTALLED'], ['0/NAMENODE=STARTED', '0/HDFS_CLIENT=STARTED', '1/NAMENODE=STARTED']]);
    actor.stop();
  });

  it('sends the status again with the next pass when the send after a command fails', async () => {
    const run = heldRun({});
    const { sent, logs, activity, actor } = startWith(run, ['ok', 'reject']);
    actor.start();
    await settle();
    activity.begin(DATANODE)();
    await settle();
    expect(sent).toHaveLength(2);
    expect(logs).toContainEqual(expect.objectContaining({ level: 'warn', msg: expect.stringContaining('Cannot send the status of DATANODE') }));
    await vi.advanceTimersByTimeAsync(10_000);
    await settle();
    expect(sent).toHaveLength(3);
    expect(sent[2]!.body).toEqual({ clusters: { '0': [entry('0', 'DATANODE', 'STARTED')] } });
    actor.stop();
  });

  it('checks nothing for a command of no component on this host, nor once stopped; a stop mid-check sends nothing', async () => {
    const run = heldRun({});
    const { sent, activity, actor } = startWith(run);
    actor.start();
    await settle();
    expect(run.runs).toHaveLength(4);
    activity.begin({ clusterId: '0', serviceName: 'HDFS', componentName: 'HDFS_SERVICE_CHECK' })();
    activity.begin({ clusterId: '0', serviceName: '', componentName: 'DATANODE' })();
    await settle();
    expect(run.runs).toHaveLength(4);

    run.hold('0/DATANODE');
    activity.begin(DATANODE)();
    await settle();
    expect(run.runs).toHaveLength(5);
    actor.stop();
    expect(run.runs[4]!.signal!.aborted).toBe(true);
    run.release('0/DATANODE');
    await settle();
    activity.begin(DATANODE)();
    await settle();
    expect(run.runs).toHaveLength(5);
    expect(sent).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('component version reporter', () => {
  function run(options: { caches?: AgentCaches; runStatus: (request: StatusRun) => Promise<{ exitCode: number; structuredOut: Record<string, unknown> }>; plan?: Array<'ok' | 'reject' | 'refuse'> }) {
    const f = fakes();
    f.sendPlan.push(...(options.plan ?? []));
    const logic = createComponentVersionReporter({ caches: options.caches ?? fixtureCaches(), hostname: () => HOST, runStatus: options.runStatus, send: f.send, log: f.log, defaultTimeoutSeconds: 60 });
    const actor = createActor(logic, { input: { link: LINK } });
    const done = toPromise(actor);
    actor.start();
    return { ...f, actor, done };
  }

  it('reports structuredOut.version, else the topology version, else skips the component', async () => {
    const requests: StatusRun[] = [];
    // Cluster 1's NAMENODE has no topology version and its GET_VERSION gives none.
    const caches = fixtureCaches((topology) => delete topology.clusters['1'].components[0].version);
    const { sent, done } = run({
      caches,
      runStatus: async (request) => {
        requests.push(request);
        if (request.clusterId === '0' && request.componentName === 'NAMENODE') return { exitCode: 0, structuredOut: { version: '3.1.0.0-78' } };
        if (request.componentName === 'DATANODE') return { exitCode: 1, structuredOut: { version: 'ignored: the command failed' } };
        if (request.componentName === 'HDFS_CLIENT') throw new Error('no script');
        return { exitCode: 0, structuredOut: {} };
      },
    });
    expect(await done).toBe(3);
    expect(requests.map((r) => r.commandName)).toEqual(['GET_VERSION', 'GET_VERSION', 'GET_VERSION', 'GET_VERSION']);
    expect(requests[0]).toMatchObject({ serviceName: 'HDFS', timeoutSeconds: 300 });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ link: LINK, destination: '/reports/component_version' });
    expect(sent[0]!.body).toEqual({
      clusters: {
        '0': [
          { serviceName: 'HDFS', componentName: 'NAMENODE', version: '3.1.0.0-78', clusterId: '0' },
          { serviceName: 'HDFS', componentName: 'DATANODE', version: '2.6.0.3-8', clusterId: '0' },
          { serviceName: 'HDFS', componentName: 'HDFS_CLIENT', version: '2.6.0.3-8', clusterId: '0' },
        ],
      },
    });
  });

  it('sends nothing when no version is known', async () => {
    const caches = fixtureCaches((topology) => {
      for (const cluster of Object.values<any>(topology.clusters)) for (const component of cluster.components) delete component.version;
    });
    const { sent, done } = run({ caches, runStatus: async () => ({ exitCode: 0, structuredOut: {} }) });
    expect(await done).toBe(0);
    expect(sent).toEqual([]);
  });

  it('logs a failed send at warn and resolves with 0 instead of failing', async () => {
    const { sent, logs, done } = run({ runStatus: async () => ({ exitCode: 0, structuredOut: { version: '1' } }), plan: ['reject'] });
    expect(await done).toBe(0);
    expect(sent).toHaveLength(1);
    expect(logs).toContainEqual(expect.objectContaining({ actor: 'componentVersion', level: 'warn', msg: expect.stringContaining('10 seconds timeout expired') }));
  });

  it('sends nothing once stopped', async () => {
    let finish!: () => void;
    let signal: AbortSignal | undefined;
    const { sent, actor } = run({
      // Stopped while the last component's GET_VERSION runs.
      runStatus: (request) => {
        if (request.clusterId === '0') return Promise.resolve({ exitCode: 0, structuredOut: { version: '1' } });
        signal = request.signal;
        return new Promise((resolve) => (finish = () => resolve({ exitCode: 0, structuredOut: { version: '1' } })));
      },
    });
    await settle();
    expect(signal).toBeDefined();
    actor.stop();
    expect(signal?.aborted).toBe(true);
    finish();
    await settle();
    await settle();
    expect(sent).toEqual([]);
  });
});

describe('host status reporter', () => {
  it('sends what collect gives at start and every interval, retrying failures, never overlapping, nothing after stop', async () => {
    useFakeClock();
    const f = fakes();
    f.sendPlan.push('ok', 'reject');
    let calls = 0;
    let running = 0;
    let maxRunning = 0;
    const collect = vi.fn(async () => {
      const n = ++calls;
      maxRunning = Math.max(maxRunning, ++running);
      try {
        if (n === 3) throw new Error('cannot read /proc');
        if (n === 4) await new Promise((resolve) => setTimeout(resolve, 7_000)); // longer than the interval
        return { agentEnv: { n } };
      } finally {
        running--;
      }
    });
    const actor = createActor(createHostStatusReporter({ intervalSeconds: 5, collect, send: f.send, log: f.log }), { input: { link: LINK } }).start();
    await settle();
    expect(f.sent).toEqual([{ link: LINK, destination: '/reports/host_status', body: { agentEnv: { n: 1 } } }]);
    await vi.advanceTimersByTimeAsync(5_000); // n=2, send rejected
    await vi.advanceTimersByTimeAsync(5_000); // n=3, collect fails
    await settle();
    expect(f.sent.map((s) => s.body.agentEnv.n)).toEqual([1, 2]);
    expect(f.logs.filter((l) => l.level === 'warn').map((l) => l.actor)).toEqual(['hostStatus', 'hostStatus']);
    expect(f.logs[1]!.msg).toContain('cannot read /proc');
    await vi.advanceTimersByTimeAsync(5_000); // 15 s: n=4 starts, takes 7 s
    await vi.advanceTimersByTimeAsync(6_999);
    expect(calls).toBe(4);
    await vi.advanceTimersByTimeAsync(1);
    await settle();
    // n=4 was sent at 22 s and n=5 started at once (its interval had passed).
    expect(f.sent.map((s) => s.body.agentEnv.n)).toEqual([1, 2, 4, 5]);
    expect(maxRunning).toBe(1);
    actor.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toBe(5);
    expect(f.sent).toHaveLength(4);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('sends nothing when stopped while collecting', async () => {
    const f = fakes();
    let finish!: (value: Record<string, unknown>) => void;
    const collect = () => new Promise<Record<string, unknown>>((resolve) => (finish = resolve));
    const actor = createActor(createHostStatusReporter({ intervalSeconds: 1, collect, send: f.send, log: f.log }), { input: { link: LINK } }).start();
    actor.stop();
    finish({ agentEnv: {} });
    await settle();
    expect(f.sent).toEqual([]);
    expect(f.logs).toEqual([]);
  });

  it('sends a report only when it differs from the last acknowledged one, timestamps aside (Utils.are_dicts_equal)', async () => {
    useFakeClock();
    const f = fakes();
    f.sendPlan.push('ok', 'reject', 'ok', 'ok');
    let mounts = [{ mountpoint: '/', available: '10' }];
    let n = 0;
    const collect = async () => ({ agentEnv: { hostHealth: { agentTimeStampAtReporting: ++n } }, mounts });
    const actor = createActor(createHostStatusReporter({ intervalSeconds: 5, collect, send: f.send, log: f.log }), { input: { link: LINK } }).start();
    await settle();
    await vi.advanceTimersByTimeAsync(5_000); // same but for the timestamp: not sent
    expect(f.sent).toHaveLength(1);
    mounts = [{ mountpoint: '/', available: '9' }];
    await vi.advanceTimersByTimeAsync(5_000); // changed: sent, refused
    await vi.advanceTimersByTimeAsync(5_000); // not acknowledged yet: sent again
    await vi.advanceTimersByTimeAsync(5_000); // acknowledged: nothing new
    await settle();
    expect(f.sent.map((s) => s.body.mounts[0].available)).toEqual(['10', '9', '9']);
    actor.stop();
  });

  it('collectHostStatus gives the agentEnv of fixtures/agent_host_status_update.json and the mounts (HostStatusReport, DiskInfo)', async () => {
    const before = Date.now();
    const status = (await collectHostStatus(HOST)) as unknown as Record<string, any>;
    const expected = fixture<Record<string, any>>('agent_host_status_update.json');
    // HostStatusReport (agent/stomp/dto/HostStatusReport.java): agentEnv and mounts; the fixture predates mounts.
    expect(Object.keys(status)).toEqual([...Object.keys(expected), 'mounts']);
    expect(status.mounts.length).toBeGreaterThan(0);
    for (const mount of status.mounts) {
      expect(Object.keys(mount).sort()).toEqual(['available', 'device', 'mountpoint', 'percent', 'size', 'type', 'used']);
      for (const value of Object.values(mount)) expect(typeof value).toBe('string');
    }
    expect(Object.keys(status.agentEnv).sort()).toEqual(Object.keys(expected.agentEnv).sort());
    expect(Object.keys(status.agentEnv.hostHealth).sort()).toEqual(Object.keys(expected.agentEnv.hostHealth).sort());
    expect(status.agentEnv.hostHealth.agentTimeStampAtReporting).toBeGreaterThanOrEqual(before);
    expect(status.agentEnv.hostHealth.liveServices[0]).toMatchObject({ name: 'ntpd or chronyd' });
    expect(typeof status.agentEnv.umask).toBe('string');
    expect(typeof status.agentEnv.reverseLookup).toBe('boolean');
    expect(JSON.parse(JSON.stringify(status))).toEqual(status);
  }, 10_000);
});
