// A plain-data picture of the running actor system: every actor's id, machine, status, state
// and the useful part of its context. Used by SIGUSR1 (into the log) and the control channel.
import type { AnyActorRef } from 'xstate';

export interface ActorNode {
  id: string;
  machine?: string;
  status: string;
  state?: unknown;
  context?: Record<string, unknown>;
  children: ActorNode[];
}

// Context keys that are inputs copied for children or too bulky to be useful in a dump.
const HIDDEN_KEYS = new Set(['cleaner']);
const MAX_ARRAY = 10;

export function describeActor(ref: AnyActorRef): ActorNode {
  const snapshot = ref.getSnapshot() as {
    status: string;
    value?: unknown;
    context?: unknown;
    children?: Record<string, AnyActorRef>;
    machine?: { id: string };
  };
  const node: ActorNode = { id: ref.id, status: snapshot.status, children: [] };
  if (snapshot.machine) node.machine = snapshot.machine.id;
  if (snapshot.value !== undefined) node.state = snapshot.value;
  if (snapshot.context && typeof snapshot.context === 'object') node.context = summarise(snapshot.context as Record<string, unknown>);
  for (const child of Object.values(snapshot.children ?? {})) {
    if (child) node.children.push(describeActor(child));
  }
  return node;
}

function summarise(context: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(context)) {
    if (HIDDEN_KEYS.has(key) || value === undefined || typeof value === 'function') continue;
    // Actor refs and live objects (connections, caches) are not state worth printing.
    if (isActorRef(value) || isLiveObject(value)) continue;
    out[key] = Array.isArray(value) && value.length > MAX_ARRAY ? [...value.slice(0, MAX_ARRAY), `… ${value.length - MAX_ARRAY} more`] : value;
  }
  return out;
}

function isLiveObject(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype !== Object.prototype && prototype !== null;
}

function isActorRef(value: unknown): boolean {
  return typeof value === 'object' && value !== null && 'sessionId' in value && 'send' in value;
}

/** The first actor with this id, depth first. */
export function findActor(node: ActorNode, id: string): ActorNode | undefined {
  if (node.id === id) return node;
  for (const child of node.children) {
    const found = findActor(child, id);
    if (found) return found;
  }
  return undefined;
}

/** Indented text, one actor per line: `id (machine): state {context}`. */
export function formatActorTree(node: ActorNode, depth = 0): string {
  const state = node.state === undefined ? node.status : typeof node.state === 'string' ? node.state : JSON.stringify(node.state);
  const machine = node.machine ? ` (${node.machine})` : '';
  const context = node.context && Object.keys(node.context).length > 0 ? ` ${JSON.stringify(node.context)}` : '';
  const line = `${'  '.repeat(depth)}${node.id}${machine}: ${state}${context}`;
  return [line, ...node.children.map((child) => formatActorTree(child, depth + 1))].join('\n');
}

/** The root's top-level state name, as `ambari-agent status` prints it (`State: connected`). */
export function topLevelState(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') return Object.keys(value)[0] ?? 'unknown';
  return 'unknown';
}
