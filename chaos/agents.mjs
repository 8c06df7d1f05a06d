// One agent of a trial, run through the real CLI (bin/ambari-agent init/start/stop) from its
// own home, with its own host name, and with CHAOS_TRIAL=TOKEN in its environment: the agent
// passes its environment on to its command scripts and they to their children, so every
// process of the trial can be found in /proc by that token (orphans.mjs) and by nothing else.
import { chmodSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alive, cli, homeFiles, makeHome, parentPid, readPidFile, waitFor } from '../test/support/cli.mjs';
import { onCleanup } from './cleanup.mjs';

export const TOKEN_VARIABLE = 'CHAOS_TRIAL';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A fresh agent home for host `name` pointing at `server` (anything with urlPort and
 * securedUrlPort), reconnecting after 1 s. `set`: more `section.key=value` ini settings.
 */
export async function newAgent({ server, name, token, dir, set = [] }) {
  const hostnameScript = join(dir, `hostname-${name}.sh`);
  writeFileSync(hostnameScript, `#!/bin/sh\necho ${name}\n`);
  chmodSync(hostnameScript, 0o755);
  const home = await makeHome({
    servers: ['127.0.0.1'],
    urlPort: server.urlPort,
    set: [`server.secured_url_port=${server.securedUrlPort}`, 'server.connect_retry_delay=1', 'server.reconnect_delay=1', `agent.hostname_script=${hostnameScript}`, ...set],
  });
  const removeHome = onCleanup(`agent home ${home}`, async () => rmSync(home, { recursive: true, force: true }));
  const agent = new Agent(name, home, token, removeHome);
  return agent;
}

/** An error that is the agent's failure (it did not start, did not register), not the suite's. */
export function agentFault(message) {
  return Object.assign(new Error(message), { agentFault: true });
}

export class Agent {
  /** The agent process this trial started last, and its wrapper. */
  pid;
  wrapper;
  /** The undo step that stops it (while it runs). */
  stopper;

  constructor(name, home, token, removeHome) {
    this.name = name;
    this.home = home;
    this.token = token;
    this.files = homeFiles(home);
    this.removeHome = removeHome;
  }

  /** `ambari-agent start`; throws (with its output) unless it exits 0. */
  async start() {
    const result = await cli(['start', '--home', this.home], { env: { [TOKEN_VARIABLE]: this.token } });
    const pid = readPidFile(this.home);
    if (pid && alive(pid)) {
      this.pid = pid;
      this.wrapper = parentPid(pid);
      this.stopper = onCleanup(`agent ${this.name} (pid ${pid})`, () => this.stopNow());
    }
    if (result.code !== 0) throw agentFault(`ambari-agent start --home ${this.home} exited ${result.code}: ${result.output.trim().split('\n').slice(-5).join(' | ')}`);
  }

  /** Restarts (exit 77) the trial asked for: their lines in the .out and the log are expected. */
  expectedRestarts = 0;

  /** When the last of them was seen done (a new agent running), for the RESTART_AGENT quiet window. */
  restartedAt = 0;

  /**
   * After the trial asked for a restart (RESTART_AGENT, a heartbeat out of sequence): waits
   * until the wrapper runs a new agent process and takes that one as the agent.
   */
  async restarted(timeoutMs = 40_000) {
    const old = this.pid;
    this.expectedRestarts++;
    try {
      this.pid = await waitFor(() => {
        const pid = readPidFile(this.home);
        return pid && pid !== old && alive(pid) && parentPid(pid) === this.wrapper ? pid : undefined;
      }, { timeoutMs, intervalMs: 100, what: `a new agent process after the restart of ${old}` });
      this.restartedAt = Date.now();
    } catch (err) {
      throw agentFault(err.message);
    }
  }

  /** True while the agent this trial started is the one running (no crash, no restart by itself). */
  isSame() {
    return this.pid !== undefined && alive(this.pid) && readPidFile(this.home) === this.pid;
  }

  /** `ambari-agent stop`; returns its exit code. */
  async stop() {
    const stopper = this.stopper;
    this.stopper = undefined;
    stopper?.forget();
    return this.stopNow();
  }

  async stopNow() {
    // A trial cut short may have left it frozen (SIGSTOP): it could not hear the SIGTERM.
    if (this.pid && alive(this.pid)) process.kill(this.pid, 'SIGCONT');
    const result = await cli(['stop', '--home', this.home]);
    // `stop` waits for the wrapper; anything still there now is ended by its own pid.
    for (const pid of [this.pid, this.wrapper]) {
      if (pid && pid > 1 && alive(pid)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
    }
    return result.code;
  }

  /** SIGKILL of the agent process (not the wrapper: it exits on its own, 137 is not 77). */
  async kill() {
    const { pid, wrapper } = this;
    this.stopper?.forget();
    this.stopper = undefined;
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !alive(pid) && !(wrapper && alive(wrapper)), { timeoutMs: 15_000, what: `agent ${pid} and its wrapper gone after SIGKILL` });
  }

  /** Waits until the dev server has the host registered and connected. */
  async registered(server, timeoutMs = 30_000) {
    try {
      await waitFor(async () => (await server.host(this.name).catch(() => undefined))?.connected === true, { timeoutMs, intervalMs: 100, what: `${this.name} registered` });
    } catch (err) {
      throw agentFault(`${err.message} (agent ${this.isSame() ? 'running' : 'gone'})`);
    }
  }

  /** Sizes of the agent's log files, and its longest line (a flood shows here). */
  logSummary() {
    const dir = join(this.files.logFile, '..');
    try {
      return readdirSync(dir)
        .filter((f) => f.startsWith('ambari-agent.'))
        .map((f) => {
          const text = readFileSync(join(dir, f), 'utf8');
          const longest = text.split('\n').reduce((max, line) => Math.max(max, line.length), 0);
          return `${f} ${text.length} bytes (longest line ${longest})`;
        })
        .join(', ');
    } catch (err) {
      return err.message;
    }
  }

  /**
   * What the agent's files say went wrong: stack traces, crash lines, exits with a code other
   * than 0 and restarts nobody asked for, in ambari-agent.out and the logs.
   */
  problems() {
    const found = [];
    const dir = join(this.files.logFile, '..');
    let names = [];
    try {
      names = readdirSync(dir).filter((f) => /^ambari-agent\.(out|log(\.\d+)?)$/.test(f));
    } catch {
      return found;
    }
    const restarts = [];
    for (const file of names) {
      let text;
      try {
        text = readFileSync(join(dir, file), 'utf8');
      } catch {
        continue;
      }
      const lines = text.split('\n');
      lines.forEach((line, i) => {
        const exit = /exiting with code:(\d+)/.exec(line);
        if ((exit && exit[1] === '77') || /exited with code 77, restarting/.test(line)) {
          restarts.push(`${file}:${i + 1}: ${line.trim().slice(0, 200)}`);
          return;
        }
        if (
          /^\s+at .+(:\d+:\d+\)?|\(native\)|\(<anonymous>\))$/.test(line) ||
          /Unhandled error|Supervisor crashed|agent start-up failed/.test(line) ||
          (exit && exit[1] !== '0')
        ) {
          found.push(`${file}:${i + 1}: ${line.trim().slice(0, 200)}`);
        }
      });
    }
    // Each restart shows as the agent's exit line (log) and the wrapper's (.out).
    if (restarts.length > 2 * this.expectedRestarts) found.push(`${restarts.length} restart line(s) for ${this.expectedRestarts} restart(s) asked for: ${restarts.slice(0, 3).join(' || ')}`);
    // One stack trace is many "at" lines: keep the first few, they name it.
    return found.slice(0, 5);
  }
}

export { sleep };
