import { describe, expect, it } from 'vitest';
import { collectAlert } from '../../../../src/actors/alerts/collectAlert.js';
import { alertKindFor, createAlertKinds } from '../../../../src/actors/alerts/alertKinds.js';
import type { AlertKind, AlertOutcome } from '../../../../src/actors/alerts/alertTypes.js';
import { scriptReporting } from '../../../../src/actors/alerts/scriptAlert.js';
import { context, definition } from './alertTestHelpers.js';

const kindGiving = (outcome: AlertOutcome | Error): AlertKind => ({
  check: async () => {
    if (outcome instanceof Error) throw outcome;
    return outcome;
  },
  defaultText: (state) => `default ${state} {0}`,
});

describe('collectAlert', () => {
  const def = definition({ type: 'X', reporting: { ok: { text: 'fine {0:.2f}' }, critical: { text: 'bad {1}' } } });

  it('uses reporting.<state>.text, else the kind default, and builds the record', async () => {
    expect(await collectAlert(kindGiving({ state: 'OK', args: [1.234] }), def, context(), () => 1_700_000_000_999.7)).toEqual({
      name: 'test_alert', clusterId: '2', timestamp: 1_700_000_000_999, definitionId: 7, state: 'OK', text: 'fine 1.23',
    });
    expect((await collectAlert(kindGiving({ state: 'WARNING', args: ['w'] }), def, context())).text).toBe('default WARNING w');
    expect((await collectAlert(kindGiving({ state: 'SKIPPED', args: ['s'] }), def, context())).text).toBe('default SKIPPED s');
  });

  it('a kind that overrides the reporting (SCRIPT) gets its texts from it, the definition keeping only what the kind leaves', async () => {
    const script = { ...kindGiving({ state: 'CRITICAL', args: ['disk full'] }), reporting: scriptReporting };
    const scripted = definition({ type: 'SCRIPT', reporting: { critical: { text: 'ignored {0}' }, skipped: { text: 'skipped: {0}' } } });
    expect((await collectAlert(script, scripted, context())).text).toBe('disk full');
    const skipped = { ...kindGiving({ state: 'SKIPPED', args: ['maintenance'] }), reporting: scriptReporting };
    expect((await collectAlert(skipped, scripted, context())).text).toBe('skipped: maintenance');
  });

  it('a throwing check is UNKNOWN with its message and {0}; a bad template is UNKNOWN too', async () => {
    expect(await collectAlert(kindGiving(new Error('boom {0}')), def, context())).toMatchObject({ state: 'UNKNOWN', text: 'boom {0}' });
    expect(await collectAlert(kindGiving({ state: 'CRITICAL', args: ['only one'] }), def, context())).toMatchObject({
      state: 'UNKNOWN',
      text: 'There is a problem with the alert definition: Replacement index 1 out of range for positional args tuple',
    });
  });
});

describe('alertKinds', () => {
  it('PORT, WEB, METRIC and AMS have kinds; AGGREGATE, SERVER and the rest are not scheduled', () => {
    const kinds = createAlertKinds({ python: 'python3' });
    for (const type of ['PORT', 'WEB', 'METRIC', 'AMS']) expect(alertKindFor(kinds, type)).toBeDefined();
    for (const type of ['AGGREGATE', 'SERVER', 'PERCENT', 'port', undefined, 5]) expect(alertKindFor(kinds, type)).toBeUndefined();
  });
});
