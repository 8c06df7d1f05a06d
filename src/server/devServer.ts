// A small Ambari-compatible server for development and tests, all on 127.0.0.1 by default:
//  - url_port (HTTPS): GET /ca (discovery probe), GET /cert/ca/, POST /certs/HOST (two-way SSL
//    certificate signing), GET /connection_info;
//  - secured_url_port (WSS): the STOMP agent endpoint /agent/stomp/v1 (registration,
//    heartbeats, post-registration sync, reports), client certificates required with two-way SSL;
//    tasks go out on /user/commands and come back as /reports/commands_status (taskStore.ts);
//  - api_port (HTTP): the JSON API (see apiServer.ts), and with `resourcesDir` the agents'
//    resources (jdk_location) under /resources: files, and .hash/archive.zip per stack folder
//    (resourceFiles.ts);
//  - with `statePage`, a state page on 127.0.0.1 (src/introspection/statePage): its hosts and
//    their tasks as a live tree, with diagrams and recent events (stateSource.ts).
// The data dir keeps the CA and certificates, tasks.json (tasks), hosts.json (hosts' ids and the
// cluster's members), components.json (components placed on hosts), alert_definitions.json and
// recovery.json, so a restarted server carries on
// where it was. Alert results and stale alerts are kept in memory only (agents send them again).
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { createStatePage, type StatePage } from '../introspection/statePage/index.js';
import type { StateSource } from '../introspection/viewTypes.js';
import { AgentConnection, type ServerLog } from './agentEndpoint.js';
import { AlertDefinitionStore } from './alertDefinitionStore.js';
import { AlertReports } from './alertReports.js';
import { createApiServer } from './apiServer.js';
import { CLUSTER_ID, ClusterData } from './clusterData.js';
import { ClusterHosts } from './clusterHosts.js';
import { ComponentStore } from './componentStore.js';
import { loadOrCreateIdentity, type ServerIdentity } from './certificates.js';
import { HostRegistry } from './hostRegistry.js';
import { readJson, sendJson as json } from './httpJson.js';
import { FaultInjector } from './faultInjector.js';
import { RecoveryStore } from './recoverySettings.js';
import { ResourceFiles } from './resourceFiles.js';
import { createServerState } from './stateSource.js';
import { DEFAULT_AMBARI_VERSION } from '../version.js';
import { TaskDispatcher, TaskStore } from './taskStore.js';

export const STOMP_PATH = '/agent/stomp/v1';

export interface DevServerOptions {
  host: string;
  urlPort: number;
  securedUrlPort: number;
  apiPort: number;
  dataDir: string;
  twoWaySsl: boolean;
  /** What agents must send with their CSR (their AMBARI_PASSPHRASE). */
  passphrase: string;
  heartbeatIntervalMs?: number;
  log?: ServerLog;
  /** Serve the state page on 127.0.0.1:port (0: any free port), whatever `host` is. */
  statePage?: { port: number };
  /** Refuse what the Java server refuses (default true; false is --lenient). */
  strict?: boolean;
  /** The Ambari version registrations must match (default DEFAULT_AMBARI_VERSION). */
  ambariVersion?: string;
  /** stomp.max_incoming.message.size (default 2 MiB). */
  maxMessageSize?: number;
  /** execution.command.retry.count / .interval (defaults 4 and 15 s). */
  commandRetryCount?: number;
  commandRetryIntervalMs?: number;
  /** Serve GET /resources/* on api_port from this dir (--resources), as ambari-server its resources dir. */
  resourcesDir?: string;
}

export interface DevServer {
  urlPort: number;
  securedUrlPort: number;
  apiPort: number;
  hosts: HostRegistry;
  tasks: TaskStore;
  /** Pushes tasks to agents, with messageId, resend and ack (commandEmitter.ts). */
  dispatcher: TaskDispatcher;
  faults: FaultInjector;
  cluster: ClusterData;
  /** The agents' alert results and stale alerts. */
  alerts: AlertReports;
  /** What the state page shows (also without the page). */
  stateSource: StateSource;
  /** The state page, when `statePage` was asked for. */
  statePage?: { port: number; url: string };
  close(): Promise<void>;
}

export async function startDevServer(options: DevServerOptions): Promise<DevServer> {
  const log: ServerLog = options.log ?? (() => {});
  const identity = loadOrCreateIdentity(options.dataDir);
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 10_000;
  const hosts = new HostRegistry(heartbeatIntervalMs);
  const cluster = new ClusterData(
    hosts,
    new ComponentStore({ file: join(options.dataDir, 'components.json'), log }),
    Date.now,
    () => ({ host: options.host, port: portOf(apiServer) ?? 0 }),
    {
      alertDefinitions: new AlertDefinitionStore(Number(CLUSTER_ID), { file: join(options.dataDir, 'alert_definitions.json'), log }),
      recovery: new RecoveryStore({ file: join(options.dataDir, 'recovery.json'), log }),
      members: new ClusterHosts({ file: join(options.dataDir, 'hosts.json'), log }),
    },
  );
  const alerts = new AlertReports(Date.now, (id) => cluster.alertDefinitions.get(id)?.name);
  const connections = new Map<string, AgentConnection>();
  const tasks = new TaskDispatcher(new TaskStore(Date.now, { file: join(options.dataDir, 'tasks.json'), log }), hosts, connections, log, {
    ...(options.commandRetryCount !== undefined ? { retryCount: options.commandRetryCount } : {}),
    ...(options.commandRetryIntervalMs !== undefined ? { retryIntervalMs: options.commandRetryIntervalMs } : {}),
  });
  const faults = new FaultInjector();
  const strict = options.strict ?? true;
  tasks.store.lenient = !strict;
  const portOf = (server: HttpsServer | Server) => (server.address() as AddressInfo | null)?.port;
  const state = createServerState({
    hosts,
    tasks: tasks.store,
    alerts,
    heartbeatIntervalMs,
    describe: () => ({ host: options.host, urlPort: portOf(urlServer), securedUrlPort: portOf(securedServer), apiPort: portOf(apiServer) }),
  });

  /** What the agents report: command results update tasks; statuses and versions are kept per host. */
  const onReport = (hostName: string | undefined, destination: string, body: unknown): void => {
    if (!hostName) return;
    state.events.record(hostName, 'event', `REPORT ${destination.replace(/^\/reports\//, '')}`);
    const object = body as Record<string, unknown>; // agentEndpoint passes JSON objects only
    switch (destination) {
      case '/reports/commands_status':
        return tasks.commandReports(hostName, object);
      case '/reports/component_status':
        for (const problem of hosts.recordComponentStatus(hostName, object)) log('warn', `component_status from ${hostName}: ${problem}; ignored`);
        return;
      case '/reports/alerts_status':
        for (const problem of alerts.recordAlerts(hostName, body)) log('warn', `alerts_status from ${hostName}: ${problem}; ignored`);
        state.events.changed();
        return;
      case '/reports/host_status':
        hosts.recordHostStatus(hostName, object);
        return;
      case '/reports/component_version':
        for (const problem of hosts.recordComponentVersions(hostName, object)) log('warn', `component_version from ${hostName}: ${problem}; ignored`);
        return;
      default:
        log('debug', `${destination} report from ${hostName}`);
    }
  };

  const urlServer = createHttpsServer({ key: identity.key, cert: identity.cert }, (req, res) => {
    void serveUrlPort(req, res, identity, options).catch((err: Error) => {
      log('warn', `url_port ${req.method} ${req.url}: ${err.message}`);
      if (!res.headersSent) json(res, 500, { error: err.message });
    });
  });

  const securedServer = createHttpsServer({
    key: identity.key,
    cert: identity.cert,
    ca: identity.caCert,
    requestCert: options.twoWaySsl,
    rejectUnauthorized: options.twoWaySsl,
  });
  // ws' own limit only guards memory: the frame size limit is AgentConnection's, with Jetty's close reason.
  // No per-message deflate (ws' default, made explicit): it would keep zlib state per
  // connection, and the agents' frames are small.
  const wss = new WebSocketServer({ server: securedServer, path: STOMP_PATH, maxPayload: Math.max(64 * 1024 * 1024, (options.maxMessageSize ?? 0) + 1), perMessageDeflate: false });
  wss.on('connection', (ws, req) => {
    const connection = new AgentConnection(
      ws,
      {
        hosts,
        cluster,
        log,
        onReport,
        onRegistered: (registered) => {
          if (registered.hostName) alerts.registered(registered.hostName);
          tasks.registered(registered);
        },
        onHeartbeat: (hostName, body) => {
          const before = alerts.staleOf(hostName);
          alerts.recordStaleAlerts(hostName, body.staleAlerts);
          const after = alerts.staleOf(hostName);
          // Most heartbeats have none before and after: nothing to compare.
          if ((before.length > 0 || after.length > 0) && JSON.stringify(after) !== JSON.stringify(before)) {
            state.events.record(hostName, 'event', 'STALE ALERTS', after.map((s) => s.name ?? s.id).join(', ') || 'none');
          }
        },
        onSubscribed: (subscriber, destination) => tasks.subscribed(subscriber, destination),
        onAck: (connection, ack) => tasks.ack(connection, ack),
        strict,
        ambariVersion: options.ambariVersion ?? DEFAULT_AMBARI_VERSION,
        ...(options.maxMessageSize !== undefined ? { maxMessageSize: options.maxMessageSize } : {}),
        faults,
      },
      `${req.socket.remoteAddress}:${req.socket.remotePort}`);
    connections.set(connection.id, connection);
    ws.on('close', () => connections.delete(connection.id));
  });

  const resources = options.resourcesDir !== undefined ? new ResourceFiles(options.resourcesDir, log) : undefined;
  const apiServer = createApiServer({ hosts, connections, tasks, cluster, faults, alerts, log, ...(resources ? { resources } : {}) });
  const sweeper = setInterval(() => hosts.sweep(), 1000);

  const servers: Array<HttpsServer | Server> = [];
  let statePage: StatePage | undefined;
  try {
    for (const [server, port] of [[urlServer, options.urlPort], [securedServer, options.securedUrlPort], [apiServer, options.apiPort]] as const) {
      await listen(server, port, options.host);
      servers.push(server);
    }
    if (options.statePage) statePage = await createStatePage({ source: state.source, port: options.statePage.port });
  } catch (err) {
    clearInterval(sweeper);
    state.close();
    for (const server of servers) server.close();
    throw err;
  }
  return {
    urlPort: portOf(urlServer)!,
    securedUrlPort: portOf(securedServer)!,
    apiPort: portOf(apiServer)!,
    hosts,
    tasks: tasks.store,
    dispatcher: tasks,
    faults,
    cluster,
    alerts,
    stateSource: state.source,
    ...(statePage ? { statePage: { port: statePage.port, url: statePage.url } } : {}),
    close: async () => {
      clearInterval(sweeper);
      cluster.members.flush();
      tasks.close();
      await statePage?.close();
      state.close();
      for (const connection of connections.values()) connection.close('server shutting down');
      for (const client of wss.clients) client.terminate();
      wss.close();
      await Promise.all(
        [urlServer, securedServer, apiServer].map(
          (server) =>
            new Promise<void>((resolve) => {
              server.closeAllConnections();
              server.close(() => resolve());
            }),
        ),
      );
    },
  };
}

function listen(server: HttpsServer | Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(new Error(`cannot listen on ${host}:${port}: ${err.code === 'EADDRINUSE' ? 'port already in use' : err.message}`));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

async function serveUrlPort(req: IncomingMessage, res: ServerResponse, identity: ServerIdentity, options: DevServerOptions): Promise<void> {
  const path = (req.url ?? '/').split('?')[0]!;
  if (req.method === 'GET' && (path === '/ca' || path === '/ca/' || path === '/cert/ca' || path === '/cert/ca/')) {
    res.writeHead(200, { 'content-type': 'application/x-pem-file' });
    res.end(identity.caCert);
    return;
  }
  if (req.method === 'GET' && (path === '/connection_info' || path === '/connection_info/')) {
    return json(res, 200, { 'security.server.two_way_ssl': String(options.twoWaySsl) });
  }
  const certs = /^\/certs\/([^/]+)\/?$/.exec(path);
  if (req.method === 'POST' && certs) {
    const hostName = decodeURIComponent(certs[1]!);
    const body = (await readJson(req).catch(() => undefined)) as { csr?: unknown; passphrase?: unknown } | undefined;
    if (!body || typeof body.csr !== 'string') return json(res, 200, { result: 'FAIL', message: 'request needs a "csr" string' });
    if (body.passphrase !== options.passphrase) return json(res, 200, { result: 'FAIL', message: 'Passphrase does not match' });
    try {
      return json(res, 200, { result: 'OK', signedCa: await identity.authority.signCsr(body.csr, hostName) });
    } catch (err) {
      return json(res, 200, { result: 'FAIL', message: (err as Error).message });
    }
  }
  json(res, 404, { error: `no such resource: ${req.method} ${path}` });
}
