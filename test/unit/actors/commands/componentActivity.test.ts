// ComponentActivity: the per-component count of running commands that the status reporter
// reads (busy, epoch) and is told about (onIdle), and which commands count at all.
import { describe, expect, it } from 'vitest';
import { busyingComponent, ComponentActivity, type ComponentRef } from '../../../../src/actors/commands/componentActivity.js';
import { isClusterCommand } from '../../../../src/actors/commands/commandJson.js';

const NAMENODE: ComponentRef = { clusterId: 'c1', serviceName: 'HDFS', componentName: 'NAMENODE' };

describe('ComponentActivity', () => {
  it('counts: busy until the last of two commands ends, and tells the idle listeners once then', () => {
    const activity = new ComponentActivity();
    const idle: ComponentRef[] = [];
    activity.onIdle((component) => idle.push(component));
    expect(activity.busy('c1', 'NAMENODE')).toBe(false);
    const endFirst = activity.begin(NAMENODE);
    const endSecond = activity.begin(NAMENODE);
    expect(activity.busy('c1', 'NAMENODE')).toBe(true);
    endFirst();
    endFirst(); // counted once
    expect(activity.busy('c1', 'NAMENODE')).toBe(true);
    expect(idle).toEqual([]);
    endSecond();
    expect(activity.busy('c1', 'NAMENODE')).toBe(false);
    expect(idle).toEqual([NAMENODE]);
  });

  it('keys by cluster and component (not service), as commands_for_component_in_progress', () => {
    const activity = new ComponentActivity();
    const end = activity.begin(NAMENODE);
    expect(activity.busy('c2', 'NAMENODE')).toBe(false);
    expect(activity.busy('c1', 'DATANODE')).toBe(false);
    const other = activity.begin({ ...NAMENODE, serviceName: 'OTHER' });
    end();
    expect(activity.busy('c1', 'NAMENODE')).toBe(true);
    other();
    expect(activity.busy('c1', 'NAMENODE')).toBe(false);
  });

  it('moves the epoch on every begin and end, of that component only', () => {
    const activity = new ComponentActivity();
    const before = activity.epoch('c1', 'NAMENODE');
    const end = activity.begin(NAMENODE);
    const during = activity.epoch('c1', 'NAMENODE');
    expect(during).not.toBe(before);
    expect(activity.epoch('c1', 'DATANODE')).toBe(0);
    end();
    expect(activity.epoch('c1', 'NAMENODE')).not.toBe(during);
    expect(activity.epoch('c1', 'NAMENODE')).not.toBe(before);
  });

  it('stops telling a listener once unsubscribed', () => {
    const activity = new ComponentActivity();
    const told: string[] = [];
    const unsubscribe = activity.onIdle((c) => told.push(c.componentName));
    activity.begin(NAMENODE)();
    unsubscribe();
    activity.begin(NAMENODE)();
    expect(told).toEqual(['NAMENODE']);
  });
});

describe('which commands make a component busy', () => {
  it('real clusters only: not -1, null, empty or absent', () => {
    for (const id of ['-1', 'null', '', undefined, null]) expect(isClusterCommand(id), String(id)).toBe(false);
    expect(isClusterCommand('c1')).toBe(true);
    expect(isClusterCommand(0)).toBe(true);
  });

  it('execution and background commands with a role of a real cluster; never status commands', () => {
    expect(busyingComponent({ clusterId: 'c1', serviceName: 'HDFS', role: 'NAMENODE', commandType: 'EXECUTION_COMMAND' })).toEqual(NAMENODE);
    expect(busyingComponent({ clusterId: 'c1', serviceName: 'HDFS', role: 'NAMENODE', commandType: 'BACKGROUND_EXECUTION_COMMAND' })).toEqual(NAMENODE);
    expect(busyingComponent({ clusterId: 'c1', serviceName: 'HDFS', role: 'NAMENODE', commandType: 'STATUS_COMMAND' })).toBeUndefined();
    expect(busyingComponent({ clusterId: '-1', serviceName: 'HDFS', role: 'NAMENODE' })).toBeUndefined();
    expect(busyingComponent({ clusterId: 'c1', serviceName: 'HDFS' })).toBeUndefined();
    // No service (or the server's 'null'): still busy, but it names no topology component.
    expect(busyingComponent({ clusterId: 'c1', serviceName: 'null', role: 'NAMENODE' })).toEqual({ ...NAMENODE, serviceName: '' });
    expect(busyingComponent({ clusterId: 'c1', role: 'NAMENODE' })).toEqual({ ...NAMENODE, serviceName: '' });
  });
});
