// Repeat tolerances per definition: its own when enabled, else the cluster's cluster-env value, else 1.
import { describe, expect, it } from 'vitest';
import { repeatTolerances } from '../../../../src/actors/alerts/repeatTolerance.js';

const caches = (definitions: unknown[], clusterEnv?: Record<string, string>) => ({
  get: (name: string) =>
    name === 'alert_definitions'
      ? { hash: 'h', clusters: { '0': { alertDefinitions: definitions } } }
      : { hash: 'h', clusters: clusterEnv ? { '0': { configurations: { 'cluster-env': clusterEnv } } } : {} },
});

describe('repeatTolerances', () => {
  it('takes the definition own tolerance only when enabled, else the cluster one, else 1', () => {
    const defs = [
      { definitionId: 1, repeat_tolerance_enabled: true, repeat_tolerance: 4 },
      { definitionId: 2, repeat_tolerance_enabled: false, repeat_tolerance: 9 },
      { definitionId: 3 },
      { definitionId: 'x' },
    ];
    expect([...repeatTolerances(caches(defs, { alerts_repeat_tolerance: '3' }) as never)]).toEqual([[1, 4], [2, 3], [3, 3]]);
    expect(repeatTolerances(caches(defs) as never).get(3)).toBe(1);
    expect(repeatTolerances(caches(defs, { alerts_repeat_tolerance: 'many' }) as never).get(2)).toBe(1);
  });
});
