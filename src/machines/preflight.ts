// Preflight: main.py's prestart checks, run one after another; the first failure ends the
// stage with the check's name and message. The checks themselves are injected (`runCheck`).
import { assign, fromPromise, setup } from 'xstate';
import { errorMessage } from '../util/errorMessage.js';
import { logNowhere, type LogParams } from './logParams.js';

export const PREFLIGHT_CHECKS = ['runtime', 'hostname', 'pidFile', 'prefixDir', 'ambariVersion', 'writableDirs'] as const;
export type PreflightCheck = (typeof PREFLIGHT_CHECKS)[number];

export interface PreflightInput {
  checks?: readonly PreflightCheck[];
}

export interface PreflightOutput {
  ok: boolean;
  failedCheck?: PreflightCheck;
  error?: string;
}

interface PreflightContext {
  checks: readonly PreflightCheck[];
  index: number;
  passed: PreflightCheck[];
  failedCheck?: PreflightCheck;
  error?: string;
}

export const preflightMachine = setup({
  types: {
    input: {} as PreflightInput,
    context: {} as PreflightContext,
    output: {} as PreflightOutput,
  },
  actors: {
    runCheck: fromPromise<void, { check: PreflightCheck }>(async () => {
      throw new Error('runCheck must be provided');
    }),
  },
  actions: { log: logNowhere as (args: unknown, params: LogParams) => void },
  guards: {
    moreChecks: ({ context }) => context.index + 1 < context.checks.length,
  },
}).createMachine({
  id: 'preflight',
  context: ({ input }) => ({ checks: input.checks ?? PREFLIGHT_CHECKS, index: 0, passed: [] }),
  initial: 'checking',
  states: {
    checking: {
      description: 'Running the next prestart check (runtime, hostname, pid file, prefix dir, version, writable dirs).',
      invoke: {
        src: 'runCheck',
        input: ({ context }) => ({ check: context.checks[context.index]! }),
        onDone: [
          {
            guard: 'moreChecks',
            target: 'checking',
            reenter: true,
            actions: assign(({ context }) => ({
              passed: [...context.passed, context.checks[context.index]!],
              index: context.index + 1,
            })),
          },
          { target: 'passed', actions: assign(({ context }) => ({ passed: [...context.passed, context.checks[context.index]!] })) },
        ],
        onError: {
          target: 'failed',
          actions: [
            assign(({ context, event }) => ({
              failedCheck: context.checks[context.index],
              error: errorMessage(event.error),
            })),
            { type: 'log', params: ({ context }) => ({ level: 'error', msg: `Preflight check '${context.failedCheck}' failed: ${context.error}` }) },
          ],
        },
      },
    },
    passed: { description: 'Every prestart check passed.', type: 'final' },
    failed: { description: 'A prestart check failed: the agent stops, naming it.', type: 'final' },
  },
  output: ({ context }) => ({ ok: context.error === undefined, failedCheck: context.failedCheck, error: context.error }),
});
