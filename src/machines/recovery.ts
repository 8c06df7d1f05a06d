// The recovery manager (the original's RecoveryManager) as an actor: it holds what recovery
// knows (config, each component's current and desired state, the attempt counters) and, every
// checkInterval while the action queue has no server command, asks the rules which components
// to recover; each command it builds goes to the action queue as AUTO_COMMAND (auto_* files,
// no retry, no report to the server) and comes back as AUTO_COMMAND.FINISHED.
//
//   disabled <-> enabled { watching -(after checkInterval)-> checking -> recovering -> watching
//                          watching <-> paused (server commands queued or running) }
//
// Fed by the injected `feed` actor (config from the caches, statuses from the component status
// reporter) and by the action queue (commands taken and finished, how many server commands it
// holds). Pure: the counters need wall-clock seconds, read through `now` (createRecoveryMachine; the tests
// give the SimulatedClock's); timers are XState delays.
import { assign, enqueueActions, fromCallback, not, setup, type AnyActorRef } from 'xstate';
import {
  applyConfig,
  applyHostLevelParams,
  commandFinished,
  INITIAL_RECOVERY_STATE,
  recoveryCommands,
  requestedRecovery,
  serverCommandTaken,
  statusSeen,
  type AutoCommand,
  type CommandFacts,
  type RecoveryState,
} from '../actors/recovery/recoveryRules.js';
import { ACTION_QUEUE_ID } from './actionQueue.js';
import { logNowhere, type LogParams } from './logParams.js';

export { RECOVERY_ID } from './systemIds.js';

/** ActionQueue's loop asks for recovery commands about every 2 s while it is idle. */
export const RECOVERY_CHECK_INTERVAL_MS = 2000;

export interface RecoveryInput {
  checkIntervalMs?: number;
}

/** What the recovery actor takes. */
export type RecoveryEvent =
  /** cluster-env of the first cluster of the configurations cache (on_config_update). */
  | { type: 'CONFIG.CLUSTER_ENV'; clusterId?: string; clusterEnv?: unknown }
  /** host level params of the first cluster (update_recovery_config). */
  | { type: 'CONFIG.HOST_LEVEL_PARAMS'; clusterId?: string; hostLevelParams?: unknown }
  /** A status command's result that differs from the last one (handle_status_change). */
  | { type: 'COMPONENT.STATUS'; componentName: string; status: string }
  /** The action queue took a command from the server (process_execution_command). */
  | { type: 'SERVER_COMMAND.TAKEN'; command: CommandFacts }
  /** A server command ended (process_execution_command_result). */
  | { type: 'SERVER_COMMAND.FINISHED'; command: CommandFacts; status: 'COMPLETED' | 'FAILED' }
  /** An auto command ended; its report went to the log only. */
  | { type: 'AUTO_COMMAND.FINISHED'; taskId: number; command: CommandFacts; status: 'COMPLETED' | 'FAILED' }
  /** How many execution commands from the server the queue holds (queued or running). */
  | { type: 'QUEUE.WORK'; serverCommands: number };

export interface RecoveryContext {
  rules: RecoveryState;
  /** The last task id used; the first is the start time in seconds + 1 (get_unique_task_id). */
  lastId: number;
  serverCommands: number;
  /** Auto commands sent and not finished. */
  inFlight: number[];
  /** The commands the last check built, for sendAutoCommands. */
  outbox: AutoCommand[];
  checkIntervalMs: number;
}

/**
 * The recovery machine reading wall-clock time through `now` (the counters are in seconds
 * since the epoch; a test gives its SimulatedClock's), so that the context stays plain data.
 */
export function createRecoveryMachine(now: () => number = Date.now) {
  return setup({
    types: { input: {} as RecoveryInput, context: {} as RecoveryContext, events: {} as RecoveryEvent },
    actors: {
      /** Sends the CONFIG.* and COMPONENT.STATUS events; the daemon provides it. */
      feed: fromCallback(() => () => {}),
    },
    actions: {
      log: logNowhere as (args: unknown, params: LogParams) => void,
      /** Hands one auto command to the action queue (the actor of systemId actionQueue). */
      /** Hands the commands just built (context.outbox) to the action queue (the actor of systemId actionQueue). */
      sendAutoCommands: enqueueActions(({ context, system, enqueue }) => {
        const queue = system.get(ACTION_QUEUE_ID) as AnyActorRef | undefined;
        if (!queue) return;
        for (const command of context.outbox) enqueue.sendTo(queue, { type: 'AUTO_COMMAND', command });
      }),
      applyClusterEnv: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'CONFIG.CLUSTER_ENV') return;
        const before = context.rules;
        const { state, warning } = applyConfig({ ...before, clusterId: event.clusterId ?? before.clusterId }, requestedRecovery(event.clusterEnv));
        enqueue.assign({ rules: state });
        if (warning) enqueue({ type: 'log', params: { level: 'warn', msg: warning } });
        if (state.enabled !== before.enabled || state.limits !== before.limits) {
          const { type, maxCount, windowMinutes, retryGapMinutes, lifetimeMaxCount } = state.limits;
          const what = state.enabled ? `on: ${type}, at most ${maxCount} per ${windowMinutes} min, ${retryGapMinutes} min apart, ${lifetimeMaxCount} in all` : 'off';
          enqueue({ type: 'log', params: { level: 'info', msg: `Recovery ${what}` } });
        }
      }),
      applyHostLevelParams: enqueueActions(({ context, event, enqueue }) => {
        if (event.type !== 'CONFIG.HOST_LEVEL_PARAMS') return;
        const { state, warnings } = applyHostLevelParams({ ...context.rules, clusterId: context.rules.clusterId ?? event.clusterId }, event.hostLevelParams);
        enqueue.assign({ rules: state });
        for (const msg of warnings) enqueue({ type: 'log', params: { level: 'warn', msg } });
        if (state.enabledComponents.join() !== context.rules.enabledComponents.join()) {
          enqueue({ type: 'log', params: { level: 'info', msg: `Components enabled for recovery: ${state.enabledComponents.join(', ') || 'none'}` } });
        }
      }),
      recordStatus: assign({ rules: ({ context, event }) => (event.type === 'COMPONENT.STATUS' ? statusSeen(context.rules, event.componentName, event.status) : context.rules) }),
      recordServerCommand: assign({ rules: ({ context, event }) => (event.type === 'SERVER_COMMAND.TAKEN' ? serverCommandTaken(context.rules, event.command) : context.rules) }),
      recordResult: assign({
        rules: ({ context, event }) =>
          event.type === 'SERVER_COMMAND.FINISHED' || event.type === 'AUTO_COMMAND.FINISHED' ? commandFinished(context.rules, event.command, event.status) : context.rules,
      }),
      forgetAutoCommand: assign({ inFlight: ({ context, event }) => (event.type === 'AUTO_COMMAND.FINISHED' ? context.inFlight.filter((id) => id !== event.taskId) : context.inFlight) }),
      logAutoResult: enqueueActions(({ event, enqueue }) => {
        if (event.type !== 'AUTO_COMMAND.FINISHED') return;
        const level = event.status === 'COMPLETED' ? 'info' : 'warn';
        enqueue({ type: 'log', params: { level, msg: `Recovery command ${event.command.roleCommand ?? '?'} of ${event.command.role ?? '?'} (task ${event.taskId}) ${event.status}` } });
      }),
      recordQueueWork: assign({ serverCommands: ({ context, event }) => (event.type === 'QUEUE.WORK' ? event.serverCommands : context.serverCommands) }),
      createRecoveryCommands: enqueueActions(({ context, enqueue }) => {
        const { state, commands, lastId, messages } = recoveryCommands(context.rules, Math.floor(now() / 1000), context.lastId);
        enqueue.assign({ rules: state, lastId, outbox: commands, inFlight: [...context.inFlight, ...commands.map((c) => c.taskId)] });
        for (const msg of messages) enqueue({ type: 'log', params: { level: msg.startsWith('Created') ? 'info' : 'warn', msg } });
      }),
    },
    guards: {
      recoveryOn: ({ context }) => context.rules.enabled,
      autoCommandsInFlight: ({ context }) => context.inFlight.length > 0,
      serverCommandsQueued: ({ context }) => context.serverCommands > 0,
    },
    delays: {
      checkInterval: ({ context }) => context.checkIntervalMs,
    },
  }).createMachine({
    id: 'recovery',
    context: ({ input }) => ({ rules: INITIAL_RECOVERY_STATE, lastId: Math.floor(now() / 1000), serverCommands: 0, inFlight: [], outbox: [], checkIntervalMs: input.checkIntervalMs ?? RECOVERY_CHECK_INTERVAL_MS }),
    invoke: { id: 'feed', src: 'feed' },
    // What recovery knows is kept up to date in every state; the states decide when to act.
    on: {
      'CONFIG.CLUSTER_ENV': { actions: 'applyClusterEnv' },
      'CONFIG.HOST_LEVEL_PARAMS': { actions: 'applyHostLevelParams' },
      'COMPONENT.STATUS': { actions: 'recordStatus' },
      'SERVER_COMMAND.TAKEN': { actions: 'recordServerCommand' },
      'SERVER_COMMAND.FINISHED': { actions: 'recordResult' },
      'AUTO_COMMAND.FINISHED': { actions: ['logAutoResult', 'recordResult', 'forgetAutoCommand'] },
      'QUEUE.WORK': { actions: 'recordQueueWork' },
    },
    initial: 'disabled',
    states: {
      disabled: {
        description: 'Recovery is off (cluster-env does not ask for it, or its limits are invalid): statuses are still followed.',
        always: { guard: 'recoveryOn', target: 'enabled' },
      },
      enabled: {
        description: 'Recovery is on for the components recoveryConfig names.',
        always: { guard: not('recoveryOn'), target: 'disabled' },
        initial: 'watching',
        states: {
          watching: {
            description: 'Nothing runs: every checkInterval the components are checked for one that needs recovery.',
            always: [
              { guard: 'autoCommandsInFlight', target: 'recovering' },
              { guard: 'serverCommandsQueued', target: 'paused' },
            ],
            after: { checkInterval: 'checking' },
          },
          checking: {
            description: 'Building the recovery commands allowed now (each charged to its component) and sending them to the queue.',
            entry: ['createRecoveryCommands', 'sendAutoCommands'],
            always: [{ guard: 'autoCommandsInFlight', target: 'recovering' }, { target: 'watching' }],
          },
          recovering: {
            description: 'Auto commands run in the action queue; waiting until each has finished.',
            always: { guard: not('autoCommandsInFlight'), target: 'watching' },
          },
          paused: {
            description: 'The action queue holds commands from the server: recovery waits until it has none.',
            always: { guard: not('serverCommandsQueued'), target: 'watching' },
          },
        },
      },
    },
  });
}

export const recoveryMachine = createRecoveryMachine();
