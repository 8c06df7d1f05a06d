// The wrapper's loop (the original's AmbariAgent.py): run the agent process; when it exits
// with 77 remove its pid file and run it again; any other exit ends the loop with that code.
// SIGTERM and SIGINT sent to the wrapper are passed to the running agent.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { constants } from 'node:os';

export const AGENT_AUTO_RESTART_EXIT_CODE = 77;

export interface WrapperOptions {
  command: string;
  args: string[];
  pidFile: string;
  env?: NodeJS.ProcessEnv;
  /** Called before each restart, with the number of restarts so far. */
  onRestart?: (restarts: number) => void;
}

export async function runWrapper(options: WrapperOptions): Promise<number> {
  let restarts = 0;
  for (;;) {
    const code = await runOnce(options);
    if (code !== AGENT_AUTO_RESTART_EXIT_CODE) return code;
    rmSync(options.pidFile, { force: true });
    restarts++;
    options.onRestart?.(restarts);
  }
}

function runOnce(options: WrapperOptions): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(options.command, options.args, { stdio: 'inherit', env: options.env ?? process.env });
    const forward = (signal: NodeJS.Signals) => () => {
      child.kill(signal);
    };
    const onTerm = forward('SIGTERM');
    const onInt = forward('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
    const done = (code: number) => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      resolve(code);
    };
    child.on('error', (err) => {
      process.stderr.write(`ERROR: cannot start ${options.command}: ${err.message}\n`);
      done(1);
    });
    child.on('exit', (code, signal) => {
      // A child killed by a signal is reported the shell's way: 128 + signal number.
      done(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
}
