// The dev server's state files in its data dir (tasks.json, components.json): one small JSON
// document each, rewritten whole after every change, so a restarted server carries on.
//
// Writes are atomic (util/atomicWrite.ts, mode 0600): a crash mid-write leaves the old file, not
// half a new one. There is no fsync: the state must survive the process, not the machine, and
// an fsync per change would make a burst of API calls slow. A file that cannot be read back is
// moved aside (never deleted) and the server starts without it, with a warning.
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { removeStaleTempFiles, writeFileAtomicSync } from '../util/atomicWrite.js';
import type { ServerLog } from './agentEndpoint.js';

export class StateFile<T> {
  /**
   * `parse` turns the file's JSON into the state, or says why it cannot (then the file counts
   * as corrupt).
   */
  constructor(
    readonly file: string,
    private readonly parse: (json: unknown) => { value: T } | { error: string },
    private readonly log: ServerLog,
  ) {}

  /** The saved state; undefined when there is none (or it was corrupt and moved aside). */
  load(): T | undefined {
    removeStaleTempFiles(this.file); // of earlier processes that died mid-write
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err; // unreadable (permissions...): starting empty would overwrite it
    }
    let problem: string;
    try {
      const parsed = this.parse(JSON.parse(text));
      if ('value' in parsed) return parsed.value;
      problem = parsed.error;
    } catch (err) {
      problem = `not valid JSON (${(err as Error).message})`;
    }
    const aside = `${this.file}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    // If this fails we throw: carrying on would overwrite the file on the next save.
    renameSync(this.file, aside);
    this.log('warn', `${this.file} is corrupt (${problem}); starting without it (moved to ${aside})`);
    return undefined;
  }

  /** Writes the state; a failure is logged (the state in memory is still right) and retried with the next save. */
  save(value: T): void {
    try {
      mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
      writeFileAtomicSync(this.file, `${JSON.stringify(value)}\n`, { mode: 0o600, fsync: false });
    } catch (err) {
      this.log('warn', `cannot save ${this.file}: ${(err as Error).message}`);
    }
  }
}
