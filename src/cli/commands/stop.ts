import { checkPidFile, removePidFile } from '../../actors/local/pidFile.js';
import { EXIT, complain, say, type CommandContext } from '../context.js';
import { killTree, waitForExit, wrapperOf } from '../processes.js';

// The original polls `kill -0` every 0.1 s, 300 times, before kill -9.
const GRACEFUL_TRIES = 300;
const POLL_MS = 100;

export async function stop({ paths }: CommandContext): Promise<number> {
  const state = checkPidFile(paths.pidFile);
  if (state.kind === 'none') {
    say(`ambari-agent is not running. No PID found at ${paths.pidFile}`);
    return EXIT.OK;
  }
  if (state.kind === 'dead') {
    complain(`ERROR: ambari-agent not running. Stale PID File at: ${paths.pidFile}`);
  } else if (state.kind === 'stranger') {
    // Never signalled: the pid is not this home's agent (pidFile.ts).
    complain(`ERROR: ambari-agent not running. Stale PID File at: ${paths.pidFile}: it names ${state.what}, which is left alone`);
  } else {
    const { pid } = state;
    say('Stopping ambari-agent');
    const wrapper = wrapperOf(pid);
    try {
      process.kill(pid, 'SIGTERM');
    } catch (err) {
      complain(`ERROR: cannot signal ambari-agent (pid ${pid}): ${(err as NodeJS.ErrnoException).code}; run stop as the agent's user or root`);
      return EXIT.ERROR;
    }
    if (!(await waitForExit(pid, GRACEFUL_TRIES, POLL_MS))) {
      say('Agent not going to die gracefully, going to execute kill -9');
      await killTree(pid, 'SIGKILL');
      await waitForExit(pid, 50, POLL_MS);
    }
    // The wrapper exits as soon as its agent has; wait for it so nothing outlives `stop`.
    if (wrapper !== undefined && !(await waitForExit(wrapper, 50, POLL_MS))) await killTree(wrapper, 'SIGKILL');
  }
  say(`Removing PID file at ${paths.pidFile}`);
  removePidFile(paths.pidFile);
  say('ambari-agent successfully stopped');
  return EXIT.OK;
}
