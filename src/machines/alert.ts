// One alert definition on this host (a job of the original's AlertSchedulerHandler): it waits
// an interval, checks, hands the result on, and waits again. The first check comes one
// interval after the definition arrives, as the original's interval trigger does. A changed
// definition (same definitionId) is taken over without disturbing a check under way; a new
// interval restarts the wait. RUN_NOW checks at once (the alert execution command).
import { assign, fromPromise, setup } from 'xstate';
import type { AlertDefinition, AlertResult } from '../actors/alerts/alertTypes.js';
import { errorMessage } from '../util/errorMessage.js';
import { logNowhere, type LogParams } from './logParams.js';

export interface AlertInput {
  definition: AlertDefinition;
  /** The cache's key of the definition's cluster. */
  clusterId: string;
  /** The time between checks (the feed's reading of the definition's interval). */
  intervalMs: number;
}

export type AlertEvent = { type: 'DEFINITION.CHANGED'; definition: AlertDefinition; intervalMs: number } | { type: 'RUN_NOW' };

export interface AlertContext {
  definition: AlertDefinition;
  clusterId: string;
  intervalMs: number;
  /** The last result handed on (state, text, timestamp). */
  last?: AlertResult;
  checks: number;
  /** Checks that could not produce a result at all (an effect failed, not the alert). */
  failures: number;
  /** How long the last check took: the wait after it is the interval less this. */
  lastDurationMs: number;
  lastError?: string;
}

export interface CheckInput {
  definition: AlertDefinition;
  clusterId: string;
}

/** What a check gives: the result, and how long the check took (the next one is due an interval after this one started). */
export interface CheckOutput {
  result: AlertResult;
  durationMs: number;
}

/** base_alert.interval(): minutes; a missing, non-numeric or smaller value counts as 1. */
export function intervalMinutes(definition: { interval?: unknown }): number {
  const minutes = definition.interval;
  return typeof minutes === 'number' && Number.isFinite(minutes) && minutes >= 1 ? minutes : 1;
}

/**
 * The interval in ms. `unitMs` is a minute unless [agent] alert_interval_unit_seconds says
 * otherwise (tests, simulated clusters).
 */
export function intervalMs(definition: { interval?: unknown }, unitMs = 60_000): number {
  // A timer longer than Node.js holds (about 24.8 days) would fire at once.
  return Math.min(intervalMinutes(definition) * unitMs, 2 ** 31 - 1);
}

export const alertMachine = setup({
  types: { input: {} as AlertInput, context: {} as AlertContext, events: {} as AlertEvent },
  actors: {
    /** One check; resolves with the result to report (an alert that fails is an UNKNOWN result, not an error). */
    check: fromPromise<CheckOutput, CheckInput>(async () => {
      throw new Error('check must be provided');
    }),
    /** Hands the result to the store the reporter sends from. */
    report: fromPromise<void, AlertResult>(async () => {}),
  },
  actions: {
    log: logNowhere as (args: unknown, params: LogParams) => void,
    takeDefinition: assign(({ context, event }) => (event.type === 'DEFINITION.CHANGED' ? { definition: event.definition, intervalMs: event.intervalMs } : context)),
  },
  guards: {
    intervalChanged: ({ context, event }) => event.type === 'DEFINITION.CHANGED' && event.intervalMs !== context.intervalMs,
  },
  // Start to start, as the original's interval trigger: a slow check does not push the next one later.
  delays: { interval: ({ context }) => Math.max(0, context.intervalMs - context.lastDurationMs) },
}).createMachine({
  id: 'alert',
  context: ({ input }) => ({ definition: input.definition, clusterId: input.clusterId, intervalMs: input.intervalMs, checks: 0, failures: 0, lastDurationMs: 0 }),
  initial: 'idle',
  on: {
    'DEFINITION.CHANGED': { actions: 'takeDefinition' },
  },
  states: {
    idle: {
      description: 'Waiting for the next check, one interval after the last one (or after the definition arrived).',
      after: { interval: { target: 'checking' } },
      on: {
        RUN_NOW: { target: 'checking' },
        'DEFINITION.CHANGED': [
          // A new interval counts from now.
          { guard: 'intervalChanged', target: 'idle', reenter: true, actions: ['takeDefinition', assign({ lastDurationMs: 0 })] },
          { actions: 'takeDefinition' },
        ],
      },
    },
    checking: {
      description: 'The check runs: a port, a URL, JMX or metrics query, a script, or the recovery counts.',
      invoke: {
        src: 'check',
        input: ({ context }) => ({ definition: context.definition, clusterId: context.clusterId }),
        onDone: { target: 'reporting', actions: assign({ last: ({ event }) => event.output.result, lastDurationMs: ({ event }) => event.output.durationMs, checks: ({ context }) => context.checks + 1 }) },
        onError: {
          target: 'idle',
          actions: [
            assign({ failures: ({ context }) => context.failures + 1, lastError: ({ event }) => errorMessage(event.error) }),
            { type: 'log', params: ({ context, event }) => ({ level: 'warn', msg: `Alert ${context.definition.name} could not be checked: ${errorMessage(event.error)}` }) },
          ],
        },
      },
    },
    reporting: {
      description: 'The result is handed to the alert results the reporter sends to /reports/alerts_status.',
      invoke: {
        src: 'report',
        input: ({ context }) => context.last!,
        onDone: { target: 'idle' },
        onError: {
          target: 'idle',
          actions: { type: 'log', params: ({ context, event }) => ({ level: 'warn', msg: `Alert ${context.definition.name}: its result was not kept: ${errorMessage(event.error)}` }) },
        },
      },
    },
  },
});
