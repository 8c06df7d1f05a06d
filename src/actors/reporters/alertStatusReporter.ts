// Alert results to the server (the original's AlertStatusReporter): every
// [agent] alert_reports_interval seconds, what the alert results hold goes to
// /reports/alerts_status as one JSON array of Alert records (server/state/Alert.java, read by
// AgentReportsController.handleAlertsStatus as Alert[]). Results leave the store only when the
// server answers {"status":"OK"}; what is not acknowledged goes again, in this session or the
// next one. 0 turns the reports off, as in the original. Many results (thousands of
// definitions) go in several frames, each body under [agent] max_report_frame_bytes less room
// for the headers, each acknowledged on its own.
import { fromCallback, type EventObject } from 'xstate';
import type { LogFn } from '../../logging/logger.js';
import type { AlertResults } from '../alerts/alertResults.js';
import type { AlertResult } from '../alerts/alertTypes.js';
import { acknowledged, repeatEvery, type SendFn } from '../host/hostComponents.js';
import { errorMessage } from '../../util/errorMessage.js';

export const ALERTS_STATUS_DESTINATION = '/reports/alerts_status';
const ACTOR = 'alertStatus';

/** Room left in a frame for the STOMP command and headers. */
const HEADER_ROOM_BYTES = 1024;

/** The results in order, cut into bodies of at most `maxBytes` (a result larger alone goes alone). */
export function alertFrames(results: readonly AlertResult[], maxBytes: number): AlertResult[][] {
  const frames: AlertResult[][] = [];
  let current: AlertResult[] = [];
  let size = 2; // []
  for (const result of results) {
    const bytes = Buffer.byteLength(JSON.stringify(result)) + 1;
    if (current.length > 0 && size + bytes > maxBytes) {
      frames.push(current);
      current = [];
      size = 2;
    }
    current.push(result);
    size += bytes;
  }
  if (current.length > 0) frames.push(current);
  return frames;
}

export interface AlertStatusReporterOptions {
  intervalSeconds: number;
  /** [agent] max_report_frame_bytes. */
  maxFrameBytes: number;
  results: AlertResults;
  send: SendFn;
  log: LogFn;
}

export function createAlertStatusReporter({ intervalSeconds, maxFrameBytes, results, send, log }: AlertStatusReporterOptions) {
  return fromCallback<EventObject, { link: unknown }>(({ input }) => {
    if (!(intervalSeconds > 0)) {
      log(ACTOR, 'warn', 'alert_reports_interval is 0: alert results are not reported');
      return () => {};
    }
    const report = async () => {
      const batch = results.batch();
      for (const frame of alertFrames(batch, Math.max(1, maxFrameBytes - HEADER_ROOM_BYTES))) {
        const answer = await send(input.link, ALERTS_STATUS_DESTINATION, frame);
        if (!acknowledged(answer)) throw new Error(`the server answered ${JSON.stringify(answer).slice(0, 200)}`);
        results.acknowledge(frame);
      }
      if (batch.length > 0) log(ACTOR, 'debug', `Reported ${batch.length} alert result(s)`);
    };
    return repeatEvery(intervalSeconds * 1000, report, (err) =>
      log(ACTOR, 'warn', `Cannot report ${results.size} alert result(s): ${errorMessage(err)}; they go again at the next interval`),
    );
  });
}
