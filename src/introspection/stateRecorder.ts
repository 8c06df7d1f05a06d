// Watches a running actor system through XState's inspection API and remembers what a viewer
// needs that snapshots do not carry: since when each actor is in its current state, and the
// last 200 events and state changes. Listeners hear of every change (the state page, `state
// --watch`); they are called at most once per turn of the event loop.
import type { AnyActorRef, InspectionEvent } from 'xstate';
import type { LoggedEvent } from './viewTypes.js';

export const MAX_EVENTS = 200;
const MAX_ACTORS = 1000;

/** A state value as one readable string: 'connected', 'online.registered', 'a.b, c.d' for parallel states. */
export function stateText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || typeof value !== 'object') return String(value);
  const parts: string[] = [];
  for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
    const inner = stateText(child);
    parts.push(inner === '' || (typeof child === 'object' && child !== null && Object.keys(child).length === 0) ? key : `${key}.${inner}`);
  }
  return parts.join(', ');
}

export class StateRecorder {
  private readonly entered = new Map<string, { value: string; since: number }>();
  private readonly log: LoggedEvent[] = [];
  private readonly listeners = new Set<() => void>();
  private notifyScheduled = false;

  constructor(private readonly now: () => number = Date.now) {}

  /** Pass to createActor({ inspect }). */
  readonly inspect = (event: InspectionEvent): void => {
    const ref = event.actorRef as AnyActorRef;
    if (event.type === '@xstate.snapshot') {
      const snapshot = event.snapshot as { value?: unknown; status?: string };
      if (snapshot.value === undefined) return;
      const value = stateText(snapshot.value);
      const before = this.entered.get(ref.sessionId);
      if (snapshot.status !== 'active') this.entered.delete(ref.sessionId);
      if (before?.value === value) return;
      if (snapshot.status === 'active') this.remember(ref.sessionId, value);
      this.push({ t: this.now(), actor: ref.id, kind: 'state', type: value, ...(before ? { detail: before.value } : {}) });
    } else if (event.type === '@xstate.event') {
      const type = String((event.event as { type?: unknown }).type);
      const source = (event.sourceRef as AnyActorRef | undefined)?.id;
      this.push({ t: this.now(), actor: ref.id, kind: 'event', type, ...(source && source !== ref.id ? { detail: `from ${source}` } : {}) });
    }
  };

  /**
   * Most recently changed last (Map order). Actors stopped from outside leave no trace in the
   * inspection stream, so the map is bounded: past MAX_ACTORS the least recently changed go.
   */
  private remember(sessionId: string, value: string): void {
    this.entered.delete(sessionId);
    this.entered.set(sessionId, { value, since: this.now() });
    for (const oldest of this.entered.keys()) {
      if (this.entered.size <= MAX_ACTORS) break;
      this.entered.delete(oldest);
    }
  }

  /** When the actor entered its current state (ms since the epoch), if it has states. */
  sinceOf(ref: AnyActorRef): number | undefined {
    return this.entered.get(ref.sessionId)?.since;
  }

  /** The recent events, oldest first. */
  events(): LoggedEvent[] {
    return [...this.log];
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private push(entry: LoggedEvent): void {
    this.log.push(entry);
    if (this.log.length > MAX_EVENTS) this.log.splice(0, this.log.length - MAX_EVENTS);
    if (this.listeners.size === 0 || this.notifyScheduled) return;
    this.notifyScheduled = true;
    setImmediate(() => {
      this.notifyScheduled = false;
      for (const listener of this.listeners) {
        try {
          listener();
        } catch {
          // a viewer's failure is the viewer's
        }
      }
    });
  }
}
