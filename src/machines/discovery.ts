// Server discovery: walk the [server] hostname list, probing each server's url_port (/ca) up
// to maxRetries times, retryDelay apart, then the next server, round after round, until one
// answers. Leaving this actor (a stop) cancels the pending probe and timer at once.
import { assign, fromPromise, setup } from 'xstate';
import { errorMessage } from '../util/errorMessage.js';
import { logNowhere, type LogParams } from './logParams.js';

export const MAX_RETRIES = 10;

export interface ProbeInput {
  host: string;
  port: number;
  attempt: number;
}

export interface DiscoveryInput {
  servers: string[];
  urlPort: number;
  retryDelaySeconds: number;
  maxRetries?: number;
}

export interface DiscoveryOutput {
  server: string;
}

interface DiscoveryContext {
  servers: string[];
  urlPort: number;
  retryDelaySeconds: number;
  maxRetries: number;
  serverIndex: number;
  attempt: number;
  round: number;
  lastError?: string;
}

const current = (context: DiscoveryContext) => context.servers[context.serverIndex]!;
const urlOf = (context: DiscoveryContext) => `https://${current(context)}:${context.urlPort}`;

export const discoveryMachine = setup({
  types: { input: {} as DiscoveryInput, context: {} as DiscoveryContext, output: {} as DiscoveryOutput },
  actors: {
    probe: fromPromise<void, ProbeInput>(async () => {
      throw new Error('probe must be provided');
    }),
  },
  actions: {
    log: logNowhere as (args: unknown, params: LogParams) => void,
    nextAttempt: assign(({ context }) => {
      if (context.attempt < context.maxRetries) return { attempt: context.attempt + 1 };
      const wrapped = context.serverIndex + 1 >= context.servers.length;
      return { attempt: 1, serverIndex: wrapped ? 0 : context.serverIndex + 1, round: wrapped ? context.round + 1 : context.round };
    }),
  },
  delays: {
    retryDelay: ({ context }) => context.retryDelaySeconds * 1000,
  },
}).createMachine({
  id: 'discovery',
  context: ({ input }) => ({
    servers: input.servers,
    urlPort: input.urlPort,
    retryDelaySeconds: input.retryDelaySeconds,
    maxRetries: input.maxRetries ?? MAX_RETRIES,
    serverIndex: 0,
    attempt: 1,
    round: 1,
  }),
  initial: 'probing',
  states: {
    probing: {
      description: 'Probing the current server of the list at its url_port (/ca).',
      invoke: {
        src: 'probe',
        input: ({ context }) => ({ host: current(context), port: context.urlPort, attempt: context.attempt }),
        onDone: {
          target: 'found',
          actions: { type: 'log', params: ({ context }) => ({ level: 'info', msg: `Connected to Ambari server ${current(context)}` }) },
        },
        onError: {
          target: 'waiting',
          actions: [
            assign({ lastError: ({ event }) => errorMessage(event.error) }),
            {
              type: 'log',
              params: ({ context }) => ({
                level: 'warn',
                msg: `Server at ${urlOf(context)} is not reachable, sleeping for ${context.retryDelaySeconds} seconds... (try ${context.attempt}/${context.maxRetries}: ${context.lastError})`,
              }),
            },
          ],
        },
      },
    },
    waiting: {
      description: 'The server did not answer: waiting the retry delay before the next probe (the same server, or the next one).',
      after: { retryDelay: { target: 'probing', actions: 'nextAttempt' } },
    },
    found: { description: 'A server answered: it is the one the session connects to.', type: 'final' },
  },
  output: ({ context }) => ({ server: current(context) }),
});

/** `[server] hostname`: a comma-separated, lower-cased list. */
export function serverList(hostname: string): string[] {
  return hostname
    .split(',')
    .map((host) => host.trim().toLowerCase())
    .filter((host) => host !== '');
}
