// TestAlerts.test_recovery_alert: warning count 1, critical count 5, the counters as the
// recovery actor gives them.
import { describe, expect, it } from 'vitest';
import { pythonLocalDateTime, recoveryAlertKind } from '../../../../src/actors/alerts/recoveryAlert.js';
import type { AlertCheckContext, AlertDefinition } from '../../../../src/actors/alerts/alertTypes.js';
import type { RecoveryActionView } from '../../../../src/actors/recovery/recoveryView.js';

const definition: AlertDefinition = {
  definitionId: 7,
  clusterId: 2,
  name: 'ams_metrics_collector_autostart',
  uuid: 'u',
  interval: 1,
  enabled: true,
  componentName: 'METRICS_COLLECTOR',
  serviceName: 'AMBARI_METRICS',
  source: { type: 'RECOVERY', reporting: { ok: { text: 'ok' }, warning: { text: 'w', count: 1 }, critical: { text: 'c', count: 5 } } },
};
const context = {} as AlertCheckContext;
const counter = (count: number, extra: Partial<RecoveryActionView> = {}): RecoveryActionView => ({
  count,
  lastAttempt: 1447860184,
  warnedLastReset: false,
  lastReset: 1447860184,
  warnedThresholdReached: false,
  lifetimeCount: 1,
  warnedLastAttempt: false,
  stale: false,
  ...extra,
});

describe('RECOVERY alert', () => {
  it('OK, WARNING, CRITICAL by count; OK once stale; CRITICAL when the lifetime limit was reached', async () => {
    let actions: Record<string, RecoveryActionView> = { METRICS_COLLECTOR: counter(0) };
    const kind = recoveryAlertKind(() => actions);
    const since = ` since ${pythonLocalDateTime(1447860184)}`;
    expect(await kind.check(definition, context)).toEqual({ state: 'OK', args: [since, 0, 'METRICS_COLLECTOR'] });
    actions = { METRICS_COLLECTOR: counter(1) };
    expect((await kind.check(definition, context)).state).toBe('WARNING');
    actions = { METRICS_COLLECTOR: counter(5) };
    expect(await kind.check(definition, context)).toEqual({ state: 'CRITICAL', args: [since, 5, 'METRICS_COLLECTOR'] });
    actions = { METRICS_COLLECTOR: counter(5, { stale: true }) };
    expect(await kind.check(definition, context)).toEqual({ state: 'OK', args: ['', 0, 'METRICS_COLLECTOR'] });
    actions = { METRICS_COLLECTOR: counter(1, { stale: true, warnedThresholdReached: true }) };
    expect((await kind.check(definition, context)).state).toBe('CRITICAL');
  });

  it('defaults: counts 2 and 4, UNKNOWN_COMPONENT, the default texts', async () => {
    const plain: AlertDefinition = { ...definition, componentName: undefined, source: { type: 'RECOVERY' } };
    const kind = recoveryAlertKind(() => ({ UNKNOWN_COMPONENT: counter(2) }));
    expect((await kind.check(plain, context)).state).toBe('WARNING');
    const four = recoveryAlertKind(() => ({ UNKNOWN_COMPONENT: counter(4) }));
    expect((await four.check(plain, context)).state).toBe('CRITICAL');
    expect(await recoveryAlertKind(() => ({})).check(definition, context)).toEqual({ state: 'OK', args: ['', 0, 'METRICS_COLLECTOR'] });
    expect(kind.defaultText('OK')).toBe('No recovery operations executed for {2}{0}.');
    expect(kind.defaultText('WARNING')).toBe('{1} recovery operations executed for {2}{0}.');
    expect(pythonLocalDateTime(0)).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
  });
});
