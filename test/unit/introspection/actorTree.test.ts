import { describe, expect, it } from 'vitest';
import { createActor, createMachine, fromCallback } from 'xstate';
import { describeActor, topLevelState } from '../../../src/introspection/actorTree.js';
import { formatStateReport, stateReport } from '../../../src/introspection/stateReport.js';

describe('actor tree', () => {
  it('describes every actor with id, machine, state and plain context, and prints it indented', () => {
    const child = createMachine({ id: 'childMachine', context: { n: 1, big: Array.from({ length: 20 }, (_, i) => i) }, initial: 'busy', states: { busy: {} } });
    const root = createActor(
      createMachine({
        id: 'rootMachine',
        context: { fn: () => 1, label: 'x' },
        invoke: [
          { id: 'worker', src: child },
          { id: 'callback', src: fromCallback(() => () => {}) },
        ],
        initial: 'running',
        states: { running: { initial: 'inner', states: { inner: {} } } },
      }),
      { id: 'root' },
    ).start();
    const tree = describeActor(root);
    expect(tree).toMatchObject({ id: 'root', machine: 'rootMachine', status: 'active', state: { running: 'inner' }, context: { label: 'x' } });
    expect(tree.context).not.toHaveProperty('fn');
    expect(tree.children.map((c) => c.id)).toEqual(['worker', 'callback']);
    expect((tree.children[0]!.context!.big as unknown[]).length).toBe(11);
    expect(formatStateReport(stateReport(tree)).split('\n')).toEqual(['root (rootMachine) running.inner', '├─ worker (childMachine) busy', '└─ callback']);
    expect(topLevelState(root.getSnapshot().value)).toBe('running');
    root.stop();
  });
});

describe('actor tree of live contexts', () => {
  it('never fails on circular data or objects holding sockets and timers, and stays JSON-safe', () => {
    class Connection {
      timer = setTimeout(() => {}, 1000);
    }
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    const connection = new Connection();
    const root = createActor(
      createMachine({
        id: 'live',
        context: { link: { server: 'h', client: connection }, circular, deep: { a: { b: { c: { d: { e: 1 } } } } }, ok: 3 },
      }),
    ).start();
    const tree = describeActor(root);
    clearTimeout(connection.timer);
    expect(() => JSON.stringify(tree)).not.toThrow();
    expect(tree.context).toEqual({ circular: { name: 'loop' }, deep: { a: { b: { c: { d: '{…}' } } } }, ok: 3 });
    expect(() => formatStateReport(stateReport(tree))).not.toThrow();
    root.stop();
  });
});
