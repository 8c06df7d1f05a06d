// A plain-data picture of the running actor system: every actor's id, machine, status, state
// and the useful part of its context. Used by SIGUSR1 (into the log) and the control channel.
import type { AnyActorRef } from 'xstate';

export interface ActorNode {
  id: string;
  machine?: string;
  status: string;
  state?: unknown;
  /** When the actor entered its current state (ms since the epoch), when a recorder knows it. */
  since?: number;
  context?: Record<string, unknown>;
  children: ActorNode[];
}

export interface DescribeOptions {
  /** When each actor entered its current state (see StateRecorder.sinceOf). */
  sinceOf?: (ref: AnyActorRef) => number | undefined;
}

// Context keys that are inputs copied for children or too bulky to be useful in a dump (a
// command's full JSON and output; its label, state and attempts say what it is doing).
const HIDDEN_KEYS = new Set(['cleaner', 'command', 'last', 'report', 'known', 'kinds']);
const MAX_ARRAY = 10;

export function describeActor(ref: AnyActorRef, options: DescribeOptions = {}): ActorNode {
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
  const since = snapshot.value !== undefined ? options.sinceOf?.(ref) : undefined;
  if (since !== undefined) node.since = since;
  if (snapshot.context && typeof snapshot.context === 'object') node.context = plainContext(snapshot.context as Record<string, unknown>);
  for (const child of Object.values(snapshot.children ?? {})) {
    if (child) node.children.push(describeActor(child, options));
  }
  return node;
}

const MAX_DEPTH = 4;

/** The JSON-safe, depth-limited part of a context (live objects and bulky keys left out). */
export function plainContext(context: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(context)) {
    if (HIDDEN_KEYS.has(key)) continue;
    const plain = toPlain(value, MAX_DEPTH, new Set());
    if (plain !== undefined) out[key] = plain;
  }
  return out;
}

/**
 * A JSON-safe copy of context data: primitives, arrays and plain objects, at most `depth`
 * levels deep, cycles cut. Live objects (actor refs, sockets, timers, class instances,
 * anything holding them) are left out: a dump must never fail on what it finds.
 */
function toPlain(value: unknown, depth: number, seen: Set<object>): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value !== 'object' || seen.has(value) || isActorRef(value)) return undefined;
  if (Array.isArray(value)) {
    if (depth === 0) return `[${value.length} items]`;
    seen.add(value);
    const items = value.slice(0, MAX_ARRAY).map((item) => toPlain(item, depth - 1, seen) ?? null);
    seen.delete(value);
    return value.length > MAX_ARRAY ? [...items, `… ${value.length - MAX_ARRAY} more`] : items;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return undefined;
  if (holdsLiveObject(value as Record<string, unknown>)) return undefined;
  if (depth === 0) return '{…}';
  seen.add(value);
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const plain = toPlain(item, depth - 1, seen);
    if (plain !== undefined) out[key] = plain;
  }
  seen.delete(value);
  return out;
}

/** A plain object whose own values include live objects (a connection bundle, say). */
function holdsLiveObject(value: Record<string, unknown>): boolean {
  return Object.values(value).some((item) => {
    if (typeof item !== 'object' || item === null || Array.isArray(item)) return false;
    const prototype = Object.getPrototypeOf(item);
    return prototype !== Object.prototype && prototype !== null;
  });
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


/** The root's top-level state name, as `ambari-agent status` prints it (`State: connected`). */
export function topLevelState(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object') return Object.keys(value)[0] ?? 'unknown';
  return 'unknown';
}
