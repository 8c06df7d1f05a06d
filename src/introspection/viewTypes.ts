// Plain-data shapes shared by everything that shows the inside of a running system: the
// `state` and `machines` commands, SIGUSR1 dumps, the state page (agent and dev server).
import type { ActorNode } from './actorTree.js';

/** One state node of a machine definition, as a diagram needs it. */
export interface StateGraphNode {
  /** The state's key in its parent ('' for the machine's root). */
  key: string;
  /** Dotted path from the root ('' for the root, 'online.registered' for a nested state). */
  path: string;
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  /** What the agent does or waits for in this state (the machine's `description:`). */
  description?: string;
  /** Key of the initial child state (compound states). */
  initial?: string;
  children: StateGraphNode[];
  /**
   * Transitions leaving this state; targets are paths. Delayed ones read `after 10000ms`.
   * `label`: how diagrams write it (`done(connect) [guard]`, as `ambari-agent machines` does);
   * absent in hand-written graphs, which then show the event and guard as they are.
   */
  transitions: Array<{ event: string; targets: string[]; guard?: string; label?: string }>;
  /** What the state invokes (actor source names). */
  invokes: string[];
}

/** A machine definition as a graph (see machineGraph.ts). */
export interface MachineGraph {
  /** The machine's id, as ActorNode.machine names it. */
  id: string;
  root: StateGraphNode;
}

/** One line of the recent-events log. */
export interface LoggedEvent {
  /** ms since the epoch. */
  t: number;
  /** The actor it happened to (its id). */
  actor: string;
  /** `event`: an event the actor received; `state`: the actor changed state. */
  kind: 'event' | 'state';
  /** The event type, or the new state value. */
  type: string;
  /** For `state`: the previous value; for `event`: who sent it, when known. */
  detail?: string;
}

/** A table beside the tree (the dev server's alerts per host): text cells, one row per entry. */
export interface StateTable {
  title: string;
  columns: string[];
  rows: Array<Array<string | number>>;
}

/** Everything a viewer shows at one moment. */
export interface StateView {
  /** What is shown ("ambari-agent vm (pid 4242)", "ambari-dev-server"). */
  title: string;
  /** ms since the epoch when the view was taken. */
  at: number;
  tree: ActorNode;
  /** The most recent events, oldest first (at most 200). */
  events: LoggedEvent[];
  machines: MachineGraph[];
  /** Tables shown below the tree, when the source has any. */
  tables?: StateTable[];
}

/** A live system seen from outside: its current view, and a call on every change. */
export interface StateSource {
  view(): StateView;
  /** `listener` is called after changes (possibly batched); returns the unsubscribe function. */
  subscribe(listener: () => void): () => void;
}
