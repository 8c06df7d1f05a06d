// `--commands instant`: what Ambari's PERF stack gives a load test instead of real services.
// Its components are Dummy scripts (resource_management/libraries/script/dummy.py): every
// command succeeds at once, START marks the component running (a pid file in the original),
// STOP marks it stopped, and STATUS fails (ComponentIsNotRunning) unless it is running. Here
// the "pid files" are a set per simulated host, and nothing is spawned.
import type { AttemptResult, ExecutionCommand, RunInput } from '../machines/command.js';
import { fromCancellablePromise } from '../machines/cancellableAttempt.js';
import type { RunStatusFn, StatusRun } from '../actors/host/hostComponents.js';

/** The components of one simulated host that a START left running. */
export class InstantComponents {
  private readonly running = new Set<string>();

  constructor(private readonly hostname: string) {}

  /** One execution command, as a Dummy script would end it. */
  execute(command: ExecutionCommand): AttemptResult {
    const component = String(command.role ?? '');
    const roleCommand = String(command.roleCommand ?? '');
    const custom = command.commandParams?.custom_command;
    // A RESTART (a custom command) is STOP then START; both leave it running.
    const action = roleCommand === 'CUSTOM_COMMAND' && typeof custom === 'string' ? custom : roleCommand;
    if (action === 'START' || action === 'RESTART') this.running.add(component);
    if (action === 'STOP') this.running.delete(component);
    const stdout = `Host: ${this.hostname}\nComponent: ${component}\n${action || 'command'} done (simulated host, instant commands)\n`;
    return { exitCode: 0, stdout, stderr: '', structuredOut: {}, timedOut: false, cancelled: false };
  }

  /** STATUS: 0 while running, 1 (the script's ComponentIsNotRunning) otherwise; other status commands are not implemented by Dummy. */
  status(request: StatusRun): { exitCode: number; structuredOut: Record<string, unknown> } {
    if (request.commandName !== 'STATUS') return { exitCode: 1, structuredOut: {} };
    return { exitCode: this.running.has(request.componentName) ? 0 : 1, structuredOut: {} };
  }

  isRunning(component: string): boolean {
    return this.running.has(component);
  }
}

/** The command machine's `run` actor for instant commands. */
export function instantRunAttempt(components: InstantComponents) {
  return fromCancellablePromise<AttemptResult, RunInput>(async ({ input }) => components.execute(input.command));
}

export function instantStatusRun(components: InstantComponents): RunStatusFn {
  return async (request) => components.status(request);
}
