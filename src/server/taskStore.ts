// The dev server's half of command execution: tasks (one execution command for one host),
// delivered to the host's agent on `/user/commands` and updated from the agent's
// `/reports/commands_status` reports. With a file (the dev server's DATA_DIR/tasks.json) the
// store is saved after every change and loaded at start, so tasks survive a server restart.
//
// Delivery survives reconnects: a task that could not be pushed (agent not connected, or not
// yet subscribed to /user/commands) stays PENDING and goes out when the host registers or
// subscribes again; a pushed message is sent again until the agent acknowledges it
// (commandEmitter.ts, as the Java MessageEmitter), and handed back to PENDING if it never is;
// a task stays QUEUED / IN_PROGRESS until the agent reports on it (the agent keeps
// unacknowledged reports and resends them after re-registration).
// Aborting a task that was pushed sends a cancel command, also when the agent is only back later.
import type { AgentConnection, ServerLog } from './agentEndpoint.js';
import { CLUSTER_ID, CLUSTER_NAME, HOOKS_FOLDER, STACK_DIR } from './clusterData.js';
import { CommandEmitter, COMMANDS_DESTINATION, type Delivery, type EmittedMessage } from './commandEmitter.js';
import type { HostRegistry } from './hostRegistry.js';
import { StateFile } from './stateFile.js';
import { isPlainObject } from '../util/plainObject.js';

export { COMMANDS_DESTINATION };
/** The dev server's requests have one stage, with this id (ExecutionCommand.commandId is `requestId-stageId`). */
export const STAGE_ID = 0;
export const AGENT_ACTIONS_DESTINATION = '/user/agent_actions';
/** The configurations timestamp the dev server's configs carry (clusterData.ts: `timestamp: 0`). */
export const REQUIRED_CONFIG_TIMESTAMP = 0;
export const DEFAULT_TIMEOUT_SECONDS = 600;
export const DEFAULT_ABORT_REASON = 'Aborted through the dev server API';

export type TaskStatus = 'PENDING' | 'QUEUED' | 'IN_PROGRESS' | 'COMPLETED' | 'FAILED' | 'TIMEDOUT' | 'ABORTED';
export type ScriptType = 'PYTHON' | 'SHELL';

/** Final reports of a task kept in Task.final_reports. */
export const MAX_FINAL_REPORTS = 100;

export const FINAL_STATUSES: ReadonlySet<TaskStatus> = new Set<TaskStatus>(['COMPLETED', 'FAILED', 'TIMEDOUT', 'ABORTED']);
/** Statuses an agent's command report may carry. */
const REPORTED_STATUSES: ReadonlySet<string> = new Set(['IN_PROGRESS', 'COMPLETED', 'FAILED', 'TIMEDOUT', 'ABORTED']);

export interface Task {
  task_id: number;
  request_id: number;
  host_name: string;
  service_name: string;
  role: string;
  /** The roleCommand (INSTALL, START, CUSTOM_COMMAND, ...). */
  command: string;
  script: string;
  script_type: ScriptType;
  /** Seconds (commandParams.command_timeout). */
  timeout: number;
  /** Extra commandParams, as given. */
  params: Record<string, unknown>;
  /**
   * The task runs a component placed on the host (POST .../components) and goes out shaped as
   * the Java server sends it: the script relative to the service package folder, which the agent
   * finds through the metadata. Otherwise the script is the request's own and the command names
   * its folder in commandParams (a dev-server extension). Absent in older files: false.
   */
  from_component?: boolean;
  status: TaskStatus;
  exit_code: number | null;
  stdout: string;
  stderr: string;
  structured_out: Record<string, unknown>;
  created_at: number;
  started_at: number | null;
  ended_at: number | null;
  /** Pushed to the agent (status QUEUED or later). */
  sent: boolean;
  /** The agent confirmed the message that carried it (/reports/responses); absent in older files. */
  confirmed?: boolean;
  /**
   * `STATUS EXITCODE` of each final report (COMPLETED, FAILED, ...) the agents sent for it, in
   * order (the first MAX_FINAL_REPORTS): more than one is a result sent again (after an answer
   * that was lost, which the Java server ignores), two different ones a contradiction. Absent
   * until the first one. `npm run chaos` counts them.
   */
  final_reports?: string[];
}

/** What `POST /api/v1/hosts/NAME/commands` asks for, validated. */
export interface CommandRequest {
  role: string;
  command: string;
  /** Absent: the role is a component placed on the host, whose script runs (taken by the API). */
  script?: string;
  /** Set by the API when the script is the placed component's (Task.from_component). */
  from_component?: boolean;
  script_type: ScriptType;
  timeout: number;
  params: Record<string, unknown>;
  service_name: string;
}

const REQUEST_FIELDS = ['role', 'command', 'script', 'script_type', 'timeout', 'params', 'service_name'];
/** commandParams the task's own fields set; params may not contradict them. */
const RESERVED_PARAMS = ['script', 'script_type', 'command_timeout'];

/** Validates a command request body: the request, or what is wrong with it. */
export function parseCommandRequest(body: unknown): { request: CommandRequest } | { error: string } {
  if (!isPlainObject(body)) return { error: 'expected a JSON object {"role", "command", "script", "script_type"?, "timeout"?, "params"?, "service_name"?}' };
  const unknown = Object.keys(body).filter((key) => !REQUEST_FIELDS.includes(key));
  if (unknown.length > 0) return { error: `unknown field(s) ${unknown.map((k) => JSON.stringify(k)).join(', ')}; allowed: ${REQUEST_FIELDS.join(', ')}` };
  for (const field of ['role', 'command', 'script'] as const) {
    const value = body[field];
    if (value === undefined && field === 'script') continue;
    if (value === undefined) return { error: `"${field}" is required (a non-empty string)` };
    if (typeof value !== 'string' || value.trim() === '') return { error: `"${field}" must be a non-empty string` };
  }
  if (body.script === undefined && body.command === 'ACTIONEXECUTE') return { error: '"script" is required for ACTIONEXECUTE (the custom action\'s script under custom_actions/scripts)' };
  const scriptType = body.script_type ?? 'PYTHON';
  if (scriptType !== 'PYTHON' && scriptType !== 'SHELL') return { error: `"script_type" must be "PYTHON" or "SHELL", not ${JSON.stringify(scriptType)}` };
  const timeout = body.timeout ?? DEFAULT_TIMEOUT_SECONDS;
  if (typeof timeout !== 'number' || !Number.isSafeInteger(timeout) || timeout < 1) {
    return { error: `"timeout" must be a whole number of seconds >= 1, not ${JSON.stringify(timeout)}` };
  }
  const params = body.params ?? {};
  if (!isPlainObject(params)) return { error: '"params" must be a JSON object (extra commandParams)' };
  const reserved = RESERVED_PARAMS.filter((key) => key in params);
  if (reserved.length > 0) {
    return { error: `"params" may not set ${reserved.join(', ')}: use the "script", "script_type" and "timeout" fields` };
  }
  const serviceName = body.service_name ?? 'null';
  if (typeof serviceName !== 'string' || serviceName.trim() === '') return { error: '"service_name" must be a non-empty string' };
  return {
    request: {
      role: (body.role as string).trim(),
      command: (body.command as string).trim(),
      ...(body.script !== undefined ? { script: body.script as string } : {}),
      script_type: scriptType,
      timeout,
      params,
      service_name: serviceName.trim(),
    },
  };
}

/**
 * One command of a `/user/commands` message: ExecutionCommand (agent/ExecutionCommand.java,
 * NON_EMPTY) with the properties Jackson writes: clusterId, clusterName, requestId, taskId,
 * commandId (StageUtils.getActionId: the string `requestId-stageId`), role, roleCommand,
 * commandParams, serviceName, and AgentCommand's commandType. configurationCredentials,
 * hostname, stageId and the like are @JsonIgnore.
 *
 * commandParams as AmbariManagementControllerImpl.createHostAction fills them (script,
 * script_type, command_timeout, max_duration_for_retries, command_retry_enabled) plus
 * ExecutionCommandWrapper's hooks_folder; no service_package_folder, which the agent takes from
 * the topology component or the metadata's serviceLevelParams. A custom action (ACTIONEXECUTE,
 * AmbariActionExecutionHelper) names its script under custom_actions/scripts. A task with its
 * own script (not a placed component) also names service_package_folder: the dev server's
 * extension, so that any script can run.
 */
export function executionCommand(task: Task): Record<string, unknown> {
  const service = task.service_name === 'null' ? task.role : task.service_name;
  const own = !task.from_component && task.command !== 'ACTIONEXECUTE';
  return {
    clusterId: CLUSTER_ID,
    clusterName: CLUSTER_NAME,
    requestId: task.request_id,
    taskId: task.task_id,
    commandId: `${task.request_id}-${STAGE_ID}`,
    serviceName: task.service_name,
    role: task.role,
    commandType: 'EXECUTION_COMMAND',
    roleCommand: task.command,
    commandParams: {
      script: task.script,
      script_type: task.script_type,
      command_timeout: String(task.timeout),
      max_duration_for_retries: '0',
      command_retry_enabled: 'false',
      hooks_folder: HOOKS_FOLDER,
      ...(own ? { service_package_folder: `${STACK_DIR}/services/${service}/package` } : {}),
      ...task.params,
    },
  };
}

/**
 * The `/user/commands` message body carrying these tasks: ExecutionCommandEvent
 * (events/ExecutionCommandEvent.java, NON_NULL: requiredConfigTimestamp, clusters) of
 * ExecutionCommandsCluster (stomp/dto/ExecutionCommandsCluster.java, NON_EMPTY: an empty
 * cancelCommands list is left out).
 */
export function executionCommandsMessage(tasks: Task[]): Record<string, unknown> {
  return { requiredConfigTimestamp: REQUIRED_CONFIG_TIMESTAMP, clusters: { [CLUSTER_ID]: { commands: tasks.map(executionCommand) } } };
}

/** The `/user/commands` message body cancelling these tasks: CancelCommand (agent/CancelCommand.java) target_task_id, reason. */
export function cancelCommandsMessage(cancels: Array<{ taskId: number; reason: string }>): Record<string, unknown> {
  return { clusters: { [CLUSTER_ID]: { cancelCommands: cancels.map(({ taskId, reason }) => ({ target_task_id: taskId, reason })) } } };
}

export type AbortResult =
  | { outcome: 'unknown' }
  | { outcome: 'finished'; task: Task }
  /** `cancel`: the agent has the command, so it must be told (a cancel command). */
  | { outcome: 'aborted'; task: Task; cancel: boolean };

/** A task was created (`previous` undefined) or changed: status, output, exit code. */
export type TaskListener = (task: Task, previous: TaskStatus | undefined) => void;

/** Where a TaskStore keeps its state between runs. */
export interface TaskStorePersistence {
  file: string;
  /** Where warnings go (a corrupt file moved aside, a failed save). */
  log: ServerLog;
}

/**
 * The tasks, in memory and (with `persistence`) in a file rewritten after every change. Times
 * come from `now` (ms since the epoch). Tasks IN_PROGRESS (or QUEUED and confirmed) when the
 * server stopped stay so: their agent resends its unacknowledged reports after it re-registers;
 * tasks sent but never confirmed are PENDING again.
 */
export class TaskStore {
  private readonly tasks = new Map<number, Task>();
  /** Cancel commands not yet delivered, by task id. */
  private readonly cancels = new Map<number, { host: string; reason: string }>();
  private lastTaskId = 0;
  private lastRequestId = 0;
  private readonly state: StateFile<TasksFile> | undefined;
  /** Inside batch(): changes are saved once, at its end. */
  private batchDepth = 0;
  private dirty = false;
  private readonly listeners = new Set<TaskListener>();

  /** --lenient: also take what older agents sent (`exitCode`). */
  lenient = false;

  constructor(
    private readonly now: () => number = Date.now,
    persistence?: TaskStorePersistence,
  ) {
    if (!persistence) return;
    this.state = new StateFile(persistence.file, parseTasksFile, persistence.log);
    const saved = this.state.load();
    if (!saved) return;
    for (const task of [...saved.tasks].sort((a, b) => a.task_id - b.task_id)) this.tasks.set(task.task_id, task);
    for (const cancel of saved.cancels) this.cancels.set(cancel.task_id, { host: cancel.host, reason: cancel.reason });
    // Ids are never reused, even if the counters in the file were behind its tasks.
    this.lastTaskId = saved.tasks.reduce((max, t) => Math.max(max, t.task_id), saved.last_task_id);
    this.lastRequestId = saved.tasks.reduce((max, t) => Math.max(max, t.request_id), saved.last_request_id);
    // Sent but never confirmed: the message may never have reached the agent, and the resend
    // queue did not outlive the server. They go out again (the agent runs a task id once).
    for (const task of this.tasks.values()) {
      if (task.status === 'QUEUED' && task.sent && task.confirmed !== true) {
        task.sent = false;
        task.status = 'PENDING';
      }
    }
  }

  /** The agent confirmed the message carrying these tasks. */
  markConfirmed(taskIds: number[]): void {
    const tasks = taskIds.flatMap((id) => this.tasks.get(id) ?? []);
    if (tasks.length === 0) return;
    for (const task of tasks) task.confirmed = true;
    this.save();
  }

  /** Runs `change` and saves once afterwards (e.g. a report message with many reports). */
  batch<R>(change: () => R): R {
    this.batchDepth++;
    try {
      return change();
    } finally {
      if (--this.batchDepth === 0 && this.dirty) this.save();
    }
  }

  create(hostName: string, request: CommandRequest): Task {
    const task: Task = {
      task_id: ++this.lastTaskId,
      request_id: ++this.lastRequestId,
      host_name: hostName,
      service_name: request.service_name,
      role: request.role,
      command: request.command,
      script: request.script ?? '',
      script_type: request.script_type,
      timeout: request.timeout,
      params: request.params,
      ...(request.from_component ? { from_component: true } : {}),
      status: 'PENDING',
      exit_code: null,
      stdout: '',
      stderr: '',
      structured_out: {},
      created_at: this.now(),
      started_at: null,
      ended_at: null,
      sent: false,
    };
    this.tasks.set(task.task_id, task);
    this.save();
    this.changed(task, undefined);
    return task;
  }

  get(taskId: number): Task | undefined {
    return this.tasks.get(taskId);
  }

  /** All tasks (of one host), by id. */
  list(hostName?: string): Task[] {
    return [...this.tasks.values()].filter((task) => hostName === undefined || task.host_name === hostName);
  }

  /** Tasks of the host still to be pushed, by id. */
  pending(hostName: string): Task[] {
    return this.list(hostName).filter((task) => task.status === 'PENDING' && !task.sent);
  }

  markSent(tasks: Task[]): void {
    for (const task of tasks) {
      task.sent = true;
      task.confirmed = false;
      if (task.status === 'PENDING') task.status = 'QUEUED';
    }
    this.save();
    for (const task of tasks) if (task.status === 'QUEUED') this.changed(task, 'PENDING');
  }

  /** Cancel commands for the host not yet delivered, by task id. */
  pendingCancels(hostName: string): Array<{ taskId: number; reason: string }> {
    return [...this.cancels]
      .filter(([, cancel]) => cancel.host === hostName)
      .map(([taskId, { reason }]) => ({ taskId, reason }))
      .sort((a, b) => a.taskId - b.taskId);
  }

  cancelsDelivered(taskIds: number[]): void {
    for (const taskId of taskIds) this.cancels.delete(taskId);
    this.save();
  }

  /** A cancel that was never confirmed, to be delivered again. */
  cancelAgain(taskId: number, hostName: string, reason: string): void {
    this.cancels.set(taskId, { host: hostName, reason });
    this.save();
  }

  /** Tasks whose message was never confirmed: PENDING again unless the agent reported on them meanwhile. */
  markUnsent(taskIds: number[]): Task[] {
    const again = taskIds.flatMap((id) => this.tasks.get(id) ?? []).filter((task) => task.status === 'QUEUED');
    for (const task of again) {
      task.sent = false;
      task.status = 'PENDING';
    }
    this.save();
    for (const task of again) this.changed(task, 'QUEUED');
    return again;
  }

  /**
   * Marks the task ABORTED. One the agent was sent gets a cancel command queued (see
   * pendingCancels); one never sent just never goes out. A finished task stays as it is.
   */
  abort(taskId: number, reason: string): AbortResult {
    const task = this.tasks.get(taskId);
    if (!task) return { outcome: 'unknown' };
    if (FINAL_STATUSES.has(task.status)) return { outcome: 'finished', task };
    const previous = task.status;
    task.status = 'ABORTED';
    task.ended_at = this.now();
    if (task.sent) this.cancels.set(taskId, { host: task.host_name, reason });
    this.save();
    this.changed(task, previous);
    return { outcome: 'aborted', task, cancel: task.sent };
  }

  /**
   * Applies one report of `/reports/commands_status` from hostName: the updated task, or why
   * the report was ignored. IN_PROGRESS sets started_at; a final status sets ended_at (and
   * started_at, if no IN_PROGRESS report came first) with the output and exit code. The
   * agent's status is kept as given (exit code 999 with FAILED is a timeout, still FAILED),
   * except that a task aborted here stays ABORTED (the agent reports it FAILED).
   */
  applyReport(hostName: string, report: unknown): { task: Task } | { ignored: string } {
    if (!isPlainObject(report)) return { ignored: `report is not a JSON object: ${JSON.stringify(report)}` };
    const taskId = typeof report.taskId === 'string' && /^\d+$/.test(report.taskId) ? Number(report.taskId) : report.taskId;
    if (typeof taskId !== 'number' || !Number.isSafeInteger(taskId)) return { ignored: `report without a valid taskId: ${JSON.stringify(report.taskId ?? null)}` };
    const task = this.tasks.get(taskId);
    if (!task) return { ignored: `report for unknown task ${taskId}` };
    if (task.host_name !== hostName) return { ignored: `report for task ${taskId} of host ${task.host_name}` };
    const status = report.status;
    if (typeof status !== 'string' || !REPORTED_STATUSES.has(status)) return { ignored: `report for task ${taskId} with unknown status ${JSON.stringify(status ?? null)}` };

    const now = this.now();
    const previous = task.status;
    task.sent = true; // a report proves the agent has the command
    if (status === 'IN_PROGRESS') {
      // A late progress report (resent after the final one) changes nothing.
      if (FINAL_STATUSES.has(task.status)) return { task };
      task.status = 'IN_PROGRESS';
      task.started_at ??= now;
      this.takeOutput(task, report);
      this.save();
      this.changed(task, previous);
      return { task };
    }
    if (task.status !== 'ABORTED') task.status = status as TaskStatus;
    // A task aborted here ended when it was aborted; its late report cannot start it after that.
    task.started_at ??= Math.min(now, task.ended_at ?? now);
    task.ended_at ??= now;
    this.takeOutput(task, report);
    // CommandReport reads the exit code as `exitcode` (an int: Jackson truncates 1.5, reads "1");
    // without it the Java field keeps its default, 0 (the Python agent's `exitCode` is an unknown
    // property there). Lenient mode takes `exitCode` when `exitcode` is absent.
    const exitCode = integerOf(report.exitcode ?? (this.lenient ? report.exitCode : 0));
    if (exitCode !== undefined) task.exit_code = exitCode;
    const finals = (task.final_reports ??= []);
    if (finals.length < MAX_FINAL_REPORTS) finals.push(`${status} ${exitCode ?? 'none'}`);
    // CommandReport.structuredOut is a String holding JSON; an object is taken as is (lenient mode).
    const structured = typeof report.structuredOut === 'string' ? parseObject(report.structuredOut) : report.structuredOut;
    if (isPlainObject(structured)) task.structured_out = structured;
    this.save();
    this.changed(task, previous);
    return { task };
  }

  /** Calls `listener` after a task is created or changed; returns the unsubscribe function. */
  subscribe(listener: TaskListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(task: Task, previous: TaskStatus | undefined): void {
    for (const listener of this.listeners) {
      try {
        listener(task, previous);
      } catch {
        // an observer's failure must not break task handling
      }
    }
  }

  /** Writes the file (if any) now, or at the end of the current batch. */
  private save(): void {
    if (!this.state) return;
    if (this.batchDepth > 0) {
      this.dirty = true;
      return;
    }
    this.dirty = false;
    const cancels = [...this.cancels].map(([task_id, { host, reason }]) => ({ task_id, host, reason }));
    this.state.save({ version: TASKS_FILE_VERSION, last_task_id: this.lastTaskId, last_request_id: this.lastRequestId, tasks: [...this.tasks.values()], cancels });
  }

  private takeOutput(task: Task, report: Record<string, unknown>): void {
    if (typeof report.stdout === 'string') task.stdout = report.stdout;
    if (typeof report.stderr === 'string') task.stderr = report.stderr;
  }
}

function integerOf(value: unknown): number | undefined {
  const number = typeof value === 'string' && /^\s*[-+]?\d+\s*$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) ? Math.trunc(number) : undefined;
}

function parseObject(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// tasks.json

const TASKS_FILE_VERSION = 1;

/** What tasks.json holds: every task, the id counters and the cancels not yet delivered. */
interface TasksFile {
  version: typeof TASKS_FILE_VERSION;
  last_task_id: number;
  last_request_id: number;
  tasks: Task[];
  cancels: Array<{ task_id: number; host: string; reason: string }>;
}

const isId = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
const isString = (value: unknown) => typeof value === 'string';
const isTime = (value: unknown) => typeof value === 'number' && Number.isFinite(value);
const orNull = (check: (value: unknown) => boolean) => (value: unknown) => value === null || check(value);

/** Every field of a Task and what it must hold: a file that breaks one is corrupt. */
const TASK_FIELDS: Record<keyof Task, (value: unknown) => boolean> = {
  task_id: (value) => isId(value) && value > 0,
  request_id: isId,
  host_name: isString,
  service_name: isString,
  role: isString,
  command: isString,
  script: isString,
  script_type: (value) => value === 'PYTHON' || value === 'SHELL',
  timeout: (value) => isId(value) && value > 0,
  params: isPlainObject,
  from_component: (value) => value === undefined || typeof value === 'boolean',
  status: (value) => typeof value === 'string' && ['PENDING', 'QUEUED', 'IN_PROGRESS', ...FINAL_STATUSES].includes(value),
  exit_code: orNull((value) => Number.isSafeInteger(value)),
  stdout: isString,
  stderr: isString,
  structured_out: isPlainObject,
  created_at: isTime,
  started_at: orNull(isTime),
  ended_at: orNull(isTime),
  sent: (value) => typeof value === 'boolean',
  confirmed: (value) => value === undefined || typeof value === 'boolean',
  final_reports: (value) => value === undefined || (Array.isArray(value) && value.every(isString)),
};

function parseTasksFile(json: unknown): { value: TasksFile } | { error: string } {
  if (!isPlainObject(json)) return { error: 'not a JSON object' };
  if (json.version !== TASKS_FILE_VERSION) return { error: `unknown version ${JSON.stringify(json.version ?? null)}` };
  if (!isId(json.last_task_id) || !isId(json.last_request_id)) return { error: 'last_task_id / last_request_id are not ids' };
  if (!Array.isArray(json.tasks) || !Array.isArray(json.cancels)) return { error: '"tasks" and "cancels" must be lists' };
  const seen = new Set<number>();
  for (const [index, task] of json.tasks.entries()) {
    if (!isPlainObject(task)) return { error: `tasks[${index}] is not an object` };
    const bad = (Object.keys(TASK_FIELDS) as Array<keyof Task>).find((field) => !TASK_FIELDS[field](task[field]));
    if (bad) return { error: `tasks[${index}].${bad} is ${JSON.stringify(task[bad] ?? null)}` };
    if (seen.has(task.task_id as number)) return { error: `task ${String(task.task_id)} twice` };
    seen.add(task.task_id as number);
  }
  for (const [index, cancel] of json.cancels.entries()) {
    if (!isPlainObject(cancel) || !isId(cancel.task_id) || !isString(cancel.host) || !isString(cancel.reason)) return { error: `cancels[${index}] is not {task_id, host, reason}` };
  }
  return { value: json as unknown as TasksFile };
}

/**
 * Connects the task store to the agents: pushes tasks and cancels to a host's current
 * connection when it can (at once, on registration, on subscription to /user/commands) and
 * applies the agents' command reports.
 */
export class TaskDispatcher {
  readonly emitter: CommandEmitter;

  constructor(
    readonly store: TaskStore,
    private readonly hosts: HostRegistry,
    private readonly connections: Map<string, AgentConnection>,
    private readonly log: ServerLog,
    retry: { retryCount?: number; retryIntervalMs?: number } = {},
  ) {
    this.emitter = new CommandEmitter({ ...retry, connectionOf: (host) => this.connectionOf(host), log, onGiveUp: (host, messages) => this.undelivered(host, messages) });
  }

  /** For EndpointContext.onAck: an AckReport of /reports/responses. */
  ack(connection: AgentConnection, ack: Record<string, unknown>): void {
    if (connection.hostName) this.store.markConfirmed(this.emitter.ack(connection.hostName, ack));
  }

  /** How the task's latest message fared (undefined: never sent). */
  delivery(taskId: number): Delivery | undefined {
    return this.emitter.delivery(taskId);
  }

  close(): void {
    this.emitter.close();
  }

  /** Messages never confirmed: their tasks and cancels wait for the agent again. */
  private undelivered(hostName: string, messages: EmittedMessage[]): void {
    this.store.batch(() => {
      for (const message of messages) {
        this.store.markUnsent(message.taskIds);
        const cancels = (((message.body.clusters as Record<string, { cancelCommands?: Array<{ target_task_id: number; reason: string }> }>)[CLUSTER_ID]?.cancelCommands) ?? []);
        for (const cancel of cancels) this.store.cancelAgain(cancel.target_task_id, hostName, cancel.reason);
      }
    });
    // An agent that is there now (it came back between two attempts) gets them at once, in a
    // new message; otherwise they wait for its next registration.
    this.deliver(hostName);
  }

  /** A new task for a known host, pushed at once when its agent is there to take it. */
  submit(hostName: string, request: CommandRequest): Task {
    const task = this.store.create(hostName, request);
    this.log('info', `task ${task.task_id}: ${task.command} ${task.role} on ${hostName} (${task.script_type} ${task.script}, timeout ${task.timeout} s)`);
    this.deliver(hostName);
    return task;
  }

  abort(taskId: number, reason: string): AbortResult & { cancelSent?: boolean } {
    const result = this.store.abort(taskId, reason);
    if (result.outcome !== 'aborted') return result;
    this.log('info', `task ${taskId} aborted: ${reason}`);
    if (!result.cancel) return result;
    this.deliver(result.task.host_name);
    return { ...result, cancelSent: this.store.pendingCancels(result.task.host_name).every((cancel) => cancel.taskId !== taskId) };
  }

  /** The host's current connection, when it is open. */
  connectionOf(hostName: string): AgentConnection | undefined {
    const connectionId = this.hosts.get(hostName)?.connectionId;
    return connectionId ? this.connections.get(connectionId) : undefined;
  }

  /** For EndpointContext.onRegistered. */
  registered(connection: AgentConnection): void {
    if (connection.hostName) this.deliver(connection.hostName);
  }

  /** For EndpointContext.onSubscribed: /user/commands of a registered host's connection. */
  subscribed(connection: AgentConnection, destination: string): void {
    if (destination !== COMMANDS_DESTINATION || !connection.hostName) return;
    if (this.hosts.get(connection.hostName)?.connectionId !== connection.id) return;
    this.deliver(connection.hostName);
  }

  /** Pushes what is waiting for the host (tasks, then cancels), if its agent takes commands now. */
  deliver(hostName: string): void {
    const connection = this.connectionOf(hostName);
    if (!connection) return;
    this.store.batch(() => this.deliverTo(hostName, connection));
  }

  /** Hands what waits for the host to the emitter (one message for the tasks, one for the cancels). */
  private deliverTo(hostName: string, connection: AgentConnection): void {
    if (!connection.subscribed().includes(COMMANDS_DESTINATION)) return;
    const tasks = this.store.pending(hostName);
    if (tasks.length > 0) {
      this.store.markSent(tasks);
      const message = this.emitter.enqueue(hostName, executionCommandsMessage(tasks), tasks.map((t) => t.task_id), []);
      this.log('info', `task(s) ${tasks.map((t) => t.task_id).join(', ')} for ${hostName} in message ${message.messageId}`);
    }
    const cancels = this.store.pendingCancels(hostName);
    if (cancels.length > 0) {
      this.store.cancelsDelivered(cancels.map((cancel) => cancel.taskId));
      const message = this.emitter.enqueue(hostName, cancelCommandsMessage(cancels), [], cancels.map((c) => c.taskId));
      this.log('info', `cancel of task(s) ${cancels.map((c) => c.taskId).join(', ')} for ${hostName} in message ${message.messageId}`);
    }
  }

  /** A `/reports/commands_status` body: `{"clusters": {CLUSTER_ID: [report, ...]}}`. */
  commandReports(hostName: string, body: unknown): void {
    const clusters = isPlainObject(body) ? body.clusters : undefined;
    if (!isPlainObject(clusters)) {
      this.log('warn', `commands_status report from ${hostName} without a "clusters" object: ignored`);
      return;
    }
    for (const [clusterId, reports] of Object.entries(clusters)) {
      if (!Array.isArray(reports)) {
        this.log('warn', `commands_status report from ${hostName}: cluster ${clusterId} is not a list: ignored`);
        continue;
      }
      // One save for the whole message, not one per report.
      this.store.batch(() => {
        for (const report of reports) {
          const result = this.store.applyReport(hostName, report);
          if ('ignored' in result) this.log('warn', `commands_status from ${hostName}: ${result.ignored}; ignored`);
          else this.log('debug', `task ${result.task.task_id} on ${hostName}: ${result.task.status}`);
        }
      });
    }
  }
}
