// The root supervisor: main.py's start-up order as states, each stage its own child actor.
//
//   preflight -> lockingPort -> daemonizing -> recovering -> discovering -> registering <-> connected
//                                                                  ^______ session ended _____|
//   any of them --STOP / FATAL / a stage's failure--> stopping -> stopped (final)
//   AGENT.RESTART (heartbeat out of sequence, RESTART_AGENT) -> stopping -> exit code 77
//   a failed session -> backingOff -> discovering (restart back-off, bounded per window)
//
// Long-lived children (dataCleaner, pingPort, controlChannel, actionQueue, recovery, session) are spawned
// and live across states; one-shot stages (preflight, daemonize, discovery) are invoked by their state
// and cancelled by leaving it. The output of `stopped` carries the process exit code.
import { assign, enqueueActions, fromCallback, fromPromise, setup, spawnChild, stopChild, type DoneActorEvent, type ErrorActorEvent } from 'xstate';
import { dataCleanerMachine, type DataCleanerInput } from './dataCleaner.js';
import { daemonizeMachine, type DaemonizeOutput } from './daemonize.js';
import { discoveryMachine, type DiscoveryOutput } from './discovery.js';
import { sessionMachine, type SessionOutput, type SessionParentEvent } from './session.js';
import { errorMessage } from '../util/errorMessage.js';
import { logNowhere, type LogParams } from './logParams.js';
import { ACTION_QUEUE_ID, actionQueueMachine } from './actionQueue.js';
import { ALERT_SCHEDULER_ID, alertSchedulerMachine } from './alertScheduler.js';
import { pingPortMachine, type PingPortParentEvent } from './pingPort.js';
import { RECOVERY_ID, recoveryMachine } from './recovery.js';
import { preflightMachine, type PreflightOutput } from './preflight.js';

export interface SupervisorInput {
  pidFile: string;
  pingPort: number;
  servers: string[];
  urlPort: number;
  retryDelaySeconds: number;
  /** Caches synced after registration, in order (see caches/). */
  syncSteps: string[];
  /** Seconds between a lost session and the next connection attempt (10 in the original). */
  reconnectDelaySeconds?: number;
  /** Absent when data_cleanup_interval <= 0: no cleaner is started. */
  cleaner?: DataCleanerInput;
  /** [agent] parallel_execution=1. */
  parallelExecution?: boolean;
}

/** Long-lived children whose unexpected failures are counted (the session restarts through `backingOff`). */
export type CountedChild = 'dataCleaner' | 'controlChannel' | 'session' | 'alerts';
/** Those the supervisor spawns again itself once their back-off is over. */
type RespawnedChild = 'dataCleaner' | 'controlChannel' | 'alerts';

/** Children whose errors (XState's error events) the supervisor handles. */
type ChildId = 'preflight' | 'daemonize' | 'recoverCommands' | 'discovery' | 'shutdown' | 'session' | 'dataCleaner' | 'controlChannel' | 'actionQueue' | 'alerts' | 'pingPort' | 'recovery';

/**
 * Events the supervisor takes: STOP (a signal) and FATAL (an error that escaped every actor,
 * caught by the daemon's last-resort handler) from outside; its children's own events; its
 * delayed restart events; XState's done and error events of its children.
 */
export type SupervisorEvent =
  | { type: 'STOP'; reason: string }
  | { type: 'FATAL'; error: string }
  | { type: 'CONTROL_CHANNEL.FAILED'; error: string }
  | { type: 'CHILD.RESTART_DUE'; child: RespawnedChild }
  | { type: 'CHILD.RESTART_FORGOTTEN'; child: CountedChild }
  | PingPortParentEvent
  | SessionParentEvent
  | DoneActorEvent<PreflightOutput, 'preflight'>
  | DoneActorEvent<DaemonizeOutput, 'daemonize'>
  | DoneActorEvent<DiscoveryOutput, 'discovery'>
  | DoneActorEvent<SessionOutput, 'session'>
  | DoneActorEvent<number, 'recoverCommands'>
  | DoneActorEvent<void, 'shutdown'>
  | ErrorActorEvent<unknown, ChildId>;

export interface SupervisorOutput {
  exitCode: number;
  error?: string;
}

export interface SupervisorContext extends SupervisorInput {
  exitCode: number;
  error?: string;
  stopReason?: string;
  boundPort?: number;
  pid?: number;
  activeServer?: string;
  /** responseId of the current registration (the heartbeat machine carries the live one). */
  responseId?: number;
  /** Restarts of long-lived children after unexpected errors within the last RESTART_WINDOW_MS, per child id. */
  restarts: Record<string, number>;
}

/**
 * A child that keeps failing is not restarted for ever: past this many restarts within
 * RESTART_WINDOW_MS (systemd's StartLimitBurst within StartLimitIntervalSec), the agent stops
 * with code 1. A restart is forgotten once the window has passed since it.
 */
export const MAX_CHILD_RESTARTS = 5;
export const RESTART_WINDOW_MS = 60_000;
const RESTART_BACKOFF_FIRST_MS = 1000;
const RESTART_BACKOFF_MAX_MS = 30_000;

/**
 * The wait before the n-th restart of a child within the window (n from 1): 1 s, 2 s, 4 s ...
 * up to 30 s, so a child failing at once is not respawned in a tight loop.
 */
export function restartDelayMs(n: number): number {
  return Math.min(RESTART_BACKOFF_FIRST_MS * 2 ** Math.max(0, n - 1), RESTART_BACKOFF_MAX_MS);
}

/** The wrapper restarts an agent that exits with this code (AGENT_AUTO_RESTART_EXIT_CODE). */
export const RESTART_EXIT_CODE = 77;

export const supervisorMachine = setup({
  types: {
    input: {} as SupervisorInput,
    context: {} as SupervisorContext,
    events: {} as SupervisorEvent,
    output: {} as SupervisorOutput,
  },
  actors: {
    preflight: preflightMachine,
    dataCleaner: dataCleanerMachine,
    pingPort: pingPortMachine,
    daemonize: daemonizeMachine,
    discovery: discoveryMachine,
    session: sessionMachine,
    actionQueue: actionQueueMachine,
    alerts: alertSchedulerMachine,
    recovery: recoveryMachine,
    /** Kills what a dead predecessor left running and reports those commands FAILED; resolves with their count. */
    recoverCommands: fromPromise<number>(async () => 0),
    controlChannel: fromCallback(() => {
      throw new Error('controlChannel must be provided');
    }),
    shutdown: fromPromise<void, { pidFile: string }>(async () => {
      throw new Error('shutdown must be provided');
    }),
  },
  actions: {
    log: logNowhere as (args: unknown, params: LogParams) => void,
    fail: assign(({ event }) => ({ exitCode: 1, error: failureText(event) })),
    logFailure: enqueueActions(({ event, enqueue }) => {
      enqueue({ type: 'log', params: { level: 'error', msg: failureText(event) } });
    }),
    logStop: enqueueActions(({ event, enqueue }) => {
      if (event.type === 'STOP') enqueue({ type: 'log', params: { level: 'info', msg: `Stopping: ${event.reason}` } });
    }),
    spawnCleaner: enqueueActions(({ context, enqueue }) => {
      if (context.cleaner) enqueue.spawnChild('dataCleaner', { id: 'dataCleaner', input: context.cleaner });
    }),
    spawnPingPort: spawnChild('pingPort', { id: 'pingPort', input: ({ context }) => ({ port: context.pingPort }) }),
    spawnControlChannel: spawnChild('controlChannel', { id: 'controlChannel' }),
    // The queue outlives sessions: a command keeps running while the agent reconnects.
    spawnActionQueue: spawnChild('actionQueue', {
      id: ACTION_QUEUE_ID,
      systemId: ACTION_QUEUE_ID,
      input: ({ context }) => ({ parallel: context.parallelExecution ?? false }),
    }),
    // The alerts run from the cache on disk, connected or not (the original starts its
    // scheduler first); their results wait for a session's reporter.
    spawnAlerts: spawnChild('alerts', { id: ALERT_SCHEDULER_ID, systemId: ALERT_SCHEDULER_ID }),
    // Beside the queue it feeds: auto-start follows statuses and server commands across sessions.
    spawnRecovery: spawnChild('recovery', { id: RECOVERY_ID, systemId: RECOVERY_ID, input: {} }),
    // Stopping or restarting: every queued or running command is cancelled (its tree killed)
    // and reported; the shutdown actor waits for that before the process goes.
    cancelAllCommands: enqueueActions(({ context, self, enqueue }) => {
      if (!self.getSnapshot().children.actionQueue) return;
      enqueue.sendTo(ACTION_QUEUE_ID, { type: 'CANCEL_ALL', reason: `The agent is stopping: ${context.stopReason ?? context.error ?? 'stop'}` });
    }),
    spawnSession: spawnChild('session', {
      id: 'session',
      input: ({ context }) => ({
        server: context.activeServer!,
        syncSteps: context.syncSteps,
        reconnectDelaySeconds: context.reconnectDelaySeconds,
      }),
    }),
    logRestart: enqueueActions(({ event, enqueue }) => {
      if (event.type === 'AGENT.RESTART') enqueue({ type: 'log', params: { level: 'warn', msg: `Restarting the agent (exit ${RESTART_EXIT_CODE}): ${event.reason}` } });
    }),
    logSessionEnded: enqueueActions(({ event, enqueue }) => {
      if (event.type !== 'xstate.done.actor.session') return;
      enqueue({ type: 'log', params: { level: 'warn', msg: `Lost the server (${event.output?.reason ?? 'session ended'}); discovering again` } });
    }),
    countRestart: enqueueActions(({ context, event, enqueue }) => {
      const child = restartedChildOf(event);
      if (!child) return;
      enqueue.assign({ restarts: { ...context.restarts, [child]: (context.restarts[child] ?? 0) + 1 } });
      enqueue.raise({ type: 'CHILD.RESTART_FORGOTTEN', child }, { delay: RESTART_WINDOW_MS });
    }),
    forgetRestart: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'CHILD.RESTART_FORGOTTEN') return;
      enqueue.assign({ restarts: { ...context.restarts, [event.child]: Math.max(0, (context.restarts[event.child] ?? 0) - 1) } });
    }),
    // Counted first (countRestart), so the count is this restart's number within the window.
    scheduleRestart: enqueueActions(({ context, event, enqueue }) => {
      const child = restartedChildOf(event);
      if (child !== 'dataCleaner' && child !== 'controlChannel' && child !== 'alerts') return;
      enqueue.raise({ type: 'CHILD.RESTART_DUE', child }, { delay: restartDelayMs(context.restarts[child] ?? 1) });
    }),
    respawnChild: enqueueActions(({ event, enqueue }) => {
      if (event.type !== 'CHILD.RESTART_DUE') return;
      if (event.child === 'dataCleaner') enqueue('spawnCleaner');
      if (event.child === 'controlChannel') enqueue('spawnControlChannel');
      if (event.child === 'alerts') enqueue('spawnAlerts');
    }),
  },
  delays: {
    sessionRestartDelay: ({ context }) => restartDelayMs(context.restarts.session ?? 1),
  },
  guards: {
    mayRestart: ({ context, event }) => {
      const child = restartedChildOf(event);
      return child !== undefined && (context.restarts[child] ?? 0) < MAX_CHILD_RESTARTS;
    },
    preflightPassed: ({ event }) => event.type === 'xstate.done.actor.preflight' && event.output.ok,
    pidWritten: ({ event }) => event.type === 'xstate.done.actor.daemonize' && event.output.pid !== undefined,
  },
}).createMachine({
  id: 'supervisor',
  context: ({ input }) => ({ ...input, exitCode: 0, restarts: {} }),
  initial: 'preflight',
  on: {
    STOP: { target: '.stopping', actions: [assign({ stopReason: ({ event }) => event.reason }), 'logStop'] },
    FATAL: { target: '.stopping', actions: ['fail', 'logFailure'] },
    // Long-lived children that fail unexpectedly are restarted after a back-off, a bounded
    // number of times within a window; past that the agent stops.
    'xstate.error.actor.dataCleaner': [
      { guard: 'mayRestart', actions: ['logFailure', 'countRestart', stopChild('dataCleaner'), 'scheduleRestart'] },
      { target: '.stopping', actions: ['fail', 'logFailure'] },
    ],
    'CONTROL_CHANNEL.FAILED': [
      { guard: 'mayRestart', actions: ['logFailure', 'countRestart', stopChild('controlChannel'), 'scheduleRestart'] },
      { target: '.stopping', actions: ['fail', 'logFailure'] },
    ],
    'xstate.error.actor.controlChannel': [
      { guard: 'mayRestart', actions: ['logFailure', 'countRestart', stopChild('controlChannel'), 'scheduleRestart'] },
      { target: '.stopping', actions: ['fail', 'logFailure'] },
    ],
    'CHILD.RESTART_DUE': { actions: 'respawnChild' },
    'CHILD.RESTART_FORGOTTEN': { actions: 'forgetRestart' },
    'AGENT.RESTART': {
      target: '.stopping',
      actions: [assign({ exitCode: RESTART_EXIT_CODE, stopReason: ({ event }) => `restart: ${event.reason}` }), 'logRestart'],
    },
    // A session that cannot reach its server any more ends: walk the server list again.
    'xstate.done.actor.session': { target: '.discovering', actions: ['logSessionEnded', stopChild('session'), assign({ responseId: undefined })] },
    'xstate.error.actor.session': [
      { guard: 'mayRestart', target: '.backingOff', actions: ['logFailure', 'countRestart', stopChild('session')] },
      { target: '.stopping', actions: ['fail', 'logFailure'] },
    ],
    // Commands cannot run any more: stop rather than take commands that would never report.
    'xstate.error.actor.actionQueue': { target: '.stopping', actions: ['fail', 'logFailure'] },
    // Without the ping port the agent holds no lock: it must not go on.
    'xstate.error.actor.pingPort': { target: '.stopping', actions: ['fail', 'logFailure'] },
    // Alerts that keep failing are given up; commands and reports go on without them.
    'xstate.error.actor.alerts': [
      { guard: 'mayRestart', actions: ['logFailure', 'countRestart', stopChild('alerts'), 'scheduleRestart'] },
      { actions: ['logFailure', stopChild('alerts'), { type: 'log', params: { level: 'error', msg: 'The alert scheduler failed too often; alerts are off until the agent restarts' } }] },
    ],
    // Without recovery the agent still does what the server asks: logged, not restarted.
    'xstate.error.actor.recovery': { actions: ['logFailure', stopChild(RECOVERY_ID)] },
  },
  states: {
    preflight: {
      description: 'Running the prestart checks.',
      invoke: {
        id: 'preflight',
        src: 'preflight',
        input: {},
        onDone: [{ guard: 'preflightPassed', target: 'lockingPort' }, { target: 'stopping', actions: 'fail' }],
        onError: { target: 'stopping', actions: ['fail', 'logFailure'] },
      },
    },
    lockingPort: {
      description: 'Binding ping_port, the lock against a second agent (the data cleaner starts beside it).',
      entry: ['spawnCleaner', 'spawnPingPort'],
      on: {
        'PING_PORT.BOUND': { target: 'daemonizing', actions: assign({ boundPort: ({ event }) => event.port }) },
        'PING_PORT.FAILED': { target: 'stopping', actions: ['fail', 'logFailure'] },
      },
    },
    daemonizing: {
      description: 'Writing the pid file; then the control channel, the action queue and recovery start.',
      invoke: {
        id: 'daemonize',
        src: 'daemonize',
        input: ({ context }) => ({ pidFile: context.pidFile }),
        onDone: [
          { guard: 'pidWritten', target: 'recovering', actions: [assign({ pid: ({ event }) => event.output.pid }), 'spawnControlChannel', 'spawnActionQueue', 'spawnRecovery', 'spawnAlerts'] },
          { target: 'stopping', actions: ['fail', 'logFailure'] },
        ],
        onError: { target: 'stopping', actions: ['fail', 'logFailure'] },
      },
    },
    // Holding the pid file (so no other agent of this home runs): clean up after a predecessor
    // that died with commands running, before taking new ones.
    recovering: {
      description: 'Cleaning up after a predecessor that died with commands running (killed, reported FAILED).',
      invoke: {
        id: 'recoverCommands',
        src: 'recoverCommands',
        onDone: 'discovering',
        onError: { target: 'discovering', actions: 'logFailure' },
      },
    },
    discovering: {
      description: 'Looking for a server of the [server] hostname list that answers.',
      invoke: {
        id: 'discovery',
        src: 'discovery',
        input: ({ context }) => ({ servers: context.servers, urlPort: context.urlPort, retryDelaySeconds: context.retryDelaySeconds }),
        onDone: { target: 'registering', actions: [assign({ activeServer: ({ event }) => event.output.server }), 'spawnSession'] },
        onError: { target: 'stopping', actions: ['fail', 'logFailure'] },
      },
    },
    // The session connects and registers; it says SESSION.REGISTERED once it has.
    registering: {
      description: 'The session connects and registers with the server.',
      on: { 'SESSION.REGISTERED': { target: 'connected', actions: assign({ responseId: ({ event }) => event.responseId }) } },
    },
    // Registered and heartbeating. A lost connection puts the session back to registering.
    connected: {
      description: 'Registered: heartbeating and taking commands.',
      on: { 'SESSION.LOST': { target: 'registering', actions: assign({ responseId: undefined }) } },
    },
    // A session failed unexpectedly: wait (restartDelayMs of its restart count), then discover again.
    backingOff: {
      description: 'The session failed: waiting the restart back-off before discovering again.',
      after: { sessionRestartDelay: 'discovering' },
    },
    stopping: {
      description: 'Stopping: commands are cancelled and reported, children stopped, the pid file removed.',
      // Once stopping, every root-level transition is ignored: none may re-enter `stopping`
      // (its entry actions and the shutdown wait would run again) or start a child again.
      on: {
        STOP: {},
        FATAL: {},
        'xstate.error.actor.dataCleaner': {},
        'CONTROL_CHANNEL.FAILED': {},
        'xstate.error.actor.controlChannel': {},
        'CHILD.RESTART_DUE': {},
        'CHILD.RESTART_FORGOTTEN': {},
        'AGENT.RESTART': {},
        'xstate.done.actor.session': {},
        'xstate.error.actor.session': {},
        'xstate.error.actor.actionQueue': {},
        'xstate.error.actor.pingPort': {},
        'xstate.error.actor.alerts': {},
        'xstate.error.actor.recovery': {},
      },
      // Reverse order of start; the control channel stays to answer `status` until the end.
      entry: [stopChild(RECOVERY_ID), stopChild('session'), stopChild('alerts'), 'cancelAllCommands', stopChild('pingPort'), stopChild('dataCleaner')],
      invoke: {
        id: 'shutdown',
        src: 'shutdown',
        input: ({ context }) => ({ pidFile: context.pidFile }),
        onDone: 'stopped',
        onError: { target: 'stopped', actions: 'logFailure' },
      },
    },
    stopped: {
      description: 'Stopped: the output carries the exit code of the process.',
      type: 'final',
      entry: [stopChild(ACTION_QUEUE_ID), stopChild('controlChannel')],
    },
  },
  output: ({ context }) => ({ exitCode: context.exitCode, error: context.error }),
});

/** The counted child an event is the failure of, if any. */
function restartedChildOf(event: SupervisorEvent): CountedChild | undefined {
  switch (event.type) {
    case 'CONTROL_CHANNEL.FAILED':
    case 'xstate.error.actor.controlChannel':
      return 'controlChannel';
    case 'xstate.error.actor.dataCleaner':
      return 'dataCleaner';
    case 'xstate.error.actor.session':
      return 'session';
    case 'xstate.error.actor.alerts':
      return 'alerts';
    default:
      return undefined;
  }
}

/** One line saying why the agent is stopping, from whichever event made it stop. */
export function failureText(event: SupervisorEvent): string {
  switch (event.type) {
    case 'FATAL':
      return `Unexpected error: ${event.error}`;
    case 'CONTROL_CHANNEL.FAILED':
      return event.error;
    case 'PING_PORT.FAILED':
      return `Failed to start ping port listener of: ${event.error}`;
    case 'xstate.done.actor.preflight':
    case 'xstate.done.actor.daemonize':
      return event.output.error ?? `${event.actorId} failed`;
  }
  if ('error' in event && 'actorId' in event) return `Actor ${event.actorId} failed: ${errorMessage(event.error)}`;
  return `${event.type} failed`;
}
