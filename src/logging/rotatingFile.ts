// A synchronous, size-rotated log file (the original's RotatingFileHandler: 10 MB x 25).
// Synchronous on purpose: a daemon that is about to exit or crash must not lose its last lines,
// which an async stream (or a pino worker transport) can.
import { closeSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export const DEFAULT_MAX_BYTES = 10_000_000;
export const DEFAULT_BACKUPS = 25;
/** The log holds command output (which may hold secrets): owner and group only. */
export const LOG_MODE = 0o640;

export class RotatingFile {
  /** -1 while the file could not be opened again after a rotation. */
  private fd: number;
  private size: number;
  /** Lines lost to failed writes (a full disk) since the last line that made it. */
  private dropped = 0;
  private droppedBecause = '';

  constructor(
    readonly path: string,
    private readonly maxBytes = DEFAULT_MAX_BYTES,
    private readonly backups = DEFAULT_BACKUPS,
    /** The note about dropped lines as a line of the file's own format. */
    private readonly noteLine = (text: string) => `WARNING ${new Date().toISOString()} [logging] ${text}\n`,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'a', LOG_MODE);
    this.size = fstatSync(this.fd).size;
  }

  /**
   * Never throws: a line that cannot be written (ENOSPC, EIO, a rotation that failed) is
   * dropped and counted, and the next line that can be written is preceded by a note saying
   * how many were lost and why. Python's logging handlers do the same (handleError), so the
   * agent runs on with a full log disk, as the original does.
   */
  write(line: string): void {
    try {
      const bytes = Buffer.byteLength(line);
      if (this.fd < 0) this.reopen();
      else if (this.size > 0 && this.size + bytes > this.maxBytes) this.rotate();
      if (this.dropped > 0) {
        const note = this.noteLine(`${this.dropped} log line(s) could not be written to ${this.path} (${this.droppedBecause}) and were dropped`);
        writeSync(this.fd, note);
        this.size += Buffer.byteLength(note);
        this.dropped = 0;
      }
      writeSync(this.fd, line);
      this.size += bytes;
    } catch (err) {
      this.dropped++;
      this.droppedBecause = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    }
  }

  close(): void {
    if (this.fd < 0) return;
    try {
      closeSync(this.fd);
    } catch {
      // already unusable; nothing to flush (writes are synchronous)
    }
    this.fd = -1;
  }

  private reopen(): void {
    this.fd = openSync(this.path, 'a', LOG_MODE);
    this.size = fstatSync(this.fd).size;
  }

  /** ambari-agent.log -> .1 -> .2 ... -> .N (the oldest is dropped), then a fresh file. */
  private rotate(): void {
    this.close();
    rmSync(`${this.path}.${this.backups}`, { force: true });
    for (let index = this.backups - 1; index >= 1; index--) {
      renameIfPresent(`${this.path}.${index}`, `${this.path}.${index + 1}`);
    }
    if (this.backups > 0) renameIfPresent(this.path, `${this.path}.1`);
    this.fd = openSync(this.path, this.backups > 0 ? 'a' : 'w', LOG_MODE);
    this.size = 0;
  }
}

function renameIfPresent(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
