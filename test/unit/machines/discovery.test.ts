import { describe, expect, it } from 'vitest';
import { createActor, fromPromise, SimulatedClock, waitFor } from 'xstate';
import { discoveryMachine, serverList, type ProbeInput } from '../../../src/machines/discovery.js';

/** A discovery actor whose probe succeeds only for hosts in `up`, on a simulated clock. */
function startDiscovery(servers: string[], up: Set<string>, retryDelaySeconds = 10) {
  const probes: Array<ProbeInput & { at: number }> = [];
  const clock = new SimulatedClock();
  const actor = createActor(
    discoveryMachine.provide({
      actors: {
        probe: fromPromise<void, ProbeInput>(async ({ input }) => {
          probes.push({ ...input, at: clock.now() });
          if (!up.has(input.host)) throw new Error('connection refused');
        }),
      },
    }),
    { input: { servers, urlPort: 8440, retryDelaySeconds }, clock },
  );
  actor.start();
  return { actor, clock, probes };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('discovery machine', () => {
  it('connects at once to a server that answers', async () => {
    const { actor, probes } = startDiscovery(['a'], new Set(['a']));
    await waitFor(actor, (s) => s.status === 'done');
    expect(actor.getSnapshot().output).toEqual({ server: 'a' });
    expect(probes).toHaveLength(1);
  });

  it('retries a dead server 10 times, retryDelay apart, then fails over to the next', async () => {
    const { actor, clock, probes } = startDiscovery(['dead', 'live'], new Set(['live']), 10);
    for (let attempt = 1; attempt <= 10; attempt++) {
      await waitFor(actor, (s) => s.matches('waiting'));
      expect(probes).toHaveLength(attempt);
      expect(actor.getSnapshot().context.attempt).toBe(attempt);
      // Nothing happens before the delay has passed...
      clock.increment(9_999);
      await settle();
      expect(probes).toHaveLength(attempt);
      // ...and the next probe goes out once it has.
      clock.increment(1);
      await settle();
    }
    await waitFor(actor, (s) => s.status === 'done');
    expect(probes.map((p) => p.host)).toEqual([...Array(10).fill('dead'), 'live']);
    expect(probes.map((p) => p.at)).toEqual(Array.from({ length: 11 }, (_, i) => i * 10_000));
    expect(actor.getSnapshot().output).toEqual({ server: 'live' });
  });

  it('goes round the list again when every server is down', async () => {
    const up = new Set<string>();
    const { actor, clock, probes } = startDiscovery(['a', 'b'], up, 1);
    while (probes.length < 20) {
      await waitFor(actor, (s) => s.matches('waiting'));
      clock.increment(1000);
      await settle();
    }
    expect(probes.map((p) => p.host)).toEqual([...Array(10).fill('a'), ...Array(10).fill('b')]);
    up.add('a');
    await waitFor(actor, (s) => s.matches('waiting'));
    clock.increment(1000);
    await waitFor(actor, (s) => s.status === 'done');
    expect(probes).toHaveLength(21);
    expect(probes.at(-1)).toMatchObject({ host: 'a', attempt: 1 });
    expect(actor.getSnapshot().context.round).toBe(2);
    expect(actor.getSnapshot().output).toEqual({ server: 'a' });
  });

  it('stops at once while waiting: no further probe is made', async () => {
    const { actor, clock, probes } = startDiscovery(['a'], new Set(), 10);
    await waitFor(actor, (s) => s.matches('waiting'));
    actor.stop();
    clock.increment(60_000);
    await settle();
    expect(probes).toHaveLength(1);
    expect(actor.getSnapshot().status).toBe('stopped');
  });
});

describe('serverList', () => {
  it('splits, trims and lower-cases the [server] hostname list', () => {
    expect(serverList(' Ambari1.Example.COM, ambari2 ,,')).toEqual(['ambari1.example.com', 'ambari2']);
  });
});
