// One server session: connect (STOMP over WSS), register, then heartbeat while listening to
// the server's topics. A lost connection or failed heartbeat unregisters, waits, and connects
// again; a connection that cannot be made ends the session (the supervisor rediscovers); a
// heartbeat out of sequence or RESTART_AGENT asks the supervisor to restart the agent.
import { assign, fromCallback, fromPromise, sendParent, setup, type ErrorActorEvent } from 'xstate';
import { errorMessage } from '../util/errorMessage.js';
import { heartbeatMachine, type HeartbeatOutput } from './heartbeat.js';
import { logNowhere, type LogParams } from './logParams.js';
import { registrationMachine, type RegistrationOutput } from './registration.js';

/** The original waits one heartbeat interval before registering again. */
export const RECONNECT_DELAY_SECONDS = 10;
/** Consecutive failed connection attempts (reconnectDelay apart) before the session gives up. */
export const MAX_CONNECT_FAILURES = 3;

export interface SessionInput {
  server: string;
  syncSteps: string[];
  reconnectDelaySeconds?: number;
  heartbeatIntervalSeconds?: number;
}

export type LinkEvent = { type: 'LINK.LOST'; reason: string } | { type: 'AGENT.RESTART'; reason: string };

/** What the supervisor hears from its session. */
export type SessionParentEvent =
  | { type: 'SESSION.REGISTERED'; responseId: number }
  | { type: 'SESSION.LOST'; reason: string }
  | { type: 'AGENT.RESTART'; reason: string };

export interface SessionOutput {
  reason: string;
}

interface SessionContext {
  server: string;
  syncSteps: string[];
  reconnectDelaySeconds: number;
  heartbeatIntervalSeconds: number;
  /** The live connection (opaque here; see actors/link/serverLink.ts). */
  link?: unknown;
  responseId?: number;
  registrations: number;
  connectFailures: number;
  lastError?: string;
}

/** A reporter that breaks stops reporting until the next registration; the session goes on. */
function reporterFailed() {
  return {
    type: 'log' as const,
    params: ({ event }: { event: ErrorActorEvent }): LogParams => ({
      level: 'error',
      msg: `${event.actorId} failed: ${errorMessage(event.error)}; it runs again after the next registration`,
    }),
  };
}

export const sessionMachine = setup({
  types: { input: {} as SessionInput, context: {} as SessionContext, events: {} as LinkEvent, output: {} as SessionOutput },
  actors: {
    connect: fromPromise<unknown, { server: string }>(async () => {
      throw new Error('connect must be provided');
    }),
    /** Watches the link: LINK.LOST when it closes; routes topic messages; AGENT.RESTART on request. */
    listen: fromCallback<LinkEvent, { link: unknown }>(() => {
      throw new Error('listen must be provided');
    }),
    disconnect: fromPromise<void, { link: unknown; reason: string }>(async () => {
      throw new Error('disconnect must be provided');
    }),
    registration: registrationMachine,
    heartbeat: heartbeatMachine,
    // The reporters that live while registered (the original's threads under `connected`).
    // They do nothing unless the daemon provides them, so tests of the session alone need not.
    /** Pending command reports to /reports/commands_status. */
    commandReporter: fromCallback<{ type: string }, { link: unknown }>(() => {}),
    /** Alert results to /reports/alerts_status every alert_reports_interval. */
    alertStatus: fromCallback<{ type: string }, { link: unknown }>(() => {}),
    /** Status commands of this host's components, changes to /reports/component_status. */
    componentStatus: fromCallback<{ type: string }, { link: unknown }>(() => {}),
    /** The host's health to /reports/host_status every state_interval_seconds. */
    hostStatus: fromCallback<{ type: string }, { link: unknown }>(() => {}),
    /** Once per registration: component versions to /reports/component_version. */
    componentVersion: fromPromise<number, { link: unknown }>(async () => 0),
  },
  actions: {
    log: logNowhere as (args: unknown, params: LogParams) => void,
  },
  guards: {
    registrationAccepted: (_, params: { output: RegistrationOutput }) => params.output.ok,
    lastConnectAttempt: ({ context }) => context.connectFailures + 1 >= MAX_CONNECT_FAILURES,
    outOfSequence: (_, params: { output: HeartbeatOutput }) => params.output.reason === 'sequence',
  },
  delays: { reconnectDelay: ({ context }) => context.reconnectDelaySeconds * 1000 },
}).createMachine({
  id: 'session',
  context: ({ input }) => ({
    server: input.server,
    syncSteps: input.syncSteps,
    reconnectDelaySeconds: input.reconnectDelaySeconds ?? RECONNECT_DELAY_SECONDS,
    heartbeatIntervalSeconds: input.heartbeatIntervalSeconds ?? 10,
    registrations: 0,
    connectFailures: 0,
  }),
  initial: 'connecting',
  on: {
    'AGENT.RESTART': { target: '.restarting', actions: assign({ lastError: ({ event }) => event.reason }) },
  },
  states: {
    connecting: {
      description: 'Opening the STOMP connection (WebSocket over TLS) to the server.',
      invoke: {
        src: 'connect',
        input: ({ context }) => ({ server: context.server }),
        onDone: { target: 'online', actions: assign({ link: ({ event }) => event.output }) },
        // Never straight back to the server: wait, and give up (rediscover) after a few tries.
        onError: [
          {
            guard: 'lastConnectAttempt',
            target: 'ended',
            actions: [
              assign(({ context, event }) => ({ lastError: errorMessage(event.error), connectFailures: context.connectFailures + 1 })),
              { type: 'log', params: ({ context }) => ({ level: 'warn', msg: `Cannot connect to ${context.server}: ${context.lastError}; giving up after ${context.connectFailures} tries` }) },
            ],
          },
          {
            target: 'waiting',
            actions: [
              assign(({ context, event }) => ({ lastError: errorMessage(event.error), connectFailures: context.connectFailures + 1 })),
              {
                type: 'log',
                params: ({ context }) => ({ level: 'warn', msg: `Cannot connect to ${context.server}: ${context.lastError}; trying again in ${context.reconnectDelaySeconds} s` }),
              },
            ],
          },
        ],
      },
    },
    // Connected: the listener lives as long as the link, across registering and registered.
    online: {
      description: 'Connected: the listener routes the server\'s messages for as long as the connection lasts.',
      invoke: { id: 'listener', src: 'listen', input: ({ context }) => ({ link: context.link }) },
      on: { 'LINK.LOST': { target: 'unregistering', actions: assign({ lastError: ({ event }) => event.reason }) } },
      initial: 'registering',
      states: {
        registering: {
          description: 'Registering with the server and syncing the caches.',
          invoke: {
            id: 'registration',
            src: 'registration',
            input: ({ context }) => ({ link: context.link, syncSteps: context.syncSteps }),
            onDone: [
              {
                guard: { type: 'registrationAccepted', params: ({ event }) => ({ output: event.output }) },
                target: 'registered',
                actions: [
                  assign(({ context, event }) => ({ responseId: event.output.responseId, registrations: context.registrations + 1, connectFailures: 0, lastError: undefined })),
                  sendParent(({ context }): SessionParentEvent => ({ type: 'SESSION.REGISTERED', responseId: context.responseId ?? 0 })),
                  { type: 'log', params: ({ context }) => ({ level: 'info', msg: `Registered with ${context.server} (responseId ${context.responseId})` }) },
                ],
              },
              { target: '#session.unregistering', actions: assign({ lastError: ({ event }) => event.output.error }) },
            ],
          },
        },
        registered: {
          description: 'Registered: heartbeating, with the reporters sending command, component and host status.',
          invoke: [
            {
              id: 'heartbeat',
              src: 'heartbeat',
              input: ({ context }) => ({ link: context.link, responseId: context.responseId ?? 0, intervalSeconds: context.heartbeatIntervalSeconds }),
              onDone: [
                { guard: { type: 'outOfSequence', params: ({ event }) => ({ output: event.output }) }, target: '#session.restarting', actions: assign({ lastError: ({ event }) => event.output.error }) },
                { target: '#session.unregistering', actions: assign({ lastError: ({ event }) => event.output.error }) },
              ],
            },
            { id: 'commandReporter', src: 'commandReporter', input: ({ context }) => ({ link: context.link }), onError: { actions: reporterFailed() } },
            { id: 'componentStatus', src: 'componentStatus', input: ({ context }) => ({ link: context.link }), onError: { actions: reporterFailed() } },
            { id: 'alertStatus', src: 'alertStatus', input: ({ context }) => ({ link: context.link }), onError: { actions: reporterFailed() } },
            { id: 'hostStatus', src: 'hostStatus', input: ({ context }) => ({ link: context.link }), onError: { actions: reporterFailed() } },
            { id: 'componentVersion', src: 'componentVersion', input: ({ context }) => ({ link: context.link }), onError: { actions: reporterFailed() } },
          ],
        },
      },
    },
    unregistering: {
      description: 'The connection was lost or registration failed: closing the connection.',
      entry: [
        sendParent(({ context }): SessionParentEvent => ({ type: 'SESSION.LOST', reason: context.lastError ?? 'connection lost' })),
        {
          type: 'log',
          params: ({ context }) => ({ level: 'warn', msg: `Unregistering from ${context.server} (${context.lastError}); connecting again in ${context.reconnectDelaySeconds} s` }),
        },
      ],
      invoke: {
        src: 'disconnect',
        input: ({ context }) => ({ link: context.link, reason: context.lastError ?? 'unregistering' }),
        onDone: { target: 'waiting', actions: assign({ link: undefined, responseId: undefined }) },
        onError: { target: 'waiting', actions: assign({ link: undefined, responseId: undefined }) },
      },
    },
    waiting: { description: 'Waiting the reconnect delay before connecting again.', after: { reconnectDelay: 'connecting' } },
    restarting: {
      description: 'The agent must restart (heartbeat out of sequence or RESTART_AGENT): the supervisor is told.',
      type: 'final',
      entry: sendParent(({ context }): SessionParentEvent => ({ type: 'AGENT.RESTART', reason: context.lastError ?? 'restart requested' })),
    },
    ended: { description: 'The server could not be reached after several tries: the supervisor discovers a server again.', type: 'final' },
  },
  output: ({ context }) => ({ reason: context.lastError ?? 'session ended' }),
});
