// Component status reports (the original's ComponentStatusExecutor): every
// status_commands_run_interval, run each status command of each component on this host, one at
// a time, and send /reports/component_status with the statuses that differ from what the server
// last acknowledged. The actor lives for one registration and starts knowing nothing reported,
// so its first pass reports everything (the original forces a full report after registering).
// A component with a command running is skipped, and checked (and reported) as soon as its last
// command ends, while the actor runs (componentActivity.ts).
import { fromCallback, type EventObject } from 'xstate';
import type { LogFn } from '../../logging/logger.js';
import type { ComponentActivity, ComponentRef } from '../commands/componentActivity.js';
import { acknowledged, componentsFromCaches, groupByCluster, repeatEvery, statusRunOf, type CacheReader, type HostComponent, type RunStatusFn, type SendFn } from '../host/hostComponents.js';
import { errorMessage } from '../../util/errorMessage.js';

export type { StatusRun } from '../host/hostComponents.js';

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
  /** The agent's record of which components have a command running. */
  activity: ComponentActivity;
  /**
   * Told each status that differs from the one last reported (ComponentStatusExecutor calls
   * the recovery manager's handle_status_change there), before it is sent.
   */
  onStatusChange?: (entry: ComponentStatusEntry) => void;
}

/** One status across passes: cluster, service, component and command. */
export const statusKey = (entry: Omit<ComponentStatusEntry, 'status'>): string => JSON.stringify([entry.clusterId, entry.serviceName, entry.componentName, entry.command]);

/** The results whose status differs from the one the server acknowledged (all, for an empty map). */
export function changedStatuses(results: readonly ComponentStatusEntry[], reported: ReadonlyMap<string, ComponentStatus>): ComponentStatusEntry[] {
  return results.filter((entry) => reported.get(statusKey(entry)) !== entry.status);
}

/** A status and the component's activity epoch when its check started (see ComponentActivity.epoch). */
interface Checked {
  entry: ComponentStatusEntry;
  epoch: number;
}

export function createComponentStatusReporter(options: ComponentStatusReporterOptions) {
  const { caches, hostname, runStatus, send, log, activity } = options;
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
    /** Busy components skipped, logged once per busy spell. */
    const skipped = new Set<string>();
    /**
     * One run at a time per status command of a component: the check after a command ended
     * may come while a pass checks the same one, and both would use the same command files.
     */
    const lanes = new Map<string, Promise<void>>();
    const inLane = <T>(key: string, job: () => Promise<T>): Promise<T> => {
      const run = (lanes.get(key) ?? Promise.resolve()).then(job);
      const tail = run.then(() => {}, () => {});
      lanes.set(key, tail);
      void tail.then(() => {
        if (lanes.get(key) === tail) lanes.delete(key);
      });
      return run;
    };
    /** No command for the component began or ended since the check, and none runs. */
    const isCurrent = ({ entry, epoch }: Checked) =>
      activity.epoch(entry.clusterId, entry.componentName) === epoch && !activity.busy(entry.clusterId, entry.componentName);

    /** The status, or undefined when a command for the component runs (by the time the lane is free). */
    const check = (component: HostComponent, command: string): Promise<Checked | undefined> => {
      const { componentName, serviceName, clusterId } = component;
      const key = statusKey({ clusterId, serviceName, componentName, command });
      return inLane(key, async () => {
        if (activity.busy(clusterId, componentName)) return undefined;
        const epoch = activity.epoch(clusterId, componentName);
        let status: ComponentStatus;
        try {
          // Exit code 0 is STARTED, anything else INSTALLED; SECURITY_STATUS is mapped the same
          // way (the original reads only the exit code for every status command).
          const { exitCode } = await runStatus(statusRunOf(component, command, abort.signal));
          status = exitCode === 0 ? 'STARTED' : 'INSTALLED';
          failing.delete(key);
        } catch (err) {
          status = 'INSTALLED';
          if (!stopped() && !failing.has(key)) {
            failing.add(key);
            log(ACTOR, 'warn', `Cannot run ${command} for ${componentName} (${serviceName}, cluster ${clusterId}): ${errorMessage(err)}; counted as INSTALLED`);
          }
        }
        return { entry: { componentName, serviceName, command, status, clusterId }, epoch };
      });
    };

    /**
     * Sends the statuses that are still current and differ from the acknowledged ones; resolves
     * with how many went (0: nothing to send), undefined when the send failed. A status whose
     * component had a command begin or end since its check is dropped, as
     * ComponentStatusExecutor.discard_stale_reports drops what a report=True check overtook.
     */
    const sendChanges = async (checked: readonly Checked[], what: (count: number) => string): Promise<number | undefined> => {
      const fresh = checked.filter(isCurrent);
      const changed = new Set(changedStatuses(fresh.map((c) => c.entry), reported));
      const changes = fresh.filter((c) => changed.has(c.entry));
      if (changes.length === 0) return 0;
      for (const c of changes) {
        try {
          options.onStatusChange?.(c.entry);
        } catch (err) {
          log(ACTOR, 'warn', `Status change of ${c.entry.componentName} not passed on: ${errorMessage(err)}`);
        }
      }
      try {
        const answer = await send(input.link, COMPONENT_STATUS_DESTINATION, { clusters: groupByCluster(changes.map((c) => c.entry)) });
        if (!acknowledged(answer)) throw new Error(`the server answered ${JSON.stringify(answer).slice(0, 200)}`);
      } catch (err) {
        // `reported` is unchanged, so the next pass sends these changes (with fresh statuses) again.
        if (!stopped()) log(ACTOR, 'warn', `Cannot send ${what(changes.length)}: ${errorMessage(err)}; sending them with the next pass`);
        return undefined;
      }
      if (stopped()) return changes.length;
      for (const c of changes) {
        const key = statusKey(c.entry);
        // Stale by now: what the server holds last is unknown, so the next pass sends it again.
        if (!isCurrent(c)) {
          reported.delete(key);
          continue;
        }
        const before = reported.get(key);
        if (before !== undefined) log(ACTOR, 'info', `Status of ${c.entry.componentName} (${c.entry.command}, cluster ${c.entry.clusterId}) changed from ${before} to ${c.entry.status}`);
        reported.set(key, c.entry.status);
      }
      return changes.length;
    };

    const pass = async () => {
      const checked: Checked[] = [];
      const current = new Set<string>();
      for (const component of componentsFromCaches(caches, hostname(), options.defaultTimeoutSeconds)) {
        const { clusterId, serviceName, componentName } = component;
        const busyKey = JSON.stringify([clusterId, componentName]);
        for (const command of component.statusCommands) {
          if (stopped()) return;
          current.add(statusKey({ clusterId, serviceName, componentName, command }));
          // Not while it starts, stops or does anything else (ComponentStatusExecutor.run).
          if (activity.busy(clusterId, componentName)) {
            if (!skipped.has(busyKey)) log(ACTOR, 'info', `Skipping status command for ${componentName}: a command for it is running`);
            skipped.add(busyKey);
            continue;
          }
          skipped.delete(busyKey);
          const result = await check(component, command);
          if (result) checked.push(result);
        }
      }
      if (stopped()) return;
      // Forget what left the topology, so that a component added back is reported afresh.
      for (const key of [...reported.keys()]) if (!current.has(key)) reported.delete(key);
      const sent = await sendChanges(checked, (count) => `${count} component statuses`);
      if (sent && !stopped()) log(ACTOR, 'debug', `Reported ${sent} component statuses`);
    };

    /**
     * A component's last running command ended: its STATUS is checked now and sent even if
     * unchanged (CustomServiceOrchestrator.runCommand resets the reported STATUS; ActionQueue
     * then calls check_component_status with report=True).
     */
    const afterCommand = async ({ clusterId, serviceName, componentName }: ComponentRef): Promise<void> => {
      if (stopped()) return;
      skipped.delete(JSON.stringify([clusterId, componentName]));
      const component = componentsFromCaches(caches, hostname(), options.defaultTimeoutSeconds).find(
        (c) => c.clusterId === clusterId && c.serviceName === serviceName && c.componentName === componentName,
      );
      // Not a component of this host (a service check, a client of another service's command).
      if (component === undefined) return;
      const command = 'STATUS';
      reported.delete(statusKey({ clusterId, serviceName, componentName, command }));
      const result = await check(component, command);
      // Stopped, or a new command began meanwhile (its end checks again).
      if (stopped() || result === undefined || !isCurrent(result)) return;
      const sent = await sendChanges([result], () => `the status of ${componentName}`);
      if (sent && !stopped()) log(ACTOR, 'info', `Status of ${componentName} (cluster ${clusterId}) after its command: ${result.entry.status}`);
    };
    const unsubscribe = activity.onIdle((component) => {
      afterCommand(component).catch((err: unknown) => {
        if (!stopped()) log(ACTOR, 'error', `Status check of ${component.componentName} after its command failed: ${errorMessage(err)}`);
      });
    });

    const stop = repeatEvery(intervalMs, pass, (err) => log(ACTOR, 'error', `Component status pass failed: ${errorMessage(err)}`));
    return () => {
      unsubscribe();
      abort.abort();
      stop();
    };
  });
}
