// The session's connection to the server: TLS set-up (one-way, verified one-way, or two-way
// with a CSR signed by the server), the STOMP client, and the topic router on it. Plus the
// actors the session, registration and heartbeat machines invoke on that link.
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { fromCallback, fromPromise, type AnyActorRef } from 'xstate';
import { AgentCaches, SYNC_ORDER, type CacheName } from '../../caches/index.js';
import type { AgentIni } from '../../config/schema.js';
import type { LogFn } from '../../logging/logger.js';
import type { BeatResult } from '../../machines/heartbeat.js';
import type { RegistrationResponse } from '../../machines/registration.js';
import { ACTION_QUEUE_ID } from '../../machines/actionQueue.js';
import { ALERT_SCHEDULER_ID } from '../../machines/alertScheduler.js';
import type { LinkEvent } from '../../machines/session.js';
import { StompClient, type StompClientOptions } from '../../protocol/stompClient.js';
import { ensureAgentCertificate } from './agentCertificate.js';
import { ensureServerCa } from './serverCa.js';
import type { TakenTasks } from '../commands/takenTasks.js';
import { RESTART_QUIET_MS } from '../local/restartRecord.js';
import { TopicRouter } from './topicRouter.js';
import { sharedSecureContext, withSecureContext } from './secureContexts.js';

export const STOMP_PATH = '/agent/stomp/v1';

export interface ServerLink {
  server: string;
  client: StompClient;
  router: TopicRouter;
  twoWaySsl: boolean;
}

/** The server's ports and the TLS settings of the link, from the ini ([server], [security]). */
export function linkSettingsFromIni(ini: Pick<AgentIni, 'server' | 'security'>): Pick<LinkSettings, 'urlPort' | 'securedUrlPort' | 'verifyCert' | 'keysdir' | 'serverCrt'> {
  const { server, security } = ini;
  return {
    urlPort: server.url_port,
    securedUrlPort: server.secured_url_port,
    verifyCert: security.ssl_verify_cert !== 0,
    keysdir: security.keysdir,
    serverCrt: security.server_crt,
  };
}

export interface LinkSettings {
  urlPort: number;
  securedUrlPort: number;
  verifyCert: boolean;
  keysdir: string;
  serverCrt: string;
  passphrase: string;
  hostname: () => string;
  caches: AgentCaches;
  log: LogFn;
  /** Task ids taken before (persisted): a command delivered again is not run again. */
  takenTasks: TakenTasks;
  /** prefix/version, named when the server refuses the version. */
  versionFile: string;
  /** The body of /register, built fresh for every registration. */
  registrationBody: (system: { get(id: string): AnyActorRef | undefined }) => Promise<Record<string, unknown>>;
  /** After each accepted registration (HeartbeatThread's post_registration_actions: file_cache.reset). */
  onRegistered?: () => void;
  heartbeat?: [number, number];
  /** Told every key the server sends on /events/encryption_key, whichever link it came on. */
  onEncryptionKey?: (key: string) => void;
  /** The heartbeat body beyond its id: `staleAlerts` when there are any (HeartbeatThread.get_heartbeat_body). */
  heartbeatExtras?: () => Record<string, unknown>;
  /** Until when (epoch ms) a RESTART_AGENT is taken as the restart this agent came from (restartRecord.ts). */
  restartQuietUntil?: number;
  /** False: a server that wants two-way SSL is refused rather than a certificate made in keysdir (simulated hosts without a home). */
  allowTwoWaySsl?: boolean;
  /** Told after each heartbeat answer in sequence or not, with the link it came on (the simulator times them). */
  onHeartbeatAnswer?: (link: unknown) => void;
}

/** GET https://SERVER:url_port/connection_info: does the server want client certificates? */
export function serverWantsTwoWaySsl(host: string, port: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path: '/connection_info', rejectUnauthorized: false, timeout: 10_000, signal, agent: false, ...withSecureContext({}) }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`https://${host}:${port}/connection_info answered HTTP ${res.statusCode}`));
        try {
          resolve(String((JSON.parse(text) as Record<string, unknown>)['security.server.two_way_ssl']).toLowerCase() === 'true');
        } catch {
          reject(new Error(`https://${host}:${port}/connection_info answered no JSON`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from https://${host}:${port}/connection_info`)));
    req.on('error', reject);
    req.end();
  });
}

export async function openLink(server: string, settings: LinkSettings, signal?: AbortSignal, actor = 'session'): Promise<ServerLink> {
  const twoWaySsl = await serverWantsTwoWaySsl(server, settings.urlPort, signal);
  let tls: StompClientOptions['tls'];
  if (twoWaySsl && settings.allowTwoWaySsl === false) {
    throw new Error(`the server at ${server}:${settings.urlPort} wants two-way SSL (client certificates): give --home DIR so that the certificates have a keys dir`);
  }
  if (twoWaySsl) {
    const files = await ensureAgentCertificate({
      keysdir: settings.keysdir,
      hostname: settings.hostname(),
      serverHost: server,
      urlPort: settings.urlPort,
      passphrase: settings.passphrase,
      serverCrtName: settings.serverCrt,
      signal,
    });
    tls = { rejectUnauthorized: true, ca: readFileSync(files.caFile), key: readFileSync(files.keyFile), cert: readFileSync(files.certFile) };
  } else if (settings.verifyCert) {
    const caFile = join(settings.keysdir, settings.serverCrt);
    const { ca, fetched } = await ensureServerCa(caFile, server, settings.urlPort, signal);
    if (fetched) settings.log(actor, 'info', `Saved the server CA from https://${server}:${settings.urlPort}/cert/ca/ to ${caFile}`);
    tls = { rejectUnauthorized: true, ca };
  } else {
    tls = { rejectUnauthorized: false };
  }
  const url = `wss://${server}:${settings.securedUrlPort}${STOMP_PATH}`;
  settings.log(actor, 'info', `Connecting to ${url}${twoWaySsl ? ' (two-way SSL)' : settings.verifyCert ? ' (server certificate verified)' : ''}`);
  const client = await StompClient.connect({ url, tls: { rejectUnauthorized: tls.rejectUnauthorized, secureContext: sharedSecureContext(tls) }, signal, heartbeat: settings.heartbeat });
  const router = new TopicRouter(client, settings.caches, settings.log);
  if (settings.onEncryptionKey) router.onEncryptionKey = settings.onEncryptionKey;
  return { server, client, router, twoWaySsl };
}

const asLink = (link: unknown) => link as ServerLink;

/** A request on a session's link (what the reporters send with). */
export function linkRequest(link: unknown, destination: string, body: unknown): Promise<unknown> {
  return asLink(link).client.request(destination, body);
}

/** The effectful actors of the session, registration and heartbeat machines. */
export function linkActors(settings: LinkSettings) {
  const syncByCache = new Map(SYNC_ORDER.map((step) => [step.cache, step]));
  return {
    connect: fromPromise<unknown, { server: string }>(({ input, signal }) => openLink(input.server, settings, signal, 'session')),
    listen: fromCallback<LinkEvent, { link: unknown }>(({ input, sendBack, system }) => {
      const link = asLink(input.link);
      link.client.onClose((reason) => sendBack({ type: 'LINK.LOST', reason }));
      link.router.onRestart = (reason) => {
        const quietMs = (settings.restartQuietUntil ?? 0) - Date.now();
        if (quietMs > 0) {
          settings.log('session', 'info', `Ignoring ${reason}: this agent started from a restart less than ${RESTART_QUIET_MS / 1000} s ago (${Math.ceil(quietMs / 1000)} s left)`);
          return;
        }
        sendBack({ type: 'AGENT.RESTART', reason });
      };
      link.router.onCommands = (batch) => {
        const queue = system.get(ACTION_QUEUE_ID) as AnyActorRef | undefined;
        if (!queue) throw new Error('the action queue is not running');
        // Cancels first: a cancelled task may come again (the server's reschedule after a timeout).
        for (const cancel of batch.cancels) queue.send({ type: 'CANCEL', taskId: cancel.taskId, reason: cancel.reason });
        if (batch.cancels.length > 0) settings.takenTasks.release(batch.cancels.map((cancel) => cancel.taskId));
        // A task runs once, across restarts too: one taken before is confirmed, not run again.
        const { fresh, repeated } = settings.takenTasks.claim(batch.commands.map((command) => command.taskId));
        if (repeated.length > 0) {
          settings.log('session', 'info', `Task(s) ${repeated.join(', ')} delivered again; taken before (by this agent or the one before it in this home), so not run again`);
        }
        const commands = batch.commands.filter((command, index) => fresh.includes(command.taskId) && batch.commands.findIndex((c) => c.taskId === command.taskId) === index);
        if (commands.length > 0) queue.send({ type: 'EXECUTE', commands });
        if (batch.alertRuns.length > 0) (system.get(ALERT_SCHEDULER_ID) as AnyActorRef | undefined)?.send({ type: 'RUN_NOW', names: batch.alertRuns });
      };
      return () => {
        link.router.onRestart = () => {};
        link.router.onCommands = undefined;
        link.client.close('session ended');
      };
    }),
    disconnect: fromPromise<void, { link: unknown; reason: string }>(async ({ input }) => {
      asLink(input.link)?.client.close(input.reason);
    }),
    subscribe: fromPromise<void, { link: unknown; destinations: string[] }>(async ({ input }) => {
      const { client } = asLink(input.link);
      for (const destination of input.destinations) if (!client.subscriptions.has(destination)) client.subscribe(destination);
    }),
    register: fromPromise<RegistrationResponse, { link: unknown }>(async ({ input, system }) => {
      const body = await settings.registrationBody(system);
      // RegistrationResponse (agent/RegistrationResponse.java): `id`, `exitstatus`, `log`.
      const answer = (await asLink(input.link).client.request('/register', body)) as Partial<RegistrationResponse>;
      if (typeof answer.id !== 'number' || typeof answer.exitstatus !== 'number') throw new Error(`unexpected registration answer ${JSON.stringify(answer).slice(0, 200)}`);
      const response = answer as RegistrationResponse;
      if (response.exitstatus === 0) settings.onRegistered?.();
      if (response.exitstatus !== 0 && /non compatible agent version/i.test(response.log ?? '')) {
        response.hint = `this agent sent agentVersion ${String(body.agentVersion)}, read from ${settings.versionFile}; write the server's version there`;
      }
      return response;
    }),
    sync: fromPromise<void, { link: unknown; cache: string }>(async ({ input }) => {
      const step = syncByCache.get(input.cache as CacheName);
      if (!step) throw new Error(`no sync step for cache ${input.cache}`);
      await asLink(input.link).router.sync(step.cache, step.request, step.topic);
    }),
    beat: fromPromise<BeatResult, { link: unknown; responseId: number }>(async ({ input }) => {
      const link = asLink(input.link);
      const started = performance.now();
      // agent/HeartBeat.java: id, plus staleAlerts (a list of StaleAlert).
      const answer = (await link.client.request('/heartbeat', { id: input.responseId, ...settings.heartbeatExtras?.() })) as { id?: unknown };
      if (typeof answer.id !== 'number') throw new Error(`heartbeat answer without a numeric id: ${JSON.stringify(answer).slice(0, 200)}`);
      settings.onHeartbeatAnswer?.(link);
      return { id: answer.id, roundTripMs: performance.now() - started };
    }),
  };
}
