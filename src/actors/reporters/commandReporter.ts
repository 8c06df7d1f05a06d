// Sends the pending command reports (reportStore.ts) to /reports/commands_status over the
// session's live link: everything pending when it starts (right after each registration: what
// the last connection did not get acknowledged goes again), at once whenever a report is put
// (an IN_PROGRESS report as soon as a command starts, a final one as soon as it ends, as
// CommandStatusDict.put_command_status forces an update), and every command_reports_interval
// while anything is pending (IN_PROGRESS reports then carry the output's latest lines).
//
// Each round reads what is pending, splits it into frames under [agent] max_report_frame_bytes
// (reportFrames.ts) and sends them one after another. A frame's final reports leave the store
// only when the server answers it with {"status":"OK"} (ReportsResponse / StompResponse, as the
// Python agent's ServerResponsesListener.listener_functions_on_success); anything else (Spring's
// ErrorMessage from RootStompConfig's @MessageExceptionHandler, "FAILED", no answer within the
// request timeout, a lost connection) keeps them, logs one line naming the tasks and the
// answer, and the round is tried again after a backoff of 1 s doubling up to 30 s (reset by the
// next OK). After an error answer the round's other frames are still sent (one bad report does
// not hold up the rest); after no answer the round stops there.
import { fromCallback } from 'xstate';
import type { LogFn } from '../../logging/logger.js';
import { acknowledged } from '../host/hostComponents.js';
import type { WireCommandReport } from '../commands/commandReport.js';
import { inProgressReport } from '../commands/inProgressReport.js';
import { DEFAULT_MAX_REPORT_FRAME_BYTES, splitReports, type ClusterReport } from './reportFrames.js';
import type { PendingEntry, ReportStore } from './reportStore.js';

export const COMMANDS_STATUS_DESTINATION = '/reports/commands_status';
/** Retry delays after a failed round: RETRY_FIRST_MS doubling up to RETRY_MAX_MS. */
export const RETRY_FIRST_MS = 1000;
export const RETRY_MAX_MS = 30_000;

export interface CommandReporterOptions {
  store: ReportStore;
  intervalSeconds: number;
  /** [heartbeat] log_max_symbols_size: the cut of IN_PROGRESS streams. */
  maxOutputChars: number;
  /** [agent] max_report_frame_bytes. */
  maxFrameBytes?: number;
  /** A request on the link: resolves with the server's answer, rejects when it cannot (timeout, closed). */
  send: (link: unknown, destination: string, body: unknown) => Promise<unknown>;
  log: LogFn;
}


/** The reports of the pending entries, IN_PROGRESS ones read from their files now. */
async function reportsOf(entries: PendingEntry[], maxOutputChars: number): Promise<ClusterReport[]> {
  return Promise.all(
    entries.map(async (entry) => {
      const report: WireCommandReport = entry.kind === 'final' ? entry.report : await inProgressReport(entry, maxOutputChars);
      return { clusterKey: entry.clusterKey, report };
    }),
  );
}

export function createCommandReporter({ store, intervalSeconds, maxOutputChars, maxFrameBytes = DEFAULT_MAX_REPORT_FRAME_BYTES, send, log }: CommandReporterOptions) {
  return fromCallback<{ type: string }, { link: unknown }>(({ input }) => {
    let inFlight = false;
    let again = false;
    let stopped = false;
    let retryTimer: NodeJS.Timeout | undefined;
    let retryDelayMs = RETRY_FIRST_MS;

    /** One round: true when every frame was acknowledged. */
    const round = async (): Promise<boolean> => {
      let snapshot = store.snapshot();
      if (!snapshot) return true;
      let reports = await reportsOf(snapshot.entries, maxOutputChars);
      // A report put while the IN_PROGRESS ones were being read (a short command ending): built
      // again, so the final goes now instead of after a round of stale IN_PROGRESS reports.
      for (let tries = 0; tries < 2 && store.snapshot()?.version !== snapshot.version; tries++) {
        snapshot = store.snapshot();
        if (!snapshot) return true;
        reports = await reportsOf(snapshot.entries, maxOutputChars);
      }
      const taken = snapshot;
      const frames = splitReports(reports, maxFrameBytes);
      let allOk = true;
      for (const [index, frame] of frames.entries()) {
        if (stopped) return allOk;
        const what = `task(s) ${frame.taskIds.join(', ')} (${frames.length > 1 ? `frame ${index + 1} of ${frames.length}, ` : ''}${frame.bodyBytes} bytes)`;
        try {
          const answer = await send(input.link, COMMANDS_STATUS_DESTINATION, frame.body);
          if (acknowledged(answer)) {
            store.acknowledge(frame.taskIds, taken.version);
            log('commandReporter', 'debug', `Server acknowledged the reports of ${what}`);
            continue;
          }
          allOk = false;
          if (!stopped) log('commandReporter', 'warn', `Cannot report ${what}: the server answered ${JSON.stringify(answer).slice(0, 300)}; sending again in ${retryDelayMs / 1000} s`);
        } catch (err) {
          // No answer: the link is gone or the server is not answering; the next frames would fare no better.
          if (!stopped) log('commandReporter', 'warn', `Cannot report ${what}: ${(err as Error).message}; sending again in ${retryDelayMs / 1000} s`);
          return false;
        }
      }
      return allOk;
    };

    const flush = (): void => {
      if (stopped) return;
      if (inFlight) {
        again = true;
        return;
      }
      // Backing off: the retry timer sends everything pending then.
      if (retryTimer) return;
      inFlight = true;
      round()
        .catch((err: unknown) => {
          if (!stopped) log('commandReporter', 'error', `Cannot build the command reports: ${(err as Error).message}; trying again in ${retryDelayMs / 1000} s`);
          return false;
        })
        .then((ok) => {
          inFlight = false;
          if (stopped) return;
          if (!ok) {
            const delayMs = retryDelayMs;
            retryDelayMs = Math.min(retryDelayMs * 2, RETRY_MAX_MS);
            again = false;
            retryTimer = setTimeout(() => {
              retryTimer = undefined;
              flush();
            }, delayMs);
            return;
          }
          retryDelayMs = RETRY_FIRST_MS;
          if (again) {
            again = false;
            flush();
          }
        });
    };

    const unsubscribe = store.onChange(flush);
    const timer = setInterval(flush, Math.max(1, intervalSeconds) * 1000);
    flush();
    return () => {
      stopped = true;
      clearInterval(timer);
      clearTimeout(retryTimer);
      unsubscribe();
    };
  });
}
