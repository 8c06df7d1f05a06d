// The alert scheduler and its alert actors on a SimulatedClock: first check one interval after
// scheduling, then every interval; CREATE/UPDATE/DELETE as DEFINITIONS lists start, change and
// stop actors without disturbing the others; RUN_NOW checks at once.
import { describe, expect, it } from 'vitest';
import { createActor, fromCallback, fromPromise, SimulatedClock, type AnyActorRef } from 'xstate';
import type { AlertDefinition, AlertResult } from '../../../src/actors/alerts/alertTypes.js';
import { alertMachine, intervalMs, type CheckInput, type CheckOutput } from '../../../src/machines/alert.js';
import { alertSchedulerMachine, type AlertSchedulerEvent, type ScheduledDefinition } from '../../../src/machines/alertScheduler.js';

const settle = () => new Promise((resolve) => setImmediate(resolve));
const MINUTE = 60_000;

function definition(id: number, interval: number, more: Partial<AlertDefinition> = {}): AlertDefinition {
  return { definitionId: id, clusterId: 2, name: `alert_${id}`, uuid: `uuid-${id}`, interval, enabled: true, source: { type: 'PORT', uri: `localhost:${1000 + id}` }, ...more };
}
const entry = (def: AlertDefinition, clusterId = '0'): ScheduledDefinition => ({ clusterId, definition: def, intervalMs: intervalMs(def) });

function harness() {
  const clock = new SimulatedClock();
  const checks: Array<{ name: string; at: number; interval: number }> = [];
  const reported: AlertResult[] = [];
  const logs: string[] = [];
  let feed: ((event: AlertSchedulerEvent) => void) | undefined;
  const machine = alertSchedulerMachine.provide({
    actions: { log: (_, params) => void logs.push(params.msg) },
    actors: {
      definitions: fromCallback(({ sendBack }) => {
        feed = sendBack;
      }),
      alert: alertMachine.provide({
        actors: {
          check: fromPromise<CheckOutput, CheckInput>(async ({ input }) => {
            checks.push({ name: input.definition.name, at: clock.now(), interval: input.definition.interval });
            if (input.definition.name === 'alert_broken') throw new Error('no such kind');
            const result: AlertResult = { name: input.definition.name, clusterId: String(input.definition.clusterId), timestamp: clock.now(), definitionId: input.definition.definitionId, state: 'OK', text: 'fine' };
            // alert_slow takes 20 s of the clock (reported as its duration).
            return { result, durationMs: input.definition.name === 'alert_slow' ? 20_000 : 0 };
          }),
          report: fromPromise<void, AlertResult>(async ({ input }) => void reported.push(input)),
        },
      }),
    },
  });
  const actor = createActor(machine, { clock }).start();
  const advance = async (ms: number) => {
    clock.increment(ms);
    await settle();
    await settle();
  };
  const send = async (definitions: ScheduledDefinition[]) => {
    feed!({ type: 'DEFINITIONS', definitions });
    await settle();
  };
  const children = () => Object.keys(actor.getSnapshot().children).filter((id) => id.startsWith('alert-')).sort();
  const child = (id: string) => actor.getSnapshot().children[id] as AnyActorRef;
  return { clock, checks, reported, logs, actor, advance, send, children, child };
}

describe('alert machine', () => {
  it('counts a missing or too small interval as one minute', () => {
    expect(intervalMs({ interval: 0 })).toBe(MINUTE);
    expect(intervalMs({ interval: Number.NaN })).toBe(MINUTE);
    expect(intervalMs({ interval: 5 })).toBe(5 * MINUTE);
    expect(intervalMs({ interval: 5 }, 1000)).toBe(5000);
    // Longer than a Node.js timer holds: capped, not fired at once.
    expect(intervalMs({ interval: 100_000 })).toBe(2 ** 31 - 1);
  });
});

describe('alert scheduler', () => {
  it('waits for definitions, then checks each one interval after scheduling and every interval after', async () => {
    const h = harness();
    expect(h.actor.getSnapshot().value).toBe('waiting');
    await h.send([entry(definition(1, 1)), entry(definition(2, 2))]);
    expect(h.actor.getSnapshot().value).toBe('scheduling');
    expect(h.children()).toEqual(['alert-0-1', 'alert-0-2']);
    await h.advance(MINUTE - 1);
    expect(h.checks).toEqual([]);
    await h.advance(1);
    expect(h.checks.map((c) => [c.name, c.at])).toEqual([['alert_1', MINUTE]]);
    await h.advance(MINUTE);
    // Two timers due at the same instant fire in either order.
    expect(h.checks.map((c) => [c.name, c.at]).sort((a, b) => Number(a[1]) - Number(b[1]) || String(a[0]).localeCompare(String(b[0])))).toEqual([['alert_1', MINUTE], ['alert_1', 2 * MINUTE], ['alert_2', 2 * MINUTE]]);
    expect(h.reported.map((r) => r.name).sort()).toEqual(['alert_1', 'alert_1', 'alert_2']);
    expect(h.child('alert-0-1').getSnapshot().context).toMatchObject({ checks: 2, last: { state: 'OK', timestamp: 2 * MINUTE } });
    expect(h.logs[0]).toBe('Alert definitions: scheduled 2 (alert_1, alert_2); 2 alert(s) scheduled');
  });

  it('an UPDATE leaves the others alone: a new interval restarts only its own wait', async () => {
    const h = harness();
    await h.send([entry(definition(1, 1)), entry(definition(2, 1))]);
    await h.advance(30_000);
    await h.send([entry(definition(1, 1)), entry(definition(2, 3))]);
    await h.advance(30_000);
    // alert_1 keeps its schedule; alert_2's wait counts from the change.
    expect(h.checks.map((c) => [c.name, c.at])).toEqual([['alert_1', MINUTE]]);
    await h.advance(3 * MINUTE - 30_000);
    expect(h.checks.filter((c) => c.name === 'alert_2').map((c) => [c.at, c.interval])).toEqual([[30_000 + 3 * MINUTE, 3]]);
    expect(h.logs).toContain('Alert definitions: changed 1 (alert_2); 2 alert(s) scheduled');
  });

  it('a change that keeps the interval is taken for the next check without resetting the wait', async () => {
    const h = harness();
    await h.send([entry(definition(1, 1))]);
    await h.advance(40_000);
    await h.send([entry(definition(1, 1, { label: 'renamed', source: { type: 'PORT', uri: 'localhost:9' } }))]);
    await h.advance(20_000);
    expect(h.checks.map((c) => c.at)).toEqual([MINUTE]);
    expect(h.child('alert-0-1').getSnapshot().context.definition.source.uri).toBe('localhost:9');
  });

  it('a DELETE stops its actor (no more checks); a definition added later starts its own', async () => {
    const h = harness();
    await h.send([entry(definition(1, 1)), entry(definition(2, 1))]);
    await h.send([entry(definition(2, 1))]);
    expect(h.children()).toEqual(['alert-0-2']);
    await h.advance(MINUTE);
    expect(h.checks.map((c) => c.name)).toEqual(['alert_2']);
    await h.send([entry(definition(2, 1)), entry(definition(3, 1))]);
    expect(h.children()).toEqual(['alert-0-2', 'alert-0-3']);
    expect(h.logs).toContain('Alert definitions: stopped 1 (alert_1); 1 alert(s) scheduled');
  });

  it('RUN_NOW checks the named alerts at once and says which are not scheduled', async () => {
    const h = harness();
    await h.send([entry(definition(1, 10)), entry(definition(2, 10))]);
    h.actor.send({ type: 'RUN_NOW', names: ['alert_2', 'nowhere'] });
    await h.advance(0);
    expect(h.checks.map((c) => [c.name, c.at])).toEqual([['alert_2', 0]]);
    expect(h.logs).toContain('Run-now of alert(s) alert_2, nowhere: 1 not scheduled on this host');
  });

  it('a check that fails keeps the alert scheduled and counts the failure', async () => {
    const h = harness();
    await h.send([entry(definition(7, 1, { name: 'alert_broken' }))]);
    await h.advance(MINUTE);
    await h.advance(MINUTE);
    expect(h.checks).toHaveLength(2);
    expect(h.reported).toEqual([]);
    expect(h.child('alert-0-7').getSnapshot()).toMatchObject({ value: 'idle', context: { failures: 2, lastError: 'no such kind' } });
  });

  it('counts the interval start to start: a check that took 20 s is followed 40 s later', async () => {
    const h = harness();
    await h.send([entry(definition(9, 1, { name: 'alert_slow' }))]);
    await h.advance(MINUTE);
    await h.advance(40_000);
    expect(h.checks.map((c) => c.at)).toEqual([MINUTE, MINUTE + 40_000]);
  });

  it('the same definition id in two clusters is two alerts', async () => {
    const h = harness();
    await h.send([entry(definition(1, 1)), entry(definition(1, 1), '5')]);
    expect(h.children()).toEqual(['alert-0-1', 'alert-5-1']);
  });
});
