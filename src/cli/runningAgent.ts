// The pid file check `status` and `state` share: the running agent's pid, or the original's
// words and exit code for an agent that is not running (3) or left a stale pid file (2).
import { isAlive, readPid } from '../actors/pidFile.js';
import type { AgentPaths } from '../config/paths.js';
import { EXIT, say } from './context.js';

export function runningAgent(paths: AgentPaths): { pid: number } | { exitCode: number } {
  const pid = readPid(paths.pidFile);
  if (pid === undefined) {
    say('ambari-agent currently not running');
    return { exitCode: EXIT.NOT_RUNNING };
  }
  if (!isAlive(pid)) {
    say(`ambari-agent not running. Stale PID File at: ${paths.pidFile}`);
    return { exitCode: EXIT.STALE_PID };
  }
  return { pid };
}
