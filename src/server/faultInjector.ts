// Fault injection for black-box tests of agents: the next N SENDs of a host to a destination
// are answered with the Java error shape (serverErrors.ts) instead of being applied, as if the
// server had thrown while handling them.
export class FaultInjector {
  /** host -> destination -> how many SENDs still to fail. */
  private readonly failures = new Map<string, Map<string, number>>();

  /** Fails the host's next `count` SENDs to `destination` (0 clears). */
  failNext(hostName: string, destination: string, count: number): void {
    const forHost = this.failures.get(hostName) ?? new Map<string, number>();
    if (count > 0) forHost.set(destination, count);
    else forHost.delete(destination);
    if (forHost.size > 0) this.failures.set(hostName, forHost);
    else this.failures.delete(hostName);
  }

  /** The failures still pending for the host, by destination. */
  pending(hostName: string): Record<string, number> {
    return Object.fromEntries(this.failures.get(hostName) ?? []);
  }

  /** The error text to answer with when this SEND is to fail (and counts it), else undefined. */
  take(hostName: string, destination: string): string | undefined {
    const left = this.failures.get(hostName)?.get(destination);
    if (left === undefined) return undefined;
    this.failNext(hostName, destination, left - 1);
    return `Injected fault: ${destination} refused by the dev server (${left - 1} more to fail)`;
  }
}
