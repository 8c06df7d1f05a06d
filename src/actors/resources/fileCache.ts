// The agent's cache of server resources (FileCache.provide_directory): a cache dir such as
// stacks/HDP/2.0.6/services/HDFS/package is compared with the server's `.hash` for it and, when
// they differ, replaced by the server's `archive.zip` unpacked. Hardened over the original: the
// archive is unpacked beside the target and swapped in by renames, so the target is never
// half-written (even when the agent is killed mid-unpack), and an archive whose members could
// land outside the target is refused whole.
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { chmod, lstat, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { download } from './resourceDownload.js';
import { DEFAULT_MAX_UNPACKED_BYTES, UnsafeArchiveError, unpackZip } from './safeUnzip.js';

/**
 * How long a dir without a cached copy, whose update failed (tolerated), is used as it is
 * before it is asked for again: a server without the folder is not asked at every command.
 */
export const RETRY_WITHOUT_COPY_MS = 10_000;

export const HASH_FILE = '.hash';
export const ARCHIVE_NAME = 'archive.zip';
/** FileCache.SOCKET_TIMEOUT (10 s), here the longest silence of one request. */
export const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_HASH_BYTES = 64 * 1024;

export interface FileCacheOptions {
  /** [agent] cache_dir */
  cacheDir: string;
  /** [agent] tolerate_download_failures: use the cached copy when the server's cannot be had. */
  tolerateDownloadFailures: boolean;
  /** false when the metadata's "-1" agentConfigs has agent.auto.cache.update = "false" (the caller decides). */
  autoUpdate: () => boolean;
  log: (source: string, level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;
  /**
   * For https resource URLs: verify the server against this CA file, without a host name check
   * ([security] ca_cert_path, as the original); without it the server is not verified.
   */
  caFile?: string;
  /** Longest silence of one request (default 10 s, SOCKET_TIMEOUT). */
  timeoutMs?: number;
  /** Largest archive, packed and unpacked (default 2 GiB). */
  maxArchiveBytes?: number;
}

/** FileCache.CachingException: a cache dir could not be brought up to date. */
export class CachingError extends Error {}

const SOURCE = 'fileCache';

export class FileCache {
  /** Dirs checked since the last reset() (the original's uptodate_paths). */
  private readonly upToDate = new Set<string>();
  /** Checks under way, shared by concurrent callers (the original's currently_providing events). */
  private readonly providing = new Map<string, Promise<string>>();
  /** The last tolerated failure of each dir, until it is updated (see failure()). */
  private readonly failures = new Map<string, string>();
  /** Dirs without a cached copy whose update failed: not asked for again before this time (ms). */
  private readonly retryAt = new Map<string, number>();
  /** Tolerated failures already warned about since the last reset() (dir + message). */
  private readonly warned = new Set<string>();
  /** Bumped by reset(), so a check begun before it does not count as a check after it. */
  private generation = 0;
  private readonly cacheDir: string;

  constructor(private readonly options: FileCacheOptions) {
    this.cacheDir = resolve(options.cacheDir);
  }

  /** Ensures cacheDir/subdir is up to date with serverUrlPrefix/subdir; returns the absolute dir. Throws CachingError when not tolerated. */
  provide(subdir: string, serverUrlPrefix: string): Promise<string> {
    let target: string;
    try {
      target = this.targetOf(subdir);
    } catch (err) {
      return Promise.reject(err);
    }
    if (!this.options.autoUpdate()) {
      this.options.log(SOURCE, 'debug', `Auto cache update is disabled; ${target} is used as it is`);
      return Promise.resolve(target);
    }
    if (this.upToDate.has(target)) return Promise.resolve(target);
    const retryAt = this.retryAt.get(target);
    if (retryAt !== undefined && Date.now() < retryAt) return Promise.resolve(target);
    const running = this.providing.get(target);
    if (running) return running;
    const generation = this.generation;
    const check = this.update(target, subdir, serverUrlPrefix)
      .then(
        () => {
          if (generation === this.generation) this.upToDate.add(target);
          this.failures.delete(target);
          this.retryAt.delete(target);
          return target;
        },
        (err: unknown) => {
          if (!(err instanceof CachingError) || !this.options.tolerateDownloadFailures) throw err;
          // With a cached copy, it is used until the next registration rather than asking
          // again at every command and status check (the original asks, and warns, each time).
          // Without one there is nothing to fall back on: the next provide asks again, and
          // the warning is not repeated until then.
          this.failures.set(target, err.message);
          const cached = existsSync(target);
          if (cached && generation === this.generation) this.upToDate.add(target);
          else if (generation === this.generation) this.retryAt.set(target, Date.now() + RETRY_WITHOUT_COPY_MS);
          const key = `${target}\0${err.message}`;
          if (!this.warned.has(key)) {
            this.warned.add(key);
            this.options.log(SOURCE, 'warn', cached
              ? `${err.message}; tolerate_download_failures is true, so the cached copy is used until the next registration`
              : `${err.message}; tolerate_download_failures is true, but there is no cached copy: asking again at a use ${RETRY_WITHOUT_COPY_MS / 1000} s or more from now`);
          }
          return target;
        },
      )
      .finally(() => this.providing.delete(target));
    this.providing.set(target, check);
    return check;
  }

  /** Why the last update of this absolute dir failed, when it did and was tolerated. */
  failure(dir: string): string | undefined {
    return this.failures.get(resolve(dir));
  }

  /** Forgets which dirs were checked (HeartbeatThread's post-registration file_cache.reset). */
  reset(): void {
    this.upToDate.clear();
    this.warned.clear();
    this.retryAt.clear();
    this.generation++;
  }

  /** cacheDir/subdir, refusing a subdir that is empty or could leave the cache dir. */
  private targetOf(subdir: string): string {
    const segments = subdir.replace(/\/+$/, '').split('/');
    const bad = segments.find((segment) => segment === '' || segment === '.' || segment === '..' || segment.includes('\\') || segment.includes('\0'));
    if (bad !== undefined) throw new CachingError(`Cannot provide the cache dir ${JSON.stringify(subdir)}: it must be a relative path below ${this.cacheDir} without empty, "." or ".." parts`);
    return join(this.cacheDir, ...segments);
  }

  private async update(target: string, subdir: string, prefix: string): Promise<void> {
    await this.recoverLeftovers(target).catch((err: Error) => {
      throw new CachingError(`Cannot update the cache dir ${target}: cleaning what an earlier update left failed: ${err.message}`);
    });
    const hashUrl = resourceUrl(prefix, subdir, HASH_FILE);
    const remoteHash = (await this.fetch(target, hashUrl, MAX_HASH_BYTES)).toString('utf8').trim();
    const localHash = await readLocalHash(target);
    if (localHash && localHash === remoteHash) {
      this.options.log(SOURCE, 'debug', `${target} is up to date (${HASH_FILE} ${remoteHash})`);
      return;
    }
    const archiveUrl = resourceUrl(prefix, subdir, ARCHIVE_NAME);
    const archive = await this.fetch(target, archiveUrl, this.options.maxArchiveBytes ?? DEFAULT_MAX_UNPACKED_BYTES);
    if (isBlank(archive)) {
      this.options.log(SOURCE, 'warn', `Skipping empty archive ${archiveUrl}; the cached copy of ${target} is used`);
      return;
    }
    const { files, bytes } = await this.replace(target, archive, remoteHash, archiveUrl);
    this.options.log(SOURCE, 'info', `Updated cache dir ${target} from ${archiveUrl} (${files} files, ${bytes} bytes)`);
  }

  private async fetch(target: string, url: string, maxBytes: number): Promise<Buffer> {
    this.options.log(SOURCE, 'debug', `Downloading ${url}`);
    try {
      return await download(url, { timeoutMs: this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxBytes, ...(this.options.caFile ? { caFile: this.options.caFile } : {}) });
    } catch (err) {
      throw new CachingError(`Cannot update the cache dir ${target} from ${url}: ${(err as Error).message}`);
    }
  }

  /** Unpacks into a temp dir beside the target, then swaps it in: old renamed aside, new renamed in, old removed. */
  private async replace(target: string, archive: Buffer, hash: string, url: string) {
    const parent = dirname(target);
    const temp = join(parent, `${leftoverPrefix(target, 'download')}${randomBytes(6).toString('hex')}`);
    let unpacked;
    try {
      await mkdir(parent, { recursive: true });
      await mkdir(temp, { mode: 0o755 });
      unpacked = await unpackZip(archive, temp, this.options.maxArchiveBytes ?? DEFAULT_MAX_UNPACKED_BYTES);
      const hashFile = join(temp, HASH_FILE);
      await writeFile(hashFile, hash);
      await chmod(hashFile, 0o644);
    } catch (err) {
      await rm(temp, { recursive: true, force: true }).catch(() => {});
      const note = err instanceof UnsafeArchiveError ? '; the archive was refused whole, nothing of it was written' : '';
      throw new CachingError(`Cannot update the cache dir ${target} from ${url}: ${(err as Error).message}${note}`);
    }
    try {
      await swapIn(target, temp);
    } catch (err) {
      await rm(temp, { recursive: true, force: true }).catch(() => {});
      throw new CachingError(`Cannot update the cache dir ${target} from ${url}: cannot put the new copy in place: ${(err as Error).message}`);
    }
    return unpacked;
  }

  /**
   * What an agent killed mid-update left beside the target: temp dirs are removed; an old copy
   * renamed aside is put back when the target is missing (killed between the two renames),
   * else removed.
   */
  private async recoverLeftovers(target: string): Promise<void> {
    const parent = dirname(target);
    let names: string[];
    try {
      names = await readdir(parent);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    const downloads = names.filter((name) => name.startsWith(leftoverPrefix(target, 'download')));
    const asides = names.filter((name) => name.startsWith(leftoverPrefix(target, 'old')));
    for (const name of downloads) {
      this.options.log(SOURCE, 'info', `Removing ${join(parent, name)}, left by an interrupted update of ${target}`);
      await rm(join(parent, name), { recursive: true, force: true });
    }
    if (asides.length === 0) return;
    if (!(await exists(target))) {
      // Killed between the renames: the newest aside copy was the target.
      const dated = await Promise.all(asides.map(async (name) => ({ name, mtimeMs: (await lstat(join(parent, name))).mtimeMs })));
      const newest = dated.sort((a, b) => b.mtimeMs - a.mtimeMs)[0]!.name;
      this.options.log(SOURCE, 'info', `Restoring ${target} from ${join(parent, newest)}, left by an interrupted update`);
      await rename(join(parent, newest), target);
      asides.splice(asides.indexOf(newest), 1);
    }
    for (const name of asides) {
      this.options.log(SOURCE, 'info', `Removing ${join(parent, name)}, left by an interrupted update of ${target}`);
      await rm(join(parent, name), { recursive: true, force: true });
    }
  }
}

/** `${prefix}/${subdir}/${file}`, the subdir percent-encoded per segment (urllib's pathname2url), with no doubled slash. */
export function resourceUrl(prefix: string, subdir: string, file: string): string {
  const path = subdir
    .split('/')
    .filter((segment) => segment !== '')
    .map(encodeURIComponent)
    .join('/');
  return `${prefix.replace(/\/+$/, '')}/${path}/${file}`;
}

/** `.<name>.download-` / `.<name>.old-`: hidden names beside the target, one family per target. */
function leftoverPrefix(target: string, kind: 'download' | 'old'): string {
  return `.${basename(target)}.${kind}-`;
}

async function swapIn(target: string, temp: string): Promise<void> {
  let aside: string | undefined;
  if (await exists(target)) {
    aside = join(dirname(target), `${leftoverPrefix(target, 'old')}${randomBytes(6).toString('hex')}`);
    await rename(target, aside);
  }
  try {
    await rename(temp, target);
  } catch (err) {
    if (aside) await rename(aside, target).catch(() => {});
    throw err;
  }
  if (aside) await rm(aside, { recursive: true, force: true });
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** The first line of the dir's .hash, trimmed; undefined when there is none (read_hash_sum). */
async function readLocalHash(dir: string): Promise<string | undefined> {
  try {
    return (await readFile(join(dir, HASH_FILE), 'utf8')).split('\n')[0]!.trim();
  } catch {
    return undefined;
  }
}

/** Python's `membuffer.getvalue().strip()` is empty: only ASCII whitespace, or nothing. */
function isBlank(data: Buffer): boolean {
  for (const byte of data) if (byte !== 0x20 && (byte < 0x09 || byte > 0x0d)) return false;
  return true;
}
