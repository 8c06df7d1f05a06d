// The pid file check `status` and `state` share: the running agent's pid, or the original's
// words and exit code for an agent that is not running (3) or left a stale pid file (2). A pid
// file naming another process (pidFile.ts: not verified as this agent) is stale too.
import { checkPidFile } from '../actors/local/pidFile.js';
import type { AgentPaths } from '../config/paths.js';
import { EXIT, say } from './context.js';

export function runningAgent(paths: AgentPaths): { pid: number } | { exitCode: number } {
  const state = checkPidFile(paths.pidFile);
  switch (state.kind) {
    case 'none':
      say('ambari-agent currently not running');
      return { exitCode: EXIT.NOT_RUNNING };
    case 'dead':
      say(`ambari-agent not running. Stale PID File at: ${paths.pidFile}`);
      return { exitCode: EXIT.STALE_PID };
    case 'stranger':
      say(`ambari-agent not running. Stale PID File at: ${paths.pidFile} (it names ${state.what})`);
      return { exitCode: EXIT.STALE_PID };
    case 'agent':
      return { pid: state.pid };
  }
}
