// A promise actor that can be cancelled without being stopped. A `CANCEL` event sent to it
// aborts the `signal` its work was given (as stopping it does), and the actor still settles
// with what the work then returns (a killed process tree's exit code and output), which a
// stopped actor would drop. The AbortController belongs to the running actor, not to any
// machine's context, so contexts stay plain data.
import { fromPromise, type PromiseActorLogic } from 'xstate';

/** The event that cancels a running attempt. */
export type CancelAttemptEvent = { type: 'CANCEL' };

export interface CancellableWork<TInput> {
  input: TInput;
  /** Aborted by a CANCEL event or when the actor is stopped. */
  signal: AbortSignal;
}

export function fromCancellablePromise<TOutput, TInput>(work: (args: CancellableWork<TInput>) => PromiseLike<TOutput>): PromiseActorLogic<TOutput, TInput> {
  const cancels = new WeakMap<object, AbortController>();
  const logic = fromPromise<TOutput, TInput>(({ input, signal: stopped, self }) => {
    const cancel = new AbortController();
    cancels.set(self, cancel);
    return work({ input, signal: AbortSignal.any([stopped, cancel.signal]) });
  });
  return {
    ...logic,
    transition: (snapshot, event, scope) => {
      if (event.type !== 'CANCEL') return logic.transition(snapshot, event, scope);
      if (snapshot.status === 'active') cancels.get(scope.self)?.abort();
      return snapshot;
    },
  };
}
