// Everything the server pushes on the agent's subscriptions goes through here: cache topics
// update their cache (queued while that cache's sync request is in flight), agent actions are
// acted on, and a MESSAGE with a `messageId` header is confirmed on /reports/responses.
// Unknown or malformed messages are logged with their destination and dropped.
import { AgentCaches, CacheMessageError, cacheForTopic, type CacheName } from '../../caches/index.js';
import { isPlainObject } from '../../util/plainObject.js';
import type { LogFn } from '../../logging/logger.js';
import type { ExecutionCommand } from '../../machines/command.js';
import type { InboundMessage, StompClient } from '../../protocol/stompClient.js';

export const AGENT_ACTIONS_TOPIC = '/user/agent_actions';
export const COMMANDS_TOPIC = '/user/commands';
export const ENCRYPTION_KEY_TOPIC = '/events/encryption_key';
export const RESPONSES_DESTINATION = '/reports/responses';

export class TopicRouter {
  /** Caches with a sync request in flight: their topic's messages wait here, in order. */
  private readonly syncing = new Map<CacheName, { pending: number; queue: InboundMessage[] }>();
  /** Set by the session's listener: RESTART_AGENT asks the supervisor for a restart. */
  onRestart: (reason: string) => void = () => {};
  /**
   * Set by the session's listener: hands commands and cancels to the action queue. Until it
   * is set (or when it throws) commands are refused with an ERROR confirmation.
   */
  onCommands: ((batch: CommandBatch) => void) | undefined;
  encryptionKey: string | undefined;
  /** Told every key from /events/encryption_key (the scripts get the latest as AGENT_ENCRYPTION_KEY). */
  onEncryptionKey: (key: string) => void = () => {};

  constructor(
    private readonly client: StompClient,
    private readonly caches: AgentCaches,
    private readonly log: LogFn,
    private readonly actor = 'session',
  ) {
    client.onMessage((message) => this.handle(message));
  }

  /** A sync request: subscribe its topic, ask with our hash, apply the answer, then what queued. */
  async sync(cache: CacheName, request: string, topic: string): Promise<void> {
    // Overlapping syncs of one cache share the queue; it is applied when the last one ends.
    const entry = this.syncing.get(cache) ?? { pending: 0, queue: [] };
    entry.pending++;
    this.syncing.set(cache, entry);
    try {
      if (!this.client.subscriptions.has(topic)) this.client.subscribe(topic);
      const answer = await this.client.request(request, { hash: this.caches.hash(cache) });
      this.caches.apply(cache, answer);
      this.caches.persist(cache);
      this.log(this.actor, 'debug', `Synced ${cache} (hash ${this.caches.hash(cache) ?? 'none'})`);
    } finally {
      entry.pending--;
      if (entry.pending === 0) {
        this.syncing.delete(cache);
        for (const message of entry.queue) this.handle(message);
      }
    }
  }

  private handle(message: InboundMessage): void {
    const cache = cacheForTopic(message.destination);
    const inFlight = cache ? this.syncing.get(cache) : undefined;
    if (inFlight) {
      inFlight.queue.push(message);
      return;
    }
    let outcome: { ok: true } | { ok: false; reason: string };
    try {
      outcome = this.dispatch(message, cache);
    } catch (err) {
      outcome = { ok: false, reason: (err as Error).message };
    }
    if (!outcome.ok) this.log(this.actor, 'warn', `Dropped message on ${message.destination}: ${outcome.reason}`);
    const messageId = message.headers.messageId;
    if (messageId !== undefined) {
      const confirmation = outcome.ok ? { messageId: numberOrText(messageId), status: 'OK' } : { messageId: numberOrText(messageId), status: 'ERROR', reason: outcome.reason };
      try {
        this.client.send(RESPONSES_DESTINATION, confirmation);
      } catch {
        // the connection went away; the server resends unconfirmed messages
      }
    }
  }

  private dispatch(message: InboundMessage, cache: CacheName | undefined): { ok: true } | { ok: false; reason: string } {
    let body: unknown;
    try {
      body = JSON.parse(message.body);
    } catch {
      return { ok: false, reason: 'body is not valid JSON' };
    }
    if (cache) {
      try {
        this.caches.apply(cache, body);
        this.caches.persist(cache);
      } catch (err) {
        if (err instanceof CacheMessageError) return { ok: false, reason: err.message };
        throw err;
      }
      this.log(this.actor, 'info', `Updated ${cache} from ${message.destination} (hash ${this.caches.hash(cache) ?? 'none'})`);
      return { ok: true };
    }
    switch (message.destination) {
      case AGENT_ACTIONS_TOPIC: {
        const action = (body as { actionName?: unknown } | null)?.actionName;
        if (action === 'RESTART_AGENT') {
          this.log(this.actor, 'info', 'Server asked for RESTART_AGENT');
          this.onRestart('RESTART_AGENT from the server');
          return { ok: true };
        }
        return { ok: false, reason: `unknown agent action ${JSON.stringify(action)} ignored` };
      }
      case ENCRYPTION_KEY_TOPIC: {
        const key = (body as { encryptionKey?: unknown } | null)?.encryptionKey;
        if (typeof key !== 'string') return { ok: false, reason: 'no encryptionKey string' };
        this.encryptionKey = key;
        this.onEncryptionKey(key);
        return { ok: true };
      }
      case COMMANDS_TOPIC: {
        if (!this.onCommands) return { ok: false, reason: 'the action queue is not running' };
        const parsed = parseCommandsMessage(body);
        if (parsed.commands.length > 0 || parsed.cancels.length > 0) {
          const tasks = parsed.commands.map((c) => c.taskId);
          this.log(this.actor, 'info', `Received ${tasks.length} command(s)${tasks.length ? ` (task ${tasks.join(', ')})` : ''}${parsed.cancels.length ? ` and cancel of task ${parsed.cancels.map((c) => c.taskId).join(', ')}` : ''}`);
          this.onCommands(parsed);
        }
        return parsed.problems.length > 0 ? { ok: false, reason: parsed.problems.join('; ') } : { ok: true };
      }
      default:
        return { ok: false, reason: 'unknown destination' };
    }
  }
}

export interface CommandBatch {
  commands: ExecutionCommand[];
  cancels: Array<{ taskId: number; reason: string }>;
  /**
   * Alerts to check now: ALERT_EXECUTION_COMMAND (AlertExecutionCommand.java: alertDefinition,
   * clusterName, hostName; no task id) names its definition. The Java server of today builds
   * them but does not send them (AlertDefinitionResourceProvider), older ones and tools may.
   */
  alertRuns: string[];
  /** Entries that could not be taken (the rest still is). */
  problems: string[];
}

/** A value for a message: its JSON, at most 40 characters, or "none". */
const shown = (value: unknown): string => (value === undefined ? 'none' : (JSON.stringify(value) ?? String(value)).slice(0, 40));

/** A task id: a positive whole number (the server's host_role_command ids start at 1), or a string of one. */
const taskIdOf = (value: unknown): number | undefined => {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 1 ? n : undefined;
};

/**
 * A /user/commands body, `{clusters: {CLUSTER_ID: {commands: [...], cancelCommands: [...]}}}`
 * (fixtures/execution_commands.json): the commands (clusterId from the key when absent, taskId
 * a number) and cancels (target_task_id, reason). Own properties only.
 */
export function parseCommandsMessage(body: unknown): CommandBatch {
  const batch: CommandBatch = { commands: [], cancels: [], alertRuns: [], problems: [] };
  const clusters = isPlainObject(body) ? body.clusters : undefined;
  if (!isPlainObject(clusters)) {
    batch.problems.push('no "clusters" object');
    return batch;
  }
  // CommandsEventListener: every command carries the message's requiredConfigTimestamp
  // (ExecutionCommandEvent), which the command JSON check reads (commandJson.ts).
  const required = Object.hasOwn(body as object, 'requiredConfigTimestamp') ? (body as Record<string, unknown>).requiredConfigTimestamp : undefined;
  for (const clusterId of Object.keys(clusters)) {
    const cluster = clusters[clusterId];
    if (!isPlainObject(cluster)) {
      batch.problems.push(`cluster ${clusterId} is not an object`);
      continue;
    }
    const commands = Object.hasOwn(cluster, 'commands') ? cluster.commands : [];
    const cancels = Object.hasOwn(cluster, 'cancelCommands') ? cluster.cancelCommands : [];
    if (!Array.isArray(commands) || !Array.isArray(cancels)) {
      batch.problems.push(`cluster ${clusterId}: commands and cancelCommands must be lists`);
      continue;
    }
    for (const command of commands) {
      if (isPlainObject(command) && command.commandType === 'ALERT_EXECUTION_COMMAND') {
        const name = isPlainObject(command.alertDefinition) ? command.alertDefinition.name : undefined;
        if (typeof name === 'string') batch.alertRuns.push(name);
        else batch.problems.push(`cluster ${clusterId}: an alert execution command without alertDefinition.name`);
        continue;
      }
      const taskId = isPlainObject(command) ? taskIdOf(command.taskId) : undefined;
      if (!isPlainObject(command) || taskId === undefined) {
        batch.problems.push(`cluster ${clusterId}: a command without a positive whole taskId (${shown(isPlainObject(command) ? command.taskId : command)})`);
        continue;
      }
      const entry = { ...command, taskId, clusterId: command.clusterId === undefined || command.clusterId === null ? clusterId : String(command.clusterId) } as ExecutionCommand;
      if (required !== undefined && required !== null) entry.requiredConfigTimestamp = required;
      batch.commands.push(entry);
    }
    for (const cancel of cancels) {
      const taskId = isPlainObject(cancel) ? taskIdOf(cancel.target_task_id) : undefined;
      if (!isPlainObject(cancel) || taskId === undefined) {
        batch.problems.push(`cluster ${clusterId}: a cancel command without a positive whole target_task_id (${shown(isPlainObject(cancel) ? cancel.target_task_id : cancel)})`);
        continue;
      }
      batch.cancels.push({ taskId, reason: typeof cancel.reason === 'string' ? cancel.reason : 'Cancelled by the server' });
    }
  }
  return batch;
}

function numberOrText(value: string): number | string {
  return /^\d+$/.test(value) ? Number(value) : value;
}
