// Machine diagrams generated from the code: the agent's XState machine definitions walked into
// plain graphs (MachineGraph), drawn as mermaid `stateDiagram-v2` blocks, or written as an
// XState config in JSON that Stately's editor imports. Used by `ambari-agent machines`, the
// state page and scripts/diagrams.mjs (ARCHITECTURE.md's "Machine diagrams" section).
//
// Pure: it reads the definitions only, never starts an actor.
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { actionQueueMachine } from '../machines/actionQueue.js';
import { commandMachine } from '../machines/command.js';
import { daemonizeMachine } from '../machines/daemonize.js';
import { dataCleanerMachine } from '../machines/dataCleaner.js';
import { discoveryMachine } from '../machines/discovery.js';
import { heartbeatMachine } from '../machines/heartbeat.js';
import { pingPortMachine } from '../machines/pingPort.js';
import { preflightMachine } from '../machines/preflight.js';
import { recoveryMachine } from '../machines/recovery.js';
import { simulationMachine } from '../machines/simulation.js';
import { alertSchedulerMachine } from '../machines/alertScheduler.js';
import { alertMachine } from '../machines/alert.js';
import { registrationMachine } from '../machines/registration.js';
import { sessionMachine } from '../machines/session.js';
import { supervisorMachine } from '../machines/supervisor.js';
import type { MachineGraph, StateGraphNode } from './viewTypes.js';

/** Every machine of the agent: the supervisor, its stages in start-up order, the session's, the queue's. */
export const AGENT_MACHINES: readonly AnyStateMachine[] = [
  supervisorMachine,
  preflightMachine,
  dataCleanerMachine,
  pingPortMachine,
  daemonizeMachine,
  discoveryMachine,
  sessionMachine,
  registrationMachine,
  heartbeatMachine,
  actionQueueMachine,
  commandMachine,
  recoveryMachine,
  alertSchedulerMachine,
  alertMachine,
  simulationMachine,
];

type GraphTransition = StateGraphNode['transitions'][number];

// ---------------------------------------------------------------------------------------------
// The graph

/** The machine's states and transitions as plain data (targets as dotted paths from the root). */
export function machineGraph(machine: AnyStateMachine): MachineGraph {
  const root = stateGraph(machine.root);
  // One way to write a transition, for mermaid and the state page alike.
  for (const node of allStates(root)) for (const transition of node.transitions) transition.label = transitionLabel(transition, node, machine.id);
  return { id: machine.id, root };
}

function stateGraph(node: AnyStateNode): StateGraphNode {
  // XState keeps delayed transitions among the others, under generated `xstate.after.*` events.
  const delayed = new Map<unknown, unknown>(node.after.map((t) => [t, t.delay]));
  const transitions: GraphTransition[] = [];
  for (const [eventType, definitions] of node.transitions) {
    for (const definition of definitions) {
      const event = delayed.has(definition) ? afterEvent(delayed.get(definition)) : eventType;
      transitions.push(graphTransition(event, definition));
    }
  }
  for (const definition of node.always ?? []) transitions.push(graphTransition('always', definition));
  const initial = node.type === 'compound' ? node.initial.target[0]?.key : undefined;
  const graph: StateGraphNode = {
    key: node.parent ? node.key : '',
    path: node.path.join('.'),
    type: node.type,
    ...(node.description ? { description: node.description } : {}),
    ...(initial === undefined ? {} : { initial }),
    children: Object.values(node.states as Record<string, AnyStateNode>).map(stateGraph),
    transitions,
    // XState names logic given inline (not by name) `xstate.invoke.ID`.
    invokes: node.invoke.map(({ src }) => (typeof src === 'string' && !src.startsWith('xstate.invoke.') ? src : 'inline')),
  };
  return graph;
}

function graphTransition(event: string, definition: { target?: ReadonlyArray<AnyStateNode>; guard?: unknown }): GraphTransition {
  const transition: GraphTransition = { event, targets: (definition.target ?? []).map((target) => target.path.join('.')) };
  const guard = guardName(definition.guard);
  if (guard !== undefined) transition.guard = guard;
  return transition;
}

/** `after 10000ms`, or `after reconnectDelay` for a delay named in the machine's setup. */
function afterEvent(delay: unknown): string {
  return typeof delay === 'number' ? `after ${delay}ms` : `after ${typeof delay === 'string' ? delay : 'delay'}`;
}

/** A guard by name: `moreChecks`, `and(a, b)`, `not(a)`; `inline` for an anonymous function. */
export function guardName(guard: unknown): string | undefined {
  if (guard === undefined || guard === null) return undefined;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    const fn = guard as { name: string; guards?: unknown[]; stateValue?: unknown };
    if (Array.isArray(fn.guards) && ['and', 'or', 'not'].includes(fn.name)) return `${fn.name}(${fn.guards.map((g) => guardName(g) ?? 'inline').join(', ')})`;
    if (fn.name === 'stateIn' && fn.stateValue !== undefined) return `stateIn(${typeof fn.stateValue === 'string' ? fn.stateValue : JSON.stringify(fn.stateValue)})`;
    // An arrow function written as `guard: () => ...` is named after the property.
    return fn.name && fn.name !== 'guard' ? fn.name : 'inline';
  }
  if (typeof guard === 'object' && typeof (guard as { type?: unknown }).type === 'string') return (guard as { type: string }).type;
  return 'inline';
}

/** Every state node of the graph, root first, depth first. */
export function allStates(node: StateGraphNode): StateGraphNode[] {
  return [node, ...node.children.flatMap(allStates)];
}

// ---------------------------------------------------------------------------------------------
// Mermaid

/**
 * A transition's event as a diagram label: `done(preflight)` / `error(session)` for an actor's
 * done and error events (an invoke without an id shows its source), `done(any)` for the
 * `xstate.done.actor.*` wildcard; other events as they are. Safe inside a mermaid label.
 */
export function eventLabel(event: string, node: StateGraphNode, machineId: string): string {
  const actor = /^xstate\.(done|error)\.actor\.(.+)$/.exec(event) ?? /^xstate\.(snapshot)\.(.+)$/.exec(event);
  if (actor) return mermaidText(`${actor[1]}(${actorName(actor[2]!, node, machineId)})`);
  const doneState = /^xstate\.done\.state\.(.+)$/.exec(event);
  if (doneState) return mermaidText(`done(state ${doneState[1]!.startsWith(`${machineId}.`) ? doneState[1]!.slice(machineId.length + 1) : doneState[1]})`);
  if (event === '*') return 'any event';
  return mermaidText(event.replace(/\.\*$/, '.(any)'));
}

function actorName(id: string, node: StateGraphNode, machineId: string): string {
  if (id === '*') return 'any';
  // XState names an invoke without an id `INDEX.MACHINE.PATH`.
  const generated = /^(\d+)\.(.+)$/.exec(id);
  if (generated && generated[2] === [machineId, ...(node.path ? [node.path] : [])].join('.')) {
    const src = node.invokes[Number(generated[1])];
    if (src !== undefined) return src;
  }
  return id;
}

/**
 * A transition label: `EVENT [guard]`; `EVENT [else]` for an unguarded transition of `node`
 * that XState only takes when the guarded ones before it for the same event do not pass.
 */
export function transitionLabel(transition: GraphTransition, node: StateGraphNode, machineId: string): string {
  const event = eventLabel(transition.event, node, machineId);
  if (transition.guard !== undefined) return `${event} [${mermaidText(transition.guard)}]`;
  const earlier = node.transitions.slice(0, Math.max(0, node.transitions.indexOf(transition)));
  return earlier.some((t) => t.event === transition.event && t.guard !== undefined) ? `${event} [else]` : event;
}

/**
 * Text that mermaid takes as it is in a label or description: no `:` or `;` (they end the
 * label), no `#` or `%` (comments, entities), no `<>{}"` or backquotes (markup), one line.
 */
export function mermaidText(text: string): string {
  return text
    .replace(/:/g, '.')
    .replace(/;/g, ',')
    .replace(/[#%<>{}"`\r\n\t]/g, ' ')
    .replace(/\bdirection(\s+)(?=(tb|bt|rl|lr)\b)/gi, 'direction_$1')
    .replace(/\s+/g, ' ')
    .trim();
}

/** What mermaid's lexer takes as a word of its own at the start of a line. */
const MERMAID_KEYWORDS = new Set(['state', 'note', 'class', 'classdef', 'scale', 'direction', 'hide', 'acctitle', 'accdescr', 'end', 'click', 'style']);

/** A state id mermaid accepts: letters, digits and `_`, not a keyword, not starting with `default`. */
export function mermaidId(name: string): string {
  let id = name.replace(/[^A-Za-z0-9_]/g, '_');
  if (id === '' || /^[0-9]/.test(id) || MERMAID_KEYWORDS.has(id.toLowerCase()) || /^default/i.test(id) || /^statediagram/i.test(id)) id = `s_${id}`;
  return id;
}

interface MermaidScope {
  machineId: string;
  /** Mermaid id of every state, by path. */
  ids: Map<string, string>;
  /** The "(any state)" node of each compound state that needs one, by path. */
  anyIds: Map<string, string>;
  /** Path of each state's parent. */
  parents: Map<string, string>;
  /** Edges that cross a composite's border (`from --> to` to labels): written at the top level, after every state is declared. */
  crossEdges: Map<string, string[]>;
}

/**
 * The graph as a mermaid `stateDiagram-v2` block. Nested states are `state X { ... }` with
 * `[*] --> initial` inside; final states lead to `[*]`; transitions read `EVENT [guard]`.
 * What a compound state does in any of its substates (the machine's own `on`, or `online`'s
 * listener) starts from an `(any state)` node inside it. A state lists what it invokes and the
 * events it handles without leaving (`on EVENT`) under its name.
 */
export function toMermaid(graph: MachineGraph): string {
  const scope = mermaidScope(graph);
  const lines = ['stateDiagram-v2'];
  emitBody(graph.root, scope, lines, '  ');
  lines.push(...edgeLines(scope.crossEdges, '  '));
  return `${lines.join('\n')}\n`;
}

function mermaidScope(graph: MachineGraph): MermaidScope {
  const states = allStates(graph.root).slice(1);
  const keyCount = new Map<string, number>();
  for (const state of states) keyCount.set(state.key, (keyCount.get(state.key) ?? 0) + 1);
  const used = new Set<string>();
  const unique = (base: string) => {
    let id = base;
    for (let n = 2; used.has(id.toLowerCase()); n++) id = `${base}_${n}`;
    used.add(id.toLowerCase());
    return id;
  };
  const ids = new Map<string, string>();
  for (const state of states) ids.set(state.path, unique(mermaidId(keyCount.get(state.key) === 1 ? state.key : state.path.replace(/\./g, '_'))));
  const parents = new Map<string, string>();
  for (const state of allStates(graph.root)) for (const child of state.children) parents.set(child.path, state.path);
  const anyIds = new Map<string, string>();
  const intoRoot = states.some((state) => state.transitions.some((t) => t.targets.includes('')));
  for (const state of allStates(graph.root)) {
    if (state.children.length > 0 && (needsAnyNode(state) || (state.path === '' && intoRoot))) anyIds.set(state.path, unique(mermaidId(state.path ? `${state.path.replace(/\./g, '_')}_any` : `${graph.id}_any`)));
  }
  return { machineId: graph.id, ids, anyIds, parents, crossEdges: new Map() };
}

const isInside = (path: string, ancestor: string) => ancestor === '' || path === ancestor || path.startsWith(`${ancestor}.`);

/** A compound state that invokes, handles events in place, or leads into itself needs an "(any state)" node. */
function needsAnyNode(node: StateGraphNode): boolean {
  return node.invokes.length > 0 || node.transitions.some((t) => t.targets.length === 0 || t.targets.some((target) => isInside(target, node.path)));
}

/** Lines under a state's name: what it invokes, the events it handles without a transition. */
function stateNotes(node: StateGraphNode, scope: MermaidScope): string[] {
  return [
    ...node.invokes.map((src) => `invoke ${mermaidText(src)}`),
    ...node.transitions.filter((t) => t.targets.length === 0).map((t) => `on ${transitionLabel(t, node, scope.machineId)}`),
  ];
}

function emitBody(node: StateGraphNode, scope: MermaidScope, lines: string[], indent: string): void {
  const id = (path: string) => scope.ids.get(path)!;
  if (node.type === 'parallel') {
    // Regions side by side, separated by `--`.
    node.children.forEach((region, index) => {
      if (index > 0) lines.push(`${indent}--`);
      emitState(region, scope, lines, indent);
    });
  } else {
    // Every state declared before an arrow names it (mermaid places a state where it first sees it).
    for (const child of node.children) emitState(child, scope, lines, indent);
    const initial = node.children.find((child) => child.key === node.initial);
    if (initial) lines.push(`${indent}[*] --> ${id(initial.path)}`);
  }
  // Transitions between two states of this body are drawn inside it, the others at the top.
  const localEdges = new Map<string, string[]>();
  const anyId = scope.anyIds.get(node.path);
  if (anyId !== undefined) {
    const label = node.path === '' ? '(any state)' : `(any state of ${mermaidText(node.key)})`;
    lines.push(`${indent}state "${label}" as ${anyId}`);
    for (const note of stateNotes(node, scope)) lines.push(`${indent}${anyId} : ${note}`);
    for (const transition of node.transitions) {
      for (const target of transition.targets) {
        if (!isInside(target, node.path)) continue;
        const to = target === node.path ? anyId : id(target);
        edge(anyId, to, scope.parents.get(target) === node.path || target === node.path, transitionLabel(transition, node, scope.machineId));
      }
    }
  }
  for (const child of node.children) {
    for (const transition of child.transitions) {
      for (const target of transition.targets) {
        // A compound state's transitions into itself start from its "(any state)" node.
        if (child.children.length > 0 && isInside(target, child.path)) continue;
        const to = target === '' ? scope.anyIds.get('')! : id(target);
        edge(id(child.path), to, scope.parents.get(target) === node.path, transitionLabel(transition, child, scope.machineId));
      }
    }
  }
  lines.push(...edgeLines(localEdges, indent));
  for (const child of node.children) if (child.type === 'final') lines.push(`${indent}${id(child.path)} --> [*]`);

  function edge(from: string, to: string, local: boolean, label: string) {
    const edges = local ? localEdges : scope.crossEdges;
    const key = `${from} --> ${to}`;
    edges.set(key, [...(edges.get(key) ?? []), label]);
  }
}

/** One line per pair of states: the transitions between them share an arrow, their labels joined. */
function edgeLines(edges: Map<string, string[]>, indent: string): string[] {
  return [...edges].map(([arrow, labels]) => `${indent}${arrow} : ${labels.join(', ')}`);
}

function emitState(node: StateGraphNode, scope: MermaidScope, lines: string[], indent: string): void {
  const id = scope.ids.get(node.path)!;
  const label = mermaidText(node.type === 'history' ? `${node.key} (history)` : node.key);
  if (node.children.length > 0) {
    if (label !== id) lines.push(`${indent}state "${label}" as ${id}`);
    lines.push(`${indent}state ${id} {`);
    emitBody(node, scope, lines, `${indent}  `);
    lines.push(`${indent}}`);
    return;
  }
  const notes = stateNotes(node, scope);
  if (label === id && notes.length === 0) {
    lines.push(`${indent}${id}`);
    return;
  }
  // The name first, so that mermaid shows it as the title above the notes.
  lines.push(`${indent}state "${label}" as ${id}`);
  for (const note of notes) lines.push(`${indent}${id} : ${note}`);
}

// ---------------------------------------------------------------------------------------------
// Stately (XState config as JSON)

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/**
 * The machine's config as plain JSON in XState's config shape (`{id, initial, states, on, ...}`),
 * importable into Stately's editor: actions, guards and actors by name, functions (context,
 * inputs, params, output) left out.
 */
export function statelyConfig(machine: AnyStateMachine): JsonObject {
  return stateConfig(machine.config as Record<string, unknown>);
}

/** statelyConfig as a JSON text. */
export function toStatelyJson(machine: AnyStateMachine): string {
  return `${JSON.stringify(statelyConfig(machine), null, 2)}\n`;
}

function stateConfig(config: Record<string, unknown>): JsonObject {
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(config)) {
    if (value === undefined || typeof value === 'function') continue;
    switch (key) {
      case 'states':
        out.states = Object.fromEntries(Object.entries(value as Record<string, Record<string, unknown>>).map(([name, state]) => [name, stateConfig(state)]));
        break;
      case 'on':
      case 'after':
        out[key] = Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([event, t]) => [event, transitions(t)]));
        break;
      case 'always':
      case 'onDone':
        out[key] = transitions(value);
        break;
      case 'invoke':
        out.invoke = Array.isArray(value) ? value.map((i) => invokeConfig(i as Record<string, unknown>)) : invokeConfig(value as Record<string, unknown>);
        break;
      case 'entry':
      case 'exit':
        out[key] = actions(value);
        break;
      default: {
        const plain = toJson(value);
        if (plain !== undefined) out[key] = plain;
      }
    }
  }
  return out;
}

function transitions(value: unknown): Json {
  if (Array.isArray(value)) return value.map((t) => transition(t));
  return transition(value);
}

function transition(value: unknown): Json {
  if (typeof value === 'string' || value === undefined || value === null) return value ?? {};
  const out: JsonObject = {};
  for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
    if (field === undefined) continue;
    if (key === 'guard') out.guard = guardName(field) ?? 'inline';
    else if (key === 'actions') out.actions = actions(field);
    else if (typeof field !== 'function') {
      const plain = toJson(field);
      if (plain !== undefined) out[key] = plain;
    }
  }
  return out;
}

function invokeConfig(invoke: Record<string, unknown>): JsonObject {
  const out: JsonObject = {};
  for (const [key, field] of Object.entries(invoke)) {
    if (field === undefined || typeof field === 'function') continue;
    if (key === 'src') out.src = typeof field === 'string' ? field : typeof invoke.id === 'string' ? invoke.id : 'inline';
    else if (key === 'onDone' || key === 'onError' || key === 'onSnapshot') out[key] = transitions(field);
    else {
      const plain = toJson(field);
      if (plain !== undefined) out[key] = plain;
    }
  }
  // A machine given as the src itself (not by name) has no name to show but its id.
  if (out.src === undefined) out.src = typeof invoke.id === 'string' ? invoke.id : 'inline';
  return out;
}

function actions(value: unknown): Json[] {
  return (Array.isArray(value) ? value : [value]).filter((a) => a !== undefined).map(action);
}

/** An action by name: `'logFailure'`, `{type: 'log', ...}` without its computed params, XState's own as `xstate.assign` etc. */
function action(value: unknown): Json {
  if (typeof value === 'string') return value;
  if (typeof value === 'function') {
    const fn = value as unknown as Record<string, unknown> & { name: string };
    if (typeof fn.type === 'string') {
      const params: JsonObject = {};
      for (const field of ['actorRef', 'id', 'systemId', 'src', 'to'] as const) if (typeof fn[field] === 'string') params[field] = fn[field] as string;
      const event = fn.event as { type?: unknown } | undefined;
      if (event && typeof event === 'object' && typeof event.type === 'string') params.event = event.type;
      return Object.keys(params).length > 0 ? { type: fn.type, params } : fn.type;
    }
    return fn.name ? fn.name : 'inline';
  }
  if (value && typeof value === 'object' && typeof (value as { type?: unknown }).type === 'string') {
    const { type, params } = value as { type: string; params?: unknown };
    const plain = typeof params === 'function' ? undefined : toJson(params);
    return plain === undefined ? type : { type, params: plain };
  }
  return 'inline';
}

/** Plain data as JSON; functions and undefined dropped (undefined when nothing is left). */
function toJson(value: unknown, seen = new WeakSet<object>()): Json | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value !== 'object' || seen.has(value)) return undefined;
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => toJson(item, seen) ?? null);
  const out: JsonObject = {};
  for (const [key, field] of Object.entries(value)) {
    const plain = toJson(field, seen);
    if (plain !== undefined) out[key] = plain;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// ARCHITECTURE.md

export const DIAGRAMS_BEGIN = '<!-- machines:begin -->';
export const DIAGRAMS_END = '<!-- machines:end -->';

/**
 * What each state means, from the machines' `description:`s, as a markdown table under the
 * diagram (inside the diagram they would make every box several lines wide). Empty when no
 * state has one.
 */
export function stateDescriptionTable(graph: MachineGraph): string {
  const described = allStates(graph.root).filter((state) => state.path !== '' && state.description);
  if (described.length === 0) return '';
  const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();
  return ['| state | what the agent does there |', '| --- | --- |', ...described.map((state) => `| \`${state.path}\` | ${cell(state.description!)} |`)].join('\n') + '\n';
}

/** The generated part of ARCHITECTURE.md: a `### id` heading, a mermaid block and the state table per machine. */
export function diagramsSection(machines: readonly AnyStateMachine[] = AGENT_MACHINES): string {
  const blocks = machines.map((machine) => {
    const graph = machineGraph(machine);
    const table = stateDescriptionTable(graph);
    return `### ${machine.id}\n\n\`\`\`mermaid\n${toMermaid(graph)}\`\`\`\n${table ? `\n${table}` : ''}`;
  });
  return [
    DIAGRAMS_BEGIN,
    '<!-- Generated from src/machines/ by `npm run diagrams` (scripts/diagrams.mjs): do not edit by hand. -->',
    '',
    blocks.join('\n'),
    DIAGRAMS_END,
  ].join('\n');
}

/** `document` with the text between the markers (markers included) replaced by `section`. */
export function replaceDiagramsSection(document: string, section: string = diagramsSection()): string {
  const begin = document.indexOf(DIAGRAMS_BEGIN);
  const end = document.indexOf(DIAGRAMS_END);
  if (begin < 0 || end < begin) throw new Error(`no ${DIAGRAMS_BEGIN} ... ${DIAGRAMS_END} section`);
  return document.slice(0, begin) + section + document.slice(end + DIAGRAMS_END.length);
}
