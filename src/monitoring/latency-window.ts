/**
 * The last `capacity` latencies in a ring, with percentiles computed on read (reads are rare): the
 * serving counters and the live monitor's SLA check both keep one.
 */
export class LatencyWindow {
  private readonly values: Float64Array;
  private next = 0;
  private filled = 0;

  constructor(capacity = 10_000) {
    this.values = new Float64Array(capacity);
  }

  add(ms: number): void {
    this.values[this.next] = ms;
    this.next = (this.next + 1) % this.values.length;
    if (this.filled < this.values.length) this.filled++;
  }

  get size(): number {
    return this.filled;
  }

  /** Nearest-rank percentiles (p in 0..100) of the values held; null when empty. */
  percentiles(ps: readonly number[]): (number | null)[] {
    if (this.filled === 0) return ps.map(() => null);
    const sorted = this.values.slice(0, this.filled).sort();
    return ps.map(
      (p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))],
    );
  }

  mean(): number | null {
    if (this.filled === 0) return null;
    let s = 0;
    for (let i = 0; i < this.filled; i++) s += this.values[i];
    return s / this.filled;
  }
}
