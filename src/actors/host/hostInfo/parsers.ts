// Pure parsers of /proc and /sys text and the figures hardwareProfile and agentEnv derive from it.

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
