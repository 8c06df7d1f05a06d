// What the agent tells the server about its host when it registers: the `hardwareProfile`
// (the original's Hardware.py + Facter.py) and the `agentEnv` (HostInfo.py), in the shapes of
// fixtures/registration_request.json.
//
// Everything is read from files (/proc, /sys, /etc) and node:os; nothing is spawned and the only
// name lookups are of this host's own names (reverseLookup). Every source may be missing (non-root,
// containers, sandboxes): a missing or unreadable file gives a fallback value, never an error.
//
// Where this differs from the original, on purpose:
// - mounts come from /proc/mounts + statfs instead of `df -kPT` (same figures and filters, see
//   mountsOf); ipaddress/netmask/macaddress from the first non-internal IPv4 interface instead of
//   resolving the FQDN / uuid.getnode(); physicalprocessorcount counts distinct "physical id"s
//   (the original repeats the logical CPU count); selinux is "enforcing" (the original's
//   `sestatus` also says true for permissive); interfaces lists every interface in
//   /proc/net/dev (like the original's `ip link` fallback).
// - agentEnv: liveServices and the firewall are judged from running processes and config files
//   instead of `service ... status`; alternatives, stackFoldersAndFiles and existingUsers are
//   left empty, as the original leaves them when it skips its expensive checks (registration).
import { lookup } from 'node:dns/promises';
import { readdir, readFile, stat, statfs } from 'node:fs/promises';
import * as os from 'node:os';

export interface MountInfo {
  available: string;
  used: string;
  percent: string;
  device: string;
  mountpoint: string;
  type: string;
  size: string;
}

export interface HardwareProfile {
  kernel: string;
  domain: string;
  physicalprocessorcount: number;
  kernelrelease: string;
  uptime_days: string;
  memorytotal: number;
  swapfree: string;
  memorysize: number;
  osfamily: string;
  swapsize: string;
  processorcount: number;
  netmask: string;
  timezone: string;
  hardwareisa: string;
  memoryfree: number;
  operatingsystem: string;
  kernelmajversion: string;
  kernelversion: string;
  macaddress: string;
  operatingsystemrelease: string;
  ipaddress: string;
  hostname: string;
  uptime_hours: string;
  fqdn: string;
  id: string;
  architecture: string;
  selinux: boolean;
  mounts: MountInfo[];
  hardwaremodel: string;
  uptime_seconds: string;
  interfaces: string;
}

export interface AgentEnv {
  transparentHugePage: string;
  hostHealth: {
    agentTimeStampAtReporting: number;
    activeJavaProcs: Array<Record<string, unknown>>;
    liveServices: Array<{ status: string; name: string; desc: string }>;
  };
  reverseLookup: boolean;
  alternatives: unknown[];
  hasUnlimitedJcePolicy: boolean | null;
  umask: string;
  firewallName: string;
  stackFoldersAndFiles: unknown[];
  existingUsers: unknown[];
  firewallRunning: boolean;
}

/** How long one mount's stat/statfs may take before the mount is left out (a hung NFS, say). */
const MOUNT_CHECK_TIMEOUT_MS = 500;
/** How long a lookup of the host's own name may take before it counts as failed. */
const LOOKUP_TIMEOUT_MS = 500;
/** At most this many /proc/PID reads in flight at once. */
const PROC_SCAN_CONCURRENCY = 64;

// ---------------------------------------------------------------------------------------------
// Pure parsers (exported for tests)
// ---------------------------------------------------------------------------------------------

/** /proc/meminfo → field name → number (the file's unit, kB). */
export function parseMeminfo(text: string): Record<string, number> {
  const result: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = /^([^:\s]+):\s*(\d+)/.exec(line);
    if (match) result[match[1]] = Number(match[2]);
  }
  return result;
}

/** /proc/swaps → total size and used, kB (summed over all swap areas). */
export function parseSwaps(text: string): { size: number; used: number } {
  let size = 0;
  let used = 0;
  for (const line of text.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 4) continue;
    const s = Number(fields[2]);
    const u = Number(fields[3]);
    if (Number.isFinite(s)) size += s;
    if (Number.isFinite(u)) used += u;
  }
  return { size, used };
}

/** /proc/uptime → whole seconds since boot (undefined when unparsable). */
export function parseUptimeSeconds(text: string): number | undefined {
  const match = /^\s*(\d+)(?:\.\d+)?/.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** The original's uptime strings: whole seconds, hours, days (integer division). */
export function uptimeFields(seconds: number): { uptime_seconds: string; uptime_hours: string; uptime_days: string } {
  const s = Math.max(0, Math.floor(seconds));
  return {
    uptime_seconds: String(s),
    uptime_hours: String(Math.floor(s / 3600)),
    uptime_days: String(Math.floor(s / 86400)),
  };
}

/** /proc/cpuinfo → number of distinct "physical id" values (sockets), at least 1. */
export function parsePhysicalProcessorCount(text: string): number {
  const ids = new Set<string>();
  for (const line of text.split('\n')) {
    const match = /^physical id\s*:\s*(\S+)/.exec(line);
    if (match) ids.add(match[1]);
  }
  return Math.max(1, ids.size);
}

/** /etc/os-release → KEY → value (quotes and backslash escapes removed, comments skipped). */
export function parseOsRelease(text: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match) continue;
    let value = match[2].trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.length >= 2 && value.endsWith(quote)) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\(["\\$`])/g, '$1');
    }
    result[match[1]] = value;
  }
  return result;
}

// The original's ambari_commons/resources/os_family.json (distro → family), plus the ids
// /etc/os-release uses for the same distributions (rhel, rocky, ol, amzn, opensuse-leap, ...).
const OS_FAMILY_BY_DISTRO: Record<string, string> = {
  redhat: 'redhat', rhel: 'redhat', fedora: 'redhat', centos: 'redhat', oraclelinux: 'redhat', ol: 'redhat',
  ascendos: 'redhat', xenserver: 'redhat', oel: 'redhat', ovs: 'redhat', cloudlinux: 'redhat', slc: 'redhat',
  scientific: 'redhat', psbm: 'redhat', rocky: 'redhat', almalinux: 'redhat',
  amazonlinux: 'amazonlinux', amzn: 'amazonlinux',
  debian: 'debian',
  ubuntu: 'ubuntu',
  sles: 'suse', sled: 'suse', opensuse: 'suse', suse: 'suse', 'opensuse-leap': 'suse', 'opensuse-tumbleweed': 'suse', 'sle-micro': 'suse',
  openeuler: 'openeuler',
};

/**
 * Ambari OS family of an os-release ID / ID_LIKE: the ID's family when known, else the family of
 * the first known ID_LIKE entry, else the ID itself (as the original returns an unmapped os type).
 */
export function osFamilyOf(id: string, idLike = ''): string {
  const own = id.toLowerCase();
  if (OS_FAMILY_BY_DISTRO[own]) return OS_FAMILY_BY_DISTRO[own];
  for (const like of idLike.toLowerCase().split(/\s+/)) {
    if (OS_FAMILY_BY_DISTRO[like]) return OS_FAMILY_BY_DISTRO[like];
  }
  return own;
}

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

/** The original's convertSizeKbToGb: "%0.2f GB". */
export function kbToGb(kb: number): string {
  return `${(Math.round((kb / (1024 * 1024)) * 100) / 100).toFixed(2)} GB`;
}

/** Kernel release → kernelversion (first three numeric parts) and kernelmajversion (first two). */
export function kernelVersions(release: string): { kernelversion: string; kernelmajversion: string } {
  const match = /^(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(release);
  const kernelversion = match ? [match[1], match[2], match[3]].filter((p) => p !== undefined).join('.') : release.split('-', 1)[0];
  const kernelmajversion = kernelversion.split('.').slice(0, 2).join('.');
  return { kernelversion, kernelmajversion };
}

/** /proc/net/dev → interface names, in the file's order. */
export function parseNetDevInterfaces(text: string): string[] {
  const names: string[] = [];
  for (const line of text.split('\n').slice(2)) {
    const match = /^\s*([^:\s]+):/.exec(line);
    if (match) names.push(match[1]);
  }
  return names;
}

/** transparent_hugepage/enabled ("always [madvise] never") → the selected word, "" if none. */
export function parseTransparentHugePage(text: string): string {
  const match = /\[([^\]]+)\]/.exec(text);
  return match ? match[1] : '';
}

/** /proc/PID/status → the Umask field as a number (Linux ≥ 4.7), undefined when absent. */
export function parseStatusUmask(text: string): number | undefined {
  const match = /^Umask:\s*([0-7]+)/m.exec(text);
  return match ? parseInt(match[1], 8) : undefined;
}

/** /proc/PID/status → the real uid (first number of the Uid line). */
export function parseStatusUid(text: string): number | undefined {
  const match = /^Uid:\s*(\d+)/m.exec(text);
  return match ? Number(match[1]) : undefined;
}

/** /etc/passwd → uid → user name (the first name listed for a uid wins). */
export function parsePasswd(text: string): Map<number, string> {
  const users = new Map<number, string>();
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length < 3 || line.startsWith('#')) continue;
    const uid = Number(fields[2]);
    if (fields[0] !== '' && fields[2] !== '' && Number.isInteger(uid) && !users.has(uid)) users.set(uid, fields[0]);
  }
  return users;
}

/**
 * The standard-time abbreviation of a POSIX TZ string ("EST5EDT" → "EST", "<+03>-3" → "+03",
 * "UTC0" → "UTC"), undefined when the string does not start with one.
 */
export function posixTzAbbreviation(tz: string): string | undefined {
  const quoted = /^<([A-Za-z0-9+-]+)>/.exec(tz);
  if (quoted) return quoted[1];
  const plain = /^([A-Za-z]{3,})/.exec(tz);
  return plain ? plain[1] : undefined;
}

/** The POSIX TZ string at the end of a TZif (v2+) file, undefined for v1 files or an empty footer. */
export function tzifFooter(data: Buffer): string | undefined {
  if (data.length < 5 || data.toString('latin1', 0, 4) !== 'TZif' || data[4] === 0) return undefined;
  const text = data.toString('latin1');
  if (!text.endsWith('\n')) return undefined;
  const start = text.lastIndexOf('\n', text.length - 2);
  if (start < 0) return undefined;
  const footer = text.slice(start + 1, -1);
  return footer !== '' && !footer.includes('\0') ? footer : undefined;
}

/** The original's java process filter: "java" in the command line, but not the Ambari server. */
export function isReportedJavaCommand(command: string): boolean {
  return command.includes('java') && !command.includes('AmbariServer');
}

/** The original's HostInfo.PROC_FILTER: a java process counts as Hadoop's when this matches. */
export function isHadoopCommand(command: string): boolean {
  return command.includes('hadoop') || command.includes('zookeeper');
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Settles with `fallback` when `promise` rejects or takes longer than `ms`. */
function withTimeout<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  return new Promise<T>((resolve) => {
    const timer = setTimeout(() => resolve(fallback), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      () => {
        clearTimeout(timer);
        resolve(fallback);
      },
    );
  });
}

async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

interface OsRelease {
  operatingsystem: string;
  operatingsystemrelease: string;
  osfamily: string;
}

async function readOsRelease(): Promise<OsRelease> {
  const text = (await readText('/etc/os-release')) ?? (await readText('/usr/lib/os-release')) ?? '';
  const fields = parseOsRelease(text);
  const id = (fields.ID ?? '').toLowerCase();
  if (id === '') {
    // No os-release: name the kernel's platform and leave the release empty.
    const platform = os.platform();
    return { operatingsystem: platform, operatingsystemrelease: '', osfamily: platform };
  }
  return { operatingsystem: id, operatingsystemrelease: fields.VERSION_ID ?? '', osfamily: osFamilyOf(id, fields.ID_LIKE) };
}

function currentUser(): string {
  try {
    const name = os.userInfo().username;
    if (name) return name;
  } catch {
    // uid without a passwd entry (containers)
  }
  return process.env.LOGNAME || process.env.USER || process.env.USERNAME || String(process.getuid?.() ?? '');
}

/**
 * Python's time.tzname[time.daylight - 1]: the zone's standard-time abbreviation, taken from the
 * POSIX rule at the end of the zone file (TZ or /etc/localtime) or from TZ itself when it is a
 * POSIX rule; Intl's name as a last resort.
 */
async function timezoneName(): Promise<string> {
  const tz = process.env.TZ;
  if (tz === '') return 'UTC'; // glibc: empty TZ is UTC
  if (tz === undefined) {
    const data = await readBuffer('/etc/localtime');
    return data ? (abbreviationFromTzif(data) ?? intlTimezoneName()) : 'UTC'; // glibc's default
  }
  const name = tz.startsWith(':') ? tz.slice(1) : tz;
  const data = await readBuffer(name.startsWith('/') ? name : `/usr/share/zoneinfo/${name}`);
  if (data) return abbreviationFromTzif(data) ?? intlTimezoneName();
  return (tz.startsWith(':') ? undefined : posixTzAbbreviation(tz)) ?? intlTimezoneName();
}

function abbreviationFromTzif(data: Buffer): string | undefined {
  const footer = tzifFooter(data);
  return footer === undefined ? undefined : posixTzAbbreviation(footer);
}

async function readBuffer(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch {
    return undefined;
  }
}

// The abbreviation Intl shows for standard time (the half of the year with the smaller UTC offset).
function intlTimezoneName(): string {
  try {
    const year = new Date().getFullYear();
    const january = new Date(year, 0, 1);
    const july = new Date(year, 6, 1);
    const standard = january.getTimezoneOffset() >= july.getTimezoneOffset() ? january : july;
    const part = new Intl.DateTimeFormat('en-US', { timeZoneName: 'short' }).formatToParts(standard).find((p) => p.type === 'timeZoneName');
    return part?.value ?? Intl.DateTimeFormat().resolvedOptions().timeZone ?? 'UTC';
  } catch {
    return 'UTC';
  }
}

function primaryIPv4(): { ipaddress: string; netmask: string; macaddress: string } {
  let interfaces: NodeJS.Dict<os.NetworkInterfaceInfo[]> = {};
  try {
    interfaces = os.networkInterfaces();
  } catch {
    // no interface information available
  }
  for (const addresses of Object.values(interfaces)) {
    for (const info of addresses ?? []) {
      if (info.family === 'IPv4' && !info.internal) {
        return { ipaddress: info.address, netmask: info.netmask, macaddress: info.mac.toUpperCase() };
      }
    }
  }
  return { ipaddress: '127.0.0.1', netmask: '255.0.0.0', macaddress: '00:00:00:00:00:00' };
}

async function interfaceNames(): Promise<string> {
  const fromProc = parseNetDevInterfaces((await readText('/proc/net/dev')) ?? '');
  if (fromProc.length > 0) return fromProc.join(',');
  try {
    return Object.keys(os.networkInterfaces()).join(',');
  } catch {
    return '';
  }
}

function processorCount(): number {
  try {
    const count = os.cpus().length;
    if (count > 0) return count;
  } catch {
    // fall through
  }
  return typeof os.availableParallelism === 'function' ? os.availableParallelism() : 1;
}

async function selinuxEnforcing(): Promise<boolean> {
  const text = (await readText('/sys/fs/selinux/enforce')) ?? (await readText('/selinux/enforce'));
  return text?.trim() === '1';
}

/**
 * The original's Hardware.osdisks (`df -kPT` filtered) built from /proc/mounts and statfs:
 * candidate mounts (isCandidateMount) that are directories, have a non-zero size and answer
 * within MOUNT_CHECK_TIMEOUT_MS; one entry per device number (the shortest mount point), as df
 * shows a file system mounted several times once.
 */
async function mountsOf(ignoreMountPoints: readonly string[]): Promise<MountInfo[]> {
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

// ---------------------------------------------------------------------------------------------
// hardwareProfile
// ---------------------------------------------------------------------------------------------

export async function hardwareProfile(options: { hostname: string; ignoreMountPoints?: string[] }): Promise<HardwareProfile> {
  const fqdn = options.hostname;
  const dot = fqdn.indexOf('.');
  const shortName = dot < 0 ? fqdn : fqdn.slice(0, dot);
  const domain = dot < 0 ? '' : fqdn.slice(dot + 1);

  const [meminfoText, swapsText, uptimeText, cpuinfoText, release, timezone, selinux, interfaces, mounts] = await Promise.all([
    readText('/proc/meminfo'),
    readText('/proc/swaps'),
    readText('/proc/uptime'),
    readText('/proc/cpuinfo'),
    readOsRelease(),
    timezoneName(),
    selinuxEnforcing(),
    interfaceNames(),
    mountsOf(options.ignoreMountPoints ?? []),
  ]);

  const meminfo = parseMeminfo(meminfoText ?? '');
  const memorytotal = meminfo.MemTotal ?? Math.floor(os.totalmem() / 1024);
  const memoryfree = meminfo.MemFree ?? Math.floor(os.freemem() / 1024);
  let swapTotal = meminfo.SwapTotal;
  let swapFree = meminfo.SwapFree;
  if (swapTotal === undefined || swapFree === undefined) {
    const swaps = parseSwaps(swapsText ?? '');
    swapTotal ??= swaps.size;
    swapFree ??= Math.max(0, swaps.size - swaps.used);
  }

  const uptime = uptimeFields(parseUptimeSeconds(uptimeText ?? '') ?? os.uptime());
  const kernelrelease = os.release();
  const { kernelversion, kernelmajversion } = kernelVersions(kernelrelease);
  const machine = typeof os.machine === 'function' ? os.machine() : os.arch();
  const net = primaryIPv4();

  return {
    kernel: os.type(),
    domain,
    physicalprocessorcount: parsePhysicalProcessorCount(cpuinfoText ?? ''),
    kernelrelease,
    uptime_days: uptime.uptime_days,
    memorytotal,
    swapfree: kbToGb(swapFree),
    memorysize: memorytotal,
    osfamily: release.osfamily,
    swapsize: kbToGb(swapTotal),
    processorcount: processorCount(),
    netmask: net.netmask,
    timezone,
    hardwareisa: machine,
    memoryfree,
    operatingsystem: release.operatingsystem,
    kernelmajversion,
    kernelversion,
    macaddress: net.macaddress,
    operatingsystemrelease: release.operatingsystemrelease,
    ipaddress: net.ipaddress,
    hostname: shortName,
    uptime_hours: uptime.uptime_hours,
    fqdn,
    id: currentUser(),
    architecture: machine,
    selinux,
    mounts,
    hardwaremodel: machine,
    uptime_seconds: uptime.uptime_seconds,
    interfaces,
  };
}

// ---------------------------------------------------------------------------------------------
// agentEnv
// ---------------------------------------------------------------------------------------------

interface ProcessInfo {
  pid: number;
  comm: string;
  command: string;
}

/** Every process's pid, comm and command line; `readable` false when /proc cannot be listed. */
async function scanProcesses(): Promise<{ readable: boolean; processes: ProcessInfo[] }> {
  let names: string[];
  try {
    names = await readdir('/proc');
  } catch {
    return { readable: false, processes: [] };
  }
  const pids = names.filter((name) => /^\d+$/.test(name));
  const infos = await mapLimit(pids, PROC_SCAN_CONCURRENCY, async (pid): Promise<ProcessInfo | undefined> => {
    const [cmdline, comm] = await Promise.all([readText(`/proc/${pid}/cmdline`), readText(`/proc/${pid}/comm`)]);
    if (cmdline === undefined && comm === undefined) return undefined; // gone meanwhile
    return { pid: Number(pid), comm: (comm ?? '').trim(), command: (cmdline ?? '').replace(/\0/g, ' ').trimEnd() };
  });
  return { readable: true, processes: infos.filter((info): info is ProcessInfo => info !== undefined) };
}

async function javaProcesses(processes: readonly ProcessInfo[]): Promise<Array<Record<string, unknown>>> {
  const java = processes.filter((p) => p.pid !== process.pid && isReportedJavaCommand(p.command));
  if (java.length === 0) return [];
  const users = parsePasswd((await readText('/etc/passwd')) ?? '');
  const result: Array<Record<string, unknown>> = [];
  for (const proc of java) {
    const status = await readText(`/proc/${proc.pid}/status`);
    if (status === undefined) continue; // ended meanwhile
    const uid = parseStatusUid(status);
    result.push({
      pid: proc.pid,
      command: proc.command,
      hadoop: isHadoopCommand(proc.command),
      user: uid === undefined ? '' : (users.get(uid) ?? String(uid)),
    });
  }
  return result;
}

const TIME_SERVICE_PROCESSES = new Set(['ntpd', 'chronyd', 'systemd-timesyncd', 'systemd-timesyn']);

function timeServiceHealth(processes: readonly ProcessInfo[], procReadable: boolean): { status: string; name: string; desc: string } {
  const name = 'ntpd or chronyd';
  if (processes.some((p) => TIME_SERVICE_PROCESSES.has(p.comm))) return { status: 'Healthy', name, desc: '' };
  const desc = procReadable ? 'no ntpd, chronyd or systemd-timesyncd process is running' : 'cannot list processes in /proc';
  return { status: 'Unhealthy', name, desc };
}

/**
 * Firewall name and state, from what can be read without privileges: a running firewalld wins;
 * otherwise the original's choice by family (ufw on Debian/Ubuntu, running when /etc/ufw/ufw.conf
 * says ENABLED=yes; iptables elsewhere, running when the kernel lists a loaded "filter" table).
 */
async function firewall(osfamily: string, processes: readonly ProcessInfo[]): Promise<{ firewallName: string; firewallRunning: boolean }> {
  if (processes.some((p) => p.comm === 'firewalld' || /(^|\s|\/)firewalld(\s|$)/.test(p.command))) {
    return { firewallName: 'firewalld', firewallRunning: true };
  }
  if (osfamily === 'ubuntu' || osfamily === 'debian') {
    const conf = (await readText('/etc/ufw/ufw.conf')) ?? '';
    return { firewallName: 'ufw', firewallRunning: /^\s*ENABLED\s*=\s*"?yes"?\s*$/im.test(conf) };
  }
  const tables = (await readText('/proc/net/ip_tables_names')) ?? '';
  return { firewallName: 'iptables', firewallRunning: tables.split('\n').some((t) => t.trim() === 'filter') };
}

async function resolveIPv4(name: string): Promise<string | undefined> {
  if (!name) return undefined;
  return withTimeout(
    lookup(name, { family: 4 }).then((r) => r.address),
    LOOKUP_TIMEOUT_MS,
    undefined,
  );
}

/** The original's checkReverseLookup: the host name and the FQDN resolve to the same IPv4 address. */
async function reverseLookup(fqdn: string): Promise<boolean> {
  const own = os.hostname().toLowerCase();
  const wanted = fqdn.toLowerCase();
  const [ownIp, fqdnIp] = await Promise.all([resolveIPv4(own), wanted === own ? undefined : resolveIPv4(wanted)]);
  if (ownIp === undefined) return false;
  return wanted === own ? true : ownIp === fqdnIp;
}

async function umaskValue(): Promise<number> {
  const fromStatus = parseStatusUmask((await readText('/proc/self/status')) ?? '');
  if (fromStatus !== undefined) return fromStatus;
  return process.umask(); // reads the mask (briefly setting and restoring it)
}

async function transparentHugePage(): Promise<string> {
  const text = (await readText('/sys/kernel/mm/transparent_hugepage/enabled')) ?? (await readText('/sys/kernel/mm/redhat_transparent_hugepage/enabled'));
  return text === undefined ? '' : parseTransparentHugePage(text);
}

/**
 * The original's HostInfoLinux.register without its expensive checks. `hostname` is the FQDN
 * checked by reverseLookup (default: os.hostname()); `now` gives agentTimeStampAtReporting, taken
 * last, as the original does. `umask` is the process umask printed in decimal, like the
 * original's str(os.umask(...)): 0o022 → "18", 0o027 → "23" (the fixture's value).
 */
export async function agentEnv(options: { now?: () => number; hostname?: string } = {}): Promise<AgentEnv> {
  const now = options.now ?? Date.now;
  const [{ readable, processes }, release, thp, umask, reverse] = await Promise.all([
    scanProcesses(),
    readOsRelease(),
    transparentHugePage(),
    umaskValue(),
    reverseLookup(options.hostname ?? os.hostname()),
  ]);
  const [activeJavaProcs, fw] = await Promise.all([javaProcesses(processes), firewall(release.osfamily, processes)]);
  const liveServices = [timeServiceHealth(processes, readable)];

  return {
    transparentHugePage: thp,
    hostHealth: {
      agentTimeStampAtReporting: now(),
      activeJavaProcs,
      liveServices,
    },
    reverseLookup: reverse,
    alternatives: [],
    hasUnlimitedJcePolicy: null,
    umask: String(umask),
    firewallName: fw.firewallName,
    stackFoldersAndFiles: [],
    existingUsers: [],
    firewallRunning: fw.firewallRunning,
  };
}
