// Which definitions of the cache are scheduled: the fixture's 53 definitions (an Ambari
// agent's dummy_files CREATE event) less AGGREGATE ones and any disabled one.
import { describe, expect, it } from 'vitest';
import { schedulableDefinitions, unschedulable } from '../../../../src/actors/alerts/alertDefinitionsFeed.js';
import { fixture } from '../../../support/fixtures.js';

const RUN = new Set(['PORT', 'WEB', 'METRIC', 'AMS', 'SCRIPT', 'RECOVERY']);
const runs = (type: string) => RUN.has(type);

describe('schedulable alert definitions', () => {
  it('takes every definition of every cluster of a kind the agent runs', () => {
    const event = fixture('alert_definitions.json') as { clusters: Record<string, { alertDefinitions: Array<{ source: { type: string } }> }> };
    const all = event.clusters['0']!.alertDefinitions;
    const scheduled = schedulableDefinitions(event.clusters, runs);
    expect(scheduled).toHaveLength(all.filter((d) => d.source.type !== 'AGGREGATE').length);
    expect(scheduled.every((s) => s.clusterId === '0' && s.definition.source.type !== 'AGGREGATE')).toBe(true);
  });

  it('says why a definition is left out', () => {
    const base = { definitionId: 1, name: 'n', source: { type: 'PORT' } };
    expect(unschedulable(base, runs)).toBeUndefined();
    expect(unschedulable({ ...base, enabled: false }, runs)).toBe('disabled');
    expect(unschedulable({ ...base, source: { type: 'AGGREGATE' } }, runs)).toBe('of type AGGREGATE, which the agent does not run');
    expect(unschedulable({ ...base, definitionId: '1' }, runs)).toBe('no numeric definitionId');
    expect(unschedulable({ ...base, source: {} }, runs)).toBe('no source type');
    expect(unschedulable('x', runs)).toBe('not an object');
  });
});
