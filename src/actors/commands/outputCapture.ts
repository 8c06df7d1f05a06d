// A script's stdout/stderr: through pipes (not straight into the files) so that they can be
// streamed live to a listener as well as into the output and errors files. Nothing is kept in
// memory; the result's streams are read back from the files' ends (outputTail.ts).
// After the direct child exits the pipes are drained for at most DRAIN_AFTER_EXIT_MS: a daemon
// the script left behind that still holds them does not hold up the result (its later writes
// to the pipe then fail: it should redirect its output, as Ambari's daemons do).
import type { ChildProcess } from 'node:child_process';
import type { WriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { setTimeout as delay } from 'node:timers/promises';

/** How long the pipes are drained after the direct child exited. */
export const DRAIN_AFTER_EXIT_MS = 500;

/** Live output, e.g. for IN_PROGRESS reports. Exceptions it throws are ignored. */
export type OutputListener = (chunk: { stdout?: string; stderr?: string }) => void;

export interface OutputCapture {
  /**
   * Once the child exited (and its tree was killed, if it was): drains the pipes (see the
   * header) and stops the live output. With `keepPipesOpen` (a spared package manager may
   * still write to them: closing them would kill it with SIGPIPE) the pipes are read and
   * dropped until it is done, without keeping the agent alive; else they are closed.
   */
  finish(keepPipesOpen: boolean): Promise<void>;
}

export function captureOutput(child: ChildProcess, outFile: WriteStream, errFile: WriteStream, onOutput: OutputListener | undefined): OutputCapture {
  const live = { on: true };
  const pipeEnded = [pump(child.stdout!, outFile, 'stdout', onOutput, live), pump(child.stderr!, errFile, 'stderr', onOutput, live)];
  return {
    async finish(keepPipesOpen) {
      await Promise.race([Promise.all(pipeEnded), delay(DRAIN_AFTER_EXIT_MS)]);
      live.on = false;
      if (keepPipesOpen) {
        for (const pipe of [child.stdout, child.stderr]) {
          pipe?.resume();
          (pipe as { unref?: () => void } | null)?.unref?.();
        }
      } else {
        child.stdout?.destroy();
        child.stderr?.destroy();
        await Promise.all(pipeEnded);
      }
    },
  };
}

/** Pipe -> file + live callback; resolves when the pipe ended or was destroyed. */
function pump(
  pipe: Readable,
  file: WriteStream,
  name: 'stdout' | 'stderr',
  onOutput: OutputListener | undefined,
  live: { on: boolean },
): Promise<void> {
  const decoder = new StringDecoder('utf8');
  const emit = (text: string): void => {
    if (!onOutput || text === '' || !live.on) return;
    try {
      onOutput(name === 'stdout' ? { stdout: text } : { stderr: text });
    } catch {
      // a failing listener must not break the run
    }
  };
  pipe.on('data', (chunk: Buffer) => {
    // Back-pressure: a script writing faster than the disk must not pile its output up in memory.
    if (!file.destroyed && !file.write(chunk)) {
      pipe.pause();
      const resume = (): void => {
        file.off('drain', resume);
        file.off('error', resume);
        file.off('close', resume);
        pipe.resume();
      };
      file.on('drain', resume);
      file.on('error', resume);
      file.on('close', resume);
    }
    emit(decoder.write(chunk));
  });
  return new Promise((resolve) => {
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      emit(decoder.end());
      resolve();
    };
    pipe.once('end', finish);
    pipe.once('close', finish);
    pipe.once('error', finish);
  });
}
