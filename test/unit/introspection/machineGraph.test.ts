import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { and, createMachine, not, setup, type AnyStateMachine } from 'xstate';
import {
  AGENT_MACHINES,
  allStates,
  diagramsSection,
  eventLabel,
  guardName,
  machineGraph,
  mermaidId,
  mermaidText,
  replaceDiagramsSection,
  stateDescriptionTable,
  statelyConfig,
  toMermaid,
  toStatelyJson,
} from '../../../src/introspection/machineGraph.js';
import type { MachineGraph, StateGraphNode } from '../../../src/introspection/viewTypes.js';
import { sessionMachine } from '../../../src/machines/session.js';
import { supervisorMachine } from '../../../src/machines/supervisor.js';
// @ts-ignore plain .mjs helpers without type declarations
import { cli, ROOT } from '../../support/cli.mjs';

type CliResult = { code: number; stdout: string; stderr: string; output: string };
const run = cli as (args: string[], options?: { env?: Record<string, string> }) => Promise<CliResult>;

const stateAt = (graph: MachineGraph, path: string): StateGraphNode => {
  const found = allStates(graph.root).find((node) => node.path === path);
  if (!found) throw new Error(`no state ${path} in ${graph.id}`);
  return found;
};
const targetsOf = (node: StateGraphNode, event: string) => node.transitions.filter((t) => t.event === event).map((t) => ({ targets: t.targets, guard: t.guard }));

// ---------------------------------------------------------------------------------------------
// A small checker for the mermaid we write: every line one of the forms toMermaid uses, ids
// that mermaid's lexer reads as one id, labels it reads as one label, states declared before
// an arrow uses them, braces balanced.

const ID = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LABEL = /^[^:;#%<>{}"`\n]+$/;
const KEYWORDS = new Set(['state', 'note', 'class', 'classdef', 'scale', 'direction', 'hide', 'acctitle', 'accdescr', 'end', 'click', 'style']);

interface ParsedMermaid {
  /** Declared state id -> its label (the id itself when declared bare), and the composite it is in. */
  states: Map<string, { label: string; parent: string }>;
  notes: Map<string, string[]>;
  edges: Array<{ from: string; to: string; label?: string; scope: string }>;
  errors: string[];
}

function parseMermaid(text: string): ParsedMermaid {
  const result: ParsedMermaid = { states: new Map(), notes: new Map(), edges: [], errors: [] };
  const lines = text.split('\n');
  if (lines[0] !== 'stateDiagram-v2') result.errors.push(`first line is not stateDiagram-v2: ${lines[0]}`);
  const stack: string[] = [''];
  const checkId = (id: string, line: number) => {
    if (!ID.test(id) || KEYWORDS.has(id.toLowerCase()) || /^default/i.test(id)) result.errors.push(`line ${line}: bad id '${id}'`);
  };
  const checkLabel = (label: string, line: number) => {
    if (!LABEL.test(label) || label.trim() !== label) result.errors.push(`line ${line}: bad label '${label}'`);
  };
  const declare = (id: string, label: string, line: number) => {
    checkId(id, line);
    if (result.states.has(id) && result.states.get(id)!.parent !== stack.at(-1)) result.errors.push(`line ${line}: '${id}' declared in two composites`);
    if (!result.states.has(id)) result.states.set(id, { label, parent: stack.at(-1)! });
  };
  const known = (id: string, line: number) => {
    if (id !== '[*]' && !result.states.has(id)) result.errors.push(`line ${line}: '${id}' used before it is declared`);
  };
  lines.slice(1).forEach((raw, index) => {
    const n = index + 2;
    const line = raw.trim();
    if (line === '' || line.startsWith('%%') || line === '--') return;
    let m: RegExpExecArray | null;
    if ((m = /^state "([^"]*)" as (\S+)$/.exec(line))) {
      checkLabel(m[1]!, n);
      declare(m[2]!, m[1]!, n);
    } else if ((m = /^state (\S+) \{$/.exec(line))) {
      if (!result.states.has(m[1]!)) declare(m[1]!, m[1]!, n);
      stack.push(m[1]!);
    } else if (line === '}') {
      if (stack.length === 1) result.errors.push(`line ${n}: unbalanced }`);
      else stack.pop();
    } else if ((m = /^(\S+) --> (\S+)(?: : (.*))?$/.exec(line))) {
      const [from, to, label] = [m[1]!, m[2]!, m[3]];
      for (const id of [from, to]) if (id !== '[*]') checkId(id, n);
      known(from, n);
      known(to, n);
      if (label !== undefined) checkLabel(label, n);
      result.edges.push({ from, to, label, scope: stack.at(-1)! });
    } else if ((m = /^(\S+) : (.*)$/.exec(line))) {
      known(m[1]!, n);
      checkLabel(m[2]!, n);
      result.notes.set(m[1]!, [...(result.notes.get(m[1]!) ?? []), m[2]!]);
    } else if (ID.test(line)) {
      declare(line, line, n);
    } else {
      result.errors.push(`line ${n}: not understood: ${line}`);
    }
  });
  if (stack.length !== 1) result.errors.push('unclosed state {');
  return result;
}

const idOf = (parsed: ParsedMermaid, label: string, parent?: string) =>
  [...parsed.states].find(([, s]) => s.label === label && (parent === undefined || s.parent === parent))?.[0];

// ---------------------------------------------------------------------------------------------

describe('machineGraph', () => {
  it('lists the fifteen machines of the agent and the simulator in order', () => {
    expect(AGENT_MACHINES.map((m) => m.id)).toEqual([
      'supervisor', 'preflight', 'dataCleaner', 'pingPort', 'daemonize', 'discovery', 'session', 'registration', 'heartbeat', 'actionQueue', 'command', 'recovery', 'alertScheduler', 'alert', 'simulation',
    ]);
  });

  it('walks the supervisor: states, initial, transitions with targets, the final state', () => {
    const graph = machineGraph(supervisorMachine);
    expect(graph.id).toBe('supervisor');
    expect(graph.root).toMatchObject({ key: '', path: '', type: 'compound', initial: 'preflight' });
    expect(graph.root.children.map((c) => c.key)).toEqual([
      'preflight', 'lockingPort', 'daemonizing', 'recovering', 'discovering', 'registering', 'connected', 'backingOff', 'stopping', 'stopped',
    ]);
    expect(targetsOf(graph.root, 'STOP')).toEqual([{ targets: ['stopping'], guard: undefined }]);
    expect(targetsOf(graph.root, 'xstate.error.actor.dataCleaner')).toEqual([
      { targets: [], guard: 'mayRestart' },
      { targets: ['stopping'], guard: undefined },
    ]);
    expect(targetsOf(stateAt(graph, 'preflight'), 'xstate.done.actor.preflight')).toEqual([
      { targets: ['lockingPort'], guard: 'preflightPassed' },
      { targets: ['stopping'], guard: undefined },
    ]);
    expect(targetsOf(stateAt(graph, 'lockingPort'), 'PING_PORT.BOUND')).toEqual([{ targets: ['daemonizing'], guard: undefined }]);
    expect(targetsOf(stateAt(graph, 'connected'), 'SESSION.LOST')).toEqual([{ targets: ['registering'], guard: undefined }]);
    const stopping = stateAt(graph, 'stopping');
    expect(stopping.invokes).toEqual(['shutdown']);
    expect(targetsOf(stopping, 'xstate.done.actor.shutdown')).toEqual([{ targets: ['stopped'], guard: undefined }]);
    // Events stopping ignores: transitions without a target.
    expect(targetsOf(stopping, 'STOP')).toEqual([{ targets: [], guard: undefined }]);
    expect(stateAt(graph, 'stopped')).toEqual({ key: 'stopped', path: 'stopped', type: 'final', description: supervisorMachine.root.states.stopped!.description, children: [], transitions: [], invokes: [] });
    expect(stateAt(graph, 'preflight').invokes).toEqual(['preflight']);
    expect(stateAt(graph, 'lockingPort').type).toBe('atomic');
    // Plain data: it survives JSON as it is.
    expect(JSON.parse(JSON.stringify(graph))).toEqual(graph);
  });

  it('carries every state’s description: each state of each machine says what it means', () => {
    const missing = AGENT_MACHINES.flatMap((machine) =>
      allStates(machineGraph(machine).root).slice(1).filter((state) => !state.description?.trim()).map((state) => `${machine.id}.${state.path}`));
    expect(missing).toEqual([]);
    expect(stateAt(machineGraph(sessionMachine), 'online.registered').description).toMatch(/heartbeat/i);
  });

  it("walks the session's nested online state and resolves #session.x targets to paths", () => {
    const graph = machineGraph(sessionMachine);
    const online = stateAt(graph, 'online');
    expect(online).toMatchObject({ key: 'online', type: 'compound', initial: 'registering', invokes: ['listen'] });
    expect(online.children.map((c) => c.path)).toEqual(['online.registering', 'online.registered']);
    expect(targetsOf(online, 'LINK.LOST')).toEqual([{ targets: ['unregistering'], guard: undefined }]);
    const registering = stateAt(graph, 'online.registering');
    expect(registering.key).toBe('registering');
    expect(targetsOf(registering, 'xstate.done.actor.registration')).toEqual([
      { targets: ['online.registered'], guard: 'registrationAccepted' },
      { targets: ['unregistering'], guard: undefined },
    ]);
    expect(targetsOf(stateAt(graph, 'online.registered'), 'xstate.done.actor.heartbeat')).toEqual([
      { targets: ['restarting'], guard: 'outOfSequence' },
      { targets: ['unregistering'], guard: undefined },
    ]);
    expect(stateAt(graph, 'online.registered').invokes).toEqual(['heartbeat', 'commandReporter', 'componentStatus', 'alertStatus', 'hostStatus', 'componentVersion']);
    expect(targetsOf(graph.root, 'AGENT.RESTART')).toEqual([{ targets: ['restarting'], guard: undefined }]);
    // An invoke without an id: XState's generated id in the event, its source among the invokes.
    const connecting = stateAt(graph, 'connecting');
    expect(connecting.invokes).toEqual(['connect']);
    expect(connecting.transitions.map((t) => t.event)).toEqual([
      'xstate.done.actor.0.session.connecting',
      'xstate.error.actor.0.session.connecting',
      'xstate.error.actor.0.session.connecting',
    ]);
    expect(eventLabel('xstate.done.actor.0.session.connecting', connecting, 'session')).toBe('done(connect)');
    expect(['ended', 'restarting'].map((p) => stateAt(graph, p).type)).toEqual(['final', 'final']);
  });

  it('names delayed transitions after their delay, eventless ones always', () => {
    expect(targetsOf(stateAt(machineGraph(sessionMachine), 'waiting'), 'after reconnectDelay')).toEqual([{ targets: ['connecting'], guard: undefined }]);
    const discovery = machineGraph(AGENT_MACHINES.find((m) => m.id === 'discovery')!);
    expect(stateAt(discovery, 'waiting').transitions).toEqual([{ event: 'after retryDelay', targets: ['probing'], label: 'after retryDelay' }]);
    const queue = machineGraph(AGENT_MACHINES.find((m) => m.id === 'actionQueue')!);
    expect(stateAt(queue, 'settling').transitions).toEqual([
      { event: 'always', targets: ['idle'], guard: 'idle', label: 'always [idle]' },
      { event: 'always', targets: ['busy'], label: 'always [else]' },
    ]);
    expect(targetsOf(queue.root, 'xstate.done.actor.*')).toEqual([{ targets: ['settling'], guard: undefined }]);
    expect(targetsOf(queue.root, 'EXECUTE')).toEqual([{ targets: ['settling'], guard: 'inline' }]);
    const timed = createMachine({
      id: 'timed',
      initial: 'a',
      states: { a: { after: { 1500: 'b', 250: { target: 'c', guard: 'quick' } } }, b: {}, c: { type: 'final' } },
    });
    expect(stateAt(machineGraph(timed), 'a').transitions).toEqual([
      { event: 'after 250ms', targets: ['c'], guard: 'quick', label: 'after 250ms [quick]' },
      { event: 'after 1500ms', targets: ['b'], label: 'after 1500ms' },
    ]);
  });

  it('names guards: by name, combined, inline', () => {
    expect(guardName('ready')).toBe('ready');
    expect(guardName({ type: 'ready', params: { n: 1 } })).toBe('ready');
    expect(guardName(and(['a', not('b')]))).toBe('and(a, not(b))');
    expect(guardName(() => true)).toBe('inline');
    expect(guardName(undefined)).toBeUndefined();
  });

  it('handles parallel states, ids by #name, transitions to the root and clashing keys', () => {
    const odd = setup({ guards: { ok: () => true } }).createMachine({
      id: 'odd',
      initial: 'default',
      on: { RESET: { target: '#odd', reenter: true } },
      states: {
        default: { on: { GO: '#deep' } },
        both: {
          type: 'parallel',
          states: {
            left: { initial: 'waiting', states: { waiting: { id: 'deep', on: { NEXT: { target: 'done', guard: 'ok' } } }, done: { type: 'final' } } },
            right: { initial: 'waiting', states: { waiting: { always: '#odd.state' } } },
          },
        },
        state: { on: { 'a:b;c#d': 'default', 'x.*': 'both' } },
        'with space': {},
      },
    });
    const graph = machineGraph(odd);
    expect(stateAt(graph, 'both').type).toBe('parallel');
    expect(stateAt(graph, 'both').initial).toBeUndefined();
    expect(targetsOf(stateAt(graph, 'default'), 'GO')).toEqual([{ targets: ['both.left.waiting'], guard: undefined }]);
    expect(targetsOf(graph.root, 'RESET')).toEqual([{ targets: [''], guard: undefined }]);
    expect(stateAt(graph, 'both.right.waiting').transitions).toEqual([{ event: 'always', targets: ['state'], label: 'always' }]);

    const text = toMermaid(graph);
    const parsed = parseMermaid(text);
    expect(parsed.errors).toEqual([]);
    // Every state declared once, under its own key, in its parent composite.
    const waitingIds = [...parsed.states].filter(([, s]) => s.label === 'waiting');
    expect(waitingIds.map(([, s]) => s.parent).sort()).toEqual([idOf(parsed, 'left'), idOf(parsed, 'right')].sort());
    expect(new Set(waitingIds.map(([id]) => id)).size).toBe(2);
    for (const key of ['default', 'both', 'left', 'right', 'done', 'state', 'with space']) expect(idOf(parsed, key), key).toBeDefined();
    expect(text).toContain('--\n');
    expect(parsed.edges.some((e) => e.label === 'a.b,c d')).toBe(true);
    expect(parsed.edges.some((e) => e.label === 'x.(any)')).toBe(true);
    // The reset into the machine itself starts and ends at the "(any state)" node.
    const any = idOf(parsed, '(any state)')!;
    expect(parsed.edges).toContainEqual({ from: any, to: any, label: 'RESET', scope: '' });
  });

  it('makes mermaid ids and labels that mermaid reads as one token', () => {
    expect(mermaidId('lockingPort')).toBe('lockingPort');
    for (const bad of ['default', 'defaultState', 'state', 'Note', 'a.b', 'a-b', '1st', '', 'with space']) expect(mermaidId(bad)).toMatch(ID);
    expect(mermaidId('defaultState')).not.toMatch(/^default/i);
    expect(mermaidText('xstate.done.actor.x: y; z # % <b> {c} "q"')).toMatch(LABEL);
    // The checker itself catches what mermaid would not read.
    expect(parseMermaid('stateDiagram-v2\n  a.b --> c\n').errors).not.toEqual([]);
    expect(parseMermaid('stateDiagram-v2\n  a\n  b\n  a --> b : done: x\n').errors).not.toEqual([]);
    expect(parseMermaid('stateDiagram-v2\n  a --> b\n').errors).not.toEqual([]);
    expect(parseMermaid('stateDiagram-v2\n  default\n').errors).not.toEqual([]);
    expect(parseMermaid('stateDiagram-v2\n  state a {\n').errors).not.toEqual([]);
  });
});

describe('toMermaid', () => {
  for (const machine of AGENT_MACHINES) {
    it(`${machine.id}: every state declared, valid ids and labels, initial and final states`, () => {
      const graph = machineGraph(machine);
      const text = toMermaid(graph);
      const parsed = parseMermaid(text);
      expect(parsed.errors).toEqual([]);
      const idByPath = new Map<string, string>();
      for (const node of allStates(graph.root)) {
        if (node.path === '') continue;
        const parentPath = node.path.split('.').slice(0, -1).join('.');
        const parentId = parentPath === '' ? '' : idByPath.get(parentPath);
        const id = idOf(parsed, node.key, parentId);
        expect(id, `${machine.id}: state ${node.path}`).toBeDefined();
        idByPath.set(node.path, id!);
        if (node.type === 'final') expect(parsed.edges, `${node.path} --> [*]`).toContainEqual({ from: id, to: '[*]', label: undefined, scope: parentId });
        // A compound state's invokes are listed on its "(any state of X)" node.
        const invokedBy = node.children.length > 0 ? idOf(parsed, `(any state of ${node.key})`, id) : id;
        for (const src of node.invokes) expect(parsed.notes.get(invokedBy!) ?? []).toContain(`invoke ${src}`);
      }
      for (const src of graph.root.invokes) expect(parsed.notes.get(idOf(parsed, '(any state)', '')!)).toContain(`invoke ${src}`);
      for (const node of allStates(graph.root)) {
        if (node.initial === undefined) continue;
        expect(parsed.edges).toContainEqual({ from: '[*]', to: idByPath.get(node.path ? `${node.path}.${node.initial}` : node.initial), label: undefined, scope: idByPath.get(node.path) ?? '' });
      }
      // Every transition with a target has an arrow between the two states.
      for (const node of allStates(graph.root)) {
        for (const t of node.transitions) {
          for (const target of t.targets) {
            const to = idByPath.get(target);
            if (to === undefined) continue; // into the machine itself
            expect(parsed.edges.some((e) => e.to === to && (e.from === idByPath.get(node.path) || e.from.endsWith('_any'))), `${machine.id}: ${node.path} -> ${target}`).toBe(true);
          }
        }
      }
    });
  }

  it('draws the supervisor: any state to stopping, stopping to stopped, stopped to the end', () => {
    const parsed = parseMermaid(toMermaid(machineGraph(supervisorMachine)));
    const edge = (from: string, to: string) => parsed.edges.find((e) => e.from === from && e.to === to)?.label;
    expect(edge('[*]', 'preflight')).toBeUndefined();
    expect(parsed.edges).toContainEqual({ from: '[*]', to: 'preflight', label: undefined, scope: '' });
    expect(edge('stopping', 'stopped')).toBe('done(shutdown), error(shutdown)');
    expect(edge('preflight', 'lockingPort')).toBe('done(preflight) [preflightPassed]');
    expect(edge('preflight', 'stopping')).toBe('done(preflight) [else], error(preflight)');
    expect(edge('supervisor_any', 'stopping')?.split(', ')).toEqual(expect.arrayContaining(['STOP', 'FATAL', 'AGENT.RESTART', 'error(pingPort)']));
    expect(edge('supervisor_any', 'discovering')).toBe('done(session)');
    expect(edge('supervisor_any', 'backingOff')).toBe('error(session) [mayRestart]');
    expect(edge('backingOff', 'discovering')).toBe('after sessionRestartDelay');
    expect(parsed.edges).toContainEqual({ from: 'stopped', to: '[*]', label: undefined, scope: '' });
    // Every root-level event is taken, and ignored, while stopping.
    expect(parsed.notes.get('stopping')).toEqual(expect.arrayContaining(['invoke shutdown', 'on STOP', 'on FATAL', 'on AGENT.RESTART', 'on done(session)', 'on error(session)', 'on error(pingPort)', 'on CHILD.RESTART_DUE']));
  });

  it('draws the session: online as a composite, arrows out of it at the top level', () => {
    const text = toMermaid(machineGraph(sessionMachine));
    const parsed = parseMermaid(text);
    expect(text).toContain('  state online {\n    state "registering" as registering\n');
    expect(text).toMatch(/\n {4}\[\*\] --> registering\n(.*\n)* {2}\}\n/);
    expect(parsed.states.get('registering')?.parent).toBe('online');
    expect(parsed.states.get('unregistering')?.parent).toBe('');
    expect(parsed.edges).toContainEqual({ from: 'registering', to: 'registered', label: 'done(registration) [registrationAccepted]', scope: 'online' });
    expect(parsed.edges).toContainEqual({ from: 'registering', to: 'unregistering', label: 'done(registration) [else]', scope: '' });
    expect(parsed.edges).toContainEqual({ from: 'online', to: 'unregistering', label: 'LINK.LOST', scope: '' });
    expect(parsed.edges).toContainEqual({ from: 'waiting', to: 'connecting', label: 'after reconnectDelay', scope: '' });
    expect(parsed.edges).toContainEqual({ from: 'connecting', to: 'online', label: 'done(connect)', scope: '' });
    expect(parsed.notes.get('online_any')).toEqual(['invoke listen']);
  });
});

describe('statelyConfig / toStatelyJson', () => {
  const keysOf = (config: { states?: Record<string, unknown> }, prefix = ''): string[] =>
    Object.entries(config.states ?? {}).flatMap(([key, state]) => [prefix + key, ...keysOf(state as { states?: Record<string, unknown> }, `${prefix}${key}.`)]);

  for (const machine of AGENT_MACHINES) {
    it(`${machine.id}: JSON in XState's config shape with every state`, () => {
      const json = toStatelyJson(machine);
      const parsed = JSON.parse(json) as { id: string; initial?: string; states: Record<string, unknown> };
      expect(parsed).toEqual(statelyConfig(machine));
      expect(parsed.id).toBe(machine.id);
      expect(parsed.initial).toBe(machineGraph(machine).root.initial);
      expect(keysOf(parsed).sort()).toEqual(allStates(machineGraph(machine).root).slice(1).map((n) => n.path).sort());
      expect(json).not.toMatch(/=>|function/);
      // XState takes it back: the same states, transitions, guards and invokes.
      expect(machineGraph(createMachine(parsed as never))).toEqual(machineGraph(machine));
    });
  }

  it('keeps names and drops functions', () => {
    const config = statelyConfig(supervisorMachine) as any;
    expect(config.context).toBeUndefined();
    expect(config.output).toBeUndefined();
    expect(config.states.preflight.invoke).toEqual({
      id: 'preflight',
      src: 'preflight',
      input: {},
      onDone: [{ guard: 'preflightPassed', target: 'lockingPort' }, { target: 'stopping', actions: ['fail'] }],
      onError: { target: 'stopping', actions: ['fail', 'logFailure'] },
    });
    expect(config.states.stopping.entry).toEqual([
      { type: 'xstate.stopChild', params: { actorRef: 'recovery' } },
      { type: 'xstate.stopChild', params: { actorRef: 'session' } },
      { type: 'xstate.stopChild', params: { actorRef: 'alerts' } },
      'cancelAllCommands',
      { type: 'xstate.stopChild', params: { actorRef: 'pingPort' } },
      { type: 'xstate.stopChild', params: { actorRef: 'dataCleaner' } },
    ]);
    expect(config.states.stopped).toMatchObject({ type: 'final' });
    expect(config.on.STOP).toEqual({ target: '.stopping', actions: ['xstate.assign', 'logStop'] });
    const session = statelyConfig(sessionMachine) as any;
    expect(session.states.online.states.registering.invoke.onDone[1].target).toBe('#session.unregistering');
    expect(session.states.waiting.after).toEqual({ reconnectDelay: 'connecting' });
    expect(session.states.online.states.registering.invoke.onDone[0].actions[2]).toBe('log');
  });
});

describe('ARCHITECTURE.md', () => {
  it('holds the diagrams the code draws', () => {
    const file = join(ROOT as string, 'ARCHITECTURE.md');
    const doc = readFileSync(file, 'utf8');
    const wanted = replaceDiagramsSection(doc, diagramsSection());
    expect(doc === wanted, 'ARCHITECTURE.md: the machine diagrams are out of date; run `npm run diagrams`').toBe(true);
    for (const machine of AGENT_MACHINES) expect(doc).toContain(`### ${machine.id}\n\n\`\`\`mermaid\nstateDiagram-v2\n`);
  });

  it('lists what each state means in a table under its diagram, and the Stately JSON keeps the descriptions', () => {
    const table = stateDescriptionTable(machineGraph(sessionMachine));
    expect(table.split('\n')[0]).toBe('| state | what the agent does there |');
    expect(table).toContain(`| \`online.registered\` | ${sessionMachine.root.states.online!.states.registered!.description} |`);
    const pipes = setup({}).createMachine({ id: 'p', initial: 'a', states: { a: { description: 'this | that\nnext line' } } });
    expect(stateDescriptionTable(machineGraph(pipes))).toContain('| `a` | this \\| that next line |');
    expect(stateDescriptionTable(machineGraph(createMachine({ id: 'q', initial: 'a', states: { a: {} } })))).toBe('');
    expect((statelyConfig(sessionMachine) as any).states.connecting.description).toBe(sessionMachine.root.states.connecting!.description);
  });

  it('rewrites only what lies between the markers', () => {
    const section = diagramsSection([supervisorMachine] as AnyStateMachine[]);
    const doc = 'before\n<!-- machines:begin -->\nold\n<!-- machines:end -->\nafter\n';
    const out = replaceDiagramsSection(doc, section);
    expect(out.startsWith('before\n<!-- machines:begin -->\n')).toBe(true);
    expect(out.endsWith('<!-- machines:end -->\nafter\n')).toBe(true);
    expect(out).toContain('### supervisor\n\n```mermaid\nstateDiagram-v2\n');
    expect(out).not.toContain('old');
    expect(replaceDiagramsSection(out, section)).toBe(out);
    expect(() => replaceDiagramsSection('no markers', section)).toThrow(/machines:begin/);
  });
});

describe('ambari-agent machines', () => {
  it('--format json prints one JSON document with the fifteen machines', async () => {
    const result = await run(['machines', '--format', 'json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as { machines: Array<{ id: string; graph: MachineGraph; config: { id: string; states: object } }> };
    expect(doc.machines).toHaveLength(15);
    expect(doc.machines.map((m) => m.id)).toEqual(AGENT_MACHINES.map((m) => m.id));
    for (const [i, machine] of AGENT_MACHINES.entries()) {
      expect(doc.machines[i]!.graph).toEqual(machineGraph(machine));
      expect(doc.machines[i]!.config).toEqual(statelyConfig(machine));
    }
  });

  it('prints mermaid by default, without any ini (an empty home)', async () => {
    const home = mkdtempSync(join(tmpdir(), 'aa-machines-'));
    try {
      const result = await run(['machines', '--home', home]);
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
      expect(result.stdout.match(/^%% machine: \w+$/gm)).toEqual(AGENT_MACHINES.map((m) => `%% machine: ${m.id}`));
      expect(result.stdout.match(/^stateDiagram-v2$/gm)).toHaveLength(15);
      for (const chunk of result.stdout.split(/^%% machine: \w+\n/m).slice(1)) expect(parseMermaid(chunk.trimEnd()).errors).toEqual([]);
      const one = await run(['machines', 'session']);
      expect(one.stdout).toBe(`%% machine: session\n${toMermaid(machineGraph(sessionMachine))}`);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('a bad --format: exit 1, one line naming the formats', async () => {
    const result = await run(['machines', '--format', 'xml']);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/mermaid.*json/);
    expect(lines[0]).toContain("'xml'");
  });
});
