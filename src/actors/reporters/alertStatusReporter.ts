// Alert results to the server (the original's AlertStatusReporter): every
// [agent] alert_reports_interval seconds, what the alert results hold goes to
// /reports/alerts_status as one JSON array of Alert records (server/state/Alert.java, read by
// AgentReportsController.handleAlertsStatus as Alert[]). Results leave the store only when the
// server answers {"status":"OK"}; what is not acknowledged goes again, in this session or the
// next one. 0 turns the reports off, as in the original.
import { fromCallback, type EventObject } from 'xstate';
import type { LogFn } from '../../logging/logger.js';
import type { AlertResults } from '../alerts/alertResults.js';
import { acknowledged, errorText, repeatEvery, type SendFn } from '../host/hostComponents.js';

export const ALERTS_STATUS_DESTINATION = '/reports/alerts_status';
const ACTOR = 'alertStatus';

export interface AlertStatusReporterOptions {
  intervalSeconds: number;
  results: AlertResults;
  send: SendFn;
  log: LogFn;
}

export function createAlertStatusReporter({ intervalSeconds, results, send, log }: AlertStatusReporterOptions) {
  return fromCallback<EventObject, { link: unknown }>(({ input }) => {
    if (!(intervalSeconds > 0)) {
      log(ACTOR, 'warn', 'alert_reports_interval is 0: alert results are not reported');
      return () => {};
    }
    const report = async () => {
      const batch = results.batch();
      if (batch.length === 0) return;
      const answer = await send(input.link, ALERTS_STATUS_DESTINATION, batch);
      if (!acknowledged(answer)) throw new Error(`the server answered ${JSON.stringify(answer).slice(0, 200)}`);
      results.acknowledge(batch);
      log(ACTOR, 'debug', `Reported ${batch.length} alert result(s)`);
    };
    return repeatEvery(intervalSeconds * 1000, report, (err) =>
      log(ACTOR, 'warn', `Cannot report ${results.size} alert result(s): ${errorText(err)}; they go again at the next interval`),
    );
  });
}
