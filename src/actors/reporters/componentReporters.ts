// The component status and version reporters as the agent (daemon/wiring.ts) and each simulated
// host (simulator/simulatedHost.ts) make them: the same ini keys, and each changed status told
// to the recovery feed before it is sent.
import type { StatusChanges } from '../recovery/recoveryFeed.js';
import { createComponentStatusReporter, type ComponentStatusReporterOptions } from './componentStatusReporter.js';
import { createComponentVersionReporter } from './componentVersionReporter.js';

export interface ComponentReportersSettings extends Omit<ComponentStatusReporterOptions, 'intervalSeconds' | 'defaultTimeoutSeconds' | 'onStatusChange'> {
  /** [agent] status_commands_run_interval (0: no status reports) and status_command_timeout. */
  agent: { status_commands_run_interval: number; status_command_timeout: number };
  statusChanges: StatusChanges;
}

export function createComponentReporters(settings: ComponentReportersSettings) {
  const { agent, statusChanges, activity, ...shared } = settings;
  return {
    componentStatus: createComponentStatusReporter({
      ...shared,
      activity,
      intervalSeconds: agent.status_commands_run_interval,
      defaultTimeoutSeconds: agent.status_command_timeout,
      onStatusChange: (entry) => statusChanges.emit(entry),
    }),
    componentVersion: createComponentVersionReporter({ ...shared, defaultTimeoutSeconds: agent.status_command_timeout }),
  };
}
