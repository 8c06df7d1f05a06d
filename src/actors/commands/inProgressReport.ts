// The IN_PROGRESS report of a running command, made when it is sent, from its files: as
// CommandStatusDict.generate_in_progress_report does, the last Grep.OUTPUT_LAST_LINES (10) lines
// of output-ID.txt and errors-ID.txt cut to log_max_symbols_size ("..." when a file is not
// there yet), the structured output file's text ("{}" when absent), exit code 777. Reads a
// bounded number of bytes whatever the files' sizes (outputTail.ts).
import { open } from 'node:fs/promises';
import { IN_PROGRESS_EXIT_CODE, type WireCommandReport } from './commandReport.js';
import { IN_PROGRESS_LAST_LINES, readTail } from './outputTail.js';
import type { ProgressEntry } from '../reporters/reportStore.js';

/** A structured output file bigger than this is not read while the command runs. */
const MAX_STRUCTURED_OUT_BYTES = 64 * 1024;

async function readSmallJson(file: string): Promise<string> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return '{}';
  }
  try {
    const { size } = await handle.stat();
    if (size === 0 || size > MAX_STRUCTURED_OUT_BYTES) return '{}';
    const buffer = Buffer.alloc(size);
    const { bytesRead } = await handle.read(buffer, 0, size, 0);
    const text = buffer.subarray(0, bytesRead).toString('utf8');
    JSON.parse(text); // half written by the script: not sent
    return text;
  } catch {
    return '{}';
  } finally {
    await handle.close();
  }
}

export async function inProgressReport(entry: ProgressEntry, maxChars: number): Promise<WireCommandReport> {
  const base: WireCommandReport = { ...entry.header, status: 'IN_PROGRESS', exitcode: IN_PROGRESS_EXIT_CODE, stdout: '', stderr: '', structuredOut: '{}' };
  if (!entry.withOutput) return base;
  const [out, err, structuredOut] = await Promise.all([
    readTail(entry.files.output, maxChars, IN_PROGRESS_LAST_LINES),
    readTail(entry.files.errors, maxChars, IN_PROGRESS_LAST_LINES),
    readSmallJson(entry.files.structuredOut),
  ]);
  return { ...base, stdout: out.missing ? '...' : out.text, stderr: err.missing ? '...' : err.text, structuredOut };
}
