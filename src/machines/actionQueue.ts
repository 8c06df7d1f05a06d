// The action queue: every execution command from the server becomes a command actor
// (`task-ID`), started in arrival order: one at a time, or with [agent] parallel_execution=1
// all together, except that a command with retries enabled never runs beside another (the
// original's rule). CANCEL goes to the task's actor; each finished task's report goes to the
// parent as COMMAND.DONE.
import { assign, enqueueActions, sendParent, setup, stopChild, type AnyEventObject } from 'xstate';
import { commandMachine, type CommandReport, type ExecutionCommand } from './command.js';

export interface ActionQueueInput {
  parallel: boolean;
}

export type ActionQueueEvent =
  | { type: 'EXECUTE'; commands: ExecutionCommand[] }
  | { type: 'CANCEL'; taskId: number; reason: string }
  | AnyEventObject;

export type ActionQueueParentEvent = { type: 'COMMAND.DONE'; report: CommandReport };

interface ActionQueueContext {
  parallel: boolean;
  /** Task ids waiting to start, in arrival order. */
  queue: number[];
  running: number[];
  /** Tasks with retries enabled (they run alone). */
  retrying: number[];
  /** Every task id this queue has taken, so a repeated delivery does not run twice. */
  known: number[];
  completed: number;
}

export const taskActorId = (taskId: number) => `task-${taskId}`;
const taskIdOf = (eventType: string) => Number(eventType.replace(/^xstate\.done\.actor\.task-/, ''));
const retryEnabled = (command: ExecutionCommand) => String(command.commandParams?.command_retry_enabled).toLowerCase() === 'true';

/** Which queued tasks may start now, given what runs. */
export function startable(context: Pick<ActionQueueContext, 'parallel' | 'queue' | 'running' | 'retrying'>): number[] {
  const started: number[] = [];
  const running = [...context.running];
  for (const taskId of context.queue) {
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
  // Events are EXECUTE / CANCEL (ActionQueueEvent) plus the done events of the task actors.
  types: { input: {} as ActionQueueInput, context: {} as ActionQueueContext, events: {} as AnyEventObject },
  actors: { command: commandMachine },
  actions: {
    startWhatMay: enqueueActions(({ context, enqueue }) => {
      const starting = startable(context);
      if (starting.length === 0) return;
      enqueue.assign({ queue: context.queue.filter((id) => !starting.includes(id)), running: [...context.running, ...starting] });
      // By id: a task spawned in this same step is not in the committed snapshot yet.
      for (const taskId of starting) enqueue.sendTo(taskActorId(taskId), { type: 'START' });
    }),
  },
}).createMachine({
  id: 'actionQueue',
  context: ({ input }) => ({ parallel: input.parallel, queue: [], running: [], retrying: [], known: [], completed: 0 }),
  initial: 'active',
  states: {
    active: {
      on: {
        EXECUTE: {
          actions: [
            enqueueActions(({ context, event, enqueue }) => {
              const fresh = (event.commands as ExecutionCommand[]).filter((command, index, all) =>
                !context.known.includes(command.taskId) && all.findIndex((c) => c.taskId === command.taskId) === index);
              for (const command of fresh) enqueue.spawnChild('command', { id: taskActorId(command.taskId), input: { command } });
              enqueue.assign({
                queue: [...context.queue, ...fresh.map((c) => c.taskId)],
                known: [...context.known, ...fresh.map((c) => c.taskId)],
                retrying: [...context.retrying, ...fresh.filter(retryEnabled).map((c) => c.taskId)],
              });
            }),
            'startWhatMay',
          ],
        },
        CANCEL: {
          actions: enqueueActions(({ context, event, enqueue }) => {
            const taskId = Number(event.taskId);
            if (context.known.includes(taskId) && (context.queue.includes(taskId) || context.running.includes(taskId))) {
              enqueue.sendTo(taskActorId(taskId), { type: 'CANCEL', reason: String(event.reason) });
            }
          }),
        },
        'xstate.done.actor.*': {
          actions: [
            sendParent(({ event }): ActionQueueParentEvent => ({ type: 'COMMAND.DONE', report: (event as unknown as { output: CommandReport }).output })),
            stopChild(({ event }) => taskActorId(taskIdOf(event.type))),
            assign(({ context, event }) => {
              const taskId = taskIdOf(event.type);
              return {
                queue: context.queue.filter((id) => id !== taskId),
                running: context.running.filter((id) => id !== taskId),
                retrying: context.retrying.filter((id) => id !== taskId),
                completed: context.completed + 1,
              };
            }),
            'startWhatMay',
          ],
        },
      },
    },
  },
});
