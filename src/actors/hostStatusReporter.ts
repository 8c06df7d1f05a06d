// Host status reports (the original's HostStatusReporter): every state_interval_seconds, send
// /reports/host_status with the host's agentEnv (fixtures/agent_host_status_update.json).
// Differences: every interval is sent (the original skips a report equal to the last one but
// for agentTimeStampAtReporting) and `mounts` is left out (the fixture has none either).
import { fromCallback, type EventObject } from 'xstate';
import type { LogFn } from '../logging/logger.js';
import { agentEnv, type AgentEnv } from './hostInfo/index.js';
import { acknowledged, errorText, repeatEvery, type SendFn } from './hostComponents.js';

export const HOST_STATUS_DESTINATION = '/reports/host_status';
const ACTOR = 'hostStatus';

export interface HostStatusReporterOptions {
  /** state_interval_seconds; 0 turns the reports off. */
  intervalSeconds: number;
  collect: () => Promise<Record<string, unknown>>;
  send: SendFn;
  log: LogFn;
}

/** The report body: `{agentEnv}` as at registration. */
export async function collectHostStatus(hostname: string): Promise<{ agentEnv: AgentEnv }> {
  return { agentEnv: await agentEnv({ hostname }) };
}

export function createHostStatusReporter(options: HostStatusReporterOptions) {
  const { collect, send, log } = options;
  return fromCallback<EventObject, { link: unknown }>(({ input }) => {
    const intervalMs = options.intervalSeconds * 1000;
    if (!(intervalMs > 0)) {
      log(ACTOR, 'warn', 'state_interval_seconds is 0: host status reports are turned off');
      return () => {};
    }
    let stopped = false;
    const report = async () => {
      const body = await collect();
      if (stopped) return;
      const answer = await send(input.link, HOST_STATUS_DESTINATION, body);
      if (!acknowledged(answer)) throw new Error(`the server answered ${JSON.stringify(answer).slice(0, 200)}`);
    };
    const stop = repeatEvery(intervalMs, report, (err) => log(ACTOR, 'warn', `Cannot report the host status: ${errorText(err)}; trying again at the next interval`));
    return () => {
      stopped = true;
      stop();
    };
  });
}
