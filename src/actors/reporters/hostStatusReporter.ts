// Host status reports (the original's HostStatusReporter): every state_interval_seconds, the
// host's agentEnv and mounts, sent to /reports/host_status when they differ from the last
// report the server acknowledged (agentTimeStampAtReporting aside, at any depth, as the
// original's Utils.are_dicts_equal with keys_to_skip). The body is HostStatusReport
// (agent/stomp/dto/HostStatusReport.java): `agentEnv` (agent/AgentEnv.java) and `mounts`
// (a list of agent/DiskInfo.java: available, used, percent, device, mountpoint, type, size,
// all strings). A new registration starts a new reporter, so its first report always goes.
import { isDeepStrictEqual } from 'node:util';
import { fromCallback, type EventObject } from 'xstate';
import type { LogFn } from '../../logging/logger.js';
import { agentEnv, type AgentEnv, type MountInfo } from '../host/hostInfo/index.js';
import { mountsOf } from '../host/hostInfo/mounts.js';
import { acknowledged, repeatEvery, type SendFn } from '../host/hostComponents.js';
import { errorMessage } from '../../util/errorMessage.js';

export const HOST_STATUS_DESTINATION = '/reports/host_status';
const ACTOR = 'hostStatus';
/** Left out of the comparison: it changes with every report. */
const TIMESTAMP_KEY = 'agentTimeStampAtReporting';

export interface HostStatusReporterOptions {
  /** state_interval_seconds; 0 turns the reports off. */
  intervalSeconds: number;
  collect: () => Promise<object>;
  send: SendFn;
  log: LogFn;
}

export interface HostStatus {
  agentEnv: AgentEnv;
  mounts: MountInfo[];
}

/** The report body: agentEnv as at registration, mounts as the hardware profile's (Hardware.osdisks). */
export async function collectHostStatus(hostname: string, ignoreMountPoints: readonly string[] = []): Promise<HostStatus> {
  const [env, mounts] = await Promise.all([agentEnv({ hostname }), mountsOf(ignoreMountPoints)]);
  return { agentEnv: env, mounts };
}

/** A copy without the timestamp key at any depth. */
function comparable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(comparable);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).filter(([key]) => key !== TIMESTAMP_KEY).map(([key, v]) => [key, comparable(v)]));
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
    let lastAcknowledged: unknown;
    const report = async () => {
      const body = await collect();
      if (stopped) return;
      const current = comparable(body);
      if (lastAcknowledged !== undefined && isDeepStrictEqual(current, lastAcknowledged)) return;
      const answer = await send(input.link, HOST_STATUS_DESTINATION, body);
      if (!acknowledged(answer)) throw new Error(`the server answered ${JSON.stringify(answer).slice(0, 200)}`);
      lastAcknowledged = current;
    };
    const stop = repeatEvery(intervalMs, report, (err) => log(ACTOR, 'warn', `Cannot report the host status: ${errorMessage(err)}; trying again at the next interval`));
    return () => {
      stopped = true;
      stop();
    };
  });
}
