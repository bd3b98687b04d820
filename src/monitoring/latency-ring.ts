/** The last `capacity` latencies, with nearest-rank percentiles computed on read (reads are rare). */
export class LatencyRing {
  private readonly values: Float64Array;
  private next = 0;
  private filled = 0;

  constructor(capacity: number) {
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

  percentiles(ps: readonly number[]): (number | null)[] {
    if (this.filled === 0) return ps.map(() => null);
    const sorted = this.values.slice(0, this.filled).sort();
    return ps.map(
      (p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))],
    );
  }
}
