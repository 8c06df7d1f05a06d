// Ping ports for `init`: a free port outside the kernel's ephemeral range, so that an agent's
// port is never one that an outgoing connection (this host's, or another agent's) holds at
// the moment it starts. With many agents on one host, picks spread over the whole free span.
import { readFileSync } from 'node:fs';

export const EPHEMERAL_RANGE_FILE = '/proc/sys/net/ipv4/ip_local_port_range';
/** Linux's default ip_local_port_range, when the file cannot be read. */
export const DEFAULT_EPHEMERAL: readonly [number, number] = [32768, 60999];
/** Below this are the privileged ports and those of well-known services. */
const LOWEST = 10000;

export function ephemeralRange(file = EPHEMERAL_RANGE_FILE): [number, number] {
  try {
    const [low, high] = readFileSync(file, 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && Number.isInteger(high) && low! >= 1 && low! <= high! && high! <= 65535) return [low!, high!];
  } catch {
    // not Linux, or /proc not mounted: the default
  }
  return [...DEFAULT_EPHEMERAL];
}

/** `count` distinct random ports in [LOWEST, 65535] outside [low, high]. */
export function pingPortCandidates([low, high]: [number, number], count = 64, random: () => number = Math.random): number[] {
  const spans = [
    [LOWEST, Math.min(low - 1, 65535)],
    [Math.max(high + 1, LOWEST), 65535],
  ].filter(([from, to]) => from! <= to!) as Array<[number, number]>;
  const total = spans.reduce((sum, [from, to]) => sum + to - from + 1, 0);
  const picked = new Set<number>();
  for (let tries = 0; picked.size < Math.min(count, total) && tries < count * 10; tries++) {
    let offset = Math.floor(random() * total);
    for (const [from, to] of spans) {
      const size = to - from + 1;
      if (offset < size) {
        picked.add(from + offset);
        break;
      }
      offset -= size;
    }
  }
  return [...picked];
}
