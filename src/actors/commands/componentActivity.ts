// Which components have a command running on this host now (CustomServiceOrchestrator's
// commands_for_component_in_progress). Counts, not flags: with parallel_execution=1 two commands
// of one component can run at once, and the component is busy until the last one ends.
// The component status reporter skips a busy component (ComponentStatusExecutor.run) and checks
// it as soon as it is idle again (ActionQueue.execute_command's check_component_status with
// report=True). Created once per agent: it outlives sessions, as the action queue does.
import { isClusterCommand } from './commandJson.js';

/** One component of one cluster, as a command names it. */
export interface ComponentRef {
  clusterId: string;
  /** '' when the command has none (its component then matches no topology entry). */
  serviceName: string;
  componentName: string;
}

export type IdleListener = (component: ComponentRef) => void;

/**
 * The component an execution command keeps busy, or undefined: status commands never count
 * (the original leaves them out), nor commands without a real cluster or a role.
 */
export function busyingComponent(command: { clusterId?: unknown; serviceName?: unknown; role?: unknown; commandType?: unknown }): ComponentRef | undefined {
  if (command.commandType === 'STATUS_COMMAND' || !isClusterCommand(command.clusterId)) return undefined;
  if (typeof command.role !== 'string' || command.role === '') return undefined;
  const serviceName = typeof command.serviceName === 'string' && command.serviceName !== 'null' ? command.serviceName : '';
  return { clusterId: String(command.clusterId), serviceName, componentName: command.role };
}

const keyOf = (clusterId: string, componentName: string): string => JSON.stringify([clusterId, componentName]);

export class ComponentActivity {
  private readonly counts = new Map<string, number>();
  private readonly epochs = new Map<string, number>();
  private readonly listeners = new Set<IdleListener>();

  /**
   * A command for the component starts. Returns its end, which may be called more than once
   * (only the first counts): when the last running command of the component ends, the idle
   * listeners are told.
   */
  begin(component: ComponentRef): () => void {
    const key = keyOf(component.clusterId, component.componentName);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    this.bump(key);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      const left = (this.counts.get(key) ?? 1) - 1;
      if (left > 0) this.counts.set(key, left);
      else this.counts.delete(key);
      this.bump(key);
      if (left > 0) return;
      // A copy: a listener may unsubscribe while being told.
      for (const listener of [...this.listeners]) listener({ ...component });
    };
  }

  /** Whether a command for the component is running (CustomServiceOrchestrator.commandsRunningForComponent). */
  busy(clusterId: string, componentName: string): boolean {
    return (this.counts.get(keyOf(clusterId, componentName)) ?? 0) > 0;
  }

  /**
   * Changes on every begin and end of a command for the component: a status checked while the
   * epoch was different is stale (a command may have changed it since).
   */
  epoch(clusterId: string, componentName: string): number {
    return this.epochs.get(keyOf(clusterId, componentName)) ?? 0;
  }

  /** Told (synchronously, from the ending command's clean-up) when a component becomes idle; returns the unsubscribe. Must not throw. */
  onIdle(listener: IdleListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  private bump(key: string): void {
    this.epochs.set(key, (this.epochs.get(key) ?? 0) + 1);
  }
}
