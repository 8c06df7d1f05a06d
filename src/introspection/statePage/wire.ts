// What the state page's server sends: a StateView with each actor turned into a display node
// (state as text, the active state paths for the diagrams, time in state, details).
//
// Wire format (GET /state.json, and the `data` of each `view` event on GET /events):
//
//   PageView = {
//     title: string,               // what is shown ("ambari-dev-server", "ambari-agent vm (pid 4242)")
//     at: number,                  // ms since the epoch when the view was taken (server clock)
//     tree: PageNode,              // the actor tree
//     events: LoggedEvent[],       // the most recent events, OLDEST FIRST, at most 200 (viewTypes.ts)
//     machines?: MachineGraph[],   // the machine definitions (viewTypes.ts); always in /state.json and
//                                  // in the first event of a stream, later events only when changed
//     tables?: StateTable[],       // {title, columns, rows} (viewTypes.ts), when the source has any
//   }
//   PageNode = {
//     id: string, machine?: string, status: string,   // status: active | done | error | stopped
//     state?: string,              // the state value as text: 'connected', 'online.registered'
//     paths: string[],             // active state paths: {online: 'registered'} -> ['', 'online', 'online.registered']
//                                  // ([] for actors without states)
//     since?: number,              // when it entered that state (ms since the epoch), when known
//     inStateMs?: number,          // at - since
//     details: Record<string, string | number | boolean | number[]>,
//     children: PageNode[],
//   }
//
// Details are stateReport.ts's detailsOf (the facts that matter per agent machine); for a
// machine detailsOf does not know (the dev server's `host` and `task`) they are the context's
// plain fields (strings, numbers, booleans, number lists; at most MAX_FALLBACK_DETAILS).
import type { ActorNode } from '../actorTree.js';
import { stateReportNode } from '../stateReport.js';
import type { LoggedEvent, MachineGraph, StateTable, StateView } from '../viewTypes.js';

export type DetailValue = string | number | boolean | number[];

export interface PageNode {
  id: string;
  machine?: string;
  status: string;
  state?: string;
  paths: string[];
  since?: number;
  inStateMs?: number;
  details: Record<string, DetailValue>;
  children: PageNode[];
}

export interface PageView {
  title: string;
  at: number;
  tree: PageNode;
  events: LoggedEvent[];
  machines?: MachineGraph[];
  tables?: StateTable[];
}

const MAX_FALLBACK_DETAILS = 12;
const MAX_DETAIL_TEXT = 120;

/** Every active state path of a state value, the root ('') first; [] without a value. */
export function activePaths(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const paths = [''];
  const walk = (node: unknown, prefix: string): void => {
    const join = (key: string) => (prefix === '' ? key : `${prefix}.${key}`);
    if (typeof node === 'string') paths.push(join(node));
    else if (typeof node === 'object' && node !== null) {
      for (const [key, child] of Object.entries(node)) {
        paths.push(join(key));
        walk(child, join(key));
      }
    }
  };
  walk(value, '');
  return paths;
}

/** A context's plain fields, for machines detailsOf has nothing for. */
function plainDetails(context: Record<string, unknown> | undefined): Record<string, DetailValue> {
  const out: Record<string, DetailValue> = {};
  for (const [key, value] of Object.entries(context ?? {})) {
    if (Object.keys(out).length >= MAX_FALLBACK_DETAILS) break;
    if (typeof value === 'string') out[key] = value.length > MAX_DETAIL_TEXT ? `${value.slice(0, MAX_DETAIL_TEXT)}…` : value;
    else if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean') out[key] = value;
    else if (Array.isArray(value) && value.length <= 20 && value.every((item) => typeof item === 'number')) out[key] = value as number[];
  }
  return out;
}

/** The state report's node (stateReport.ts), plus the active paths and, for machines it has no details for, the plain context fields. */
export function pageNode(node: ActorNode, now: number): PageNode {
  const { children: _children, ...report } = stateReportNode({ ...node, children: [] }, now);
  return {
    ...report,
    paths: activePaths(node.state),
    details: Object.keys(report.details).length > 0 ? report.details : plainDetails(node.context),
    children: node.children.map((child) => pageNode(child, now)),
  };
}

/** The wire form of a view; `withMachines: false` leaves the machine graphs out. */
export function pageView(view: StateView, withMachines = true): PageView {
  const out: PageView = { title: view.title, at: view.at, tree: pageNode(view.tree, view.at), events: view.events.slice(-200) };
  if (withMachines) out.machines = view.machines;
  if (view.tables !== undefined) out.tables = view.tables;
  return out;
}
