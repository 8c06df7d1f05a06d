// One run of the SCRIPT alert driver (scriptAlertDriver.ts): the request on stdin, the reply
// read from fd 3, the script's own stdout/stderr kept as short tails for the log. On timeout
// or abort the whole process tree is killed as a command's is (processTree.ts: the group,
// tree-kill, the run marker), so that nothing the script started is left behind.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { cutTail } from '../commands/outputTail.js';
import { MARKER_ENV, newMarker, ProcessTree } from '../commands/processTree.js';
import { scriptProcessEnv, type ScriptEnvironment } from '../commands/scriptEnvironment.js';
import { SCRIPT_ALERT_DRIVER } from './scriptAlertDriver.js';

/** The fd the driver writes its reply on. */
export const RESULT_FD = 3;
/** How much of the script's stdout and stderr is kept (for the log and a missing reply). */
export const OUTPUT_TAIL_CHARS = 2000;
/** How long after the driver's exit its reply may still be on its way through the pipe. */
const REPLY_DRAIN_MS = 1000;

export interface DriverRequest {
  path: string;
  moduleName: string;
  configurations: unknown;
  parameters: Record<string, unknown>;
  hostName: string;
  tmpDir: string;
}

/** What the driver wrote: the script's pair, or why there is none. */
export type DriverReply = { state: string; texts: string[] } | { error: string; traceback?: string };

export type DriverRun =
  | { kind: 'replied'; reply: DriverReply; stdout: string; stderr: string }
  /** Ended without a (readable) reply: the interpreter failed before or beside the driver. */
  | { kind: 'noReply'; exitCode: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }
  | { kind: 'timedOut'; stdout: string; stderr: string }
  | { kind: 'cancelled'; stdout: string; stderr: string }
  | { kind: 'notStarted'; message: string };

function tailCollector(stream: Readable | null): () => string {
  let text = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    text = cutTail(text + chunk, OUTPUT_TAIL_CHARS);
  });
  stream?.on('error', () => {});
  return () => text;
}

function parseReply(text: string): DriverReply | undefined {
  const line = text.split('\n').find((l) => l.trim() !== '');
  if (line === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value !== 'object' || value === null) return undefined;
    const reply = value as Record<string, unknown>;
    if (typeof reply.error === 'string') return { error: reply.error, traceback: typeof reply.traceback === 'string' ? reply.traceback : undefined };
    if (typeof reply.state === 'string' && Array.isArray(reply.texts)) return { state: reply.state, texts: reply.texts.map(String) };
  } catch {
    // not JSON: no reply
  }
  return undefined;
}

export async function runScriptDriver(options: {
  request: DriverRequest;
  environment: ScriptEnvironment;
  /** The driver's working dir (the script's folder). */
  cwd: string;
  timeoutMs: number;
  signal: AbortSignal;
  /** Names the run in its marker (processTree.newMarker). */
  runName: string;
}): Promise<DriverRun> {
  const { request, environment, signal } = options;
  if (signal.aborted) return { kind: 'cancelled', stdout: '', stderr: '' };
  const marker = newMarker(options.runName);
  let child: ChildProcess;
  try {
    child = spawn(environment.interpreter, ['-c', SCRIPT_ALERT_DRIVER, String(RESULT_FD)], {
      cwd: options.cwd,
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
      env: scriptProcessEnv(environment, { [MARKER_ENV]: marker }),
    });
  } catch (err) {
    return { kind: 'notStarted', message: `Cannot start ${environment.interpreter}: ${(err as Error).message}` };
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, sig) => resolve({ code, signal: sig })),
  );
  if (child.pid === undefined) {
    const err = await new Promise<Error>((resolve) => child.once('error', resolve));
    return { kind: 'notStarted', message: `Cannot start ${environment.interpreter}: ${err.message}` };
  }
  child.on('error', () => {});
  const pid = child.pid;

  const stdout = tailCollector(child.stdout);
  const stderr = tailCollector(child.stderr);
  const resultStream = child.stdio[RESULT_FD] as Readable | null;
  let replyText = '';
  // Resolves once a whole line came, or the pipe closed.
  const replyDone = new Promise<void>((resolve) => {
    resultStream?.setEncoding('utf8');
    resultStream?.on('data', (chunk: string) => {
      replyText += chunk;
      if (replyText.includes('\n')) resolve();
    });
    resultStream?.on('end', resolve);
    resultStream?.on('close', resolve);
    resultStream?.on('error', () => resolve());
    if (!resultStream) resolve();
  });

  child.stdin?.on('error', () => {}); // EPIPE: the interpreter died before reading it all
  child.stdin?.end(JSON.stringify(request));

  let childExited = false;
  let killing: Promise<unknown> | undefined;
  let timedOut = false;
  const tree = new ProcessTree(pid, marker, () => childExited);
  const startKill = (): void => {
    if (!childExited && !killing) killing = tree.kill();
  };
  const timer = setTimeout(() => {
    if (childExited || killing) return;
    timedOut = true;
    startKill();
  }, options.timeoutMs);
  signal.addEventListener('abort', startKill, { once: true });

  const exit = await exited;
  childExited = true;
  clearTimeout(timer);
  signal.removeEventListener('abort', startKill);
  if (killing) await killing;

  let drainTimer: NodeJS.Timeout | undefined;
  await Promise.race([replyDone, new Promise<void>((resolve) => (drainTimer = setTimeout(resolve, REPLY_DRAIN_MS)))]);
  clearTimeout(drainTimer);
  // A process the script left behind may hold stdout/stderr open: do not wait for it.
  for (const stream of [child.stdout, child.stderr, resultStream]) stream?.destroy();

  const out = { stdout: stdout(), stderr: stderr() };
  if (timedOut) return { kind: 'timedOut', ...out };
  const reply = parseReply(replyText);
  if (reply) return { kind: 'replied', reply, ...out };
  if (killing) return { kind: 'cancelled', ...out };
  return { kind: 'noReply', exitCode: exit.code, signal: exit.signal, ...out };
}
