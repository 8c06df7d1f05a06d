// packaging/: the systemd unit and the logrotate snippet agree with the agent's own paths, and
// the unit passes systemd's own check where the machine has systemd-analyze.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../support/tempDirs.mjs';
import { configFromText } from '../../src/config/loadConfig.js';
import { agentPaths } from '../../src/config/paths.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const UNIT = readFileSync(join(ROOT, 'packaging/ambari-agent.service'), 'utf8');
const LOGROTATE = readFileSync(join(ROOT, 'packaging/ambari-agent.logrotate'), 'utf8');
const defaults = agentPaths(configFromText(undefined, '/etc/ambari-agent/conf/ambari-agent.ini').ini);
const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;

afterAll(removeTempDirs);

/** Every `Key=value` of the unit, by key (a key given twice keeps both). */
function unitKeys(text: string): Map<string, string[]> {
  const keys = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (match) keys.set(match[1]!, [...(keys.get(match[1]!) ?? []), match[2]!]);
  }
  return keys;
}

describe('packaging', () => {
  it("the unit follows the wrapper's pid file in the default piddir (/var/run is /run), and restarts on 77", () => {
    const keys = unitKeys(UNIT);
    const wrapperPidFile = defaults.pidFile.replace(/\.pid$/, '-wrapper.pid').replace(/^\/var\/run\//, '/run/');
    expect(keys.get('PIDFile')).toEqual([wrapperPidFile]);
    expect(keys.get('Type')).toEqual(['forking']);
    expect(keys.get('ExecStart')?.[0]).toMatch(/\/ambari-agent start$/);
    expect(keys.get('ExecStop')?.[0]).toMatch(/\/ambari-agent stop$/);
    expect(keys.get('KillMode')).toEqual(['control-group']);
    expect(keys.get('RestartForceExitStatus')).toEqual(['77']);
    expect(Number(keys.get('LimitNOFILE')?.[0])).toBeGreaterThan(1024);
    // The wrapper writes exactly that name beside the agent's pid file.
    expect(readFileSync(join(ROOT, 'bin/ambari-agent-wrapper'), 'utf8')).toContain('wrapper_pidfile="${pidfile%.pid}-wrapper.pid"');
  });

  it.skipIf(!hasSystemdAnalyze)('systemd-analyze verify takes the unit without a warning (with ExecStart pointing at this checkout)', () => {
    const dir = tempDir('aa-unit-');
    const unit = join(dir, 'ambari-agent.service');
    writeFileSync(unit, UNIT.replaceAll('/usr/local/bin/ambari-agent', join(ROOT, 'bin/ambari-agent')));
    const result = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
    expect(`${result.stdout}${result.stderr}`).toBe('');
    expect(result.status).toBe(0);
  });

  it('logrotate takes only the .out file of the default logdir (the .log rotates itself)', () => {
    expect(LOGROTATE).toContain(`${defaults.outFile} {`);
    expect(LOGROTATE).not.toContain(`${defaults.logFile} {`);
    expect(LOGROTATE).toMatch(/^\s+copytruncate$/m);
  });
});
