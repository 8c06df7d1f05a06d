// The alert status reporter: results to /reports/alerts_status in frames under the frame
// budget, each acknowledged on its own; what the server did not take goes again.
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { AlertResults } from '../../../../src/actors/alerts/alertResults.js';
import type { AlertResult } from '../../../../src/actors/alerts/alertTypes.js';
import { ALERTS_STATUS_DESTINATION, alertFrames, createAlertStatusReporter } from '../../../../src/actors/reporters/alertStatusReporter.js';

const result = (i: number): AlertResult => ({ name: `alert_${i}`, clusterId: '0', timestamp: 1000 + i, definitionId: i, state: 'OK', text: 'x'.repeat(100) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('alertFrames', () => {
  it('cuts the results in order into bodies under the budget; one too large alone goes alone', () => {
    const results = Array.from({ length: 10 }, (_, i) => result(i));
    const one = Buffer.byteLength(JSON.stringify(results[0])) + 1;
    const frames = alertFrames(results, 2 + 3 * one);
    expect(frames.map((f) => f.length)).toEqual([3, 3, 3, 1]);
    expect(frames.flat()).toEqual(results);
    for (const frame of frames) expect(Buffer.byteLength(JSON.stringify(frame))).toBeLessThanOrEqual(2 + 3 * one);
    expect(alertFrames(results.slice(0, 2), 10).map((f) => f.length)).toEqual([1, 1]);
    expect(alertFrames([], 100)).toEqual([]);
  });
});

describe('alert status reporter', () => {
  it('sends what is waiting, frame by frame; a refused frame and the rest stay for the next round', async () => {
    const results = new AlertResults();
    for (let i = 0; i < 40; i++) results.put(result(i));
    const sent: AlertResult[][] = [];
    let refuse = true;
    const reporter = createAlertStatusReporter({
      intervalSeconds: 0.05,
      maxFrameBytes: 1024 + 2 + 10 * (Buffer.byteLength(JSON.stringify(result(10))) + 1),
      results,
      log: () => {},
      send: async (_link, destination, body) => {
        expect(destination).toBe(ALERTS_STATUS_DESTINATION);
        sent.push(body as AlertResult[]);
        // The second frame of the first round is refused.
        if (refuse && sent.length === 2) {
          refuse = false;
          return { status: 'ERROR' };
        }
        return { status: 'OK' };
      },
    });
    const actor = createActor(reporter, { input: { link: {} } }).start();
    try {
      for (let i = 0; i < 100 && results.size > 0; i++) await sleep(20);
    } finally {
      actor.stop();
    }
    expect(results.size).toBe(0);
    expect(sent.slice(0, 2).map((f) => f.length)).toEqual([10, 10]);
    // Every result reached the server; those of the refused frame went again.
    const names = new Set(sent.slice(0, 1).concat(sent.slice(2)).flat().map((r) => r.name));
    expect(names.size).toBe(40);
  });

  it('0 turns the reports off', () => {
    const logs: string[] = [];
    const reporter = createAlertStatusReporter({ intervalSeconds: 0, maxFrameBytes: 100_000, results: new AlertResults(), log: (_a, _l, msg) => logs.push(msg), send: async () => ({ status: 'OK' }) });
    createActor(reporter, { input: { link: {} } }).start().stop();
    expect(logs).toEqual(['alert_reports_interval is 0: alert results are not reported']);
  });
});
