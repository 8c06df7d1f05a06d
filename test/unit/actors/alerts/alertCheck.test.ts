// The check effect: a check past its deadline is aborted and reported UNKNOWN; no more than
// the limit run at once; the result carries how long the check took.
import { describe, expect, it } from 'vitest';
import { createActor, toPromise } from 'xstate';
import { checkDeadlineMs, createAlertCheck, limiter, MAX_CHECK_MS, withDeadline } from '../../../../src/actors/alerts/alertCheck.js';
import type { AlertKind } from '../../../../src/actors/alerts/alertTypes.js';
import { context, definition } from './alertTestHelpers.js';

const emptyCaches = {
  get: (name: string) => ({ hash: null, clusters: name === 'alert_definitions' ? { '0': { hostName: 'h1.test' } } : {} }),
  onChange: () => () => true,
};
const facts = () => ({ hostname: 'h1.test', publicHostname: 'h1.test', cacheDir: '/nowhere', parallelExecution: 0, useSystemProxySettings: false });

describe('alert check', () => {
  it('the deadline is the interval in minutes, at least one, at most five', () => {
    expect(checkDeadlineMs({ interval: 0 })).toBe(60_000);
    expect(checkDeadlineMs({ interval: 3 })).toBe(180_000);
    expect(checkDeadlineMs({ interval: 600 })).toBe(MAX_CHECK_MS);
  });

  it('runs the kind with this host and the cluster, and says how long it took', async () => {
    const seen: string[] = [];
    const kind: AlertKind = { defaultText: () => '{0} on {1}', check: async (_d, context) => (seen.push(context.hostName), { state: 'OK', args: ['fine', context.hostName] }) };
    const check = createAlertCheck({ caches: emptyCaches as never, kindOf: () => kind, agentFacts: facts });
    const output = await toPromise(createActor(check, { input: { definition: definition({ type: 'PORT' }), clusterId: '0' } }).start());
    expect(output.result).toMatchObject({ state: 'OK', text: 'fine on h1.test', clusterId: '2' });
    expect(output.durationMs).toBeGreaterThanOrEqual(0);
    expect(seen).toEqual(['h1.test']);
  });

  it('past its deadline a check is aborted and the result is UNKNOWN, whether or not the kind gives up', async () => {
    let aborted = false;
    const result = await withDeadline(definition({ type: 'WEB' }), context(), 50, (ctx) => {
      ctx.signal.addEventListener('abort', () => (aborted = true));
      return new Promise(() => {}); // a server trickling bytes: never settles
    });
    expect(result).toMatchObject({ state: 'UNKNOWN', text: 'The check did not finish within 0.05 s', definitionId: 7 });
    expect(aborted).toBe(true);
  });

  it('a limiter runs at most its slots at once, in arrival order', async () => {
    const run = limiter(2);
    let active = 0;
    let most = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        run(async () => {
          active++;
          most = Math.max(most, active);
          await new Promise((r) => setTimeout(r, 5));
          order.push(i);
          active--;
        }),
      ),
    );
    expect(most).toBe(2);
    expect(order.sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
