// Watches a running actor system through XState's inspection API and remembers what a viewer
// needs that snapshots do not carry: since when each actor is in its current state, and the
// last 200 events and state changes. Listeners hear of every change (the state page, `state
// --watch`); they are called at most once per turn of the event loop.
import type { AnyActorRef, InspectionEvent } from 'xstate';
import { EventLog } from './eventLog.js';
import type { LoggedEvent } from './viewTypes.js';

export { MAX_EVENTS } from './eventLog.js';
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
  private readonly log: EventLog;

  constructor(private readonly now: () => number = Date.now) {
    this.log = new EventLog(now);
  }

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
      this.log.record(ref.id, 'state', value, before?.value);
    } else if (event.type === '@xstate.event') {
      const type = String((event.event as { type?: unknown }).type);
      const source = (event.sourceRef as AnyActorRef | undefined)?.id;
      this.log.record(ref.id, 'event', type, source && source !== ref.id ? `from ${source}` : undefined);
    }
  };

  /**
   * Most recently changed last (Map order). Ended and stopped actors are dropped when their
   * last snapshot passes by; as a safeguard the map is also bounded: past MAX_ACTORS the least
   * recently changed go.
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
    return this.log.events();
  }

  subscribe(listener: () => void): () => void {
    return this.log.subscribe(listener);
  }
}
