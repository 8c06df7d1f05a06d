// The command report as the Ambari server reads it, and how the agent's own results become one.
//
// CommandReport (ambari-server agent/CommandReport.java) is read by Jackson through its
// @JsonProperty names, exactly these: role, actionId, stdout, stderr, structuredOut (a String:
// the JSON text of the structured output), status, exitcode (lower case: the property name of
// getExitCode/setExitCode), serviceName, taskId (long), clusterId, roleCommand, customCommand.
// Nothing of the agent's own (tmpout/tmperr paths, exitCode) goes out: a frame Jackson cannot
// read is refused whole. The status is read with HostRoleStatus.valueOf on the server; the
// Python agent sends IN_PROGRESS, COMPLETED or FAILED (models/commands.py CommandStatus).
import type { CommandReport as CommandOutcome } from '../../machines/command.js';
import { cutTail } from './outputTail.js';

export type ReportStatus = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
export const REPORT_STATUSES: ReadonlySet<string> = new Set<ReportStatus>(['IN_PROGRESS', 'COMPLETED', 'FAILED']);

/** The exit code of IN_PROGRESS reports (CommandStatusDict.generate_in_progress_report). */
export const IN_PROGRESS_EXIT_CODE = 777;

/** CommandReport (agent/CommandReport.java): the wire shape, one per task. */
export interface WireCommandReport {
  role?: string;
  /** The command's commandId, "requestId-stageId" (a String in the Java class). */
  actionId?: string;
  stdout: string;
  stderr: string;
  /** JSON text, e.g. "{}" (a String in the Java class). */
  structuredOut: string;
  status: ReportStatus;
  /** @JsonProperty("exitcode") on CommandReport.getExitCode. */
  exitcode: number;
  serviceName?: string;
  taskId: number;
  clusterId?: string;
  roleCommand?: string;
  /** commandParams.custom_command, as ActionQueue.execute_command sets it ("let ambari know name of custom command"). */
  customCommand?: string;
}

/** The fields every report of a task starts from (CommandStatusDict.generate_report_template, plus customCommand). */
export type ReportHeader = Pick<WireCommandReport, 'role' | 'actionId' | 'taskId' | 'clusterId' | 'serviceName' | 'roleCommand' | 'customCommand'>;

const optionalString = (value: unknown): string | undefined => (value === undefined || value === null ? undefined : String(value));

/** The header fields of any report-like record (a report template, an older agent's report). */
export function reportHeader(source: Record<string, unknown>): ReportHeader {
  const header: ReportHeader = { taskId: Number(source.taskId) };
  const role = optionalString(source.role);
  const actionId = optionalString(source.actionId);
  const clusterId = optionalString(source.clusterId);
  const serviceName = optionalString(source.serviceName);
  const roleCommand = optionalString(source.roleCommand);
  const customCommand = optionalString(source.customCommand);
  if (role !== undefined) header.role = role;
  if (actionId !== undefined) header.actionId = actionId;
  if (clusterId !== undefined) header.clusterId = clusterId;
  if (serviceName !== undefined) header.serviceName = serviceName;
  if (roleCommand !== undefined) header.roleCommand = roleCommand;
  if (customCommand !== undefined) header.customCommand = customCommand;
  return header;
}

/** The structured output as the String the Java class holds. */
export function structuredOutText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '{}';
  return JSON.stringify(value);
}

/**
 * A stream as a final report carries it: cut to maxChars ([heartbeat] log_max_symbols_size;
 * the tail is kept) and "None" when empty, as ActionQueue.execute_command does.
 */
export function reportStream(text: string, maxChars: number): string {
  const cut = cutTail(text, maxChars);
  return cut === '' ? 'None' : cut;
}

/** The final report of a finished command (the command machine's outcome) in the wire shape. */
export function finalReport(outcome: CommandOutcome, maxChars: number): WireCommandReport {
  return {
    ...reportHeader(outcome as unknown as Record<string, unknown>),
    status: outcome.status,
    exitcode: outcome.exitCode,
    stdout: reportStream(outcome.stdout, maxChars),
    stderr: reportStream(outcome.stderr, maxChars),
    structuredOut: structuredOutText(outcome.structuredOut),
  };
}

/**
 * Any report-like record in the wire shape, or undefined when it cannot be one (no integer
 * taskId, an unknown status). Reads the wire names and the agent's older ones (exitCode, an
 * object structuredOut), so that a pending-reports file written by an older agent still goes
 * out in the shape the server reads.
 */
export function toWireReport(source: Record<string, unknown>): WireCommandReport | undefined {
  if (!Number.isSafeInteger(source.taskId) || typeof source.status !== 'string' || !REPORT_STATUSES.has(source.status)) return undefined;
  const exit = source.exitcode ?? source.exitCode;
  return {
    ...reportHeader(source),
    status: source.status as ReportStatus,
    exitcode: typeof exit === 'number' && Number.isInteger(exit) ? exit : source.status === 'IN_PROGRESS' ? IN_PROGRESS_EXIT_CODE : 1,
    stdout: typeof source.stdout === 'string' ? source.stdout : '',
    stderr: typeof source.stderr === 'string' ? source.stderr : '',
    structuredOut: structuredOutText(source.structuredOut),
  };
}
