// The end of a command's output, cut as the Python agent cuts it, read without loading the
// file: a 200 MB output file costs at most 3 bytes per kept character of reading.
//
// The cut follows Grep.tail_by_symbols (ambari_agent/Grep.py, used by PythonExecutor and
// CommandStatusDict with [heartbeat] log_max_symbols_size): it keeps the TAIL, as many whole
// lines from the end as fit, and adds no marker. Two differences, both on purpose: text that
// already fits is kept as it is (the original also strips surrounding whitespace), and a last
// line longer than the limit keeps its own tail (the original would keep nothing).
import { open } from 'node:fs/promises';

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
 * The tail of `text` whose cost is at most `limit`: whole lines from the end while they fit;
 * when not even the last line fits, that line's own tail, character by character. With
 * `partialFirstLine` (text read from the middle of a file) the first line is never kept whole,
 * since its start was not read.
 */
export function cutTail(text: string, limit: number, cost: Cost = chars, partialFirstLine = false): string {
  if (!partialFirstLine && cost(text) <= limit) return text;
  let start = text.length;
  let used = 0;
  // Line starts from the end: each line keeps its trailing newline.
  while (start > 0) {
    const previousNewline = text.lastIndexOf('\n', start - 2);
    const lineStart = previousNewline + 1;
    if (lineStart === 0 && partialFirstLine) break;
    const lineCost = cost(text.slice(lineStart, start));
    if (used + lineCost > limit) break;
    used += lineCost;
    start = lineStart;
  }
  if (start < text.length) return text.slice(start);
  // Not even the last line fits: its tail, never splitting a surrogate pair.
  let from = text.length;
  used = 0;
  while (from > 0) {
    let step = from - 1;
    if (!startsChar(text, step)) step--;
    const charCost = cost(text.slice(step, from));
    if (used + charCost > limit) break;
    used += charCost;
    from = step;
  }
  return text.slice(from);
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

/**
 * The last characters of a file, cut with cutTail to at most `maxChars`, reading at most
 * 3 * maxChars bytes from its end. `lines` keeps only that many last lines first (IN_PROGRESS).
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
    const want = Math.min(size, maxChars * MAX_BYTES_PER_UNIT);
    const start = size - want;
    const buffer = Buffer.alloc(want);
    let bytesRead = 0;
    while (bytesRead < want) {
      const { bytesRead: n } = await handle.read(buffer, bytesRead, want - bytesRead, start + bytesRead);
      if (n === 0) break;
      bytesRead += n;
    }
    // Read from the middle: skip the continuation bytes of a character cut in two.
    let skip = 0;
    if (start > 0) while (skip < bytesRead && (buffer[skip]! & 0xc0) === 0x80) skip++;
    const text = buffer.subarray(skip, bytesRead).toString('utf8');
    const kept = lines === undefined ? text : lastLines(text, lines);
    // The first line read is partial only when the read started mid-file and it was kept.
    const partial = start > 0 && kept.length === text.length;
    return { text: cutTail(kept, maxChars, chars, partial), bytesRead, missing: false };
  } catch {
    return { text: '', bytesRead: 0, missing: true };
  } finally {
    await handle.close();
  }
}
