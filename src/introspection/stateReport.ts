// The agent's actor tree as `ambari-agent state` shows it (and SIGUSR1 logs it): per actor its
// id, machine, state, how long it has been in that state, and the few facts that matter for
// that kind of actor (the server, the responseId, running task ids, the next retry). The JSON
// form (`state --json`) is this module's StateReport, field names documented in README.
import type { ActorNode } from './actorTree.js';
import { stateText } from './stateRecorder.js';
import { isPlainObject } from '../util/plainObject.js';
import { recoveryReport, type RecoveryState } from '../actors/recovery/recoveryRules.js';

export interface StateReportNode {
  id: string;
  /** The machine's id; absent for actors that are not machines (promises, callbacks). */
  machine?: string;
  /** active | done | error | stopped. */
  status: string;
  /** The state value as text ('connected', 'online.registered'); absent without states. */
  state?: string;
  /** When the actor entered that state (ms since the epoch), when known. */
  since?: number;
  /** How long it has been in that state, in ms, when known. */
  inStateMs?: number;
  /** The context fields that matter for this kind of actor (see detailsOf). */
  details: Record<string, string | number | boolean | number[]>;
  children: StateReportNode[];
}

export interface StateReport {
  pid: number;
  /** ms since the epoch when the report was made. */
  at: number;
  root: StateReportNode;
}

type Details = StateReportNode['details'];
const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/** Seconds until a delayed transition fires, from when the state was entered. */
function dueIn(node: ActorNode, delaySeconds: number | undefined, now: number): number | undefined {
  if (node.since === undefined || delaySeconds === undefined) return undefined;
  return Math.max(0, Math.round((node.since + delaySeconds * 1000 - now) / 100) / 10);
}

/** The context fields that matter, per machine. */
export function detailsOf(node: ActorNode, now: number): Details {
  const c = node.context ?? {};
  const state = stateText(node.state);
  const out: Record<string, string | number | boolean | number[] | undefined> = {};
  switch (node.machine) {
    case 'supervisor':
      out.activeServer = str(c.activeServer);
      out.pingPort = num(c.boundPort);
      if (state === 'stopping' || state === 'stopped') out.exitCode = num(c.exitCode);
      out.stopReason = str(c.stopReason);
      out.error = str(c.error);
      break;
    case 'discovery': {
      const servers = Array.isArray(c.servers) ? c.servers : [];
      out.server = str(servers[num(c.serverIndex) ?? 0]);
      out.attempt = num(c.attempt);
      out.round = num(c.round);
      if (state === 'waiting') out.nextRetryInS = dueIn(node, num(c.retryDelaySeconds), now);
      out.lastError = str(c.lastError);
      break;
    }
    case 'session':
      out.server = str(c.server);
      out.registrations = num(c.registrations);
      out.connectFailures = num(c.connectFailures) || undefined;
      if (state === 'waiting') out.nextConnectInS = dueIn(node, num(c.reconnectDelaySeconds), now);
      out.lastError = str(c.lastError);
      break;
    case 'heartbeat':
      out.responseId = num(c.responseId);
      out.beats = num(c.beats);
      out.lastRoundTripMs = num(c.lastRoundTripMs) === undefined ? undefined : Math.round(num(c.lastRoundTripMs)! * 10) / 10;
      if (state === 'waiting') out.nextBeatInS = dueIn(node, num(c.intervalSeconds), now);
      break;
    case 'actionQueue':
      out.running = Array.isArray(c.running) ? (c.running as number[]) : [];
      out.queued = Array.isArray(c.queue) ? (c.queue as number[]) : [];
      out.completed = num(c.completed);
      break;
    case 'command':
      out.command = str(c.label);
      out.attempts = num(c.attempts);
      if (state === 'retrying') out.nextRetryInS = dueIn(node, num(c.retryDelaySeconds), now);
      out.cancelReason = str(c.cancelReason);
      break;
    case 'dataCleaner':
      out.passes = num(c.passes);
      if (state === 'waiting') out.nextPassInS = dueIn(node, num(c.intervalSeconds), now);
      break;
    case 'recovery': {
      // The original's get_recovery_status, which it builds and sends nowhere.
      const rules = isPlainObject(c.rules) ? c.rules : {};
      const report = isPlainObject(rules.actions) && (rules.enabled !== true || isPlainObject(rules.limits)) ? recoveryReport(rules as unknown as RecoveryState) : undefined;
      out.summary = report?.summary;
      if (Array.isArray(rules.enabledComponents) && rules.enabledComponents.length > 0) out.components = rules.enabledComponents.join(',');
      if (report?.componentReports?.length) out.attempts = report.componentReports.map((r) => `${r.name}:${r.numAttempts}`).join(',');
      out.inFlight = Array.isArray(c.inFlight) && c.inFlight.length > 0 ? (c.inFlight as number[]) : undefined;
      break;
    }
    case 'alertScheduler':
      out.alerts = Object.keys(isPlainObject(c.scheduled) ? c.scheduled : {}).length;
      out.updates = num(c.updates);
      break;
    case 'alert': {
      const definition = isPlainObject(c.definition) ? c.definition : {};
      const last = isPlainObject(c.last) ? c.last : undefined;
      out.name = str(definition.name);
      out.type = isPlainObject(definition.source) ? str(definition.source.type) : undefined;
      out.last = last ? `${str(last.state) ?? '?'}: ${(str(last.text) ?? '').slice(0, 80)}` : undefined;
      out.checks = num(c.checks);
      out.failures = num(c.failures) || undefined;
      if (state === 'idle') out.nextCheckInS = dueIn(node, (num(c.intervalMs) ?? 60_000) / 1000, now);
      out.lastError = str(c.lastError);
      break;
    }
    case 'pingPort':
      out.port = num(c.port) ?? num(c.requestedPort);
      out.pings = num(c.pings);
      out.error = str(c.error);
      break;
    default:
      break;
  }
  for (const key of Object.keys(out)) if (out[key] === undefined) delete out[key];
  return out as Details;
}

export function stateReportNode(node: ActorNode, now: number): StateReportNode {
  // Built in the documented field order, so the JSON reads top-down.
  return {
    id: node.id,
    ...(node.machine ? { machine: node.machine } : {}),
    status: node.status,
    ...(node.state !== undefined ? { state: stateText(node.state) } : {}),
    ...(node.since !== undefined ? { since: node.since, inStateMs: Math.max(0, now - node.since) } : {}),
    details: detailsOf(node, now),
    children: node.children.map((child) => stateReportNode(child, now)),
  };
}

export function stateReport(root: ActorNode, now: number = Date.now(), pid: number = process.pid): StateReport {
  return { pid, at: now, root: stateReportNode(root, now) };
}

/** 1.2 s, 3 min 4 s, 2 h 5 min. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.floor(s % 60)} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

function detailText(details: Details): string {
  return Object.entries(details)
    .map(([key, value]) => `${key}=${Array.isArray(value) ? `[${value.join(',')}]` : typeof value === 'string' && /\s/.test(value) ? JSON.stringify(value) : String(value)}`)
    .join(' ');
}

/**
 *   supervisor (supervisor) connected for 3 min 4 s  activeServer=h pingPort=8670
 *   ├─ pingPort (pingPort) listening for 3 min 5 s  port=8670 pings=2
 *   └─ session (session) online.registered for 3 min 4 s  server=h
 */
export function formatStateReport(report: StateReport): string {
  const lines: string[] = [];
  const line = (node: StateReportNode): string => {
    const parts = [node.id];
    if (node.machine && node.machine !== node.id) parts.push(`(${node.machine})`);
    if (node.state !== undefined) parts.push(node.state);
    else if (node.status !== 'active') parts.push(node.status);
    if (node.inStateMs !== undefined) parts.push(`for ${formatDuration(node.inStateMs)}`);
    const details = detailText(node.details);
    return details ? `${parts.join(' ')}  ${details}` : parts.join(' ');
  };
  const walk = (node: StateReportNode, prefix: string, childPrefix: string): void => {
    lines.push(`${prefix}${line(node)}`);
    node.children.forEach((child, index) => {
      const last = index === node.children.length - 1;
      walk(child, `${childPrefix}${last ? '└─ ' : '├─ '}`, `${childPrefix}${last ? '   ' : '│  '}`);
    });
  };
  walk(report.root, '', '');
  return lines.join('\n');
}
