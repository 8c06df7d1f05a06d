// Recent happenings for a viewer: a ring of the last MAX_EVENTS LoggedEvents, and listeners
// told of every change (a view can also change without an event, e.g. a heartbeat count:
// changed()). Listeners are called at most once per turn of the event loop. Used by the
// agent's StateRecorder and the dev server's state source.
import type { LoggedEvent } from './viewTypes.js';

export const MAX_EVENTS = 200;

export class EventLog {
  private readonly ring: LoggedEvent[] = [];
  private readonly listeners = new Set<() => void>();
  private notifyScheduled = false;

  constructor(private readonly now: () => number = Date.now) {}

  /** Logs an event of `actor` and tells the listeners. */
  record(actor: string, kind: LoggedEvent['kind'], type: string, detail?: string): void {
    this.ring.push({ t: this.now(), actor, kind, type, ...(detail !== undefined ? { detail } : {}) });
    if (this.ring.length > MAX_EVENTS) this.ring.splice(0, this.ring.length - MAX_EVENTS);
    this.changed();
  }

  /** Oldest first. */
  events(): LoggedEvent[] {
    return [...this.ring];
  }

  /** Returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tells the listeners that something changed (soon, once for all changes of this turn). */
  changed(): void {
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
