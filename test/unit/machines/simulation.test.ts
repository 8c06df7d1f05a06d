// The simulation machine on a SimulatedClock: the ramp's pace, and STOP from any state.
import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, SimulatedClock } from 'xstate';
import { dueByTick, RAMP_TICK_MS, simulationMachine } from '../../../src/machines/simulation.js';

/** Tick by tick: each tick's timer is set when the one before fires. */
function advance(clock: SimulatedClock, ms: number) {
  for (let t = 0; t < ms; t += RAMP_TICK_MS) clock.increment(RAMP_TICK_MS);
}

function run(agents: number, rampPerSecond: number) {
  const clock = new SimulatedClock();
  const starts: number[] = [];
  const stops: string[] = [];
  let finishStop: () => void = () => {};
  const actor = createActor(
    simulationMachine.provide({
      actions: { startHosts: (_, { count }) => starts.push(count) },
      actors: {
        stopHosts: fromPromise(async ({ input }) => {
          stops.push(input.reason);
          await new Promise<void>((resolve) => (finishStop = resolve));
        }),
      },
    }),
    { input: { agents, rampPerSecond }, clock },
  );
  actor.start();
  return { actor, clock, starts, stops, finish: () => finishStop() };
}

describe('simulation machine', () => {
  it('starts rampPerSecond hosts a second, then runs', () => {
    const { actor, clock, starts } = run(25, 10);
    // One at once, then one a tick (10 a second).
    expect(starts).toEqual([1]);
    clock.increment(RAMP_TICK_MS);
    expect(starts.reduce((a, b) => a + b)).toBe(2);
    advance(clock, RAMP_TICK_MS * 8);
    expect(starts.reduce((a, b) => a + b)).toBe(10);
    expect(actor.getSnapshot().value).toBe('ramping');
    advance(clock, 1500);
    expect(starts.reduce((a, b) => a + b)).toBe(25);
    expect(actor.getSnapshot().value).toBe('running');
    advance(clock, 10_000);
    expect(starts.reduce((a, b) => a + b)).toBe(25);
  });

  it('starts several hosts a tick at a fast ramp, never more than asked', () => {
    expect(dueByTick(1, 1000, 5000)).toBe(100);
    expect(dueByTick(3, 1000, 250)).toBe(250);
    expect(dueByTick(1, 0.5, 10)).toBe(1);
    expect(dueByTick(20, 0.5, 10)).toBe(1);
    expect(dueByTick(21, 0.5, 10)).toBe(1);
    expect(dueByTick(40, 0.5, 10)).toBe(2);
  });

  it('stops from the ramp: no host started after STOP, stopped once the hosts are', async () => {
    const { actor, clock, starts, stops, finish } = run(100, 10);
    advance(clock, RAMP_TICK_MS * 4);
    actor.send({ type: 'STOP', reason: 'received SIGINT' });
    const startedThen = starts.reduce((a, b) => a + b);
    expect(actor.getSnapshot().value).toBe('stopping');
    advance(clock, 5000);
    expect(starts.reduce((a, b) => a + b)).toBe(startedThen);
    // A second STOP is not a second stop.
    actor.send({ type: 'STOP', reason: 'again' });
    expect(stops).toEqual(['received SIGINT']);
    finish();
    await new Promise((resolve) => setImmediate(resolve));
    expect(actor.getSnapshot().status).toBe('done');
    expect(actor.getSnapshot().output).toEqual({ started: startedThen, stopReason: 'received SIGINT' });
  });
});
