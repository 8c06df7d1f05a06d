// Component status reports (the original's ComponentStatusExecutor): every
// status_commands_run_interval, run each status command of each component on this host, one at
// a time, and send /reports/component_status with the statuses that differ from what the server
// last acknowledged. The actor lives for one registration and starts knowing nothing reported,
// so its first pass reports everything (the original forces a full report after registering).
import { fromCallback, type EventObject } from 'xstate';
import type { LogFn } from '../logging/logger.js';
import { acknowledged, componentsFromCaches, errorText, groupByCluster, repeatEvery, statusRunOf, type CacheReader, type HostComponent, type RunStatusFn, type SendFn } from './hostComponents.js';

export type { StatusRun } from './hostComponents.js';

export const COMPONENT_STATUS_DESTINATION = '/reports/component_status';
const ACTOR = 'componentStatus';

export type ComponentStatus = 'STARTED' | 'INSTALLED';

/** One entry of the report (fixtures/components_status_report.json plus serviceName). */
export interface ComponentStatusEntry {
  componentName: string;
  serviceName: string;
  command: string;
  status: ComponentStatus;
  clusterId: string;
}

export interface ComponentStatusReporterOptions {
  /** status_commands_run_interval; 0 turns the reports off, as in the original. */
  intervalSeconds: number;
  /** When the metadata gives no status_commands_timeout for the service. */
  defaultTimeoutSeconds: number;
  caches: CacheReader;
  hostname: () => string;
  runStatus: RunStatusFn;
  send: SendFn;
  log: LogFn;
}

/** One status across passes: cluster, service, component and command. */
export const statusKey = (entry: Omit<ComponentStatusEntry, 'status'>): string => JSON.stringify([entry.clusterId, entry.serviceName, entry.componentName, entry.command]);

/** The results whose status differs from the one the server acknowledged (all, for an empty map). */
export function changedStatuses(results: readonly ComponentStatusEntry[], reported: ReadonlyMap<string, ComponentStatus>): ComponentStatusEntry[] {
  return results.filter((entry) => reported.get(statusKey(entry)) !== entry.status);
}

export function createComponentStatusReporter(options: ComponentStatusReporterOptions) {
  const { caches, hostname, runStatus, send, log } = options;
  return fromCallback<EventObject, { link: unknown }>(({ input }) => {
    const intervalMs = options.intervalSeconds * 1000;
    if (!(intervalMs > 0)) {
      log(ACTOR, 'warn', 'status_commands_run_interval is 0: component status reports are turned off');
      return () => {};
    }
    // Aborted on stop: ends the pass, kills a running status script, silences late results.
    const abort = new AbortController();
    const stopped = () => abort.signal.aborted;
    const reported = new Map<string, ComponentStatus>();
    /** Status commands that threw, warned about once until they run again. */
    const failing = new Set<string>();

    const check = async (component: HostComponent, command: string): Promise<ComponentStatusEntry> => {
      const { componentName, serviceName, clusterId } = component;
      const failKey = statusKey({ clusterId, serviceName, componentName, command });
      let status: ComponentStatus;
      try {
        // Exit code 0 is STARTED, anything else INSTALLED; SECURITY_STATUS is mapped the same
        // way (the original reads only the exit code for every status command).
        const { exitCode } = await runStatus(statusRunOf(component, command, abort.signal));
        status = exitCode === 0 ? 'STARTED' : 'INSTALLED';
        failing.delete(failKey);
      } catch (err) {
        status = 'INSTALLED';
        if (!stopped() && !failing.has(failKey)) {
          failing.add(failKey);
          log(ACTOR, 'warn', `Cannot run ${command} for ${componentName} (${serviceName}, cluster ${clusterId}): ${errorText(err)}; counted as INSTALLED`);
        }
      }
      return { componentName, serviceName, command, status, clusterId };
    };

    const pass = async () => {
      const results: ComponentStatusEntry[] = [];
      for (const component of componentsFromCaches(caches, hostname(), options.defaultTimeoutSeconds)) {
        for (const command of component.statusCommands) {
          if (stopped()) return;
          results.push(await check(component, command));
        }
      }
      if (stopped()) return;
      // Forget what left the topology, so that a component added back is reported afresh.
      const current = new Set(results.map(statusKey));
      for (const key of [...reported.keys()]) if (!current.has(key)) reported.delete(key);
      const changes = changedStatuses(results, reported);
      if (changes.length === 0) return;
      try {
        const answer = await send(input.link, COMPONENT_STATUS_DESTINATION, { clusters: groupByCluster(changes) });
        if (!acknowledged(answer)) throw new Error(`the server answered ${JSON.stringify(answer).slice(0, 200)}`);
      } catch (err) {
        // `reported` is unchanged, so the next pass sends these changes (with fresh statuses) again.
        if (!stopped()) log(ACTOR, 'warn', `Cannot send ${changes.length} component statuses: ${errorText(err)}; sending them with the next pass`);
        return;
      }
      if (stopped()) return;
      for (const entry of changes) {
        const before = reported.get(statusKey(entry));
        if (before !== undefined) log(ACTOR, 'info', `Status of ${entry.componentName} (${entry.command}, cluster ${entry.clusterId}) changed from ${before} to ${entry.status}`);
        reported.set(statusKey(entry), entry.status);
      }
      log(ACTOR, 'debug', `Reported ${changes.length} component statuses`);
    };

    const stop = repeatEvery(intervalMs, pass, (err) => log(ACTOR, 'error', `Component status pass failed: ${errorText(err)}`));
    return () => {
      abort.abort();
      stop();
    };
  });
}
