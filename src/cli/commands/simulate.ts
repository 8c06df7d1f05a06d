// `ambari-agent simulate`: many simulated hosts in one process (src/simulator/).
//
// The hosts run in a child node process started with a young generation large enough for
// their steady garbage (heartbeats, reports): with V8's default 16 MiB semi-spaces, 10,000
// hosts spend their time in scavenges and the heartbeats' p99 lateness passes 1 s. The flag
// has to be given at start; this process only forwards signals and waits. The child has its
// own process group (a terminal's Ctrl-C reaches it once, through here) and stops if this
// process goes away (the IPC channel closes).
import { spawn } from 'node:child_process';
import type { CliArgs } from '../args.js';
import { complain, EXIT } from '../context.js';
import { simulateOptions } from '../../simulator/simulateOptions.js';

export const SIMULATOR_NODE_FLAGS = ['--max-semi-space-size=64'];
const CHILD_ENV = 'AMBARI_AGENT_SIMULATOR_CHILD';
const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143, SIGKILL: 137 };

export async function simulate(args: CliArgs): Promise<number> {
  // Options are checked here, so that a mistake is told before any process starts.
  const options = simulateOptions(args.options);
  if (process.env[CHILD_ENV] !== '1') return runInChild();
  // The launcher is gone (killed): stop as on SIGTERM rather than run on unowned.
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  process.channel?.unref();
  // Loaded here: every other command starts without the simulator's modules.
  const { runSimulation, SimulateError } = await import('../../simulator/runSimulation.js');
  try {
    return await runSimulation(args.home, options, { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text), tty: process.stderr.isTTY === true });
  } catch (err) {
    if (!(err instanceof SimulateError)) throw err;
    complain(`ambari-agent simulate: ${err.message}`);
    return EXIT.ERROR;
  }
}

function runInChild(): Promise<number> {
  const child = spawn(process.execPath, [...SIMULATOR_NODE_FLAGS, process.argv[1]!, ...process.argv.slice(2)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, [CHILD_ENV]: '1' },
    detached: true,
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((resolve) => {
    child.on('error', (err) => {
      complain(`ambari-agent simulate: cannot start ${process.execPath}: ${err.message}`);
      resolve(EXIT.ERROR);
    });
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? SIGNAL_EXIT[signal ?? ''] ?? EXIT.ERROR);
    });
  });
}
