// The version an agent registers as: prefix/version (the original's Utils.read_agent_version),
// which the Java server compares with its own (HeartBeatHandler.handleRegistration) and the
// strict dev server does the same with its --ambari-version.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
// @ts-ignore plain .mjs helper without type declarations
import { startDevServer } from '../support/devServer.mjs';
import { cleanup, cli, devServerAgent, homeFiles, logText, newHome, startAgent, waitFor, type DevServer } from './helpers.js';
import { DEFAULT_AMBARI_VERSION } from '../../src/version.js';

const servers: DevServer[] = [];
afterEach(async () => {
  await cleanup();
  for (const server of servers.splice(0)) await server.stop();
});

async function server(version?: string): Promise<DevServer> {
  const started = (await startDevServer(version ? { args: ['--ambari-version', version] } : {})) as DevServer;
  servers.push(started);
  return started;
}

const versionFile = (home: string) => join(homeFiles(home).prefix, 'version');

describe('registration version', () => {
  it('init writes the default version (or --ambari-version) to prefix/version and refuses a bad one', async () => {
    const home = await newHome();
    expect(readFileSync(versionFile(home), 'utf8')).toBe(`${DEFAULT_AMBARI_VERSION}\n`);

    const other = join(home, 'other');
    const written = await cli(['init', '--home', other, '--ambari-version', '3.0.0.0']);
    expect(written.code, written.output).toBe(0);
    expect(written.stdout).toContain(`Ambari version: 3.0.0.0 (in ${join(other, 'var/lib/ambari-agent/data/version')}`);
    expect(readFileSync(join(other, 'var/lib/ambari-agent/data/version'), 'utf8')).toBe('3.0.0.0\n');
    // --force rewrites the ini but keeps the version unless --ambari-version is given again.
    expect((await cli(['init', '--home', other, '--force'])).code).toBe(0);
    expect(readFileSync(join(other, 'var/lib/ambari-agent/data/version'), 'utf8')).toBe('3.0.0.0\n');

    const bad = await cli(['init', '--home', join(home, 'bad'), '--ambari-version', 'two point eight']);
    expect(bad.code, bad.output).toBe(1);
    expect(bad.stderr.trim()).toBe("ERROR: --ambari-version 'two point eight' is not an Ambari version (digits and dots, e.g. 2.8.0.0)");
  });

  it('matching versions: registered; --version still prints the package version', async () => {
    const dev = await server('2.8.0.0');
    const { home } = await devServerAgent(dev, { name: 'ver-ok' });
    expect(logText(home)).toContain(`Registering as Ambari 2.8.0.0 (from ${versionFile(home)})`);
    const version = await cli(['--version']);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(version.stdout.trim()).not.toBe('2.8.0.0');
  });

  it('another version: refused once per attempt with both versions and the file; an edited file registers at the next attempt', async () => {
    const dev = await server('2.8.0.0');
    const home = await newHome({ urlPort: dev.urlPort, set: ['server.connect_retry_delay=1', `server.secured_url_port=${dev.securedUrlPort}`] });
    writeFileSync(versionFile(home), '2.7.8.0\n');
    const started = await startAgent(home);
    expect(started.code, started.output).toBe(0);

    const refusal = /Registration failed due to: Cannot register host with non compatible agent version, hostname=\S+, agentVersion=2\.7\.8\.0, serverVersion=2\.8\.0\.0 \(this agent sent agentVersion 2\.7\.8\.0, read from (\S+); write the server's version there\)/g;
    await waitFor(() => [...logText(home).matchAll(refusal)].length >= 2, { timeoutMs: 40000, what: 'two refused attempts' });
    const log = logText(home);
    expect([...log.matchAll(refusal)][0]![1]).toBe(versionFile(home));
    // One line per attempt: as many refusal lines as registration requests the server answered.
    const attempts = [...log.matchAll(/Registration failed due to/g)].length;
    expect([...log.matchAll(refusal)].length).toBe(attempts);

    writeFileSync(versionFile(home), '2.8.0.0\n');
    await waitFor(async () => /State: connected/.test((await cli(['status', '--home', home])).stdout), { timeoutMs: 40000, what: 'registered after the edit' });
  });

  it('version file missing: start fails at once with one line naming the file', async () => {
    const home = await newHome();
    rmSync(versionFile(home));
    const started = await startAgent(home);
    expect(started.code, started.output).toBe(255);
    expect(started.output).toContain(`Cannot read the Ambari version from ${versionFile(home)} (ENOENT); write the Ambari server's version into it`);
    expect(started.output).not.toContain('    at ');
  });
});
