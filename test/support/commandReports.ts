// A final report in the CommandReport shape (agent/CommandReport.java), for the reporter and
// frame tests: a COMPLETED DATANODE START of HDFS, fields overridable.
import type { WireCommandReport } from '../../src/actors/commands/commandReport.js';

export function completedReport(taskId: number, fields: Partial<WireCommandReport> = {}): WireCommandReport {
  return {
    taskId,
    clusterId: 'c1',
    role: 'DATANODE',
    actionId: `1-${taskId}`,
    serviceName: 'HDFS',
    roleCommand: 'START',
    status: 'COMPLETED',
    exitcode: 0,
    stdout: 'ok',
    stderr: 'None',
    structuredOut: '{}',
    ...fields,
  };
}
