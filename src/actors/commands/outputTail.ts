// The end of a command's output, cut as the Python agent cuts it, read without loading the
// file: a 200 MB output file costs at most 3 bytes per kept character of reading.
//
// The cut follows Grep.tail_by_symbols (ambari_agent/Grep.py, used by PythonExecutor and
// CommandStatusDict with [heartbeat] log_max_symbols_size): it keeps the TAIL and adds no
// marker. Two differences, both on purpose: text that already fits is kept as it is (the
// original strips surrounding whitespace), and the cut keeps the longest tail that fits, so
// its first line may be partial (the original keeps whole lines only, and nothing at all when
// the last line alone is too long).
import { open, type FileHandle } from 'node:fs/promises';

/** The Python agent's Grep.OUTPUT_LAST_LINES: IN_PROGRESS reports carry this many lines. */
export const IN_PROGRESS_LAST_LINES = 10;

/** A JS string never needs more than 3 UTF-8 bytes per UTF-16 unit (a 4-byte char is 2 units). */
const MAX_BYTES_PER_UNIT = 3;

/** Cost of a piece of text: its length in characters (UTF-16 units) unless told otherwise. */
export type Cost = (text: string) => number;
const chars: Cost = (text) => text.length;

/** Whether code unit i starts a character (is not the low half of a surrogate pair). */
function startsChar(text: string, i: number): boolean {
  const code = text.charCodeAt(i);
  if (code < 0xdc00 || code > 0xdfff) return true;
  const before = i > 0 ? text.charCodeAt(i - 1) : 0;
  return !(before >= 0xd800 && before <= 0xdbff);
}

/**
 * The longest tail of `text` whose cost is at most `limit`, never splitting a surrogate pair.
 * Whole lines are measured at once, the line where the limit falls character by character.
 */
export function cutTail(text: string, limit: number, cost: Cost = chars): string {
  if (cost(text) <= limit) return text;
  if (cost === chars) {
    let from = text.length - Math.max(0, limit);
    if (from > 0 && !startsChar(text, from)) from++;
    return text.slice(from);
  }
  let start = text.length;
  let used = 0;
  while (start > 0) {
    const lineStart = text.lastIndexOf('\n', start - 2) + 1;
    const lineCost = cost(text.slice(lineStart, start));
    if (used + lineCost > limit) break;
    used += lineCost;
    start = lineStart;
  }
  while (start > 0) {
    let step = start - 1;
    if (!startsChar(text, step)) step--;
    const charCost = cost(text.slice(step, start));
    if (used + charCost > limit) break;
    used += charCost;
    start = step;
  }
  return text.slice(start);
}

/** The last `n` lines of `text` (Grep.tail, without its strip). */
export function lastLines(text: string, n: number): string {
  let start = text.length;
  for (let i = 0; i < n && start > 0; i++) start = text.lastIndexOf('\n', start - 2) + 1;
  return text.slice(start);
}

export interface FileTail {
  text: string;
  /** How many bytes were read (bounded by the limit, whatever the file's size). */
  bytesRead: number;
  /** The file did not exist (or could not be read). */
  missing: boolean;
}

/** How much an IN_PROGRESS read (last lines only) tries first. */
const LINES_WINDOW_BYTES = 64 * 1024;

/** The file's last `want` bytes as text, without the partial character they may start with; and how many bytes were read. */
async function readEnd(handle: FileHandle, size: number, want: number): Promise<{ text: string; read: number }> {
  const start = size - want;
  const buffer = Buffer.alloc(want);
  let bytesRead = 0;
  while (bytesRead < want) {
    const { bytesRead: n } = await handle.read(buffer, bytesRead, want - bytesRead, start + bytesRead);
    if (n === 0) break;
    bytesRead += n;
  }
  let skip = 0;
  if (start > 0) while (skip < bytesRead && (buffer[skip]! & 0xc0) === 0x80) skip++;
  return { text: buffer.subarray(skip, bytesRead).toString('utf8'), read: bytesRead };
}

/**
 * The last characters of a file, cut with cutTail to at most `maxChars`, reading at most
 * 3 * maxChars bytes from its end (bytesRead: how many it read). `lines` keeps only that
 * many last lines first (IN_PROGRESS); those are looked for in the last 64 KiB first.
 */
export async function readTail(file: string, maxChars: number, lines?: number): Promise<FileTail> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch {
    return { text: '', bytesRead: 0, missing: true };
  }
  try {
    const { size } = await handle.stat();
    const most = Math.min(size, maxChars * MAX_BYTES_PER_UNIT);
    let total = 0;
    // The last few lines are usually in the last LINES_WINDOW_BYTES: only read more when not.
    for (const want of lines !== undefined && most > LINES_WINDOW_BYTES ? [LINES_WINDOW_BYTES, most] : [most]) {
      const { text, read } = await readEnd(handle, size, want);
      total += read;
      const kept = lines === undefined ? text : lastLines(text, lines);
      if (want === most || kept.length < text.length) return { text: cutTail(kept, maxChars), bytesRead: total, missing: false };
    }
    return { text: '', bytesRead: total, missing: false }; // not reached
  } catch {
    return { text: '', bytesRead: 0, missing: true };
  } finally {
    await handle.close();
  }
}
