// The dev server's JSON API (plain HTTP on 127.0.0.1): what the server knows of its agents.
// Routes are a table, so later features (commands, tasks) add rows, not branches.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readJson, sendJson as send } from './httpJson.js';
import type { AgentConnection, ServerLog } from './agentEndpoint.js';
import { parseDefinitionRequest } from './alertDefinitionStore.js';
import type { AlertReports } from './alertReports.js';
import { CLUSTER_NAME, type ClusterData, type ClusterEvent } from './clusterData.js';
import type { KnownHost } from './clusterHosts.js';
import { parseComponentRequest } from './componentStore.js';
import { parseRecoveryRequest } from './recoverySettings.js';
import type { FaultInjector } from './faultInjector.js';
import { hostReports, hostSummary, type HostRegistry } from './hostRegistry.js';
import type { ResourceFiles } from './resourceFiles.js';
import { AGENT_ACTIONS_DESTINATION, DEFAULT_ABORT_REASON, parseCommandRequest, type Task, type TaskDispatcher } from './taskStore.js';
import { isPlainObject } from '../util/plainObject.js';

export interface ApiContext {
  hosts: HostRegistry;
  /** Open agent connections by id (HostRecord.connectionId). */
  connections: Map<string, AgentConnection>;
  tasks: TaskDispatcher;
  cluster: ClusterData;
  faults: FaultInjector;
  /** The agents' alert results and stale alerts. */
  alerts: AlertReports;
  log: ServerLog;
  /** GET /resources/* (--resources DIR); without it those requests are 404. */
  resources?: ResourceFiles;
}

const RESOURCES_PATH = /^\/resources(?:\/(.*))?$/s;

type Handler = (context: ApiContext, params: string[], body: unknown, query: URLSearchParams) => { status: number; body: unknown };

/** Agent actions the API can send on /user/agent_actions. */
const AGENT_ACTIONS = ['RESTART_AGENT'];

/** Pushes each event to every connection subscribed to its destination (its host's only, for a host's event): how many got it, per destination. */
// Each body is made into JSON once, and a host's connections are looked up once per call, not
// once per event: adding 500 hosts makes 500 host events and one topology event for 10,000 agents.
function broadcast(connections: Map<string, AgentConnection>, events: ClusterEvent[]): Record<string, number> {
  const pushed: Record<string, number> = {};
  let byHost: Map<string, AgentConnection[]> | undefined;
  for (const { destination, body, hostName } of events) {
    pushed[destination] ??= 0;
    const bytes = Buffer.from(JSON.stringify(body));
    let targets: Iterable<AgentConnection> = connections.values();
    if (hostName !== undefined) {
      byHost ??= connectionsByHost(connections);
      targets = byHost.get(hostName) ?? [];
    }
    for (const connection of targets) if (connection.pushBytes(destination, bytes)) pushed[destination]++;
  }
  return pushed;
}

function connectionsByHost(connections: Map<string, AgentConnection>): Map<string, AgentConnection[]> {
  const byHost = new Map<string, AgentConnection[]>();
  for (const connection of connections.values()) {
    if (connection.hostName === undefined) continue;
    const list = byHost.get(connection.hostName);
    if (list) list.push(connection);
    else byHost.set(connection.hostName, [connection]);
  }
  return byHost;
}

/** The cluster path parameter: the dev server has one cluster (CLUSTER_NAME). */
function clusterParam(value: string | undefined): { status: number; body: unknown } | undefined {
  const name = param(value);
  return name === CLUSTER_NAME ? undefined : { status: 404, body: { error: `no cluster ${name} (this dev server has one: ${CLUSTER_NAME})` } };
}

/** An alert definition id path parameter. */
function definitionId(value: string | undefined): number {
  const text = param(value);
  if (!/^[1-9]\d{0,15}$/.test(text)) throw new BadRequest(`alert definition id must be a positive integer, not ${JSON.stringify(text)}`);
  return Number(text);
}

const DEFINITIONS_PATH = /^\/api\/v1\/clusters\/([^/]+)\/alert_definitions\/?$/;
const DEFINITION_PATH = /^\/api\/v1\/clusters\/([^/]+)\/alert_definitions\/([^/]+)\/?$/;

/** PUT and PATCH alike change only the fields given (as Ambari's PUT on a definition does). */
const changeDefinition: Handler = ({ cluster, connections, log }, [clusterName, id], body) => {
  const missing = clusterParam(clusterName);
  if (missing) return missing;
  const definitionIdValue = definitionId(id);
  const parsed = parseDefinitionRequest(body, false);
  if ('error' in parsed) throw new BadRequest(parsed.error);
  const result = cluster.changeAlertDefinition(definitionIdValue, parsed.changes);
  if (result === undefined) return { status: 404, body: { error: `no alert definition ${definitionIdValue}` } };
  if ('conflict' in result) return { status: 409, body: { error: result.conflict } };
  const pushed = broadcast(connections, result.events);
  log('info', `alert definition ${definitionIdValue} ${result.definition.name} changed (uuid ${result.definition.uuid}); pushed ${JSON.stringify(pushed)}`);
  return { status: 200, body: { definition: result.definition, pushed } };
};

const CLUSTER_HOSTS_PATH = /^\/api\/v1\/clusters\/([^/]+)\/hosts\/?$/;
const CLUSTER_HOST_PATH = /^\/api\/v1\/clusters\/([^/]+)\/hosts\/([^/]+)\/?$/;

/** The host names of a POST .../clusters/dev/hosts body (HostResourceProvider's request: Hosts/host_name). */
function parseHostsBody(body: unknown): string[] {
  const entries = Array.isArray(body) ? body : [body];
  const usage = 'expected [{"Hosts": {"host_name": NAME}}, ...]';
  if (entries.length === 0) throw new BadRequest(`no hosts given; ${usage}`);
  return entries.map((entry, index) => {
    const hosts = isPlainObject(entry) ? entry.Hosts : undefined;
    const name = isPlainObject(hosts) ? hosts.host_name : undefined;
    if (typeof name !== 'string' || name.trim() === '') throw new BadRequest(`entry ${index} has no Hosts/host_name string; ${usage}`);
    return name.trim().toLowerCase();
  });
}

function addHosts({ cluster, connections, log }: ApiContext, hostNames: string[]): { status: number; body: unknown } {
  const result = cluster.addHosts(hostNames);
  // HostResourceProvider.addHosts: "These hosts have not been registered with the server".
  if ('unknown' in result) return { status: 404, body: { error: `these hosts have not registered with the server: ${result.unknown.join(', ')}` } };
  const pushed = broadcast(connections, result.events);
  if (result.added.length > 0) log('info', `${result.added.length} host(s) joined cluster ${CLUSTER_NAME} (${result.added.slice(0, 5).join(', ')}${result.added.length > 5 ? ', ...' : ''}); pushed ${JSON.stringify(pushed)}`);
  return { status: result.added.length > 0 ? 201 : 200, body: { added: result.added, pushed } };
}

function memberSummary(member: KnownHost, hosts: HostRegistry) {
  const record = hosts.get(member.host_name);
  return { host_name: member.host_name, host_id: member.host_id, ipv4: member.ipv4, state: record?.state ?? null, connected: record !== undefined && record.connectionId !== null };
}

/** A task id path parameter: a positive integer, else 400. */
function taskId(value: string | undefined): number {
  const text = param(value);
  if (!/^[1-9]\d{0,15}$/.test(text)) throw new BadRequest(`task id must be a positive integer, not ${JSON.stringify(text)}`);
  return Number(text);
}

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: RegExp;
  handler: Handler;
}

export const ROUTES: Route[] = [
  {
    method: 'GET',
    path: DEFINITIONS_PATH,
    handler: ({ cluster }, [clusterName]) => clusterParam(clusterName) ?? { status: 200, body: { items: cluster.alertDefinitions.list() } },
  },
  {
    // A new alert definition, in the JSON shape agents get (AlertDefinition.java): 201 with
    // its definitionId and uuid; pushed as an UPDATE on /user/alert_definitions to the hosts it
    // applies to; 409 when the name is taken.
    method: 'POST',
    path: DEFINITIONS_PATH,
    handler: ({ cluster, connections, log }, [clusterName], body) => {
      const missing = clusterParam(clusterName);
      if (missing) return missing;
      const parsed = parseDefinitionRequest(body, true);
      if ('error' in parsed) throw new BadRequest(parsed.error);
      const result = cluster.createAlertDefinition(parsed.changes);
      if ('conflict' in result) return { status: 409, body: { error: result.conflict } };
      const pushed = broadcast(connections, result.events);
      log('info', `alert definition ${result.definition.definitionId} ${result.definition.name} created; pushed ${JSON.stringify(pushed)}`);
      return { status: 201, body: { definition: result.definition, pushed } };
    },
  },
  {
    method: 'GET',
    path: DEFINITION_PATH,
    handler: ({ cluster }, [clusterName, id]) => {
      const missing = clusterParam(clusterName);
      if (missing) return missing;
      const definition = cluster.alertDefinitions.get(definitionId(id));
      return definition ? { status: 200, body: definition } : { status: 404, body: { error: `no alert definition ${param(id)}` } };
    },
  },
  { method: 'PUT', path: DEFINITION_PATH, handler: changeDefinition },
  { method: 'PATCH', path: DEFINITION_PATH, handler: changeDefinition },
  {
    // Removed: a DELETE on /user/alert_definitions to the hosts that had it.
    method: 'DELETE',
    path: DEFINITION_PATH,
    handler: ({ cluster, connections, log }, [clusterName, id]) => {
      const missing = clusterParam(clusterName);
      if (missing) return missing;
      const result = cluster.removeAlertDefinition(definitionId(id));
      if (result === undefined) return { status: 404, body: { error: `no alert definition ${param(id)}` } };
      const pushed = broadcast(connections, result.events);
      log('info', `alert definition ${result.definition.definitionId} ${result.definition.name} removed; pushed ${JSON.stringify(pushed)}`);
      return { status: 200, body: { definition: result.definition, pushed } };
    },
  },
  {
    // The cluster's members (by id): name, id, address, and whether the host is connected.
    method: 'GET',
    path: CLUSTER_HOSTS_PATH,
    handler: ({ cluster, hosts }, [clusterName]) =>
      clusterParam(clusterName) ?? { status: 200, body: { items: cluster.members.members().map((member) => memberSummary(member, hosts)) } },
  },
  {
    // Registered hosts join the cluster, Ambari's body: [{"Hosts": {"host_name": "h1"}}, ...]
    // (one object alone too). One topology UPDATE goes to every agent for the whole batch.
    method: 'POST',
    path: CLUSTER_HOSTS_PATH,
    handler: (context, [clusterName], body) => clusterParam(clusterName) ?? addHosts(context, parseHostsBody(body)),
  },
  {
    method: 'GET',
    path: CLUSTER_HOST_PATH,
    handler: ({ cluster, hosts }, [clusterName, name]) => {
      const missing = clusterParam(clusterName);
      if (missing) return missing;
      const member = cluster.members.get(param(name).toLowerCase());
      if (!member?.member) return { status: 404, body: { error: `${param(name)} is not a host of cluster ${CLUSTER_NAME}` } };
      return { status: 200, body: memberSummary(member, hosts) };
    },
  },
  {
    method: 'POST',
    path: CLUSTER_HOST_PATH,
    handler: (context, [clusterName, name], body) => {
      const missing = clusterParam(clusterName);
      if (missing) return missing;
      if (body !== undefined && !(isPlainObject(body) && Object.keys(body).length === 0)) throw new BadRequest(`POST ${CLUSTER_NAME}/hosts/NAME takes no body (or {}), not ${JSON.stringify(body).slice(0, 100)}`);
      return addHosts(context, [param(name).toLowerCase()]);
    },
  },
  {
    // The host leaves the cluster (a topology DELETE to every agent); it keeps its id. 409 when
    // components are placed on it.
    method: 'DELETE',
    path: CLUSTER_HOST_PATH,
    handler: ({ cluster, connections, log }, [clusterName, name]) => {
      const missing = clusterParam(clusterName);
      if (missing) return missing;
      const hostName = param(name).toLowerCase();
      const result = cluster.removeHost(hostName);
      if ('notMember' in result) return { status: 404, body: { error: `${hostName} is not a host of cluster ${CLUSTER_NAME}` } };
      if ('conflict' in result) return { status: 409, body: { error: result.conflict } };
      const pushed = broadcast(connections, result.events);
      log('info', `${hostName} (id ${result.host.host_id}) left cluster ${CLUSTER_NAME}; pushed ${JSON.stringify(pushed)}`);
      return { status: 200, body: { host_name: hostName, host_id: result.host.host_id, pushed } };
    },
  },
  {
    // The recovery settings, and what each known host's recoveryConfig lists now.
    method: 'GET',
    path: /^\/api\/v1\/clusters\/([^/]+)\/recovery\/?$/,
    handler: ({ cluster, hosts }, [clusterName]) =>
      clusterParam(clusterName) ?? {
        status: 200,
        body: { ...cluster.recovery.get(), hosts: Object.fromEntries(hosts.list().map((h) => [h.host_name, cluster.recoveryComponents(h.host_name)])) },
      },
  },
  {
    // {recovery_enabled?, recovery_type?, recovery_max_count?, recovery_window_in_minutes?,
    // recovery_retry_interval?, recovery_lifetime_max_count?, components?}: the keys given are
    // set (null removes one), `components` (names) replaces the list of components that recover.
    method: 'PUT',
    path: /^\/api\/v1\/clusters\/([^/]+)\/recovery\/?$/,
    handler: ({ cluster, connections, log }, [clusterName], body) => {
      const missing = clusterParam(clusterName);
      if (missing) return missing;
      const parsed = parseRecoveryRequest(body);
      if ('error' in parsed) throw new BadRequest(parsed.error);
      const result = cluster.setRecovery(parsed.request);
      const pushed = broadcast(connections, result.events);
      log('info', `recovery settings ${JSON.stringify(result.settings)}; pushed ${JSON.stringify(pushed)}`);
      return { status: 200, body: { ...result.settings, pushed } };
    },
  },
  {
    // The host's latest alert results (per alert: count and first/last timestamps of its
    // current state) and the stale alerts of its latest heartbeat.
    method: 'GET',
    path: /^\/api\/v1\/hosts\/([^/]+)\/alerts\/?$/,
    handler: ({ hosts, alerts }, [name]) => {
      const record = hosts.get(param(name).toLowerCase());
      if (!record) return { status: 404, body: { error: `no host ${name}` } };
      return { status: 200, body: { host_name: record.host_name, alerts: alerts.alertsOf(record.host_name), stale_alerts: alerts.staleOf(record.host_name) } };
    },
  },
  { method: 'GET', path: /^\/api\/v1\/hosts\/?$/, handler: ({ hosts }) => ({ status: 200, body: { items: hosts.list().map(hostSummary) } }) },
  {
    method: 'GET',
    path: /^\/api\/v1\/hosts\/([^/]+)\/?$/,
    handler: ({ hosts }, [name]) => {
      const record = hosts.get(param(name).toLowerCase());
      if (!record) return { status: 404, body: { error: `no host ${name}` } };
      return { status: 200, body: { ...hostSummary(record), registration: record.registration, ...hostReports(record) } };
    },
  },
  {
    // A new task: an execution command for the host's agent, pushed at once when the agent is
    // connected and subscribed to /user/commands, else when it is back (status PENDING until then).
    method: 'POST',
    path: /^\/api\/v1\/hosts\/([^/]+)\/commands\/?$/,
    handler: ({ hosts, tasks, cluster }, [name], body) => {
      const record = hosts.get(param(name).toLowerCase());
      if (!record) return { status: 404, body: { error: `no host ${name}` } };
      const parsed = parseCommandRequest(body);
      if ('error' in parsed) throw new BadRequest(parsed.error);
      let request = parsed.request;
      // No script: the role is a component placed on the host, and the command goes out as the
      // Java server's (its script relative to the service package folder of the metadata).
      if (request.script === undefined) {
        const component = cluster.components.list().find((c) => c.component_name === request.role && c.hosts.includes(record.host_name));
        if (!component) throw new BadRequest(`no "script" given and no component ${request.role} is placed on ${record.host_name} (POST /api/v1/hosts/${record.host_name}/components first)`);
        if (request.service_name !== 'null' && request.service_name !== component.service_name) {
          throw new BadRequest(`component ${request.role} belongs to service ${component.service_name}, not ${request.service_name}`);
        }
        request = { ...request, script: component.script, script_type: component.script_type, service_name: component.service_name, from_component: true };
      }
      const task = tasks.submit(record.host_name, request);
      return { status: 201, body: { task_id: task.task_id, request_id: task.request_id, status: task.status } };
    },
  },
  {
    // A component on the host: {"service_name", "component_name", "script", "script_type"?,
    // "version"?}. 201 when the topology changed (agents subscribed to /events/topologies, and
    // to /events/metadata for a new service, are told at once), 200 when it was there already,
    // 409 when the component exists with another definition.
    method: 'POST',
    path: /^\/api\/v1\/hosts\/([^/]+)\/components\/?$/,
    handler: ({ hosts, connections, cluster, log }, [name], body) => {
      const record = hosts.get(param(name).toLowerCase());
      if (!record) return { status: 404, body: { error: `no host ${name}` } };
      const parsed = parseComponentRequest(body);
      if ('error' in parsed) throw new BadRequest(parsed.error);
      const result = cluster.addComponent(record.host_name, parsed.request);
      if (result.outcome === 'conflict') return { status: 409, body: { error: result.error } };
      const pushed = broadcast(connections, result.events);
      if (result.outcome !== 'unchanged') {
        log('info', `component ${result.component.service_name}/${result.component.component_name} on ${record.host_name} (hosts ${result.component.hosts.join(', ')}); pushed ${JSON.stringify(pushed)}`);
      }
      return {
        status: result.outcome === 'created' || result.outcome === 'added' ? 201 : 200,
        body: { host_name: record.host_name, component: result.topology, host_names: result.component.hosts, pushed },
      };
    },
  },
  {
    // {"action": "RESTART_AGENT"}: a MESSAGE {actionName} on the agent's /user/agent_actions.
    method: 'POST',
    path: /^\/api\/v1\/hosts\/([^/]+)\/actions\/?$/,
    handler: ({ hosts, tasks }, [name], body) => {
      const record = hosts.get(param(name).toLowerCase());
      if (!record) return { status: 404, body: { error: `no host ${name}` } };
      if (!isPlainObject(body) || typeof body.action !== 'string') throw new BadRequest(`expected {"action": ${AGENT_ACTIONS.map((a) => JSON.stringify(a)).join(' | ')}}`);
      const unknown = Object.keys(body).filter((key) => key !== 'action');
      if (unknown.length > 0) throw new BadRequest(`unknown field(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')}; expected {"action"}`);
      if (!AGENT_ACTIONS.includes(body.action)) throw new BadRequest(`unknown action ${JSON.stringify(body.action)}; known: ${AGENT_ACTIONS.join(', ')}`);
      const connection = tasks.connectionOf(record.host_name);
      if (!connection) return { status: 409, body: { error: `${record.host_name} is not connected` } };
      if (!connection.push(AGENT_ACTIONS_DESTINATION, { actionName: body.action })) {
        return { status: 409, body: { error: `${record.host_name} is not subscribed to ${AGENT_ACTIONS_DESTINATION}`, subscribed: connection.subscribed() } };
      }
      return { status: 200, body: { host_name: record.host_name, action: body.action, sent: AGENT_ACTIONS_DESTINATION } };
    },
  },
  {
    // Fault injection: cuts the host's connection (its WebSocket terminated, no close
    // handshake, as a network failure). 409 when the host has no open connection.
    method: 'POST',
    path: /^\/api\/v1\/hosts\/([^/]+)\/cut\/?$/,
    handler: ({ hosts, tasks }, [name]) => {
      const record = hosts.get(param(name).toLowerCase());
      if (!record) return { status: 404, body: { error: `no host ${name}` } };
      const connection = tasks.connectionOf(record.host_name);
      if (!connection) return { status: 409, body: { error: `${record.host_name} is not connected` } };
      connection.cut();
      return { status: 200, body: { host_name: record.host_name, cut: connection.id } };
    },
  },
  {
    // Fault injection: {"destination": "/reports/commands_status", "count": N} answers the
    // host's next N SENDs to that destination with the Java error shape, applying nothing
    // (count 0 clears). Answers the failures still pending, by destination.
    method: 'POST',
    path: /^\/api\/v1\/hosts\/([^/]+)\/fail_next\/?$/,
    handler: ({ hosts, faults }, [name], body) => {
      const record = hosts.get(param(name).toLowerCase());
      if (!record) return { status: 404, body: { error: `no host ${name}` } };
      const request = isPlainObject(body) ? body : {};
      const unknown = Object.keys(request).filter((key) => key !== 'destination' && key !== 'count');
      if (unknown.length > 0) throw new BadRequest(`unknown field(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')}; expected {"destination", "count"}`);
      if (typeof request.destination !== 'string' || !request.destination.startsWith('/')) throw new BadRequest('"destination" must be a STOMP destination such as "/reports/commands_status"');
      const count = request.count ?? 1;
      if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) throw new BadRequest(`"count" must be a whole number >= 0, not ${JSON.stringify(count)}`);
      faults.failNext(record.host_name, request.destination, count);
      return { status: 200, body: { host_name: record.host_name, fail_next: faults.pending(record.host_name) } };
    },
  },
  {
    // All tasks, or ?host=NAME's, by id; each with `delivery` (null until sent): the latest
    // /user/commands message carrying it, {message_id, sent_count, acknowledged, given_up}.
    method: 'GET',
    path: /^\/api\/v1\/tasks\/?$/,
    handler: ({ hosts, tasks }, _params, _body, query) => {
      const host = query.get('host');
      const withDelivery = (list: Task[]) => list.map((task) => ({ ...task, delivery: tasks.delivery(task.task_id) ?? null }));
      if (host === null) return { status: 200, body: { items: withDelivery(tasks.store.list()) } };
      const record = hosts.get(host.toLowerCase());
      if (!record) return { status: 404, body: { error: `no host ${host}` } };
      return { status: 200, body: { items: withDelivery(tasks.store.list(record.host_name)) } };
    },
  },
  {
    method: 'GET',
    path: /^\/api\/v1\/tasks\/([^/]+)\/?$/,
    handler: ({ tasks }, [id]) => {
      const task = tasks.store.get(taskId(id));
      if (!task) return { status: 404, body: { error: `no task ${id}` } };
      return { status: 200, body: { ...task, delivery: tasks.delivery(task.task_id) ?? null } };
    },
  },
  {
    // {"reason"?: TEXT}: ABORTED; an agent that has the command gets a cancel command on
    // /user/commands (now, or when it is back). 409 when the task already finished.
    method: 'POST',
    path: /^\/api\/v1\/tasks\/([^/]+)\/abort\/?$/,
    handler: ({ tasks }, [id], body) => {
      const taskIdValue = taskId(id);
      if (!isPlainObject(body) || Object.keys(body).some((key) => key !== 'reason') || (body.reason !== undefined && typeof body.reason !== 'string')) {
        throw new BadRequest('expected {} or {"reason": TEXT}');
      }
      const result = tasks.abort(taskIdValue, (body.reason as string | undefined) ?? DEFAULT_ABORT_REASON);
      if (result.outcome === 'unknown') return { status: 404, body: { error: `no task ${id}` } };
      if (result.outcome === 'finished') return { status: 409, body: { error: `task ${taskIdValue} already finished (${result.task.status})`, task_status: result.task.status } };
      const cancel = !result.cancel ? 'not needed' : result.cancelSent ? 'sent' : 'pending';
      return { status: 200, body: { task_id: taskIdValue, status: result.task.status, cancel } };
    },
  },
  {
    // Fault injection for tests of agents: {"wrong_heartbeat_id": true} answers the host's
    // next heartbeat with an id out of sequence, which must make the agent restart.
    method: 'POST',
    path: /^\/api\/v1\/hosts\/([^/]+)\/faults\/?$/,
    handler: ({ hosts }, [name], body) => {
      const record = hosts.get(param(name).toLowerCase());
      if (!record) return { status: 404, body: { error: `no host ${name}` } };
      if (!body || typeof body !== 'object' || typeof (body as Record<string, unknown>).wrong_heartbeat_id !== 'boolean') {
        return { status: 400, body: { error: 'expected {"wrong_heartbeat_id": true|false}' } };
      }
      record.wrongHeartbeatIdOnce = (body as { wrong_heartbeat_id: boolean }).wrong_heartbeat_id;
      return { status: 200, body: { host_name: record.host_name, wrong_heartbeat_id: record.wrongHeartbeatIdOnce } };
    },
  },
  {
    // Sends a message to a host's agent, for testing agents: {"destination", "body"} sends a
    // MESSAGE (body: any JSON, or a string sent as is) on the agent's subscription;
    // {"raw": TEXT} writes TEXT to the WebSocket untouched (broken frames included);
    // {"destination", "large_body_bytes": N} sends a JSON body of N bytes made here (the API
    // itself takes bodies of 1 MiB at most, and `npm run chaos` sends 50 MB ones).
    method: 'POST',
    path: /^\/api\/v1\/hosts\/([^/]+)\/messages\/?$/,
    handler: ({ hosts, connections }, [name], body) => {
      const record = hosts.get(param(name).toLowerCase());
      const connection = record?.connectionId ? connections.get(record.connectionId) : undefined;
      if (!record || !connection) return { status: 404, body: { error: `no connected host ${name}` } };
      const message = (body ?? {}) as { destination?: unknown; body?: unknown; raw?: unknown; headers?: unknown; large_body_bytes?: unknown };
      if (typeof message.raw === 'string') {
        connection.pushRaw(message.raw);
        return { status: 200, body: { sent: 'raw', bytes: Buffer.byteLength(message.raw) } };
      }
      if (typeof message.destination !== 'string') return { status: 400, body: { error: 'expected {"destination", "body"} or {"raw"}' } };
      const headers = message.headers ?? {};
      if (typeof headers !== 'object' || Array.isArray(headers) || Object.values(headers).some((v) => typeof v !== 'string')) {
        return { status: 400, body: { error: '"headers" must be an object of strings' } };
      }
      const stringHeaders = headers as Record<string, string>;
      if (message.large_body_bytes !== undefined) {
        const size = message.large_body_bytes;
        if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < LARGE_BODY_MIN || size > LARGE_BODY_MAX) {
          return { status: 400, body: { error: `"large_body_bytes" must be a whole number from ${LARGE_BODY_MIN} to ${LARGE_BODY_MAX}, not ${JSON.stringify(size)}` } };
        }
        if (message.body !== undefined) return { status: 400, body: { error: 'give "body" or "large_body_bytes", not both' } };
        message.body = largeBody(size);
      }
      const sent =
        typeof message.body === 'string'
          ? connection.pushText(message.destination, message.body, stringHeaders)
          : connection.push(message.destination, message.body ?? {}, stringHeaders);
      if (!sent) return { status: 409, body: { error: `${record.host_name} is not subscribed to ${message.destination}`, subscribed: connection.subscribed() } };
      return { status: 200, body: { sent: message.destination } };
    },
  },
];

const LARGE_BODY_MIN = 16;
const LARGE_BODY_MAX = 100 * 1024 * 1024;

/** `{"padding":"xxx...xxx"}`, exactly `bytes` bytes of JSON text. */
function largeBody(bytes: number): string {
  const frame = '{"padding":""}';
  return `{"padding":"${'x'.repeat(bytes - frame.length)}"}`;
}

/** A request the API refuses (400): thrown by handlers, answered as {"error": message}. */
export class BadRequest extends Error {}

export function createApiServer(context: ApiContext, routes: Route[] = ROUTES): Server {
  return createServer((req, res) => {
    respond(req, res, context, routes).catch((err: unknown) => {
      // No request may take the server down: unexpected errors are a 500 for that request.
      if (!res.headersSent) send(res, err instanceof BadRequest ? 400 : 500, { error: (err as Error)?.message ?? String(err) });
      else res.destroy();
    });
  });
}

/** A path parameter, percent-decoded; a malformed escape is the client's mistake (400). */
function param(value: string | undefined): string {
  try {
    return decodeURIComponent(value ?? '');
  } catch {
    throw new BadRequest(`malformed percent-encoding in ${JSON.stringify(value)}`);
  }
}

async function respond(req: IncomingMessage, res: ServerResponse, context: ApiContext, routes: Route[]): Promise<void> {
  const [path = '/', search = ''] = (req.url ?? '/').split(/\?(.*)/s);
  // The agents' jdk_location (ambariLevelParams): binary files, not JSON, so not in ROUTES.
  const resource = RESOURCES_PATH.exec(path);
  if (resource) {
    if (!context.resources) return send(res, 404, { error: 'this dev server was started without --resources' });
    return context.resources.handle(req, res, resource[1] ?? '');
  }
  const matching = routes.filter((route) => route.path.test(path));
  const route = matching.find((r) => r.method === req.method);
  if (!route) {
    return send(res, matching.length > 0 ? 405 : 404, { error: matching.length > 0 ? `${req.method} not allowed on ${path}` : `no such resource: ${path}` });
  }
  let body: unknown;
  if (req.method === 'POST' || req.method === 'PUT' || req.method === 'PATCH') {
    // A web page may send a "simple" cross-site POST (text/plain, form data) without asking:
    // only application/json is taken, which a browser sends cross-site only after a CORS
    // preflight this server never grants. So no page the operator visits can create tasks.
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== 'application/json') {
      req.resume();
      return send(res, 415, { error: `${req.method} bodies must be sent as content-type application/json${type === '' ? '' : `, not ${type}`}` });
    }
    try {
      body = await readJson(req);
    } catch (err) {
      return send(res, 400, { error: (err as Error).message });
    }
  }
  const params = route.path.exec(path)!.slice(1);
  const result = route.handler(context, params, body, new URLSearchParams(search));
  send(res, result.status, result.body);
}
