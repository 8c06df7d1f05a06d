// Execution commands as MessageEmitter (events/MessageEmitter.java) sends them: each
// ExecutionCommandEvent message gets a `messageId` header (a server-wide counter from 0); per
// host one message is in flight at a time, the next waits until the agent confirms it with an
// AckReport {messageId, status: OK} on /reports/responses (AgentReportsController.handleReceiveReport
// -> processReceiveReport); status ERROR is only logged, so the message is sent again. A message
// not confirmed is sent again every retryInterval, at most retryCount more times
// (Configuration: execution.command.retry.count 4, execution.command.retry.interval 15 s) - also
// across a reconnect: the next attempt goes to the host's connection of that moment.
//
// After the last attempt the Java server publishes MessageNotDelivered at once (the host goes
// HEARTBEAT_LOST and its queue is dropped; the action scheduler later re-sends the tasks). The
// dev server instead waits one more interval for the ack and then hands the host's messages
// back (onGiveUp), so their tasks go out again when the agent is back: no command is lost.
import type { AgentConnection, ServerLog } from './agentEndpoint.js';

export const COMMANDS_DESTINATION = '/user/commands';
/** Configuration.EXECUTION_COMMANDS_RETRY_COUNT's default. */
export const DEFAULT_RETRY_COUNT = 4;
/** Configuration.EXECUTION_COMMANDS_RETRY_INTERVAL's default (seconds). */
export const DEFAULT_RETRY_INTERVAL_MS = 15_000;

export interface EmittedMessage {
  messageId: number;
  hostName: string;
  body: Record<string, unknown>;
  /** Tasks whose commands the message carries, and tasks it cancels. */
  taskIds: number[];
  cancelIds: number[];
  /** Attempts so far (pushed to a connection or not: the Java counts both). */
  attempts: number;
  /** Attempts that reached a connection subscribed to /user/commands. */
  pushes: number;
  acknowledged: boolean;
  givenUp: boolean;
}

/** What the JSON API shows of a task's delivery. */
export interface Delivery {
  message_id: number;
  sent_count: number;
  acknowledged: boolean;
  given_up: boolean;
}

export interface EmitterOptions {
  retryCount?: number;
  retryIntervalMs?: number;
  connectionOf: (hostName: string) => AgentConnection | undefined;
  log: ServerLog;
  /** The host's messages that were never confirmed, after the last attempt (in flight first). */
  onGiveUp: (hostName: string, messages: EmittedMessage[]) => void;
}

export class CommandEmitter {
  private nextMessageId = 0;
  private readonly inFlight = new Map<string, { message: EmittedMessage; timer: NodeJS.Timeout }>();
  private readonly queues = new Map<string, EmittedMessage[]>();
  /** Latest message carrying each task's command, for the API. */
  private readonly byTask = new Map<number, EmittedMessage>();
  private readonly retryCount: number;
  private readonly retryIntervalMs: number;

  constructor(private readonly options: EmitterOptions) {
    this.retryCount = options.retryCount ?? DEFAULT_RETRY_COUNT;
    this.retryIntervalMs = options.retryIntervalMs ?? DEFAULT_RETRY_INTERVAL_MS;
  }

  /** Queues a /user/commands message for the host; it goes out when none of the host's is in flight. */
  enqueue(hostName: string, body: Record<string, unknown>, taskIds: number[], cancelIds: number[]): EmittedMessage {
    const message: EmittedMessage = { messageId: this.nextMessageId++, hostName, body, taskIds, cancelIds, attempts: 0, pushes: 0, acknowledged: false, givenUp: false };
    for (const id of taskIds) this.byTask.set(id, message);
    const queue = this.queues.get(hostName) ?? [];
    queue.push(message);
    this.queues.set(hostName, queue);
    this.next(hostName);
    return message;
  }

  /** An AckReport from the host (MessageEmitter.processReceiveReport); the task ids it confirms. */
  ack(hostName: string, ack: Record<string, unknown>): number[] {
    const messageId = typeof ack.messageId === 'number' ? ack.messageId : Number(ack.messageId);
    if (ack.status !== 'OK') {
      this.options.log('warn', `${hostName}: ${String(ack.status)} agent report for execution command with messageId ${messageId}: ${String(ack.reason ?? '')}`);
      return [];
    }
    const current = this.inFlight.get(hostName);
    if (!current || current.message.messageId !== messageId) {
      this.options.log('warn', `${hostName}: OK agent report was received again for already complete command with message id ${messageId}`);
      return [];
    }
    clearTimeout(current.timer);
    current.message.acknowledged = true;
    this.inFlight.delete(hostName);
    this.options.log('debug', `${hostName}: message ${messageId} acknowledged after ${current.message.attempts} attempt(s)`);
    this.next(hostName);
    return current.message.taskIds;
  }

  delivery(taskId: number): Delivery | undefined {
    const message = this.byTask.get(taskId);
    if (!message) return undefined;
    return { message_id: message.messageId, sent_count: message.pushes, acknowledged: message.acknowledged, given_up: message.givenUp };
  }

  /** Messages of the host not yet confirmed (in flight first). */
  unconfirmed(hostName: string): EmittedMessage[] {
    const current = this.inFlight.get(hostName);
    return [...(current ? [current.message] : []), ...(this.queues.get(hostName) ?? [])];
  }

  close(): void {
    for (const { timer } of this.inFlight.values()) clearTimeout(timer);
    this.inFlight.clear();
    this.queues.clear();
  }

  private next(hostName: string): void {
    if (this.inFlight.has(hostName)) return;
    const message = this.queues.get(hostName)?.shift();
    if (!message) return;
    this.inFlight.set(hostName, { message, timer: setTimeout(() => {}, 0) });
    this.attempt(message);
  }

  private attempt(message: EmittedMessage): void {
    const current = this.inFlight.get(message.hostName);
    if (!current || current.message !== message) return;
    message.attempts++;
    const connection = this.options.connectionOf(message.hostName);
    if (connection?.push(COMMANDS_DESTINATION, message.body, { messageId: String(message.messageId) })) {
      message.pushes++;
      this.options.log('info', `${message.hostName}: execution command message ${message.messageId} sent (attempt ${message.attempts}, tasks ${[...message.taskIds, ...message.cancelIds].join(', ')})`);
    } else {
      this.options.log('warn', `${message.hostName}: execution command message ${message.messageId} not sent (attempt ${message.attempts}): host not connected`);
    }
    const retriesLeft = message.attempts - 1 < this.retryCount;
    current.timer = setTimeout(() => (retriesLeft ? this.attempt(message) : this.giveUp(message.hostName)), this.retryIntervalMs);
    current.timer.unref?.();
  }

  private giveUp(hostName: string): void {
    const messages = this.unconfirmed(hostName);
    this.inFlight.delete(hostName);
    this.queues.delete(hostName);
    for (const message of messages) message.givenUp = true;
    this.options.log('warn', `${hostName}: execution command message(s) ${messages.map((m) => m.messageId).join(', ')} not delivered after ${this.retryCount + 1} attempts; tasks go out again when the agent is back`);
    this.options.onGiveUp(hostName, messages);
  }
}
