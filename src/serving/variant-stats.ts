import { LatencyWindow } from "../monitoring/index.js";

/** Bins of the score distribution: [0, 0.1), [0.1, 0.2), ..., [0.9, 1]. */
export const SCORE_BINS = 10;

/** Counts, score distribution and latency of one variant (champion, challenger or shadow). */
export class VariantStats {
  count = 0;
  private scoreSum = 0;
  private latencySum = 0;
  readonly bins = new Array<number>(SCORE_BINS).fill(0);
  readonly latency = new LatencyWindow();

  add(score: number, latencyMs: number): void {
    this.count++;
    this.scoreSum += score;
    this.latencySum += latencyMs;
    this.bins[Math.min(SCORE_BINS - 1, Math.max(0, Math.floor(score * SCORE_BINS)))]++;
    this.latency.add(latencyMs);
  }

  /** The seed's per-variant routing metrics (§5.2). */
  summary(): {
    count: number;
    mean_score: number | null;
    mean_latency_ms: number | null;
    p95_latency_ms: number | null;
  } {
    const [p95] = this.latency.percentiles([95]);
    return {
      count: this.count,
      mean_score: this.count ? round(this.scoreSum / this.count) : null,
      mean_latency_ms: this.count ? round(this.latencySum / this.count) : null,
      p95_latency_ms: p95 === null ? null : round(p95),
    };
  }

  distribution(): {
    count: number;
    mean: number | null;
    bins: { from: number; to: number; count: number }[];
  } {
    return {
      count: this.count,
      mean: this.count ? round(this.scoreSum / this.count) : null,
      bins: this.bins.map((count, i) => ({ from: i / SCORE_BINS, to: (i + 1) / SCORE_BINS, count })),
    };
  }
}

export function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
