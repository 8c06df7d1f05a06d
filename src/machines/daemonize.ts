// Daemonize: write the agent's own pid to the pid file (atomically, in the injected actor).
// The pid file exists only once the ping port is held, so "pid file present" means "up".
import { assign, fromPromise, setup } from 'xstate';
import { errorMessage } from '../util/errorMessage.js';

export interface DaemonizeInput {
  pidFile: string;
}

export interface DaemonizeOutput {
  pid?: number;
  error?: string;
}

interface DaemonizeContext extends DaemonizeInput, DaemonizeOutput {}

export const daemonizeMachine = setup({
  types: { input: {} as DaemonizeInput, context: {} as DaemonizeContext, output: {} as DaemonizeOutput },
  actors: {
    writePidFile: fromPromise<number, DaemonizeInput>(async () => {
      throw new Error('writePidFile must be provided');
    }),
  },
}).createMachine({
  id: 'daemonize',
  context: ({ input }) => ({ ...input }),
  initial: 'writingPidFile',
  states: {
    writingPidFile: {
      description: 'Writing this process id to the pid file (atomically), which tells others the agent is up.',
      invoke: {
        src: 'writePidFile',
        input: ({ context }) => ({ pidFile: context.pidFile }),
        onDone: { target: 'written', actions: assign({ pid: ({ event }) => event.output }) },
        onError: {
          target: 'failed',
          actions: assign({ error: ({ context, event }) => `Cannot write pid file ${context.pidFile}: ${errorMessage(event.error)}` }),
        },
      },
    },
    written: { description: 'The pid file holds this process id.', type: 'final' },
    failed: { description: 'The pid file could not be written: the agent stops.', type: 'final' },
  },
  output: ({ context }) => ({ pid: context.pid, error: context.error }),
});
