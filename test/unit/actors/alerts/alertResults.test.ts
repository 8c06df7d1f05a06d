// AlertResults: the newest result per alert waits until the server took the report carrying
// it; changes-only mode; and the stale alerts of the heartbeat from the same check times.
import { describe, expect, it } from 'vitest';
import { AlertResults } from '../../../../src/actors/alerts/alertResults.js';
import type { AlertResult, AlertState } from '../../../../src/actors/alerts/alertTypes.js';
import { StaleAlertsMonitor } from '../../../../src/actors/alerts/staleAlerts.js';

const result = (name: string, state: AlertState, text = 'text', timestamp = 1, definitionId = 1): AlertResult => ({ name, clusterId: '2', timestamp, definitionId, state, text });

describe('AlertResults', () => {
  it('keeps the newest result of each alert until a send carrying it is acknowledged', () => {
    const results = new AlertResults();
    results.put(result('a', 'OK', 'first'));
    results.put(result('b', 'OK'));
    results.put(result('a', 'WARNING', 'second'));
    const batch = results.batch();
    expect(batch.map((r) => [r.name, r.text])).toEqual([['b', 'text'], ['a', 'second']]);
    // Not acknowledged (the connection dropped): the next batch is the same.
    expect(results.batch()).toEqual(batch);
    // A newer result of `a` arrives while the batch is in flight: it is not lost by the acknowledgement.
    results.put(result('a', 'CRITICAL', 'third'));
    results.acknowledge(batch);
    expect(results.batch().map((r) => [r.name, r.state])).toEqual([['a', 'CRITICAL']]);
    expect(results.size).toBe(1);
  });

  it('changes only: sends a result whose state or text changed, and a non-OK one up to the tolerance', () => {
    const results = new AlertResults({ tolerance: () => 2 });
    const round = (state: AlertState, text = 't') => {
      results.put(result('a', state, text));
      const batch = results.batch();
      results.acknowledge(batch);
      return batch.length;
    };
    expect(round('OK')).toBe(1);
    expect(round('OK')).toBe(0); // unchanged OK: not sent again
    expect(round('CRITICAL')).toBe(1); // changed
    expect(round('CRITICAL')).toBe(1); // unchanged, sent once (1 < 2)
    expect(round('CRITICAL')).toBe(0); // tolerance reached
    expect(round('CRITICAL', 'other text')).toBe(1); // text changed
    results.forgetAcknowledged();
    expect(round('CRITICAL', 'other text')).toBe(1); // definitions changed: sent again
    expect(results.size).toBe(0);
  });

  it('changes only: a result whose definition left the cache is not sent', () => {
    const results = new AlertResults({ tolerance: (r) => (r.definitionId === 1 ? 1 : undefined) });
    results.put(result('kept', 'OK', 't', 1, 1));
    results.put(result('gone', 'OK', 't', 1, 2));
    expect(results.batch().map((r) => r.name)).toEqual(['kept']);
  });

  it('keeps only what belongs to the definitions still in the cache', () => {
    const results = new AlertResults();
    results.put(result('a', 'OK', 't', 5, 1));
    results.put(result('b', 'OK', 't', 5, 2));
    results.acknowledge(results.batch());
    results.put(result('b', 'WARNING', 't', 6, 2));
    results.keepOnly(new Set([1]));
    expect(results.size).toBe(0);
    expect([...results.lastRun.keys()]).toEqual([1]);
  });

  it('records the last check time per definition for the stale alerts', () => {
    const results = new AlertResults();
    results.put(result('a', 'OK', 't', 5_000, 7));
    expect(results.lastRun.get(7)).toBe(5_000);
  });
});

describe('StaleAlertsMonitor', () => {
  const clusters = (multiplier?: number) => ({
    '0': {
      ...(multiplier === undefined ? {} : { staleIntervalMultiplier: multiplier }),
      alertDefinitions: [
        { definitionId: 1, name: 'one_minute', interval: 1, enabled: true },
        { definitionId: 2, name: 'five_minutes', interval: 5, enabled: false },
      ],
    },
  });

  it('lists a definition not checked for interval x multiplier minutes, disabled ones too, counting from first sight', () => {
    const lastRun = new Map<number, number>();
    const monitor = new StaleAlertsMonitor(lastRun);
    expect(monitor.stale(clusters(2), 1_000)).toEqual([]); // first sight of both: now
    expect(monitor.stale(clusters(2), 1_000 + 2 * 60_000)).toEqual([]); // not strictly past
    expect(monitor.stale(clusters(2), 1_001 + 2 * 60_000)).toEqual([{ id: 1, timestamp: 1_000 }]);
    lastRun.set(1, 100_000);
    expect(monitor.stale(clusters(2), 150_000)).toEqual([]);
    expect(monitor.stale(clusters(2), 1_000 + 10 * 60_000 + 1)).toEqual([{ id: 1, timestamp: 100_000 }, { id: 2, timestamp: 1_000 }]);
  });

  it('forgets definitions that left the cache (their first sight counts again if they come back)', () => {
    const monitor = new StaleAlertsMonitor(new Map());
    monitor.stale(clusters(2), 0);
    monitor.keepOnly(new Set([1]));
    expect(monitor.stale(clusters(2), 2 * 60_000 + 1)).toEqual([{ id: 1, timestamp: 0 }]);
  });

  it('skips a cluster without staleIntervalMultiplier (an older server)', () => {
    const monitor = new StaleAlertsMonitor(new Map());
    monitor.stale(clusters(), 0);
    expect(monitor.stale(clusters(), 10 ** 9)).toEqual([]);
  });
});
