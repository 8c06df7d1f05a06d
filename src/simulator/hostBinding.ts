// One set of machine definitions for all the simulated hosts of a run, each host's effects
// found through its actor system: `.provide()` per host would copy every machine of the
// supervisor tree (about 130 KB a host). An actor's `system` is its host's root's, so an
// implementation looks its host up there; a logic object delegates every call to the host's
// own logic (the ActorLogic interface XState documents for custom logic).
import type { ActorLogic, ActorScope, ActorSystem, AnyActorLogic, EventObject, Snapshot } from 'xstate';

// ActorSystem of any actor (xstate exports no AnyActorSystem).
type AnyActorSystem = ActorSystem<any>;

const hosts = new WeakMap<AnyActorSystem, unknown>();

/** Binds a host's effects to its root actor's system (before the actor starts). */
export function bindHost<T>(system: AnyActorSystem, effects: T): void {
  hosts.set(system, effects);
}

export function hostOf<T>(system: AnyActorSystem): T {
  const effects = hosts.get(system);
  if (effects === undefined) throw new Error('no simulated host is bound to this actor system');
  return effects as T;
}

/**
 * Logic that behaves as `pick(host's effects)` for each actor, by its system. `sample` serves
 * getPersistedSnapshot, the one call without an actor scope (the same for every host's logic
 * of one kind).
 */
export function perHost<T, L extends AnyActorLogic>(pick: (effects: T) => L, sample: () => T): L {
  type S = Snapshot<unknown>;
  const logicOf = (scope: { system: AnyActorSystem }) => pick(hostOf<T>(scope.system)) as unknown as ActorLogic<S, EventObject, unknown>;
  const delegate: ActorLogic<S, EventObject, unknown> = {
    transition: (snapshot, event, scope) => logicOf(scope).transition(snapshot, event, scope),
    getInitialSnapshot: (scope, input) => logicOf(scope).getInitialSnapshot(scope, input),
    start: (snapshot, scope) => logicOf(scope).start?.(snapshot, scope as ActorScope<S, EventObject>),
    getPersistedSnapshot: (snapshot, options) => (pick(sample()) as unknown as ActorLogic<S, EventObject, unknown>).getPersistedSnapshot(snapshot, options),
  };
  return delegate as unknown as L;
}
