import type { AnyActorRef } from 'xstate';

/**
 * The id to log under for an actor a stage machine invokes: the stage's own id (`discovery`,
 * `preflight`), since the invoked actor's id is generated (`0.discovery.probing`).
 */
export function stageIdOf(self: AnyActorRef): string {
  return self._parent?.id ?? self.id;
}
