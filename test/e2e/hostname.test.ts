// `start -e NAME`: the agent refuses to run under a hostname other than the expected one.
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  alive, cleanup, cli, homeFiles, logText, newHome, processesMentioning, readPidFile, startAgent, waitFor,
} from './helpers.js';

let scriptDir: string;
let script: string;
let slowScript: string;
const NAME = 'Agent-Host.Example.Test';

beforeAll(() => {
  scriptDir = mkdtempSync(join(tmpdir(), 'aa-hostname-'));
  script = join(scriptDir, 'hostname.sh');
  writeFileSync(script, `#!/bin/sh\necho ${NAME}\n`);
  chmodSync(script, 0o755);
  // A hostname script that takes 20 s to answer (a node script, so its command line names it).
  slowScript = join(scriptDir, 'slow-hostname.mjs');
  writeFileSync(slowScript, `#!${process.execPath}\nsetTimeout(() => console.log('slow.example.test'), 20000);\n`);
  chmodSync(slowScript, 0o755);
});

afterEach(cleanup);
afterAll(() => rmSync(scriptDir, { recursive: true, force: true }));

describe('expected hostname', () => {
  it('a mismatch makes start fail and leaves nothing running', async () => {
    const home = await newHome({ set: [`agent.hostname_script=${script}`] });
    const result = await startAgent(home, ['-e', 'someone-else.example.test']);
    expect(result.code, result.output).toBe(255);
    expect(result.output).toContain('ERROR: ambari-agent start failed');
    expect(result.output).toContain('Determined hostname does not match expected');
    expect(result.output).not.toContain('    at ');
    expect(existsSync(homeFiles(home).pidFile)).toBe(false);
    expect(processesMentioning(home)).toEqual([]);
    expect(logText(home)).toContain(`Expected hostname someone-else.example.test but this agent's hostname is ${NAME.toLowerCase()}`);
    expect((await cli(['status', '--home', home])).code).toBe(3);
  });

  it("the script's name (lower-cased) is accepted", async () => {
    const home = await newHome({ set: [`agent.hostname_script=${script}`] });
    const result = await startAgent(home, ['--expected-hostname', NAME.toLowerCase()]);
    expect(result.code, result.output).toBe(0);
    const pid = readPidFile(home)!;
    expect(alive(pid)).toBe(true);
    expect(logText(home)).toContain(`Agent hostname: ${NAME.toLowerCase()}`);
    const status = await cli(['status', '--home', home]);
    expect(status.code, status.output).toBe(0);
  });

  describe('stopped during the hostname check', () => {
    // Pids of the slow hostname script; ended by afterAll below (we started it, via the agent).
    let scriptPids: number[] = [];
    afterAll(() => {
      for (const pid of [...scriptPids, ...processesMentioning(slowScript)]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    });

    it('SIGTERM while preflight runs the hostname script: agent and wrapper exit, start fails', async () => {
      const home = await newHome({ set: [`agent.hostname_script=${slowScript}`] });
      const starting = startAgent(home);
      try {
        scriptPids = await waitFor(() => {
          const pids = processesMentioning(slowScript);
          return pids.length > 0 ? pids : undefined;
        }, { timeoutMs: 10000, what: 'the hostname script to run' });
        const agent = processesMentioning(home).find((pid) => readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('daemon/main.js'));
        expect(agent).toBeDefined();
        expect(readPidFile(home)).toBeUndefined(); // still in preflight: no pid file yet
        process.kill(agent!, 'SIGTERM');
        const result = await starting;
        expect(result.code, result.output).toBe(255);
        expect(result.output).toContain('ERROR: ambari-agent start failed');
        await waitFor(() => processesMentioning(home).length === 0, { timeoutMs: 10000, what: 'agent and wrapper to exit' });
        expect(logText(home)).toContain('Ambari-agent received 15 signal, stopping...');
        expect(logText(home)).toMatch(/state preflight -> stopping/);
        expect(existsSync(homeFiles(home).pidFile)).toBe(false);
      } finally {
        await starting;
      }
    });

    // The hostname script runs in its own process group, which a stop kills: nothing of it
    // may outlive the agent.
    it('... and the hostname script the agent was running ends too', async () => {
      expect(scriptPids.length).toBeGreaterThan(0);
      await waitFor(() => scriptPids.every((pid) => !alive(pid)), { timeoutMs: 3000, what: 'the hostname script to end' });
    });
  });
});
