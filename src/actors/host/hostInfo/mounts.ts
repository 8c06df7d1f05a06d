// The `mounts` list: /proc/mounts parsing, the original's filters, and df figures from statfs.
import { stat, statfs } from 'node:fs/promises';
import { withTimeout } from '../../../util/promises.js';
import { readText } from '../../../util/readOptional.js';
import type { MountInfo } from './types.js';

/** How long one mount's stat/statfs may take before the mount is left out (a hung NFS, say). */
const MOUNT_CHECK_TIMEOUT_MS = 500;

export interface MountEntry {
  device: string;
  mountpoint: string;
  type: string;
  options: string[];
}

// /proc/mounts writes space, tab, newline and backslash as octal escapes.
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** /proc/mounts (or /etc/mtab) → entries. */
export function parseMounts(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 4) continue;
    entries.push({
      device: unescapeMountField(fields[0]),
      mountpoint: unescapeMountField(fields[1]),
      type: fields[2],
      options: fields[3].split(','),
    });
  }
  return entries;
}

// File system types `df` leaves out by default (its "dummy" list) and the kernel/memory-backed
// ones the brief excludes; anything else with zero blocks is dropped later, as `df` does.
const SKIPPED_FS_TYPES = new Set([
  'proc', 'sysfs', 'tmpfs', 'devtmpfs', 'devpts', 'cgroup', 'cgroup2', 'mqueue', 'debugfs', 'tracefs',
  'securityfs', 'pstore', 'bpf', 'configfs', 'fusectl', 'hugetlbfs', 'autofs', 'binfmt_misc', 'rpc_pipefs',
  'nsfs', 'efivarfs', 'selinuxfs', 'ramfs', 'rootfs', 'subfs', 'devfs', 'kernfs', 'ignore', 'fuse.portal',
]);
// The original's Hardware.IGNORE_DEVICES (compared with df's "Filesystem" column).
const IGNORED_DEVICES = new Set(['proc', 'tmpfs', 'cgroup', 'mqueue', 'shm']);

/**
 * The original's Hardware._is_mount_blacklisted: true when a blacklist entry equals the mount
 * point or is a whole-path-component prefix of it ("/mnt/a" covers "/mnt/a/b", not "/mnt/ab").
 */
export function isMountBlacklisted(blacklist: readonly string[], mountpoint: string): boolean {
  if (!mountpoint) return false;
  const parts = mountpoint.split('/');
  for (const raw of blacklist) {
    let entry = raw.trim();
    if (entry === '') continue;
    if (entry.length > 1) entry = entry.replace(/\/+$/, '');
    const entryParts = entry.split('/');
    if (entryParts.length <= parts.length && entryParts.every((p, i) => p === parts[i])) return true;
  }
  return false;
}

/**
 * Whether a /proc/mounts entry may appear in `mounts` (before stat/statfs): not a pseudo/memory
 * file system, not one of the original's ignored devices, mounted read-write (the original keeps
 * only mounts root can write to) and not under an ignored mount point.
 */
export function isCandidateMount(entry: MountEntry, ignoreMountPoints: readonly string[] = []): boolean {
  if (SKIPPED_FS_TYPES.has(entry.type)) return false;
  if (entry.type === 'none' && !entry.options.includes('bind')) return false;
  if (IGNORED_DEVICES.has(entry.device)) return false;
  if (entry.options.includes('ro')) return false;
  return !isMountBlacklisted(ignoreMountPoints, entry.mountpoint);
}

/**
 * `df -kP` figures from statfs numbers: 1K-block size/used/available (rounded up, as df does) and
 * the use percentage ceil(used / (used + available)), "-" when both are 0.
 */
export function dfFigures(s: { blocks: number; bfree: number; bavail: number; bsize: number }): {
  size: string;
  used: string;
  available: string;
  percent: string;
} {
  const kb = (blocks: number) => Math.ceil((blocks * s.bsize) / 1024);
  const size = kb(s.blocks);
  const used = kb(Math.max(0, s.blocks - s.bfree));
  const available = kb(s.bavail);
  const total = used + available;
  const percent = total === 0 ? '-' : `${Math.ceil((used * 100) / total)}%`;
  return { size: String(size), used: String(used), available: String(available), percent };
}

/**
 * The original's Hardware.osdisks (`df -kPT` filtered) built from /proc/mounts and statfs:
 * candidate mounts (isCandidateMount) that are directories, have a non-zero size and answer
 * within MOUNT_CHECK_TIMEOUT_MS; one entry per device number (the shortest mount point), as df
 * shows a file system mounted several times once.
 */
export async function mountsOf(ignoreMountPoints: readonly string[]): Promise<MountInfo[]> {
  const text = (await readText('/proc/mounts')) ?? (await readText('/proc/self/mounts')) ?? (await readText('/etc/mtab')) ?? '';
  const candidates = parseMounts(text).filter((entry) => isCandidateMount(entry, ignoreMountPoints));
  const checked = await Promise.all(
    candidates.map((entry) =>
      withTimeout(
        (async () => {
          const info = await stat(entry.mountpoint);
          if (!info.isDirectory()) return undefined;
          const fsStats = await statfs(entry.mountpoint);
          if (!fsStats.blocks) return undefined;
          return { entry, dev: info.dev, figures: dfFigures(fsStats) };
        })(),
        MOUNT_CHECK_TIMEOUT_MS,
        undefined,
      ),
    ),
  );
  const byDevice = new Map<number, NonNullable<(typeof checked)[number]>>();
  for (const item of checked) {
    if (!item) continue;
    const seen = byDevice.get(item.dev);
    if (!seen || item.entry.mountpoint.length < seen.entry.mountpoint.length) byDevice.set(item.dev, item);
  }
  const kept = new Set(byDevice.values());
  const mounts: MountInfo[] = [];
  for (const item of checked) {
    if (!item || !kept.has(item)) continue;
    mounts.push({
      available: item.figures.available,
      used: item.figures.used,
      percent: item.figures.percent,
      device: item.entry.device,
      mountpoint: item.entry.mountpoint,
      type: item.entry.type,
      size: item.figures.size,
    });
  }
  return mounts;
}
