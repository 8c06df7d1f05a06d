// The files of one command attempt under the prefix dir (auto_* variants for recovery commands):
//   command-ID.json         the full command JSON (commandJson.ts), pretty, mode 0600, written atomically
//   output-ID.txt           the scripts' stdout (truncated at the start of the attempt, after the
//                           one left by an earlier attempt was moved to output-ID.txt.N unless
//                           the request says no backup), appended to by the later scripts
//   errors-ID.txt           the scripts' stderr (ditto), plus the timeout line when one timed out
//   structured-out-ID.json  written by the scripts; removed before the attempt, read back after
// and the [agent] tmp_dir the scripts get. Every failure here is a setup error (it throws),
// except reading the structured output back, which is best effort.
import type { WriteStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../util/atomicWrite.js';
import { isPlainObject } from '../../util/plainObject.js';

export interface CommandFiles {
  commandJson: string;
  output: string;
  errors: string;
  structuredOut: string;
}

export function commandFiles(prefixDir: string, taskId: number | string, auto = false): CommandFiles {
  const p = auto ? 'auto_' : '';
  return {
    commandJson: join(prefixDir, `${p}command-${taskId}.json`),
    output: join(prefixDir, `${p}output-${taskId}.txt`),
    errors: join(prefixDir, `${p}errors-${taskId}.txt`),
    structuredOut: join(prefixDir, `${p}structured-out-${taskId}.json`),
  };
}

/**
 * Before the first script: the command JSON written, the structured output of an earlier
 * attempt removed (it is kept across the sequence: hooks and script may all write to it),
 * and, with `backupOutput`, the output and errors files of an earlier attempt moved aside.
 */
export async function prepareCommandFiles(files: CommandFiles, command: Record<string, unknown>, backupOutput: boolean): Promise<void> {
  await Promise.all([
    writeJsonAtomic(files.commandJson, command),
    rm(files.structuredOut, { force: true }),
    backupOutput ? backUpIfExists(files.output) : undefined,
    backupOutput ? backUpIfExists(files.errors) : undefined,
  ]);
}

/** The command JSON holds passwords: 0600. No fsync: a command is not re-run after a machine crash. */
function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  return writeFileAtomic(file, JSON.stringify(value, null, 2), { mode: 0o600, fsync: false });
}

/** [agent] tmp_dir, made (mode 0700) when missing; a one-line setup error when it cannot be. */
export async function ensureTmpDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    if (!(await isDirectory(dir))) throw new Error('not a directory');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(`Cannot create [agent] tmp_dir ${dir}: ${code ?? (err as Error).message}`);
  }
}

/** FILE -> the first free FILE.N (N = 0, 1, ...), as PythonExecutor.back_up_log_file_if_exists. */
async function backUpIfExists(file: string): Promise<void> {
  if (!(await stat(file).catch(() => undefined))?.isFile()) return;
  for (let n = 0; ; n++) {
    const backup = `${file}.${n}`;
    if (await stat(backup).catch(() => undefined)) continue;
    await rename(file, backup);
    return;
  }
}

/** Opened (and truncated) up front so that a failure is a setup error, not a stream event. */
export async function openTruncated(file: string): Promise<WriteStream> {
  const handle = await open(file, 'w', 0o600);
  const stream = handle.createWriteStream();
  stream.on('error', () => {}); // a full disk must not crash the agent; the run goes on
  return stream;
}

export function closeStream(stream: WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.closed || stream.destroyed) return resolve();
    stream.once('close', () => resolve());
    stream.end();
  });
}

export async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

/**
 * Past this a structured output could not go in any report frame (the server's default
 * stomp.max_incoming.message.size is 2 MiB), so it is not read into memory at all.
 */
const MAX_STRUCTURED_OUT_BYTES = 2 * 1024 * 1024;

/** The scripts' structured output; {} when missing, unparsable or not a JSON object. */
export async function readStructuredOut(file: string): Promise<Record<string, unknown>> {
  try {
    const { size } = await stat(file);
    if (size > MAX_STRUCTURED_OUT_BYTES) {
      return { msg: `The structured output (${size} bytes, ${file}) is over ${MAX_STRUCTURED_OUT_BYTES} bytes and was not read` };
    }
    const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
    return isPlainObject(parsed) ? parsed : {};
  } catch {
    return {};
  }
}
