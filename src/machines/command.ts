// One command from the server, as an actor: queued -> running -> (retrying) -> completed |
// failed | timedout | aborted. The process work is the injected `run` actor (one attempt);
// this machine decides retries (the original's doubling delay, never past the time left) and
// the final report (COMPLETED / FAILED, stdout/stderr, exit code, structured output).
import { assign, enqueueActions, fromPromise, setup } from 'xstate';

export const TIMEOUT_EXIT_CODE = 999;

export interface ExecutionCommand {
  taskId: number;
  commandId?: number | string;
  requestId?: number;
  clusterId?: string;
  serviceName?: string;
  role?: string;
  roleCommand?: string;
  commandType?: string;
  commandParams?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface AttemptResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  structuredOut: Record<string, unknown>;
  timedOut: boolean;
  cancelled: boolean;
}

/**
 * The agent's own record of a finished command (exit code, structured output as an object);
 * actors/commands/commandReport.ts turns it into the server's CommandReport shape.
 */
export interface CommandReport {
  role?: string;
  actionId?: number | string;
  taskId: number;
  clusterId?: string;
  serviceName?: string;
  roleCommand?: string;
  customCommand?: string;
  status: 'COMPLETED' | 'FAILED';
  exitCode: number;
  stdout: string;
  stderr: string;
  structuredOut: Record<string, unknown>;
}

export interface CommandInput {
  command: ExecutionCommand;
}

interface CommandContext {
  command: ExecutionCommand;
  /** "ROLECOMMAND ROLE", for dumps and `status` (the command itself is too big to show). */
  label: string;
  retryEnabled: boolean;
  maxDurationMs: number;
  attempts: number;
  /** Clock time of the first attempt (the retry budget counts from it). */
  firstStartedAt?: number;
  retryDelaySeconds: number;
  /** Decided when an attempt fails (needs the clock, which guards do not see). */
  retryAllowed?: boolean;
  cancelReason?: string;
  last?: AttemptResult;
  /** Aborts the running attempt (kills its process tree). */
  abort?: AbortController;
  report?: CommandReport;
}

export type CommandEvent = { type: 'START' } | { type: 'CANCEL'; reason: string };

const truthy = (value: unknown) => String(value).toLowerCase() === 'true';

/**
 * The template every report of this command starts from (the original's generate_report_template
 * fields, plus customCommand: commandParams.custom_command, where ActionQueue.execute_command
 * takes it from and where the server's AmbariCustomCommandExecutionHelper puts it).
 */
export function reportTemplate(command: ExecutionCommand) {
  const custom = command.commandParams?.custom_command;
  return {
    role: command.role,
    actionId: command.commandId,
    taskId: command.taskId,
    clusterId: command.clusterId,
    serviceName: command.serviceName,
    roleCommand: command.roleCommand,
    ...(typeof custom === 'string' && custom !== '' ? { customCommand: custom } : {}),
  };
}

function finalReport(context: CommandContext, status: 'COMPLETED' | 'FAILED'): CommandReport {
  const last = context.last ?? { exitCode: 1, stdout: '', stderr: '', structuredOut: {}, timedOut: false, cancelled: false };
  let stdout = last.stdout;
  let stderr = last.stderr;
  if (context.cancelReason !== undefined) {
    stdout += `\nCommand aborted. Reason: '${context.cancelReason}'`;
    stderr += `\nCommand aborted. Reason: '${context.cancelReason}'`;
  }
  stdout += status === 'COMPLETED' ? '\n\nCommand completed successfully!\n' : `\n\nCommand failed after ${context.attempts} tries\n`;
  return { ...reportTemplate(context.command), status, exitCode: last.exitCode, stdout, stderr, structuredOut: last.structuredOut };
}

export const commandMachine = setup({
  types: { input: {} as CommandInput, context: {} as CommandContext, events: {} as CommandEvent, output: {} as CommandReport },
  actors: {
    run: fromPromise<AttemptResult, { command: ExecutionCommand; attempt: number; signal: AbortSignal }>(async () => {
      throw new Error('run must be provided');
    }),
  },
  guards: {
    succeeded: (_, params: { result: AttemptResult }) => params.result.exitCode === 0,
    cancelled: ({ context }) => context.cancelReason !== undefined,
    timedOut: (_, params: { result: AttemptResult }) => params.result.timedOut,
    retryDecided: ({ context }) => context.retryAllowed === true,
  },
  actions: {
    abortAttempt: ({ context }) => context.abort?.abort(),
  },
  delays: {
    retryDelay: ({ context }) => context.retryDelaySeconds * 1000,
  },
}).createMachine({
  id: 'command',
  context: ({ input }) => ({
    command: input.command,
    label: `${String(input.command.roleCommand ?? '?')} ${String(input.command.role ?? '?')}`,
    retryEnabled: truthy(input.command.commandParams?.command_retry_enabled),
    maxDurationMs: Number(input.command.commandParams?.max_duration_for_retries ?? 0) * 1000 || 0,
    attempts: 0,
    retryDelaySeconds: 1,
  }),
  initial: 'queued',
  states: {
    queued: {
      on: {
        START: 'running',
        CANCEL: { target: 'aborted', actions: assign({ cancelReason: ({ event }) => event.reason }) },
      },
    },
    running: {
      entry: assign(({ context, self }) => ({
        attempts: context.attempts + 1,
        firstStartedAt: context.firstStartedAt ?? clockNow(self),
        abort: new AbortController(),
      })),
      on: { CANCEL: { actions: [assign({ cancelReason: ({ event }) => event.reason }), 'abortAttempt'] } },
      invoke: {
        src: 'run',
        input: ({ context }) => ({ command: context.command, attempt: context.attempts, signal: context.abort!.signal }),
        onDone: [
          { guard: 'cancelled', target: 'aborted', actions: assign({ last: ({ event }) => event.output }) },
          { guard: { type: 'succeeded', params: ({ event }) => ({ result: event.output }) }, target: 'completed', actions: assign({ last: ({ event }) => event.output }) },
          { guard: { type: 'timedOut', params: ({ event }) => ({ result: event.output }) }, target: 'timedout', actions: assign({ last: ({ event }) => event.output }) },
          {
            target: 'deciding',
            actions: assign(({ context, event, self }) => {
              const now = clockNow(self);
              const retryAllowed = canRetry(context, now);
              return {
                last: event.output,
                retryAllowed,
                retryDelaySeconds: retryAllowed ? Math.min(context.retryDelaySeconds * 2, timeLeftSeconds(context, now)) : context.retryDelaySeconds,
              };
            }),
          },
        ],
        onError: {
          target: 'failed',
          actions: assign({
            last: ({ event }) => ({
              exitCode: 1,
              stdout: '',
              stderr: `Cannot run the command: ${event.error instanceof Error ? event.error.message : String(event.error)}`,
              structuredOut: {},
              timedOut: false,
              cancelled: false,
            }),
          }),
        },
      },
    },
    // A failed attempt: retry while the retry budget allows, with a doubling delay that never
    // runs past the time left (the original's get_retry_delay).
    deciding: {
      always: [{ guard: 'retryDecided', target: 'retrying' }, { target: 'failed' }],
    },
    retrying: {
      on: { CANCEL: { target: 'aborted', actions: assign({ cancelReason: ({ event }) => event.reason }) } },
      after: { retryDelay: 'running' },
    },
    completed: { type: 'final', entry: enqueueActions(({ enqueue }) => enqueue.assign({ report: ({ context }) => finalReport(context, 'COMPLETED') })) },
    failed: { type: 'final', entry: enqueueActions(({ enqueue }) => enqueue.assign({ report: ({ context }) => finalReport(context, 'FAILED') })) },
    timedout: { type: 'final', entry: enqueueActions(({ enqueue }) => enqueue.assign({ report: ({ context }) => finalReport(context, 'FAILED') })) },
    aborted: { type: 'final', entry: enqueueActions(({ enqueue }) => enqueue.assign({ report: ({ context }) => finalReport(context, 'FAILED') })) },
  },
  output: ({ context }) => context.report!,
});

function timeLeftSeconds(context: CommandContext, now: number): number {
  return (context.maxDurationMs - (now - (context.firstStartedAt ?? now))) / 1000;
}

function canRetry(context: CommandContext, now: number): boolean {
  return context.retryEnabled && context.cancelReason === undefined && timeLeftSeconds(context, now) > 0;
}

/**
 * The actor system's clock when it tells time (a SimulatedClock in tests; XState keeps it as
 * system._clock, and its default clock only schedules), else the wall clock.
 */
function clockNow(self: { system: unknown }): number {
  const clock = (self.system as { _clock?: { now?: () => number } } | undefined)?._clock;
  return typeof clock?.now === 'function' ? clock.now() : Date.now();
}
