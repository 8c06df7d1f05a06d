// DataCleaner: one clean-up pass at start, then one every interval, for as long as it runs.
// A failed pass is logged and the next one comes on schedule; the pass itself is injected.
import { assign, fromPromise, setup } from 'xstate';
import { errorMessage } from '../util/errorMessage.js';
import { logNowhere, type LogParams } from './logParams.js';

export interface CleanerSettings {
  dir: string;
  maxAgeSeconds: number;
  maxSizeBytes: number;
}

export interface CleanPassResult {
  deleted: number;
  deletedBytes: number;
  kept: number;
  errors: number;
}

export interface DataCleanerInput extends CleanerSettings {
  intervalSeconds: number;
}

interface DataCleanerContext extends DataCleanerInput {
  passes: number;
  lastPass?: CleanPassResult;
  lastError?: string;
}

export const dataCleanerMachine = setup({
  types: { input: {} as DataCleanerInput, context: {} as DataCleanerContext },
  actors: {
    cleanPass: fromPromise<CleanPassResult, CleanerSettings>(async () => {
      throw new Error('cleanPass must be provided');
    }),
  },
  actions: { log: logNowhere as (args: unknown, params: LogParams) => void },
  delays: {
    interval: ({ context }) => context.intervalSeconds * 1000,
  },
}).createMachine({
  id: 'dataCleaner',
  context: ({ input }) => ({ ...input, passes: 0 }),
  initial: 'cleaning',
  states: {
    cleaning: {
      description: 'A clean-up pass runs: old or excess files of the data dir are deleted.',
      invoke: {
        src: 'cleanPass',
        input: ({ context }) => ({ dir: context.dir, maxAgeSeconds: context.maxAgeSeconds, maxSizeBytes: context.maxSizeBytes }),
        onDone: {
          target: 'waiting',
          actions: [
            assign(({ context, event }) => ({ passes: context.passes + 1, lastPass: event.output, lastError: undefined })),
            {
              type: 'log',
              params: ({ event }) => ({
                level: 'info',
                msg: `Data cleanup finished: ${event.output.deleted} file(s) deleted (${event.output.deletedBytes} bytes), ${event.output.kept} kept, ${event.output.errors} error(s)`,
              }),
            },
          ],
        },
        onError: {
          target: 'waiting',
          actions: [
            assign(({ context, event }) => ({ passes: context.passes + 1, lastError: errorMessage(event.error) })),
            { type: 'log', params: ({ context }) => ({ level: 'error', msg: `Data cleanup pass failed: ${context.lastError}` }) },
          ],
        },
      },
    },
    waiting: {
      description: 'Waiting data_cleanup_interval seconds for the next pass.',
      after: { interval: 'cleaning' },
    },
  },
});
