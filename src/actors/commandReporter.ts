// Sends the pending command reports (reportStore.ts) to /reports/commands_status over the
// session's live link: everything pending at once when it starts (that is, right after each
// registration: what the last connection did not get acknowledged goes again), every final
// report as soon as it is stored, and whatever is pending every command_reports_interval.
// A report leaves the store only when the server answered the request that carried it.
//
// One request at a time: a final report that arrives while a batch is in flight is sent
// right after it.
import { fromCallback } from 'xstate';
import type { LogFn } from '../logging/logger.js';
import { acknowledged } from './hostComponents.js';
import type { ReportStore } from './reportStore.js';

export const COMMANDS_STATUS_DESTINATION = '/reports/commands_status';

export interface CommandReporterOptions {
  store: ReportStore;
  intervalSeconds: number;
  /** A request on the link: resolves with the server's answer, rejects when it cannot. */
  send: (link: unknown, destination: string, body: unknown) => Promise<unknown>;
  log: LogFn;
}

export function createCommandReporter({ store, intervalSeconds, send, log }: CommandReporterOptions) {
  return fromCallback<{ type: string }, { link: unknown }>(({ input }) => {
    let inFlight = false;
    let again = false;
    let stopped = false;

    const flush = (): void => {
      if (stopped) return;
      if (inFlight) {
        again = true;
        return;
      }
      const batch = store.batch();
      if (!batch) return;
      inFlight = true;
      send(input.link, COMMANDS_STATUS_DESTINATION, batch.body)
        .then((answer) => {
          // Only an OK answer takes the reports off the store (as the original's listener).
          if (!acknowledged(answer)) throw new Error(`the server refused them: ${JSON.stringify(answer).slice(0, 200)}`);
          store.acknowledge(batch.taskIds, batch.version);
          log('commandReporter', 'debug', `Server acknowledged the reports of task(s) ${batch.taskIds.join(', ')}`);
        })
        .catch((err: unknown) => {
          // Kept in the store: sent again next time, or after the next registration.
          if (!stopped) log('commandReporter', 'warn', `Cannot report task(s) ${batch.taskIds.join(', ')}: ${(err as Error).message}; will retry`);
        })
        .finally(() => {
          inFlight = false;
          if (again) {
            again = false;
            flush();
          }
        });
    };

    const unsubscribe = store.onFinal(flush);
    const timer = setInterval(flush, Math.max(1, intervalSeconds) * 1000);
    flush();
    return () => {
      stopped = true;
      clearInterval(timer);
      unsubscribe();
    };
  });
}
