// What goes on the wire for command reports: the CommandReport shape (agent/CommandReport.java),
// the stream cut (Grep.tail_by_symbols with log_max_symbols_size), reading a huge output file's
// tail without loading it, and the split into frames under the server's message size limit
// (CommandStatusDict.split_reports), measured in UTF-8 bytes.
import { closeSync, openSync, writeSync, ftruncateSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs, tempDir } from '../../../support/tempDirs.mjs';
import { finalReport, IN_PROGRESS_EXIT_CODE, toWireReport, type WireCommandReport } from '../../../../src/actors/commands/commandReport.js';
import { inProgressReport } from '../../../../src/actors/commands/inProgressReport.js';
import { cutTail, lastLines, readTail } from '../../../../src/actors/commands/outputTail.js';
import { DEFAULT_MAX_REPORT_FRAME_BYTES, FRAME_HEADROOM_BYTES, fitReport, jsonBytes, splitReports } from '../../../../src/actors/reporters/reportFrames.js';
import { reportTemplate, type CommandReport as CommandOutcome } from '../../../../src/machines/command.js';
import { completedReport } from '../../../support/commandReports.js';

afterAll(removeTempDirs);

const COMMAND_REPORT_PROPERTIES = ['role', 'actionId', 'stdout', 'stderr', 'structuredOut', 'status', 'exitcode', 'serviceName', 'taskId', 'clusterId', 'roleCommand', 'customCommand'];

const command = {
  taskId: 12,
  commandId: '4-1',
  clusterId: '2',
  serviceName: 'HDFS',
  role: 'NAMENODE',
  roleCommand: 'CUSTOM_COMMAND',
  commandParams: { custom_command: 'DECOMMISSION', script: 'x.py' },
};

const report = (taskId: number, stdout = 'ok', stderr = 'None', clusterId = 'c1'): WireCommandReport => completedReport(taskId, { stdout, stderr, clusterId });

/** A sparse file of `size` bytes whose last bytes are `tail`. */
function sparseFile(size: number, tail: string): string {
  const file = join(tempDir('aa-frames-'), 'output-1.txt');
  const fd = openSync(file, 'w');
  try {
    ftruncateSync(fd, size);
    const bytes = Buffer.from(tail);
    writeSync(fd, bytes, 0, bytes.length, size - bytes.length);
  } finally {
    closeSync(fd);
  }
  return file;
}

describe('CommandReport shape', () => {
  it('a final report has exactly the properties Jackson reads: exitcode, structuredOut as JSON text, customCommand from commandParams', () => {
    const template = reportTemplate(command);
    expect(template).toEqual({ role: 'NAMENODE', actionId: '4-1', taskId: 12, clusterId: '2', serviceName: 'HDFS', roleCommand: 'CUSTOM_COMMAND', customCommand: 'DECOMMISSION' });
    const outcome: CommandOutcome = { ...template, status: 'COMPLETED', exitCode: 0, stdout: 'done\n', stderr: '', structuredOut: { a: [1, 2] } };
    const wire = finalReport(outcome, 1000);
    expect(wire).toEqual({
      role: 'NAMENODE',
      actionId: '4-1',
      taskId: 12,
      clusterId: '2',
      serviceName: 'HDFS',
      roleCommand: 'CUSTOM_COMMAND',
      customCommand: 'DECOMMISSION',
      status: 'COMPLETED',
      exitcode: 0,
      stdout: 'done\n',
      stderr: 'None', // empty streams are "None", as ActionQueue.execute_command sends them
      structuredOut: '{"a":[1,2]}',
    });
    for (const key of Object.keys(wire)) expect(COMMAND_REPORT_PROPERTIES).toContain(key);
  });

  it('has no customCommand for other commands; a numeric commandId becomes the String actionId', () => {
    const template = reportTemplate({ ...command, roleCommand: 'START', commandId: 7, commandParams: {} });
    expect(template).not.toHaveProperty('customCommand');
    const wire = finalReport({ ...template, status: 'FAILED', exitCode: 3, stdout: 'x', stderr: 'y', structuredOut: {} }, 1000);
    expect(wire).toMatchObject({ actionId: '7', status: 'FAILED', exitcode: 3, structuredOut: '{}' });
    expect(wire).not.toHaveProperty('customCommand');
    expect(wire).not.toHaveProperty('exitCode');
  });

  it('cuts each stream of a final report to log_max_symbols_size characters, keeping the tail', () => {
    const stdout = `${'a'.repeat(50)}\n${'b'.repeat(20)}\n\nCommand completed successfully!\n`;
    const wire = finalReport({ ...reportTemplate(command), status: 'COMPLETED', exitCode: 0, stdout, stderr: 'é'.repeat(80), structuredOut: {} }, 60);
    expect(wire.stdout).toBe(stdout.slice(-60));
    expect(wire.stdout).toBe(`aaaaa\n${'b'.repeat(20)}\n\nCommand completed successfully!\n`);
    expect(wire.stderr).toBe('é'.repeat(60));
  });

  it("turns an older agent's report (exitCode, an object structuredOut, tmpout) into the CommandReport shape", () => {
    expect(toWireReport({ taskId: 3, status: 'COMPLETED', exitCode: 0, stdout: 'x', structuredOut: { v: 1 }, tmpout: '/p/output-3.txt', tmperr: '/p/errors-3.txt' })).toEqual({
      taskId: 3,
      status: 'COMPLETED',
      exitcode: 0,
      stdout: 'x',
      stderr: '',
      structuredOut: '{"v":1}',
    });
    expect(toWireReport({ taskId: 3, status: 'DONE' })).toBeUndefined();
    expect(toWireReport({ taskId: 'x', status: 'COMPLETED' })).toBeUndefined();
  });

  it('an IN_PROGRESS report: the last 10 lines of each file, the structured output text, exit code 777; "..." before a file exists', async () => {
    const dir = tempDir('aa-progress-');
    const files = { output: join(dir, 'output-12.txt'), errors: join(dir, 'errors-12.txt'), structuredOut: join(dir, 'structured-out-12.json') };
    const lines = Array.from({ length: 30 }, (_, i) => `line ${i}\n`).join('');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(files.output, lines);
    writeFileSync(files.structuredOut, '{"progress": 50}');
    const entry = { kind: 'progress' as const, taskId: 12, clusterKey: '2', header: { taskId: 12, clusterId: '2', role: 'NAMENODE' }, files, withOutput: true };
    expect(await inProgressReport(entry, 1000)).toEqual({
      taskId: 12,
      clusterId: '2',
      role: 'NAMENODE',
      status: 'IN_PROGRESS',
      exitcode: IN_PROGRESS_EXIT_CODE,
      stdout: Array.from({ length: 10 }, (_, i) => `line ${i + 20}\n`).join(''),
      stderr: '...',
      structuredOut: '{"progress": 50}',
    });
    // half-written structured output is not sent
    writeFileSync(files.structuredOut, '{"progr');
    expect((await inProgressReport(entry, 1000)).structuredOut).toBe('{}');
  });
});

describe('the stream cut (Grep.tail_by_symbols)', () => {
  it('keeps text that fits as it is', () => {
    expect(cutTail('a\nb\n', 4)).toBe('a\nb\n');
    expect(cutTail('', 0)).toBe('');
  });

  it('keeps the longest tail that fits, no marker', () => {
    expect(cutTail('first line\nsecond\nthird\n', 13)).toBe('second\nthird\n');
    expect(cutTail('first line\nsecond\nthird\n', 15)).toBe('e\nsecond\nthird\n');
  });

  it('keeps the tail of a last line that alone is too long, never splitting a surrogate pair', () => {
    expect(cutTail('x\nabcdefgh', 3)).toBe('fgh');
    expect(cutTail('😀😀😀', 3)).toBe('😀'); // 2 units each: a third unit would split a pair
  });

  it('can count any cost, e.g. bytes inside a JSON string', () => {
    const escaped = (t: string) => Buffer.byteLength(JSON.stringify(t)) - 2;
    // '"quoted"\n' is 12 bytes escaped (\" and \n take 2 each), 'ab\n' 4 more
    expect(cutTail('ab\n"quoted"\n', 13, escaped)).toBe('"quoted"\n');
    expect(cutTail('ab\n"quoted"\n', 15, escaped)).toBe('b\n"quoted"\n');
    expect(cutTail('ab\n"quoted"\n', 16, escaped)).toBe('ab\n"quoted"\n');
  });

  it('lastLines keeps the last n lines', () => {
    expect(lastLines('a\nb\nc\n', 2)).toBe('b\nc\n');
    expect(lastLines('a\nb\nc', 2)).toBe('b\nc');
    expect(lastLines('a\n', 5)).toBe('a\n');
  });
});

describe('reading the tail of a 200 MB output file', () => {
  const SIZE = 200 * 1024 * 1024;

  it('reads a bounded number of bytes (3 per kept character), whatever the size', async () => {
    const tail = Array.from({ length: 2000 }, (_, i) => `step ${i} of 2000 ✓\n`).join('');
    const file = sparseFile(SIZE, tail);
    const before = process.memoryUsage();
    const read = await readTail(file, 1000);
    const after = process.memoryUsage();
    expect(read.bytesRead).toBeLessThanOrEqual(3000);
    expect(read.text.length).toBeLessThanOrEqual(1000);
    expect(read.text.endsWith('step 1999 of 2000 ✓\n')).toBe(true);
    expect(tail.endsWith(read.text)).toBe(true);
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(16 * 1024 * 1024);

    // the default log_max_symbols_size: 2.7 MB read at most, not 200 MB
    const big = await readTail(file, 900_000);
    expect(big.bytesRead).toBeLessThanOrEqual(2_700_000);
    expect(big.text.endsWith('step 1999 of 2000 ✓\n')).toBe(true);
    expect(big.text.length).toBeLessThanOrEqual(900_000);
  });

  it('IN_PROGRESS reports of a 200 MB output read as little', async () => {
    const file = sparseFile(SIZE, 'almost\ndone\n');
    const dir = tempDir('aa-progress-');
    const entry = {
      kind: 'progress' as const,
      taskId: 1,
      clusterKey: 'c1',
      header: { taskId: 1 },
      files: { output: file, errors: join(dir, 'none.txt'), structuredOut: join(dir, 'none.json') },
      withOutput: true,
    };
    const progress = await inProgressReport(entry, 900_000);
    expect(progress.stdout.endsWith('almost\ndone\n')).toBe(true);
    expect(progress.stdout.length).toBe(900_000);
    // 900,000 NULs (a sparse file) are 5.4 MB as JSON escapes: the frame split cuts them to fit
    const [frame] = splitReports([{ clusterKey: 'c1', report: progress }], DEFAULT_MAX_REPORT_FRAME_BYTES);
    expect(jsonBytes(frame!.body) + FRAME_HEADROOM_BYTES).toBeLessThanOrEqual(DEFAULT_MAX_REPORT_FRAME_BYTES);
    expect(frame!.body.clusters.c1![0]!.stdout.endsWith('almost\ndone\n')).toBe(true);
  });

  it('IN_PROGRESS (last 10 lines): 64 KiB read when they are in it, up to the bound when not', async () => {
    const file = sparseFile(SIZE, Array.from({ length: 50 }, (_, i) => `progress ${i}\n`).join(''));
    const lines = await readTail(file, 900_000, 10);
    expect(lines.bytesRead).toBe(64 * 1024);
    expect(lines.text).toBe(Array.from({ length: 10 }, (_, i) => `progress ${i + 40}\n`).join(''));
    const few = await readTail(sparseFile(SIZE, 'one\ntwo\n'), 900_000, 10);
    expect(few.bytesRead).toBeLessThanOrEqual(64 * 1024 + 2_700_000);
    expect(few.text.endsWith('one\ntwo\n')).toBe(true);
  });

  it('a missing file reads as missing', async () => {
    expect(await readTail(join(tempDir('aa-frames-'), 'nope.txt'), 10)).toEqual({ text: '', bytesRead: 0, missing: true });
  });
});

describe('splitting reports into frames (CommandStatusDict.split_reports, in UTF-8 bytes)', () => {
  const frameBytes = (body: unknown) => jsonBytes(body) + FRAME_HEADROOM_BYTES;

  it('defaults under the server limit: 1,950,000 (MAX_REPORT_SIZE) < 2 MiB (stomp.max_incoming.message.size)', () => {
    expect(DEFAULT_MAX_REPORT_FRAME_BYTES).toBe(1_950_000);
    expect(DEFAULT_MAX_REPORT_FRAME_BYTES).toBeLessThan(2 * 1024 * 1024);
  });

  it('puts reports that fit together in one body, grouped by cluster', () => {
    const frames = splitReports(
      [
        { clusterKey: 'c1', report: report(1) },
        { clusterKey: 'null', report: report(2) },
        { clusterKey: 'c1', report: report(3) },
      ],
      DEFAULT_MAX_REPORT_FRAME_BYTES,
    );
    expect(frames).toHaveLength(1);
    expect(frames[0]!.body).toEqual({ clusters: { c1: [report(1), report(3)], null: [report(2)] } });
    expect(frames[0]!.taskIds).toEqual([1, 2, 3]);
    expect(frames[0]!.bodyBytes).toBe(jsonBytes(frames[0]!.body));
  });

  it('takes cluster ids such as __proto__ and constructor as plain keys (a server-sent clusterId must not crash the reporter)', () => {
    const frames = splitReports(
      [
        { clusterKey: '__proto__', report: report(1) },
        { clusterKey: 'constructor', report: report(2) },
        { clusterKey: '__proto__', report: report(3) },
      ],
      DEFAULT_MAX_REPORT_FRAME_BYTES,
    );
    expect(frames).toHaveLength(1);
    const { clusters } = frames[0]!.body;
    expect(Object.keys(clusters)).toEqual(['__proto__', 'constructor']);
    expect(JSON.parse(JSON.stringify(frames[0]!.body))).toEqual(JSON.parse('{"clusters": {"__proto__": [' + JSON.stringify(report(1)) + ',' + JSON.stringify(report(3)) + '], "constructor": [' + JSON.stringify(report(2)) + ']}}'));
    expect(frames[0]!.bodyBytes).toBe(jsonBytes(frames[0]!.body));
    expect(({} as Record<string, unknown>).taskId).toBeUndefined();
  });

  it('splits many reports into several bodies, each under the limit, every report exactly once and whole', () => {
    const limit = 50_000;
    const reports = Array.from({ length: 40 }, (_, i) => ({ clusterKey: i % 3 === 0 ? 'c2' : 'c1', report: report(i + 1, `${'€'.repeat(1500 + i * 10)}\n`, 'x\u0001"\\') }));
    const frames = splitReports(reports, limit);
    expect(frames.length).toBeGreaterThan(3);
    for (const frame of frames) {
      expect(frame.bodyBytes).toBe(jsonBytes(frame.body));
      expect(frameBytes(frame.body)).toBeLessThanOrEqual(limit);
      expect(frame.taskIds.length).toBeGreaterThan(0);
    }
    expect(frames.flatMap((f) => f.taskIds)).toEqual(reports.map((r) => r.report.taskId));
    const sent = frames.flatMap((f) => Object.values(f.body.clusters).flat());
    for (const r of sent) expect(r).toEqual(reports[r.taskId - 1]!.report);
  });

  it('cuts one huge report to fit alone (tails of both streams kept), the others untouched', () => {
    // 900,000 characters each of 3-byte UTF-8: 5.4 MB of streams, within log_max_symbols_size
    const stdout = `${'€'.repeat(899_950)}\nthe last line of stdout\n`;
    const stderr = `${'€'.repeat(899_950)}\nthe last line of stderr\n`;
    const huge = report(2, stdout, stderr);
    const frames = splitReports(
      [
        { clusterKey: 'c1', report: report(1) },
        { clusterKey: 'c1', report: huge },
        { clusterKey: 'c1', report: report(3) },
      ],
      DEFAULT_MAX_REPORT_FRAME_BYTES,
    );
    for (const frame of frames) expect(frameBytes(frame.body)).toBeLessThanOrEqual(DEFAULT_MAX_REPORT_FRAME_BYTES);
    const sent = frames.flatMap((f) => f.body.clusters.c1!);
    expect(sent.map((r) => r.taskId)).toEqual([1, 2, 3]);
    expect(sent[0]).toEqual(report(1));
    expect(sent[2]).toEqual(report(3));
    const cut = sent[1]!;
    expect(cut.stdout.endsWith('\nthe last line of stdout\n')).toBe(true);
    expect(cut.stderr.endsWith('\nthe last line of stderr\n')).toBe(true);
    // the room is shared: both streams keep a good part of it
    expect(Buffer.byteLength(cut.stdout)).toBeGreaterThan(900_000);
    expect(Buffer.byteLength(cut.stderr)).toBeGreaterThan(900_000);
    expect(stdout.endsWith(cut.stdout) && stderr.endsWith(cut.stderr)).toBe(true);
    expect({ ...cut, stdout: '', stderr: '' }).toEqual({ ...huge, stdout: '', stderr: '' });
  });

  it('counts JSON escapes: control characters (6 bytes each) never push a frame over', () => {
    const limit = 30_000;
    const nasty = report(1, '\u0001'.repeat(20_000), '"'.repeat(20_000));
    const [frame] = splitReports([{ clusterKey: 'c1', report: nasty }], limit);
    expect(frameBytes(frame!.body)).toBeLessThanOrEqual(limit);
    expect(frame!.body.clusters.c1![0]!.stdout.length).toBeGreaterThan(1000);
  });

  it('leaves out a structured output too big for any frame, saying so', () => {
    const structuredOut = JSON.stringify({ blob: 'x'.repeat(3_000_000) });
    const fitted = fitReport({ ...report(1, 'out', 'err'), structuredOut }, 100_000);
    expect(jsonBytes(fitted)).toBeLessThanOrEqual(100_000);
    expect(JSON.parse(fitted.structuredOut).msg).toContain('too big');
    expect(fitted.stdout).toBe('out');
    expect(fitted.stderr).toBe('err');
  });
});
