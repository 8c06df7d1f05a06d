// The dev server's two kinds of "actors" as machine graphs for its state page: a host as the
// server sees it (hostRegistry.ts) and a task (taskStore.ts). Hand-written: these are records
// with a status, not XState machines, so the graphs say in the state page's terms what moves them.
import type { MachineGraph, StateGraphNode } from '../introspection/viewTypes.js';
import { LOST_AFTER_INTERVALS } from './hostRegistry.js';

type Transition = StateGraphNode['transitions'][number];

const state = (key: string, transitions: Transition[], type: StateGraphNode['type'] = 'atomic'): StateGraphNode => ({
  key,
  path: key,
  type,
  children: [],
  transitions,
  invokes: [],
});
const on = (event: string, target: string, guard?: string): Transition => ({ event, targets: [target], ...(guard ? { guard } : {}) });

/** registered → heartbeating → lost (no heartbeat for LOST_AFTER_INTERVALS intervals) → registered on re-registration. */
export function hostGraph(heartbeatIntervalMs: number): MachineGraph {
  const lost = on(`after ${heartbeatIntervalMs * LOST_AFTER_INTERVALS}ms`, 'lost', 'no heartbeat');
  return {
    id: 'host',
    root: {
      key: '',
      path: '',
      type: 'compound',
      initial: 'registered',
      transitions: [],
      invokes: [],
      children: [
        state('registered', [on('HEARTBEAT', 'heartbeating'), lost, on('REGISTER', 'registered')]),
        state('heartbeating', [on('HEARTBEAT', 'heartbeating'), lost, on('REGISTER', 'registered')]),
        state('lost', [on('REGISTER', 'registered'), on('HEARTBEAT', 'heartbeating')]),
      ],
    },
  };
}

/** PENDING → QUEUED (sent) → IN_PROGRESS → COMPLETED | FAILED | TIMEDOUT (the agent's reports); ABORTED through the API. */
export function taskGraph(): MachineGraph {
  const finals = ['COMPLETED', 'FAILED', 'TIMEDOUT'];
  const reports = (from: string[]) => from.map((status) => on(`REPORT ${status}`, status));
  return {
    id: 'task',
    root: {
      key: '',
      path: '',
      type: 'compound',
      initial: 'PENDING',
      transitions: [],
      invokes: [],
      children: [
        state('PENDING', [on('SENT', 'QUEUED'), on('ABORT', 'ABORTED')]),
        state('QUEUED', [...reports(['IN_PROGRESS', ...finals]), on('ABORT', 'ABORTED')]),
        state('IN_PROGRESS', [on('REPORT IN_PROGRESS', 'IN_PROGRESS'), ...reports(finals), on('ABORT', 'ABORTED')]),
        ...[...finals, 'ABORTED'].map((status) => state(status, [], 'final')),
      ],
    },
  };
}
