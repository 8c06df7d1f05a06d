// `ambari-agent simulate`: the run of many simulated hosts, as states.
//
//   ramping --all started--> running --STOP--> stopping --hosts stopped--> stopped (final)
//      \___________________STOP___________________/
//
// The ramp starts hosts at `rampPerSecond`, a tick every RAMP_TICK_MS; starting them is the
// injected `startHosts` action, stopping them the injected `stopHosts` actor (each host is its
// own supervisor actor system, made by the simulator's fleet). STOP comes from SIGINT/SIGTERM
// or the end of --duration.
import { assign, enqueueActions, fromPromise, setup } from 'xstate';

export const RAMP_TICK_MS = 100;

export interface SimulationInput {
  agents: number;
  rampPerSecond: number;
}

interface SimulationContext extends SimulationInput {
  started: number;
  ticks: number;
  stopReason?: string;
}

export type SimulationEvent = { type: 'STOP'; reason: string };

export interface SimulationOutput {
  started: number;
  stopReason: string;
}

/** How many hosts should have been started after `ticks` ramp ticks (at least one on the first). */
export function dueByTick(ticks: number, rampPerSecond: number, agents: number): number {
  return Math.min(agents, Math.max(1, Math.floor((ticks * rampPerSecond * RAMP_TICK_MS) / 1000)));
}

export const simulationMachine = setup({
  types: { input: {} as SimulationInput, context: {} as SimulationContext, events: {} as SimulationEvent, output: {} as SimulationOutput },
  actors: {
    stopHosts: fromPromise<void, { reason: string }>(async () => {
      throw new Error('stopHosts must be provided');
    }),
  },
  actions: {
    /** Starts `count` more hosts (the fleet's effect). */
    startHosts: (_args: unknown, _params: { count: number }) => {
      throw new Error('startHosts must be provided');
    },
    startDue: enqueueActions(({ context, enqueue }) => {
      const ticks = context.ticks + 1;
      const count = dueByTick(ticks, context.rampPerSecond, context.agents) - context.started;
      enqueue.assign({ ticks, started: context.started + count });
      if (count > 0) enqueue({ type: 'startHosts', params: { count } });
    }),
  },
  guards: {
    allStarted: ({ context }) => context.started >= context.agents,
  },
}).createMachine({
  id: 'simulation',
  context: ({ input }) => ({ ...input, started: 0, ticks: 0 }),
  initial: 'ramping',
  on: {
    STOP: { target: '.stopping', actions: assign({ stopReason: ({ event }) => event.reason }) },
  },
  states: {
    ramping: {
      description: 'Starting hosts, rampPerSecond of them a second.',
      entry: 'startDue',
      always: { guard: 'allStarted', target: 'running' },
      after: { [RAMP_TICK_MS]: { target: 'ramping', reenter: true } },
    },
    running: {
      description: 'Every host started: each registers, heartbeats and runs commands on its own.',
    },
    stopping: {
      description: 'Every host told to stop: their commands cancelled and reported, connections closed.',
      on: { STOP: {} },
      invoke: {
        src: 'stopHosts',
        input: ({ context }) => ({ reason: context.stopReason ?? 'stop' }),
        onDone: 'stopped',
        onError: 'stopped',
      },
    },
    stopped: {
      description: 'All hosts stopped.',
      type: 'final',
    },
  },
  output: ({ context }) => ({ started: context.started, stopReason: context.stopReason ?? 'stop' }),
});
