// The dev server seen through the state page (src/introspection/statePage): a StateSource whose
// tree is the server (`devServer`, state `serving`) → one node per host (machine `host`: state
// registered | heartbeating | lost) → one node per task of that host (machine `task`: state =
// the task's status), with the two hand-written graphs of stateGraphs.ts and an EventLog of the
// notable happenings, fed from the host registry's and task store's change listeners (and the
// reports, which devServer.ts records). Beside the tree, a table per host of its latest alert
// results (name, state, text, timestamp) and one of its stale alerts, when it has any.
import type { ActorNode } from '../introspection/actorTree.js';
import type { StateSource, StateTable, StateView } from '../introspection/viewTypes.js';
import type { AlertReports } from './alertReports.js';
import { EventLog } from '../introspection/eventLog.js';
import { taskActorId } from '../machines/actionQueue.js';
import type { HostRecord, HostRegistry } from './hostRegistry.js';
import { hostGraph, taskGraph } from './stateGraphs.js';
import { FINAL_STATUSES, type Task, type TaskStore } from './taskStore.js';

/** The most recent tasks shown under each host. */
export const MAX_TASKS_PER_HOST = 50;

export interface ServerStateOptions {
  hosts: HostRegistry;
  tasks: TaskStore;
  /** The agents' alert results and stale alerts (tables per host). */
  alerts?: AlertReports;
  heartbeatIntervalMs: number;
  /** The server's own details (its ports), read at each view. */
  describe: () => Record<string, unknown>;
  title?: string;
  now?: () => number;
}

export interface ServerState {
  source: StateSource;
  events: EventLog;
  /** Stops listening to the registry and the store. */
  close(): void;
}

export function createServerState(options: ServerStateOptions): ServerState {
  const { hosts, tasks } = options;
  const now = options.now ?? Date.now;
  const events = new EventLog(now);
  const startedAt = now();
  /** When each host / task entered its current state, as seen while this server runs. */
  const since = new Map<string, number>();
  const machines = [hostGraph(options.heartbeatIntervalMs), taskGraph()];

  const unsubscribeHosts = hosts.subscribe(({ host, change, previous }) => {
    const id = host.host_name;
    if (change === 'registered') {
      since.set(id, now());
      events.record(id, 'event', 'REGISTER', host.connectionId ? `connection ${host.connectionId}` : undefined);
      if (previous !== 'registered') events.record(id, 'state', 'registered', previous);
    } else if (change === 'disconnected') {
      events.record(id, 'event', 'DISCONNECTED');
    } else if (previous !== host.state) {
      since.set(id, now());
      events.record(id, 'state', host.state, previous);
    } else {
      events.changed(); // a heartbeat: the counts changed
    }
  });
  const unsubscribeTasks = tasks.subscribe((task, previous) => {
    const id = taskActorId(task.task_id);
    if (previous === undefined) {
      since.set(id, now());
      events.record(id, 'event', 'CREATED', `${task.command} ${task.role} on ${task.host_name}`);
      events.record(id, 'state', task.status);
    } else if (previous !== task.status) {
      since.set(id, now());
      events.record(id, 'state', task.status, previous);
    } else {
      events.changed(); // output of a running task
    }
  });

  const taskNode = (task: Task): ActorNode => {
    const id = taskActorId(task.task_id);
    const context: Record<string, unknown> = { command: `${task.command} ${task.role}`, script: task.script_type };
    if (task.exit_code !== null) context.exitCode = task.exit_code;
    return {
      id,
      machine: 'task',
      status: FINAL_STATUSES.has(task.status) ? 'done' : 'active',
      state: task.status,
      since: since.get(id) ?? task.ended_at ?? task.started_at ?? task.created_at,
      context,
      children: [],
    };
  };

  const hostNode = (record: HostRecord): ActorNode => {
    const hostTasks = tasks.list(record.host_name);
    return {
      id: record.host_name,
      machine: 'host',
      status: 'active',
      state: record.state,
      since: since.get(record.host_name) ?? (record.state === 'heartbeating' ? record.last_heartbeat : null) ?? record.registered_at,
      context: {
        responseId: record.response_id,
        heartbeats: record.heartbeats,
        connected: record.connectionId !== null,
        lastHeartbeat: record.last_heartbeat === null ? 'never' : new Date(record.last_heartbeat).toISOString(),
        agentVersion: record.agent_version ?? 'unknown',
        tasks: hostTasks.length,
      },
      children: hostTasks.slice(-MAX_TASKS_PER_HOST).map(taskNode),
    };
  };

  const iso = (t: number) => new Date(t).toISOString();
  const alertTables = (): StateTable[] => {
    const reports = options.alerts;
    if (!reports) return [];
    return reports.hosts().flatMap((host) => {
      const tables: StateTable[] = [];
      const kept = reports.alertsOf(host);
      if (kept.length > 0) {
        tables.push({
          title: `alerts on ${host}`,
          columns: ['name', 'state', 'text', 'timestamp', 'count'],
          rows: kept.map((a) => [a.instance ? `${a.name} [${a.instance}]` : a.name, a.state, a.text, iso(a.last_timestamp), a.count]),
        });
      }
      const stale = reports.staleOf(host);
      if (stale.length > 0) tables.push({ title: `stale alerts on ${host}`, columns: ['definition id', 'name', 'last run'], rows: stale.map((s) => [s.id, s.name ?? '', iso(s.timestamp)]) });
      return tables;
    });
  };

  const view = (): StateView => {
    const hostList = hosts.list();
    return {
      title: options.title ?? 'ambari-dev-server',
      at: now(),
      tree: {
        id: 'devServer',
        machine: 'devServer',
        status: 'active',
        state: 'serving',
        since: startedAt,
        context: { ...options.describe(), hosts: hostList.length, tasks: tasks.list().length },
        children: hostList.map(hostNode),
      },
      events: events.events(),
      machines,
      tables: alertTables(),
    };
  };

  return {
    source: { view, subscribe: (listener) => events.subscribe(listener) },
    events,
    close: () => {
      unsubscribeHosts();
      unsubscribeTasks();
    },
  };
}
