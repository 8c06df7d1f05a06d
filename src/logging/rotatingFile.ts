// A synchronous, size-rotated log file (the original's RotatingFileHandler: 10 MB x 25).
// Synchronous on purpose: a daemon that is about to exit or crash must not lose its last lines,
// which an async stream (or a pino worker transport) can.
import { closeSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export const DEFAULT_MAX_BYTES = 10_000_000;
export const DEFAULT_BACKUPS = 25;

export class RotatingFile {
  private fd: number;
  private size: number;

  constructor(
    readonly path: string,
    private readonly maxBytes = DEFAULT_MAX_BYTES,
    private readonly backups = DEFAULT_BACKUPS,
  ) {
    mkdirSync(dirname(path), { recursive: true });
    this.fd = openSync(path, 'a');
    this.size = fstatSync(this.fd).size;
  }

  write(line: string): void {
    const bytes = Buffer.byteLength(line);
    if (this.size > 0 && this.size + bytes > this.maxBytes) this.rotate();
    writeSync(this.fd, line);
    this.size += bytes;
  }

  close(): void {
    closeSync(this.fd);
  }

  /** ambari-agent.log -> .1 -> .2 ... -> .N (the oldest is dropped), then a fresh file. */
  private rotate(): void {
    closeSync(this.fd);
    rmSync(`${this.path}.${this.backups}`, { force: true });
    for (let index = this.backups - 1; index >= 1; index--) {
      renameIfPresent(`${this.path}.${index}`, `${this.path}.${index + 1}`);
    }
    if (this.backups > 0) renameIfPresent(this.path, `${this.path}.1`);
    this.fd = openSync(this.path, this.backups > 0 ? 'a' : 'w');
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
