// Percentiles of many millions of samples in constant memory: counts per millisecond up to
// 10 s, per 100 ms up to 10 min, and one bucket beyond. Exact to the millisecond where the
// simulator's goal (heartbeat lateness under 1 s) is judged.
const FINE_MS = 10_000;
const COARSE_STEP_MS = 100;
const COARSE_MS = 600_000;

export class LatencyHistogram {
  private readonly fine = new Uint32Array(FINE_MS);
  private readonly coarse = new Uint32Array((COARSE_MS - FINE_MS) / COARSE_STEP_MS);
  private beyond = 0;
  private max = 0;
  count = 0;

  add(ms: number): void {
    const value = Math.max(0, ms);
    this.count++;
    if (value > this.max) this.max = value;
    if (value < FINE_MS) this.fine[Math.floor(value)]!++;
    else if (value < COARSE_MS) this.coarse[Math.floor((value - FINE_MS) / COARSE_STEP_MS)]!++;
    else this.beyond++;
  }

  /** The smallest value (the bucket's lower edge, ms) that `fraction` of the samples do not exceed; undefined with no samples. */
  percentile(fraction: number): number | undefined {
    if (this.count === 0) return undefined;
    const rank = Math.max(1, Math.ceil(fraction * this.count));
    let seen = 0;
    for (let ms = 0; ms < FINE_MS; ms++) {
      seen += this.fine[ms]!;
      if (seen >= rank) return ms;
    }
    for (let i = 0; i < this.coarse.length; i++) {
      seen += this.coarse[i]!;
      if (seen >= rank) return FINE_MS + i * COARSE_STEP_MS;
    }
    return this.max;
  }

  get maxMs(): number {
    return this.max;
  }

  reset(): void {
    this.fine.fill(0);
    this.coarse.fill(0);
    this.beyond = 0;
    this.max = 0;
    this.count = 0;
  }
}
