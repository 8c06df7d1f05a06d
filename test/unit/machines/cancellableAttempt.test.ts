import { describe, expect, it } from 'vitest';
import { createActor, createMachine, sendTo, waitFor } from 'xstate';
import { fromCancellablePromise } from '../../../src/machines/cancellableAttempt.js';

/** Work that runs until its signal is aborted, then settles with why. */
const untilAborted = fromCancellablePromise<string, { name: string }>(({ input, signal }) =>
  new Promise((resolve) => signal.addEventListener('abort', () => resolve(`${input.name} aborted`), { once: true })));

describe('fromCancellablePromise', () => {
  it('CANCEL aborts the signal and the actor still settles with what the work returns', async () => {
    const actor = createActor(untilAborted, { input: { name: 'a' } }).start();
    expect(actor.getSnapshot().status).toBe('active');
    actor.send({ type: 'CANCEL' });
    await waitFor(actor, (s) => s.status === 'done');
    expect(actor.getSnapshot().output).toBe('a aborted');
  });

  it('a stop aborts the signal too; other events do nothing', async () => {
    let seen: AbortSignal | undefined;
    const logic = fromCancellablePromise<void, void>(({ signal }) => {
      seen = signal;
      return new Promise(() => {});
    });
    const actor = createActor(logic).start();
    actor.send({ type: 'OTHER' });
    expect(seen!.aborted).toBe(false);
    actor.stop();
    expect(seen!.aborted).toBe(true);
  });

  it('a parent cancels its invoked attempt by id and gets its output on done', async () => {
    let parentOut: string | undefined;
    const parent = createActor(
      createMachine({
        types: {} as { events: { type: 'STOP_IT' } },
        initial: 'working',
        states: {
          working: {
            invoke: { id: 'work', src: untilAborted, input: { name: 'child' }, onDone: { target: 'done', actions: ({ event }) => { parentOut = event.output as string; } } },
            on: { STOP_IT: { actions: sendTo('work', { type: 'CANCEL' }) } },
          },
          done: { type: 'final' },
        },
      }),
    ).start();
    parent.send({ type: 'STOP_IT' });
    await waitFor(parent, (s) => s.status === 'done');
    expect(parentOut).toBe('child aborted');
  });
});
