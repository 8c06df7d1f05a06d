// Command reports into STOMP frames the server accepts. The server refuses a frame above
// stomp.max_incoming.message.size (configuration/Configuration.java, 2 MiB by default, bytes
// of the frame: AgentStompConfig sets it as the WebSocket message size limit), so the reports
// of one batch are split into several CommandStatusReports bodies, as
// CommandStatusDict.split_reports does below MAX_REPORT_SIZE (1,950,000). The Python agent
// counts characters of the JSON; this counts the UTF-8 bytes of the whole frame (the body plus
// FRAME_HEADROOM_BYTES for the SEND line and headers), so that multi-byte output can never
// push a frame over. A report too big for a frame on its own has its streams cut (tails kept,
// stdout and stderr sharing the room) and, if need be, its structured output replaced by a note.
import type { WireCommandReport } from '../commands/commandReport.js';
import { getOwn, setOwn } from '../../caches/json.js';
import { cutTail } from '../commands/outputTail.js';

/** CommandStatusDict.MAX_REPORT_SIZE: the default of [agent] max_report_frame_bytes. */
export const DEFAULT_MAX_REPORT_FRAME_BYTES = 1_950_000;
/** The smallest [agent] max_report_frame_bytes taken (a smaller value is raised to it). */
export const MIN_REPORT_FRAME_BYTES = 16 * 1024;
/** Room for "SEND", destination, content-type, correlationId and content-length (about 150 bytes). */
export const FRAME_HEADROOM_BYTES = 1024;

/** One body to send (CommandStatusReports, agent/stomp/dto: {"clusters": {ID: [CommandReport]}}) and the tasks it carries. */
export interface ReportFrame {
  body: { clusters: Record<string, WireCommandReport[]> };
  taskIds: number[];
  /** UTF-8 bytes of JSON.stringify(body). */
  bodyBytes: number;
}

export interface ClusterReport {
  /** The key under "clusters" ("null" for host-level commands, as Ambari writes them). */
  clusterKey: string;
  report: WireCommandReport;
}

export const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value));
/** Bytes a text takes inside a JSON string (its escapes included, the quotes not). */
const escapedBytes = (text: string): number => jsonBytes(text) - 2;

/** `{"clusters":{}}` */
const EMPTY_BODY_BYTES = 15;
/** `"KEY":[` + `]` */
const clusterEntryBytes = (key: string): number => jsonBytes(key) + 3;

/** Bytes of the largest report a body can carry alone under cluster `key`. */
export function reportBudget(maxFrameBytes: number, key: string): number {
  return maxFrameBytes - FRAME_HEADROOM_BYTES - EMPTY_BODY_BYTES - clusterEntryBytes(key);
}

/**
 * The report cut down to `budget` bytes of JSON: stdout and stderr keep their tails, each
 * getting half the room left (or what the other does not need); a structured output too big
 * to leave any room is replaced by a note saying so.
 */
export function fitReport(report: WireCommandReport, budget: number): WireCommandReport {
  if (jsonBytes(report) <= budget) return report;
  let fitted: WireCommandReport = { ...report, stdout: '', stderr: '' };
  const minimalStreams = 64;
  if (jsonBytes(fitted) + minimalStreams > budget) {
    const note = JSON.stringify({ msg: `The structured output (${Buffer.byteLength(report.structuredOut)} bytes) was too big for the report frame and left out` });
    fitted = { ...fitted, structuredOut: note };
  }
  const room = Math.max(0, budget - jsonBytes(fitted));
  const outBytes = escapedBytes(report.stdout);
  const errBytes = escapedBytes(report.stderr);
  const half = Math.floor(room / 2);
  let outRoom = half;
  let errRoom = room - half;
  if (outBytes <= half) [outRoom, errRoom] = [outBytes, room - outBytes];
  else if (errBytes <= half) [outRoom, errRoom] = [room - errBytes, errBytes];
  return {
    ...fitted,
    stdout: cutTail(report.stdout, outRoom, escapedBytes),
    stderr: cutTail(report.stderr, errRoom, escapedBytes),
  };
}

/**
 * The reports in bodies of at most maxFrameBytes - FRAME_HEADROOM_BYTES bytes each, in order,
 * as many reports per body as fit (split_reports' greedy rule). Never an empty body.
 */
export function splitReports(reports: ClusterReport[], maxFrameBytes: number): ReportFrame[] {
  const limit = maxFrameBytes - FRAME_HEADROOM_BYTES;
  const frames: ReportFrame[] = [];
  let current: ReportFrame | undefined;
  for (const { clusterKey, report: original } of reports) {
    const report = fitReport(original, reportBudget(maxFrameBytes, clusterKey));
    const size = jsonBytes(report);
    // Cluster ids are server data: `__proto__` or `constructor` must be own keys like any other.
    const listOf = (frame: ReportFrame) => getOwn(frame.body.clusters, clusterKey) as WireCommandReport[] | undefined;
    const grow = (frame: ReportFrame): number => {
      if (listOf(frame)) return 1 + size; // ",REPORT"
      return (frame.taskIds.length > 0 ? 1 : 0) + clusterEntryBytes(clusterKey) + size;
    };
    if (!current || current.bodyBytes + grow(current) > limit) {
      current = { body: { clusters: {} }, taskIds: [], bodyBytes: EMPTY_BODY_BYTES };
      frames.push(current);
    }
    current.bodyBytes += grow(current);
    (listOf(current) ?? setOwn(current.body.clusters, clusterKey, [] as WireCommandReport[])).push(report);
    current.taskIds.push(report.taskId);
  }
  return frames;
}
