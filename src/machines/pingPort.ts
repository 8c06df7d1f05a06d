// PingPortListener: holds [agent] ping_port for the agent's whole life. It is the machine-wide
// lock that keeps two agents off one port, and answers `OK` to whoever connects. The socket
// work is the injected `listener` callback actor, which reports LISTENING, LISTEN_FAILED and
// PINGED; this machine tells the supervisor once the port is bound or could not be.
import { assign, fromCallback, sendParent, setup } from 'xstate';
import { logNowhere, type LogParams } from './logParams.js';

export interface PingPortInput {
  port: number;
}

export type ListenerEvent =
  | { type: 'LISTENING'; port: number }
  | { type: 'LISTEN_FAILED'; error: string }
  | { type: 'PINGED' };

export type PingPortParentEvent = { type: 'PING_PORT.BOUND'; port: number } | { type: 'PING_PORT.FAILED'; error: string };

interface PingPortContext {
  requestedPort: number;
  port?: number;
  pings: number;
  error?: string;
}

export const pingPortMachine = setup({
  types: { input: {} as PingPortInput, context: {} as PingPortContext, events: {} as ListenerEvent },
  actors: {
    listener: fromCallback<ListenerEvent, PingPortInput>(() => {
      throw new Error('listener must be provided');
    }),
  },
  actions: { log: logNowhere as (args: unknown, params: LogParams) => void },
}).createMachine({
  id: 'pingPort',
  context: ({ input }) => ({ requestedPort: input.port, pings: 0 }),
  invoke: { id: 'listener', src: 'listener', input: ({ context }) => ({ port: context.requestedPort }) },
  initial: 'binding',
  states: {
    binding: {
      description: 'Binding ping_port, the lock that keeps a second agent off this host.',
      on: {
        LISTENING: {
          target: 'listening',
          actions: [
            assign({ port: ({ event }) => event.port }),
            sendParent(({ event }): PingPortParentEvent => ({ type: 'PING_PORT.BOUND', port: event.port })),
            { type: 'log', params: ({ event }) => ({ level: 'info', msg: `Ping port listener bound to 0.0.0.0:${event.port}` }) },
          ],
        },
        LISTEN_FAILED: {
          target: 'failed',
          actions: [
            assign({ error: ({ event }) => event.error }),
            sendParent(({ event }): PingPortParentEvent => ({ type: 'PING_PORT.FAILED', error: event.error })),
          ],
        },
      },
    },
    listening: {
      description: 'Holding ping_port and answering OK to whoever connects.',
      on: { PINGED: { actions: assign({ pings: ({ context }) => context.pings + 1 }) } },
    },
    failed: { description: 'ping_port could not be bound (another agent holds it?): the agent stops.', type: 'final' },
  },
});
