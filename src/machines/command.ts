// One command from the server, as an actor: queued -> running -> (retrying) -> completed |
// failed | timedout | aborted. The process work is the injected `run` actor (one attempt);
// this machine decides retries (the original's doubling delay, never past the time left) and
// the final report (COMPLETED / FAILED, stdout/stderr, exit code, structured output).
// Pure: time is only timers of the actor system (retry delay, retry budget), no clock read.
import { assign, enqueueActions, sendTo, setup } from 'xstate';
import { fromCancellablePromise, type CancelAttemptEvent } from './cancellableAttempt.js';
import { errorMessage } from '../util/errorMessage.js';

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

/** What one attempt is given (the `run` actor's input); a CANCEL event aborts its signal. */
export interface RunInput {
  command: ExecutionCommand;
  /** 1 for the first attempt. */
  attempt: number;
}

interface CommandContext {
  command: ExecutionCommand;
  /** "ROLECOMMAND ROLE", for dumps and `status` (the command itself is too big to show). */
  label: string;
  retryEnabled: boolean;
  maxDurationMs: number;
  attempts: number;
  /** The wait before the next attempt, doubled at each failed one. */
  retryDelaySeconds: number;
  /** max_duration_for_retries has passed since the first attempt started: no retry after this. */
  retryBudgetSpent: boolean;
  cancelReason?: string;
  last?: AttemptResult;
  report?: CommandReport;
}

/** What the action queue sends a command actor. */
export type CommandEvent = { type: 'START' } | { type: 'CANCEL'; reason: string };
/** Raised (delayed) by the machine itself once the retry budget is spent. */
type RetryBudgetSpent = { type: 'RETRY_BUDGET.SPENT' };

const RETRY_BUDGET_TIMER = 'retryBudget';

/** commandParams.command_retry_enabled: the string 'true' (any case) or true; never for a recovery command. */
export function retryEnabledFor(command: ExecutionCommand): boolean {
  if (command.commandType === 'AUTO_EXECUTION_COMMAND') return false;
  const value = command.commandParams?.command_retry_enabled;
  return value === true || (typeof value === 'string' && value.toLowerCase() === 'true');
}

/** commandParams.max_duration_for_retries in ms (seconds as a number or a numeric string; 0 when absent or not a number). */
function retryBudgetMs(command: ExecutionCommand): number {
  const value = command.commandParams?.max_duration_for_retries;
  const seconds = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : 0;
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : 0;
}

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
  types: { input: {} as CommandInput, context: {} as CommandContext, events: {} as CommandEvent | RetryBudgetSpent, output: {} as CommandReport },
  actors: {
    run: fromCancellablePromise<AttemptResult, RunInput>(async () => {
      throw new Error('run must be provided');
    }),
  },
  guards: {
    succeeded: (_, params: { result: AttemptResult }) => params.result.exitCode === 0,
    cancelled: ({ context }) => context.cancelReason !== undefined,
    timedOut: (_, params: { result: AttemptResult }) => params.result.timedOut,
    /** The original's rule: retries enabled, not cancelled, and time left of max_duration_for_retries. */
    mayRetry: ({ context }) => context.retryEnabled && context.cancelReason === undefined && context.maxDurationMs > 0 && !context.retryBudgetSpent,
  },
  actions: {
    // The budget counts from the first attempt's start, attempts and waits alike; a timer
    // (not a clock reading) so that the actor system's clock, simulated in tests, drives it.
    startRetryBudget: enqueueActions(({ context, enqueue }) => {
      if (context.retryEnabled && context.maxDurationMs > 0) enqueue.raise({ type: 'RETRY_BUDGET.SPENT' }, { id: RETRY_BUDGET_TIMER, delay: context.maxDurationMs });
    }),
    recordCancel: assign({ cancelReason: ({ event }) => (event.type === 'CANCEL' ? event.reason : undefined) }),
    cancelAttempt: sendTo('run', { type: 'CANCEL' } satisfies CancelAttemptEvent),
    writeReport: assign(({ context }, params: { status: CommandReport['status'] }) => ({ report: finalReport(context, params.status) })),
  },
  delays: {
    retryDelay: ({ context }) => context.retryDelaySeconds * 1000,
  },
}).createMachine({
  id: 'command',
  context: ({ input }) => ({
    command: input.command,
    label: `${input.command.roleCommand ?? '?'} ${input.command.role ?? '?'}`,
    retryEnabled: retryEnabledFor(input.command),
    maxDurationMs: retryBudgetMs(input.command),
    attempts: 0,
    retryDelaySeconds: 1,
    retryBudgetSpent: false,
  }),
  initial: 'queued',
  on: {
    'RETRY_BUDGET.SPENT': { actions: assign({ retryBudgetSpent: true }) },
  },
  states: {
    queued: {
      description: 'Waiting in the action queue for its turn to run.',
      on: {
        START: { target: 'running', actions: 'startRetryBudget' },
        CANCEL: { target: 'aborted', actions: 'recordCancel' },
      },
    },
    running: {
      description: 'An attempt runs: the command JSON is written and the script (with its hooks) runs.',
      entry: assign({ attempts: ({ context }) => context.attempts + 1 }),
      // The attempt is told to kill its tree and still settles, so the report has its output.
      on: { CANCEL: { actions: ['recordCancel', 'cancelAttempt'] } },
      invoke: {
        id: 'run',
        src: 'run',
        input: ({ context }) => ({ command: context.command, attempt: context.attempts }),
        onDone: [
          { guard: 'cancelled', target: 'aborted', actions: assign({ last: ({ event }) => event.output }) },
          { guard: { type: 'succeeded', params: ({ event }) => ({ result: event.output }) }, target: 'completed', actions: assign({ last: ({ event }) => event.output }) },
          { guard: { type: 'timedOut', params: ({ event }) => ({ result: event.output }) }, target: 'timedout', actions: assign({ last: ({ event }) => event.output }) },
          // A failed attempt is retried after a doubling delay while the budget lasts.
          {
            guard: 'mayRetry',
            target: 'retrying',
            actions: assign(({ context, event }) => ({ last: event.output, retryDelaySeconds: context.retryDelaySeconds * 2 })),
          },
          { target: 'failed', actions: assign({ last: ({ event }) => event.output }) },
        ],
        onError: {
          target: 'failed',
          actions: assign({
            last: ({ event }) => ({
              exitCode: 1,
              stdout: '',
              stderr: `Cannot run the command: ${errorMessage(event.error)}`,
              structuredOut: {},
              timedOut: false,
              cancelled: false,
            }),
          }),
        },
      },
    },
    // The delay never runs past the budget (the original's get_retry_delay): the budget's end
    // starts the last attempt at once.
    retrying: {
      description: 'An attempt failed: waiting out the retry delay (or the end of the retry budget) before the next one.',
      on: {
        CANCEL: { target: 'aborted', actions: 'recordCancel' },
        'RETRY_BUDGET.SPENT': { target: 'running', actions: assign({ retryBudgetSpent: true }) },
      },
      after: { retryDelay: 'running' },
    },
    completed: { description: 'The script exited 0: reported COMPLETED.', type: 'final', entry: { type: 'writeReport', params: { status: 'COMPLETED' } } },
    failed: { description: 'The last attempt failed (or could not start) and no retry is left: reported FAILED.', type: 'final', entry: { type: 'writeReport', params: { status: 'FAILED' } } },
    timedout: { description: 'The script ran past command_timeout and was killed (exit code 999): reported FAILED.', type: 'final', entry: { type: 'writeReport', params: { status: 'FAILED' } } },
    aborted: { description: 'Cancelled (by the server or the agent stopping): its tree was killed, reported FAILED with the reason.', type: 'final', entry: { type: 'writeReport', params: { status: 'FAILED' } } },
  },
  output: ({ context }) => context.report!,
});
