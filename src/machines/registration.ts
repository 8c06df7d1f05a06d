// Registration, in the reference's order: subscribe to the pre-registration topics, send
// /register and wait for its answer (exitstatus 0, else a logged failure), then the five
// post-registration sync requests one after another, then subscribe to /user/commands.
// Every step is an injected actor working on the session's connection.
import { assign, fromPromise, setup } from 'xstate';
import { errorMessage } from '../util/errorMessage.js';
import { logNowhere, type LogParams } from './logParams.js';

export interface RegistrationResponse {
  id: number;
  exitstatus: number;
  log?: string;
  errorMessage?: string;
  /** The agent's own note on a refusal (e.g. where its version comes from), not the server's. */
  hint?: string;
}

export interface RegistrationInput {
  link: unknown;
  /** Names of the caches synced after registration, in order. */
  syncSteps: string[];
}

export interface RegistrationOutput {
  ok: boolean;
  responseId?: number;
  error?: string;
}

interface RegistrationContext extends RegistrationInput {
  step: number;
  responseId?: number;
  error?: string;
}

export const PRE_REGISTRATION_TOPICS = ['/user/', '/user/agent_actions', '/events/encryption_key'];
export const POST_REGISTRATION_TOPICS = ['/user/commands'];

export const registrationMachine = setup({
  types: { input: {} as RegistrationInput, context: {} as RegistrationContext, output: {} as RegistrationOutput },
  actors: {
    subscribe: fromPromise<void, { link: unknown; destinations: string[] }>(async () => {
      throw new Error('subscribe must be provided');
    }),
    register: fromPromise<RegistrationResponse, { link: unknown }>(async () => {
      throw new Error('register must be provided');
    }),
    sync: fromPromise<void, { link: unknown; cache: string }>(async () => {
      throw new Error('sync must be provided');
    }),
  },
  actions: { log: logNowhere as (args: unknown, params: LogParams) => void },
  guards: {
    accepted: (_, params: { response: RegistrationResponse }) => params.response.exitstatus === 0,
    moreSteps: ({ context }) => context.step + 1 < context.syncSteps.length,
  },
}).createMachine({
  id: 'registration',
  context: ({ input }) => ({ ...input, step: 0 }),
  initial: 'subscribing',
  states: {
    subscribing: {
      description: 'Subscribing to the topics the server answers registration on.',
      invoke: {
        src: 'subscribe',
        input: ({ context }) => ({ link: context.link, destinations: PRE_REGISTRATION_TOPICS }),
        onDone: 'registering',
        onError: { target: 'failed', actions: assign({ error: ({ event }) => `subscribe failed: ${errorMessage(event.error)}` }) },
      },
    },
    registering: {
      description: 'Sent /register: waiting for the server to accept (exitstatus 0) or refuse.',
      invoke: {
        src: 'register',
        input: ({ context }) => ({ link: context.link }),
        onDone: [
          {
            guard: { type: 'accepted', params: ({ event }) => ({ response: event.output }) },
            target: 'syncing',
            actions: [
              assign({ responseId: ({ event }) => event.output.id }),
              { type: 'log', params: ({ event }) => ({ level: 'info', msg: `Registration response received: responseId ${event.output.id}` }) },
            ],
          },
          {
            target: 'failed',
            actions: assign({
              error: ({ event }) =>
                `Registration failed due to: ${event.output.log ?? event.output.errorMessage ?? `exitstatus ${event.output.exitstatus}`}${event.output.hint ? ` (${event.output.hint})` : ''}`,
            }),
          },
        ],
        onError: { target: 'failed', actions: assign({ error: ({ event }) => `registration request failed: ${errorMessage(event.error)}` }) },
      },
    },
    syncing: {
      description: 'Registered: requesting the caches (topology, metadata, configurations...) one after another.',
      invoke: {
        src: 'sync',
        input: ({ context }) => ({ link: context.link, cache: context.syncSteps[context.step]! }),
        onDone: [
          { guard: 'moreSteps', target: 'syncing', reenter: true, actions: assign({ step: ({ context }) => context.step + 1 }) },
          { target: 'subscribingCommands' },
        ],
        onError: {
          target: 'failed',
          actions: assign({ error: ({ context, event }) => `sync of ${context.syncSteps[context.step]} failed: ${errorMessage(event.error)}` }),
        },
      },
    },
    subscribingCommands: {
      description: 'Subscribing to /user/commands, so that the server may send commands.',
      invoke: {
        src: 'subscribe',
        input: ({ context }) => ({ link: context.link, destinations: POST_REGISTRATION_TOPICS }),
        onDone: 'registered',
        onError: { target: 'failed', actions: assign({ error: ({ event }) => `subscribe failed: ${errorMessage(event.error)}` }) },
      },
    },
    registered: { description: 'Registered and synced: the session starts heartbeating.', type: 'final' },
    failed: {
      description: 'A step failed or the server refused: the session disconnects and tries again.',
      type: 'final',
      entry: { type: 'log', params: ({ context }) => ({ level: 'error', msg: context.error ?? 'registration failed' }) },
    },
  },
  output: ({ context }) => ({ ok: context.error === undefined, responseId: context.responseId, error: context.error }),
});
