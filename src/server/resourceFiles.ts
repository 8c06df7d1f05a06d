// GET /resources/<path> for the dev server (--resources DIR), as ambari-server serves its
// resources dir to agents: plain files as they are, and for each archivable folder a `.hash`
// and an `archive.zip` made as ResourceFilesKeeper makes them (when the folder holds no such
// file itself). Archivable folders: every `package` dir below stacks/*/*, common-services/*/*
// and extensions/*/* (those holding metainfo.xml), and the whole stack-hooks, custom_actions,
// host_scripts and dashboards dirs. Nothing outside DIR is served, symlinks included.
import { createHash } from 'node:crypto';
import { createReadStream, realpathSync } from 'node:fs';
import { lstat, readFile, readdir, realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, sep } from 'node:path';
import { zipSync, type Zippable } from 'fflate';
import { sendJson } from './httpJson.js';

/** How many folders' computed .hash / archive.zip are kept in memory (a stack has a few dozen). */
const MAX_COMPUTED_FOLDERS = 64;

export const HASH_FILE = '.hash';
export const ARCHIVE_NAME = 'archive.zip';
/** ResourceFilesKeeper's STACKS_DIR, COMMON_SERVICES_DIR, EXTENSIONS_DIR: roots of <name>/<version> dirs. */
const METAINFO_ROOTS = ['stacks', 'common-services', 'extensions'];
/** STACK_HOOKS_DIR, CUSTOM_ACTIONS_DIR, HOST_SCRIPTS_DIR, DASHBOARDS_DIR: archived whole. */
const WHOLE_DIRS = ['stack-hooks', 'custom_actions', 'host_scripts', 'dashboards'];

export type ResourceAnswer =
  | { kind: 'error'; status: number; error: string }
  | { kind: 'file'; path: string; size: number }
  | { kind: 'bytes'; body: Buffer; contentType: string };

interface FolderFile {
  /** '/'-separated, relative to the folder: the archive member name. */
  name: string;
  path: string;
  size: number;
  mtimeMs: number;
  mode: number;
}

interface Computed {
  fingerprint: string;
  hash?: Promise<string>;
  archive?: Promise<Buffer>;
}

/** ResourceFilesKeeper.is_ignored: earlier results and compiled Python are not part of a folder. */
export const isIgnored = (name: string) => name === HASH_FILE || name === ARCHIVE_NAME || name.endsWith('.pyc');

/** Python sorts str by code point, which is the byte order of UTF-8 (JS's `<` is UTF-16's). */
const byCodePoint = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

export class ResourceFiles {
  private readonly root: string;
  /** Per folder: the results for one fingerprint (names, sizes, mtimes) of its files. */
  /** Per folder, oldest use first. */
  private readonly computed = new Map<string, Computed>();

  constructor(root: string, private readonly log: (level: 'debug' | 'info' | 'warn', message: string) => void = () => {}) {
    this.root = realpathSync(root);
  }

  /** Answers GET /resources/<rawPath> (rawPath still percent-encoded). */
  async lookup(rawPath: string): Promise<ResourceAnswer> {
    const segments = decodeSegments(rawPath);
    if ('error' in segments) return notFound(segments.error);
    const path = join(this.root, ...segments);
    const shown = segments.join('/');
    if (await present(path)) {
      const real = await this.inside(path);
      if (!real) return notFound(`${shown} is outside the resources dir`);
      const info = await stat(real);
      if (!info.isFile()) return notFound(`${shown} is not a file`);
      return { kind: 'file', path: real, size: info.size };
    }
    const name = segments.at(-1)!;
    const folderSegments = segments.slice(0, -1);
    if ((name === HASH_FILE || name === ARCHIVE_NAME) && (await this.isArchivable(folderSegments))) {
      const folder = await this.inside(join(this.root, ...folderSegments));
      if (!folder || !(await stat(folder)).isDirectory()) return notFound(`no such resource: ${shown}`);
      if ((await readdir(folder)).length === 0) return notFound(`${folderSegments.join('/')} is empty, so it has no ${name}`);
      return name === HASH_FILE
        ? { kind: 'bytes', body: Buffer.from(await this.hashOf(folder)), contentType: 'text/plain' }
        : { kind: 'bytes', body: await this.archiveOf(folder), contentType: 'application/zip' };
    }
    return notFound(`no such resource: ${shown}`);
  }

  /** Writes the answer for GET /resources/<rawPath>. */
  async handle(req: IncomingMessage, res: ServerResponse, rawPath: string): Promise<void> {
    if (req.method !== 'GET') return sendJson(res, 405, { error: `${req.method} not allowed on /resources` });
    const answer = await this.lookup(rawPath);
    if (answer.kind === 'error') return sendJson(res, answer.status, { error: answer.error });
    if (answer.kind === 'bytes') {
      res.writeHead(200, { 'content-type': answer.contentType, 'content-length': answer.body.length });
      res.end(answer.body);
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': answer.size });
    createReadStream(answer.path)
      .on('error', () => res.destroy())
      .pipe(res);
  }

  /** The folder's .hash: SHA-1 over the bytes of its files in path order (ResourceFilesKeeper.count_hash_sum). */
  async hashOf(folder: string): Promise<string> {
    const entry = await this.entryOf(folder);
    entry.computed.hash ??= (async () => {
      const sha1 = createHash('sha1');
      for (const file of entry.files) sha1.update(await readFile(file.path));
      const hash = sha1.digest('hex');
      this.log('debug', `resources: ${HASH_FILE} of ${folder} is ${hash} (${entry.files.length} files)`);
      return hash;
    })().catch((err: unknown) => {
      entry.computed.hash = undefined; // a failed read is tried again by the next request
      throw err;
    });
    return entry.computed.hash;
  }

  /** The folder's archive.zip: its files stored under their relative names (ResourceFilesKeeper.zip_directory). */
  async archiveOf(folder: string): Promise<Buffer> {
    const entry = await this.entryOf(folder);
    entry.computed.archive ??= (async () => {
      const members: Zippable = Object.create(null) as Zippable; // a file may be named __proto__
      for (const file of entry.files) {
        // Stored, not deflated, as Python's ZipFile(path, "w"); unix modes kept as zipfile.write keeps them.
        members[file.name] = [await readFile(file.path), { level: 0, mtime: zipTime(file.mtimeMs), os: 3, attrs: (file.mode & 0xffff) << 16 }];
      }
      const archive = Buffer.from(zipSync(members));
      this.log('debug', `resources: ${ARCHIVE_NAME} of ${folder}: ${entry.files.length} files, ${archive.length} bytes`);
      return archive;
    })().catch((err: unknown) => {
      entry.computed.archive = undefined;
      throw err;
    });
    return entry.computed.archive;
  }

  /** The folder's files now, and the results computed for exactly these files (new ones when any changed). */
  private async entryOf(folder: string): Promise<{ files: FolderFile[]; computed: Computed }> {
    const files = await this.filesOf(folder);
    const fingerprint = JSON.stringify(files.map((f) => [f.name, f.size, f.mtimeMs, f.mode]));
    let computed = this.computed.get(folder);
    if (!computed || computed.fingerprint !== fingerprint) {
      computed = { fingerprint };
      this.computed.set(folder, computed);
      // Bounded: the folders asked for most recently keep their hash and archive.
      while (this.computed.size > MAX_COMPUTED_FOLDERS) this.computed.delete(this.computed.keys().next().value!);
    } else {
      this.computed.delete(folder);
      this.computed.set(folder, computed);
    }
    return { files, computed };
  }

  /**
   * The files below the folder, sorted by path, as count_hash_sum's os.walk sees them: symlinked
   * dirs are not entered; symlinked files count, here only when they resolve inside the resources dir.
   */
  private async filesOf(folder: string): Promise<FolderFile[]> {
    const files: FolderFile[] = [];
    const walk = async (dir: string, prefix: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        const name = prefix + entry.name;
        if (entry.isDirectory()) await walk(path, `${name}/`);
        else if (!isIgnored(entry.name) && (entry.isFile() || entry.isSymbolicLink())) {
          const real = entry.isSymbolicLink() ? await this.inside(path) : path;
          if (!real) {
            this.log('warn', `resources: ${path} leads outside the resources dir (or nowhere); left out of ${folder}`);
            continue;
          }
          const info = await stat(real);
          if (info.isFile()) files.push({ name, path: real, size: info.size, mtimeMs: info.mtimeMs, mode: info.mode });
        }
      }
    };
    await walk(folder, '');
    return files.sort((a, b) => byCodePoint(a.name, b.name));
  }

  /** stacks/S/V/…/package with S/V holding metainfo.xml, or one of the whole dirs. */
  private async isArchivable(folder: string[]): Promise<boolean> {
    if (folder.length === 1) return WHOLE_DIRS.includes(folder[0]!);
    if (folder.length < 4 || !METAINFO_ROOTS.includes(folder[0]!) || folder.at(-1) !== 'package') return false;
    // glob's `*` skips hidden names, as in ResourceFilesKeeper._list_metainfo_dirs.
    if (folder[1]!.startsWith('.') || folder[2]!.startsWith('.')) return false;
    return present(join(this.root, folder[0]!, folder[1]!, folder[2]!, 'metainfo.xml'));
  }

  /** The real path when it is inside the resources dir, else undefined (also for a broken link). */
  private async inside(path: string): Promise<string | undefined> {
    try {
      const real = await realpath(path);
      return real === this.root || real.startsWith(this.root + sep) ? real : undefined;
    } catch {
      return undefined;
    }
  }
}

/** The path's segments, percent-decoded, or why it is refused: no empty, ".", ".." or separator-holding segment. */
function decodeSegments(rawPath: string): string[] | { error: string } {
  const segments: string[] = [];
  for (const raw of rawPath.split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return { error: `malformed percent-encoding in ${JSON.stringify(rawPath)}` };
    }
    if (segment === '' || segment === '.' || segment === '..' || /[/\\\0]/.test(segment)) return { error: `refused resource path ${JSON.stringify(rawPath)}` };
    segments.push(segment);
  }
  return segments;
}

async function present(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

const notFound = (error: string): ResourceAnswer => ({ kind: 'error', status: 404, error });

/** Zip (DOS) times start in 1980; older mtimes are written as 1980-01-01. */
function zipTime(mtimeMs: number): Date {
  const earliest = new Date(1980, 0, 1, 0, 0, 2).getTime();
  return new Date(Math.max(mtimeMs, earliest));
}
