// Unpacks a zip archive (held in memory) into an empty directory, refusing the whole archive
// before anything is written when a member could land outside that directory or when it
// would grow beyond a size cap. Zip parsing and inflating are fflate's; the checks are ours
// (FileCache.unpack_archive extracts whatever zipfile lists, with no such checks).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { UnzipFileInfo } from 'fflate';

// fflate is loaded at the first archive, not with the agent: an idle agent never unzips.
let fflate: Promise<typeof import('fflate')> | undefined;
const unzipper = async () => (await (fflate ??= import('fflate'))).unzipSync;

/** 2 GiB: more than any stack's scripts, well below what a Buffer can hold. */
export const DEFAULT_MAX_UNPACKED_BYTES = 2 * 1024 * 1024 * 1024;

/** Declared sizes are inflated this much at a time, so memory stays near the archive's size. */
const BATCH_BYTES = 32 * 1024 * 1024;

export interface UnpackResult {
  files: number;
  bytes: number;
}

/** Why an archive is refused; `member` names the entry at fault when there is one. */
export class UnsafeArchiveError extends Error {
  constructor(message: string, readonly member?: string) {
    super(message);
  }
}

interface Member {
  index: number;
  name: string;
  /** Where it goes, relative to the target, '/'-separated; '' is the target itself. */
  path: string;
  isDir: boolean;
  size: number;
}

/**
 * The member's place below the target, or why it has none. Backslashes count as separators
 * (Windows-made archives use them), so `..\x` is refused like `../x`.
 */
export function memberPath(name: string): { path: string } | { problem: string } {
  if (name.includes('\0')) return { problem: 'contains a NUL character' };
  if (/^[/\\]/.test(name)) return { problem: 'is an absolute path' };
  if (/^[A-Za-z]:/.test(name)) return { problem: 'starts with a drive letter' };
  const kept: string[] = [];
  for (const segment of name.split(/[/\\]/)) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (kept.length === 0) return { problem: 'escapes the target dir with ..' };
      kept.pop();
    } else kept.push(segment);
  }
  return { path: kept.join('/') };
}

/** Lists and checks every member; throws UnsafeArchiveError for the first one at fault. */
function plan(data: Uint8Array, maxBytes: number, unzipSync: Awaited<ReturnType<typeof unzipper>>): Member[] {
  const infos: UnzipFileInfo[] = [];
  try {
    unzipSync(data, { filter: (info) => (infos.push(info), false) });
  } catch (err) {
    throw new UnsafeArchiveError(`not a readable zip archive (${(err as Error).message})`);
  }
  const members: Member[] = [];
  const seen = new Set<string>();
  let total = 0;
  infos.forEach((info, index) => {
    const where = memberPath(info.name);
    if ('problem' in where) throw new UnsafeArchiveError(`member ${JSON.stringify(info.name)} ${where.problem}`, info.name);
    const isDir = /[/\\]$/.test(info.name);
    if (!isDir && where.path === '') throw new UnsafeArchiveError(`member ${JSON.stringify(info.name)} names the target dir itself`, info.name);
    if (!isDir && info.compression !== 0 && info.compression !== 8) {
      throw new UnsafeArchiveError(`member ${JSON.stringify(info.name)} uses compression method ${info.compression} (only stored and deflate are supported)`, info.name);
    }
    if (!isDir) {
      if (seen.has(where.path)) throw new UnsafeArchiveError(`member ${JSON.stringify(info.name)} appears twice`, info.name);
      seen.add(where.path);
      total += info.originalSize;
      if (total > maxBytes) throw new UnsafeArchiveError(`unpacked size exceeds the ${maxBytes}-byte limit at member ${JSON.stringify(info.name)}`, info.name);
    }
    members.push({ index, name: info.name, path: where.path, isDir, size: isDir ? 0 : info.originalSize });
  });
  return members;
}

/**
 * Writes the archive's members into `dir` (which should be new and empty): directories as
 * 0755, files as 0644. fflate does not expose the members' unix modes, so execute bits are
 * not kept (Python's zipfile.extract, which the original uses, does not keep them either).
 * fflate writes at most the declared size of a member, so a lying header cannot blow past the cap.
 */
export async function unpackZip(data: Uint8Array, dir: string, maxBytes = DEFAULT_MAX_UNPACKED_BYTES): Promise<UnpackResult> {
  const unzipSync = await unzipper();
  const members = plan(data, maxBytes, unzipSync);
  const madeDirs = new Set<string>(['']);
  const ensureDir = async (path: string) => {
    if (madeDirs.has(path)) return;
    await mkdir(join(dir, path), { recursive: true, mode: 0o755 });
    madeDirs.add(path);
  };
  for (const member of members) if (member.isDir) await ensureDir(member.path);

  const files = members.filter((member) => !member.isDir);
  let bytes = 0;
  for (let start = 0; start < files.length; ) {
    let end = start;
    let batchBytes = 0;
    while (end < files.length && (end === start || batchBytes + files[end]!.size <= BATCH_BYTES)) batchBytes += files[end++]!.size;
    const batch = files.slice(start, end);
    const wanted = new Set(batch.map((member) => member.index));
    let index = 0;
    const contents = unzipSync(data, { filter: () => wanted.has(index++) });
    for (const member of batch) {
      const content = contents[member.name];
      if (!content) throw new UnsafeArchiveError(`member ${JSON.stringify(member.name)} could not be read`, member.name);
      const slash = member.path.lastIndexOf('/');
      await ensureDir(slash < 0 ? '' : member.path.slice(0, slash));
      await writeFile(join(dir, member.path), content, { mode: 0o644, flag: 'wx' });
      bytes += content.length;
    }
    start = end;
  }
  return { files: files.length, bytes };
}
