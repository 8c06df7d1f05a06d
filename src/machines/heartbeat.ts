// Heartbeat: every interval SEND /heartbeat {id: responseId}; the answer's id must be
// responseId + 1. Out of sequence ends the machine with reason 'sequence' (the agent
// restarts, as the original); a failed request ends it with reason 'error' (re-register).
import { assign, fromPromise, setup } from 'xstate';
import { errorMessage } from '../util/errorMessage.js';
import { logNowhere, type LogParams } from './logParams.js';

export const HEARTBEAT_INTERVAL_SECONDS = 10;

export interface HeartbeatInput {
  /** The session's connection (opaque here). */
  link: unknown;
  responseId: number;
  intervalSeconds?: number;
}

export interface BeatResult {
  id: number;
  roundTripMs: number;
}

export interface HeartbeatOutput {
  reason: 'sequence' | 'error';
  error: string;
}

interface HeartbeatContext {
  link: unknown;
  responseId: number;
  intervalSeconds: number;
  beats: number;
  lastRoundTripMs?: number;
  error?: string;
  reason?: HeartbeatOutput['reason'];
}

export const heartbeatMachine = setup({
  types: { input: {} as HeartbeatInput, context: {} as HeartbeatContext, output: {} as HeartbeatOutput },
  actors: {
    beat: fromPromise<BeatResult, { link: unknown; responseId: number }>(async () => {
      throw new Error('beat must be provided');
    }),
  },
  actions: { log: logNowhere as (args: unknown, params: LogParams) => void },
  guards: {
    /** The answer's id is the next one. */
    inSequence: ({ context }, params: { id: number }) => params.id === context.responseId + 1,
  },
  delays: { interval: ({ context }) => context.intervalSeconds * 1000 },
}).createMachine({
  id: 'heartbeat',
  context: ({ input }) => ({ link: input.link, responseId: input.responseId, intervalSeconds: input.intervalSeconds ?? HEARTBEAT_INTERVAL_SECONDS, beats: 0 }),
  initial: 'beating',
  states: {
    beating: {
      description: 'A heartbeat is sent and its answer awaited (its id must be the next responseId).',
      invoke: {
        src: 'beat',
        input: ({ context }) => ({ link: context.link, responseId: context.responseId }),
        onDone: [
          {
            guard: { type: 'inSequence', params: ({ event }) => ({ id: event.output.id }) },
            target: 'waiting',
            actions: assign(({ context, event }) => ({ responseId: event.output.id, beats: context.beats + 1, lastRoundTripMs: event.output.roundTripMs })),
          },
          {
            target: 'stopped',
            actions: assign(({ context, event }) => ({
              reason: 'sequence' as const,
              error: `Error in responseId sequence - restarting (expected ${context.responseId + 1}, got ${event.output.id})`,
            })),
          },
        ],
        onError: {
          target: 'stopped',
          actions: assign({ reason: 'error' as const, error: ({ event }) => `Heartbeat failed: ${errorMessage(event.error)}` }),
        },
      },
    },
    waiting: { description: 'Waiting the heartbeat interval before the next beat.', after: { interval: 'beating' } },
    stopped: {
      description: 'Heartbeats ended: a failed request (re-register) or an answer out of sequence (restart the agent).',
      type: 'final',
      entry: { type: 'log', params: ({ context }) => ({ level: 'error', msg: context.error ?? 'heartbeat stopped' }) },
    },
  },
  output: ({ context }) => ({ reason: context.reason ?? 'error', error: context.error ?? 'heartbeat stopped' }),
});
