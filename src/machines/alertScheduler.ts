// The alert scheduler (the original's AlertSchedulerHandler): one `alert` actor per definition
// this host runs, kept in step with the alert definitions cache. Every change of the cache
// (CREATE, UPDATE, DELETE, or the cache loaded at start) arrives as one DEFINITIONS event with
// the whole list of schedulable definitions; the scheduler stops the actors of definitions
// that left, starts the new ones, and passes a changed definition to its actor, so the other
// alerts are not disturbed. Which definitions are schedulable (enabled, of a kind this agent
// runs) is decided by the feed that sends the list.
import { enqueueActions, fromCallback, setup, stopChild, type EventObject } from 'xstate';
import type { AlertDefinition } from '../actors/alerts/alertTypes.js';
import { alertMachine } from './alert.js';
import { logNowhere, type LogParams } from './logParams.js';

/** The scheduler's actor id and systemId under the supervisor. */
export const ALERT_SCHEDULER_ID = 'alerts';

export interface ScheduledDefinition {
  /** The cache's key of the definition's cluster. */
  clusterId: string;
  definition: AlertDefinition;
  /** Between two checks. */
  intervalMs: number;
}

export type AlertSchedulerEvent =
  | { type: 'DEFINITIONS'; definitions: ScheduledDefinition[] }
  /** The alert execution command: check these definitions now (by name, in any cluster). */
  | { type: 'RUN_NOW'; names: string[] };

type AlertActorId = `alert-${string}`;

export interface AlertSchedulerContext {
  /** What each running alert actor was given, by actor id (plain data: the refs are the children). */
  scheduled: Record<AlertActorId, ScheduledDefinition>;
  /** DEFINITIONS events taken. */
  updates: number;
}

/** One actor per (cluster, definitionId): the id names the alert for the state page too. */
export const alertActorId = ({ clusterId, definition }: ScheduledDefinition): AlertActorId => `alert-${clusterId}-${definition.definitionId}`;

const sameDefinition = (a: AlertDefinition, b: AlertDefinition) => JSON.stringify(a) === JSON.stringify(b);

export const alertSchedulerMachine = setup({
  types: { context: {} as AlertSchedulerContext, events: {} as AlertSchedulerEvent },
  actors: {
    alert: alertMachine,
    /** Sends DEFINITIONS to its parent now and whenever the alert definitions cache changes. */
    definitions: fromCallback<EventObject>(() => {}),
  },
  actions: {
    log: logNowhere as (args: unknown, params: LogParams) => void,
    reconcile: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'DEFINITIONS') return;
      const wanted = new Map(event.definitions.map((entry) => [alertActorId(entry), entry] as const));
      const scheduled: Record<AlertActorId, ScheduledDefinition> = {};
      const [started, changed, stopped] = [[] as string[], [] as string[], [] as string[]];
      for (const [id, entry] of Object.entries(context.scheduled) as [AlertActorId, ScheduledDefinition][]) {
        if (wanted.has(id)) continue;
        enqueue(stopChild(id));
        stopped.push(entry.definition.name);
      }
      for (const [id, entry] of wanted) {
        scheduled[id] = entry;
        const before = context.scheduled[id];
        if (!before) {
          enqueue.spawnChild('alert', { id, input: { definition: entry.definition, clusterId: entry.clusterId, intervalMs: entry.intervalMs } });
          started.push(entry.definition.name);
        } else if (before.intervalMs !== entry.intervalMs || !sameDefinition(before.definition, entry.definition)) {
          enqueue.sendTo(id, { type: 'DEFINITION.CHANGED', definition: entry.definition, intervalMs: entry.intervalMs });
          changed.push(entry.definition.name);
        }
      }
      enqueue.assign({ scheduled, updates: context.updates + 1 });
      const parts = [
        started.length > 0 ? `scheduled ${started.length} (${preview(started)})` : '',
        changed.length > 0 ? `changed ${changed.length} (${preview(changed)})` : '',
        stopped.length > 0 ? `stopped ${stopped.length} (${preview(stopped)})` : '',
      ].filter(Boolean);
      if (parts.length > 0) enqueue({ type: 'log', params: { level: 'info', msg: `Alert definitions: ${parts.join(', ')}; ${wanted.size} alert(s) scheduled` } });
    }),
    runNow: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'RUN_NOW') return;
      const ids = (Object.entries(context.scheduled) as [AlertActorId, ScheduledDefinition][]).filter(([, entry]) => event.names.includes(entry.definition.name)).map(([id]) => id);
      for (const id of ids) enqueue.sendTo(id, { type: 'RUN_NOW' });
      if (ids.length < event.names.length) enqueue({ type: 'log', params: { level: 'warn', msg: `Run-now of alert(s) ${event.names.join(', ')}: ${event.names.length - ids.length} not scheduled on this host` } });
    }),
  },
}).createMachine({
  id: 'alertScheduler',
  context: { scheduled: {}, updates: 0 },
  invoke: { id: 'definitions', src: 'definitions' },
  initial: 'waiting',
  states: {
    waiting: {
      description: 'No alert definitions yet: the cache is empty until the server sends them.',
      on: {
        DEFINITIONS: { target: 'scheduling', actions: 'reconcile' },
      },
    },
    scheduling: {
      description: 'Every schedulable definition has its alert actor; cache changes start, change or stop them.',
      on: {
        DEFINITIONS: { actions: 'reconcile' },
        RUN_NOW: { actions: 'runNow' },
      },
    },
  },
});

function preview(names: string[]): string {
  return names.length <= 5 ? names.join(', ') : `${names.slice(0, 5).join(', ')}, ...`;
}
