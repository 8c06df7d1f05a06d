// The action queue: every command from the server becomes a command actor (`task-ID`).
// Execution commands start in arrival order: one at a time, or with [agent] parallel_execution=1
// all together, except that a command with retries enabled never runs beside another (the
// original's rule). A task id runs once; a CANCEL lets the same id run again (the server's
// reschedule of a timed-out task). Background execution commands and status commands do not wait in line:
// they start at once and run beside whatever runs. CANCEL goes to the task's actor; each
// finished task's report goes to the injected `commandDone` action (the reporter's store).
//
// AUTO_COMMAND (from the recovery actor) runs a recovery command in line like an execution
// command, never retried; its report goes to `commandDone` as kind 'auto' (the daemon logs it
// and sends it nowhere) and back to the recovery actor. The recovery actor (systemId
// `recovery`, when there is one) is told of every server execution command taken and finished,
// and how many the queue holds: recovery pauses while there are any.
//
// CANCEL_ALL (the agent is stopping or restarting) cancels everything queued or running and
// takes no new commands; the queue is `idle` again once every task has reported.
import { assign, enqueueActions, setup, stopChild, type AnyActorRef, type DoneActorEvent } from 'xstate';
import { commandMachine, retryEnabledFor, type CommandReport, type ExecutionCommand } from './command.js';
import { RECOVERY_ID } from './systemIds.js';

export interface ActionQueueInput {
  parallel: boolean;
}

export type CommandKind = 'execution' | 'background' | 'status' | 'auto';

/** What the queue takes: the link's commands and cancels, the supervisor's CANCEL_ALL, and its task actors' ends. */
export type ActionQueueEvent =
  | { type: 'EXECUTE'; commands: ExecutionCommand[] }
  | { type: 'AUTO_COMMAND'; command: ExecutionCommand }
  | { type: 'CANCEL'; taskId: number; reason: string }
  | { type: 'CANCEL_ALL'; reason: string }
  | DoneActorEvent<CommandReport, TaskActorId>;

type TaskActorId = `task-${number}`;

/** What `commandDone` is given for every finished task. */
export interface CommandDoneParams {
  report: CommandReport;
  kind: CommandKind;
}

export interface ActionQueueContext {
  parallel: boolean;
  /** Task ids waiting to start, in arrival order. */
  queue: number[];
  running: number[];
  /** Tasks with retries enabled (they run alone). */
  retrying: number[];
  /** Every task id this queue has taken, so a repeated delivery does not run twice. */
  known: number[];
  kinds: Record<number, CommandKind>;
  completed: number;
  /** Set by CANCEL_ALL: new commands are refused. */
  closing: boolean;
}

/** Task ids remembered against repeated deliveries (the server resends only recent ones). */
export const MAX_KNOWN = 10_000;

/** The queue's actor id and systemId under the supervisor. */
export const ACTION_QUEUE_ID = 'actionQueue';

export const taskActorId = (taskId: number): TaskActorId => `task-${taskId}`;
/** The task id of a `task-ID` actor id, else undefined. */
export const taskIdOfActor = (actorId: string): number | undefined => (/^task-\d+$/.test(actorId) ? Number(actorId.slice(5)) : undefined);
const taskIdOf = (actorId: TaskActorId) => Number(actorId.slice('task-'.length));

export function kindOf(command: ExecutionCommand): CommandKind {
  if (command.commandType === 'BACKGROUND_EXECUTION_COMMAND') return 'background';
  if (command.commandType === 'STATUS_COMMAND') return 'status';
  return 'execution';
}

/** What the recovery actor reads of a server command (process_execution_command). */
function commandFacts(command: ExecutionCommand) {
  const custom = command.commandParams?.custom_command;
  return { role: command.role, roleCommand: command.roleCommand, commandType: command.commandType, customCommand: typeof custom === 'string' ? custom : undefined };
}

/** Which queued tasks may start now, given what runs (background and status tasks never wait). */
export function startable(context: Pick<ActionQueueContext, 'parallel' | 'queue' | 'running' | 'retrying'> & { kinds?: Record<number, CommandKind> }): number[] {
  const inLine = (id: number) => ['execution', 'auto'].includes(context.kinds?.[id] ?? 'execution');
  const started: number[] = context.queue.filter((id) => !inLine(id));
  const running = context.running.filter(inLine);
  for (const taskId of context.queue.filter(inLine)) {
    const alone = context.retrying.includes(taskId);
    if (running.some((id) => context.retrying.includes(id))) break;
    if (running.length > 0 && (alone || !context.parallel)) break;
    started.push(taskId);
    running.push(taskId);
    if (alone || !context.parallel) break;
  }
  return started;
}

export const actionQueueMachine = setup({
  types: { input: {} as ActionQueueInput, context: {} as ActionQueueContext, events: {} as ActionQueueEvent },
  actors: { command: commandMachine },
  actions: {
    /** Where finished tasks' reports go; the daemon provides the report store. */
    commandDone: (_args: unknown, _params: CommandDoneParams) => {},
    /** New tasks taken (not repeats); the daemon records them until they are reported. */
    commandsAccepted: (_args: unknown, _params: { commands: ExecutionCommand[] }) => {},
    /** The recovery actor learns how many server execution commands are queued or running (it pauses meanwhile). */
    tellRecoveryWork: enqueueActions(({ context, system, enqueue }) => {
      const recovery = system.get(RECOVERY_ID) as AnyActorRef | undefined;
      if (!recovery) return;
      const serverCommands = [...context.queue, ...context.running].filter((id) => context.kinds[id] === 'execution').length;
      enqueue.sendTo(recovery, { type: 'QUEUE.WORK', serverCommands });
    }),
    startWhatMay: enqueueActions(({ context, enqueue }) => {
      const starting = startable(context);
      if (starting.length === 0) return;
      enqueue.assign({ queue: context.queue.filter((id) => !starting.includes(id)), running: [...context.running, ...starting] });
      // By id: a task spawned in this same step is not in the committed snapshot yet.
      for (const taskId of starting) enqueue.sendTo(taskActorId(taskId), { type: 'START' });
    }),
  },
  guards: {
    idle: ({ context }) => context.queue.length === 0 && context.running.length === 0,
  },
}).createMachine({
  id: 'actionQueue',
  context: ({ input }) => ({ parallel: input.parallel, queue: [], running: [], retrying: [], known: [], kinds: {}, completed: 0, closing: false }),
  initial: 'idle',
  on: {
    EXECUTE: {
      guard: ({ context }) => !context.closing,
      target: '.settling',
      actions: [
        enqueueActions(({ context, event, system, enqueue }) => {
          // Not taken before; and not still queued or running (a cancelled task sent again
          // before its cancel has ended it would otherwise get a second actor of the same id).
          const fresh = event.commands.filter((command, index, all) =>
            !context.known.includes(command.taskId) &&
            !context.queue.includes(command.taskId) &&
            !context.running.includes(command.taskId) &&
            all.findIndex((c) => c.taskId === command.taskId) === index);
          if (fresh.length > 0) enqueue({ type: 'commandsAccepted', params: { commands: fresh } });
          const recovery = system.get(RECOVERY_ID) as AnyActorRef | undefined;
          if (recovery) for (const command of fresh.filter((c) => kindOf(c) === 'execution')) enqueue.sendTo(recovery, { type: 'SERVER_COMMAND.TAKEN', command: commandFacts(command) });
          for (const command of fresh) enqueue.spawnChild('command', { id: taskActorId(command.taskId), input: { command } });
          enqueue.assign({
            queue: [...context.queue, ...fresh.map((c) => c.taskId)],
            known: [...context.known, ...fresh.map((c) => c.taskId)].slice(-MAX_KNOWN),
            retrying: [...context.retrying, ...fresh.filter(retryEnabledFor).map((c) => c.taskId)],
            kinds: { ...context.kinds, ...Object.fromEntries(fresh.map((c) => [c.taskId, kindOf(c)])) },
          });
        }),
        'startWhatMay',
        'tellRecoveryWork',
      ],
    },
    // A recovery command: in line with the execution commands, its id never remembered (the
    // recovery actor's ids are unique).
    AUTO_COMMAND: {
      guard: ({ context, event }) => !context.closing && !context.queue.includes(event.command.taskId) && !context.running.includes(event.command.taskId),
      target: '.settling',
      actions: [
        enqueueActions(({ context, event, enqueue }) => {
          const { command } = event;
          enqueue.spawnChild('command', { id: taskActorId(command.taskId), input: { command } });
          enqueue.assign({ queue: [...context.queue, command.taskId], kinds: { ...context.kinds, [command.taskId]: 'auto' } });
        }),
        'startWhatMay',
      ],
    },
    CANCEL: {
      actions: enqueueActions(({ context, event, enqueue }) => {
        const { taskId, reason } = event;
        if (context.queue.includes(taskId) || context.running.includes(taskId)) {
          enqueue.sendTo(taskActorId(taskId), { type: 'CANCEL', reason });
        }
        // A cancelled task may be sent again (ActionScheduler reschedules a timed-out task under
        // the same id after cancelling it): that delivery runs.
        if (context.known.includes(taskId)) enqueue.assign({ known: context.known.filter((id) => id !== taskId) });
      }),
    },
    CANCEL_ALL: {
      actions: enqueueActions(({ context, event, enqueue }) => {
        enqueue.assign({ closing: true });
        for (const taskId of [...context.running, ...context.queue]) enqueue.sendTo(taskActorId(taskId), { type: 'CANCEL', reason: event.reason });
      }),
    },
    'xstate.done.actor.*': {
      target: '.settling',
      actions: [
        { type: 'commandDone', params: ({ context, event }) => ({ report: event.output, kind: context.kinds[taskIdOf(event.actorId)] ?? 'execution' }) },
        enqueueActions(({ context, event, system, enqueue }) => {
          const recovery = system.get(RECOVERY_ID) as AnyActorRef | undefined;
          const kind = context.kinds[taskIdOf(event.actorId)] ?? 'execution';
          if (!recovery || (kind !== 'auto' && kind !== 'execution')) return;
          const report = event.output;
          const command = { role: report.role, roleCommand: report.roleCommand, customCommand: report.customCommand };
          if (kind === 'auto') enqueue.sendTo(recovery, { type: 'AUTO_COMMAND.FINISHED', taskId: report.taskId, command, status: report.status });
          else enqueue.sendTo(recovery, { type: 'SERVER_COMMAND.FINISHED', command, status: report.status });
        }),
        stopChild(({ event }) => event.actorId),
        assign(({ context, event }) => {
          const taskId = taskIdOf(event.actorId);
          const { [taskId]: _done, ...kinds } = context.kinds;
          return {
            queue: context.queue.filter((id) => id !== taskId),
            running: context.running.filter((id) => id !== taskId),
            retrying: context.retrying.filter((id) => id !== taskId),
            kinds,
            completed: context.completed + 1,
          };
        }),
        'startWhatMay',
        'tellRecoveryWork',
      ],
    },
  },
  states: {
    idle: { description: 'No task is queued or running: waiting for commands from the server.' },
    busy: { description: 'Tasks are queued or running; each reports when its command actor ends.' },
    settling: {
      description: 'Commands just came or a task just ended: passes on to idle or busy at once.',
      always: [{ guard: 'idle', target: 'idle' }, { target: 'busy' }],
    },
  },
});
