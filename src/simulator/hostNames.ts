// The simulated hosts' names, as agent-multiplier.py makes them (PREFIX-NNNN there; five
// digits here, for 10,000 hosts and more), and the /etc/hosts lines that make them resolve.

/** PREFIX-00001 ... for `count` hosts from `startIndex`. */
export function hostNames(prefix: string, startIndex: number, count: number): string[] {
  const digits = Math.max(5, String(startIndex + count - 1).length);
  return Array.from({ length: count }, (_, i) => `${prefix}-${String(startIndex + i).padStart(digits, '0')}`);
}

/** A host name part: letters, digits and hyphens, not starting or ending with a hyphen (RFC 1123). */
export function isHostnamePrefix(prefix: string): boolean {
  return /^[A-Za-z0-9]([A-Za-z0-9-]{0,40}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(prefix) && !prefix.includes('..');
}

/** One /etc/hosts line per name, all at `address` (the one the hosts register with). */
export function etcHostsLines(address: string, names: readonly string[]): string[] {
  return names.map((name) => `${address}\t${name}`);
}
