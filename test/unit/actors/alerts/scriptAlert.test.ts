// The SCRIPT alert kind with real python3 processes and the scripts in test/fixtures/alerts/.
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../../../support/tempDirs.mjs';
import { killTracked, pollUntilGone, testEnvironment, track } from '../../../support/commandRuns.js';
import type { AlertCheckContext, AlertDefinition } from '../../../../src/actors/alerts/alertTypes.js';
import {
  DEFAULT_MAX_TIMEOUT_MS,
  KERBEROS_KINIT_TIMER_PARAMETER,
  SCRIPT_REPORTING,
  scriptAlertKind,
  scriptParameters,
  scriptReporting,
  scriptSearchDirs,
  scriptTimeoutMs,
  type ScriptAlertSettings,
} from '../../../../src/actors/alerts/scriptAlert.js';

afterEach(killTracked);
afterAll(removeTempDirs);

const FIXTURES = resolve('test/fixtures/alerts');
const KINIT_MS = 14_400_000;

function settings(overrides: Partial<ScriptAlertSettings> = {}): ScriptAlertSettings & { tmpDir: string } {
  const tmpDir = tempDir('aa-ascript-');
  const baseEnv = { ...process.env, PYTHONPATH: join(FIXTURES, 'lib'), PYTHONDONTWRITEBYTECODE: '1' };
  return { environment: testEnvironment(tmpDir, { baseEnv }), searchDirs: scriptSearchDirs(FIXTURES), kinitTimeoutMs: KINIT_MS, tmpDir, ...overrides };
}

function definition(path: string | undefined, extra: Partial<AlertDefinition> = {}, parameters: AlertDefinition['source']['parameters'] = []): AlertDefinition {
  return {
    definitionId: 7,
    clusterId: 2,
    name: 'fixture_script_alert',
    uuid: 'u-7',
    interval: 1,
    enabled: true,
    source: { type: 'SCRIPT', ...(path !== undefined ? { path } : {}), parameters },
    ...extra,
  };
}

function context(signal: AbortSignal = new AbortController().signal): AlertCheckContext {
  return {
    hostName: 'h1.example.com',
    publicHostName: 'h1.example.com',
    clusterId: '2',
    configurations: {
      configurations: { 'foo-site': { port: '8080', host: 'h1' }, 'bar-site': { a: '1' } },
      clusterLevelParams: { stack_name: 'BIGTOP' },
    },
    signal,
  };
}

const check = (path: string | undefined, s = settings(), extra: Partial<AlertDefinition> = {}, parameters: AlertDefinition['source']['parameters'] = [], signal?: AbortSignal) =>
  scriptAlertKind(s).check(definition(path, extra, parameters), context(signal));

describe('scriptAlertKind', () => {
  it('runs a host script and passes its state and text', async () => {
    expect(await check('alert_ok.py')).toEqual({ state: 'OK', args: ['all good on h1.example.com (0 configurations)'] });
  });

  it('passes the parameters that have a name and a value, and the kinit timer', async () => {
    const parameters = [
      { name: 'percent.used.critical', value: 85, display_name: 'Critical', type: 'PERCENT' },
      { name: 'no.value' },
      { name: 'text.param', value: 'x' },
    ];
    const outcome = await check('alert_parameters.py', settings(), {}, parameters);
    expect(outcome.state).toBe('CRITICAL');
    expect(outcome.args).toEqual([`used 91% > 85.0%; parameters {"${KERBEROS_KINIT_TIMER_PARAMETER}": ${KINIT_MS}, "percent.used.critical": 85, "text.param": "x"}`]);
  });

  it("resolves get_tokens()' placeholders from the configurations, leaving out the missing ones", async () => {
    const outcome = await check('alert_tokens.py');
    expect(outcome.state).toBe('WARNING');
    expect(JSON.parse(String(outcome.args[0]))).toEqual({
      '{{foo-site/port}}': '8080',
      'http://{{foo-site/host}}:{{foo-site/port}}/x': 'http://h1:8080/x',
      '{{bar-site}}': { a: '1' },
      '{{/clusterLevelParams/stack_name}}': 'BIGTOP',
      'just-a-constant': 'just-a-constant',
    });
  });

  it('gives UNKNOWN with the text of an exception the script raises', async () => {
    expect(await check('alert_raises.py')).toEqual({ state: 'UNKNOWN', args: ['the service is not configured'] });
  });

  it('is not confused by what the script prints', async () => {
    const logged: string[] = [];
    const s = settings({ log: (_level, message) => logged.push(message) });
    expect(await check('alert_prints.py', s)).toEqual({ state: 'OK', args: ['printed and returned'] });
    expect(logged.join('\n')).toContain('a warning on stderr');
  });

  it('passes SKIPPED and turns a state the server does not know into UNKNOWN', async () => {
    expect(await check('alert_skipped.py')).toEqual({ state: 'SKIPPED', args: ['nothing to check here'] });
    const bad = await check('alert_bad_state.py');
    expect(bad.state).toBe('UNKNOWN');
    expect(bad.args[0]).toMatch(/^Script alert_bad_state\.py returned the state "FINE", which is not one of OK, WARNING, CRITICAL, UNKNOWN, SKIPPED: looks fine$/);
  });

  it('kills the whole tree of a script that runs past its timeout', async () => {
    const s = settings({ maxTimeoutMs: 2000 });
    const pidsFile = join(s.tmpDir, 'pids');
    const started = Date.now();
    const outcome = await check('alert_sleeps.py', s, {}, [{ name: 'pids.file', value: pidsFile }]);
    expect(outcome).toEqual({ state: 'UNKNOWN', args: ['Script alert_sleeps.py timed out after 2 s'] });
    expect(Date.now() - started).toBeLessThan(5000);
    const pids = readFileSync(pidsFile, 'utf8').trim().split(' ').map(Number);
    expect(pids).toHaveLength(2);
    // Tracked only if still there (then killTracked ends them and the assertion fails).
    const alive = pids.filter(track);
    expect(await pollUntilGone(alive, Date.now() + 2000)).toEqual([]);
  });

  it('does not wait for a child the script left holding its output open', async () => {
    const s = settings();
    const pidsFile = join(s.tmpDir, 'pids');
    const started = Date.now();
    expect(await check('alert_leaves_child.py', s, {}, [{ name: 'pids.file', value: pidsFile }])).toEqual({ state: 'OK', args: ['returned, child left'] });
    track(Number(readFileSync(pidsFile, 'utf8').trim())); // killed after the test
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('gives UNKNOWN with the stderr of an interpreter that ended without a result', async () => {
    expect(await check('alert_exits.py')).toEqual({ state: 'UNKNOWN', args: ['Script alert_exits.py ended (exit code 3) without a result: going away'] });
  });

  it('kills the tree when the check is aborted', async () => {
    const s = settings();
    const pidsFile = join(s.tmpDir, 'pids');
    const abort = new AbortController();
    const pending = check('alert_sleeps.py', s, {}, [{ name: 'pids.file', value: pidsFile }], abort.signal);
    const deadline = Date.now() + 10_000;
    while (!existsSync(pidsFile) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const pids = readFileSync(pidsFile, 'utf8').trim().split(' ').map(Number);
    pids.forEach(track);
    abort.abort(new Error('definition removed'));
    expect(await pending).toEqual({ state: 'UNKNOWN', args: ['Script alert_sleeps.py was cancelled: definition removed'] });
    expect(await pollUntilGone(pids, Date.now() + 2000)).toEqual([]);
  });

  it('refuses a script that is not .py, and names the folders when there is no such script', async () => {
    expect(await check('alert_not_python.sh')).toEqual({ state: 'UNKNOWN', args: ['Unable to execute script alert_not_python.sh'] });
    const dirs = scriptSearchDirs(FIXTURES);
    expect(await check('nope/alert_missing.py')).toEqual({
      state: 'UNKNOWN',
      args: [`Unable to find 'nope/alert_missing.py' as an absolute path or part of ${dirs[0]}, ${dirs[1]}, ${dirs[2]} or ${dirs[3]}`],
    });
    expect(await check(undefined)).toEqual({ state: 'UNKNOWN', args: ["The attribute 'path' must be specified"] });
  });

  it('takes an absolute path as it is', async () => {
    expect((await check(join(FIXTURES, 'host_scripts', 'alert_ok.py'), settings({ searchDirs: [] }))).state).toBe('OK');
  });

  it('reaches libraries through the environment PYTHONPATH, as command scripts do', async () => {
    expect(await check('alert_uses_library.py')).toEqual({ state: 'OK', args: ['hello from a PYTHONPATH library, h1.example.com'] });
  });

  it('runs a stack script with Script.config set before its import, inside Environment(services/.../package)', async () => {
    const s = settings();
    const outcome = await check('FAKE/1.0/package/alerts/alert_stack.py', s);
    expect(outcome).toEqual({ state: 'OK', args: [`stack BIGTOP, basedir ${join(FIXTURES, 'common-services', 'FAKE', '1.0', 'package')}, tmp_dir ${s.tmpDir}`] });
  });

  it('gives UNKNOWN when the interpreter cannot be started', async () => {
    const s = settings();
    const outcome = await check('alert_ok.py', { ...s, environment: { ...s.environment, interpreter: join(s.tmpDir, 'no-python') } });
    expect(outcome.state).toBe('UNKNOWN');
    expect(outcome.args[0]).toMatch(/^Cannot start .*no-python: spawn .*ENOENT/);
  });

  it("defaults to the '{0}' text", () => {
    expect(scriptAlertKind(settings()).defaultText('CRITICAL')).toBe('{0}');
  });
});

describe('script alert helpers', () => {
  it('times a run out after its interval, at most the cap', () => {
    expect(scriptTimeoutMs(definition('x.py', { interval: 0 }))).toBe(60_000);
    expect(scriptTimeoutMs(definition('x.py', { interval: 2 }))).toBe(120_000);
    expect(scriptTimeoutMs(definition('x.py', { interval: 1440 }))).toBe(DEFAULT_MAX_TIMEOUT_MS);
    expect(scriptTimeoutMs(definition('x.py', { interval: 3 }), 90_000)).toBe(90_000);
  });

  it('forces the reporting texts to {0}, keeping only the skipped one', () => {
    expect(scriptReporting({ ok: { text: 'ok {1}' }, skipped: { text: 'skipped: {0}' } })).toEqual({ ...SCRIPT_REPORTING, skipped: { text: 'skipped: {0}' } });
    expect(scriptReporting(undefined)).toEqual(SCRIPT_REPORTING);
  });

  it('adds the kinit timer to the parameters even when there are none', () => {
    expect(scriptParameters(definition('x.py', {}, undefined), 5)).toEqual({ [KERBEROS_KINIT_TIMER_PARAMETER]: 5 });
  });
});
