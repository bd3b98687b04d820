/**
 * One customer's past, as the point-in-time features need it: running count, sum and sum of
 * squares of all earlier amounts (for the z-score) and per-step buckets of the last 24 steps
 * (for the velocity windows). Batch and online features both go through this class, one
 * customer at a time, which is what keeps training and serving features identical bit for bit.
 *
 * Memory is bounded per customer: at most 25 step buckets (the window plus the current step),
 * however many transactions the customer makes.
 */
export class CustomerHistory {
  /** Number of earlier transactions. */
  n = 0;
  // Kahan-compensated running sums, in the same operation order as pandas' groupby cumsum,
  // so the z-score matches the reference pipeline to the last bit where the inputs agree.
  private sum = 0;
  private sumComp = 0;
  private sumSq = 0;
  private sumSqComp = 0;
  // Ascending distinct steps with their transaction count and amount sum, in [0, buckets).
  // A logical length instead of resizing the arrays: the batch builder resets one history
  // per customer, millions of times, and changing an array's length is a runtime call.
  private buckets = 0;
  private readonly bucketStep: number[] = [];
  private readonly bucketCount: number[] = [];
  private readonly bucketSum: number[] = [];

  /** Forgets everything (the batch builder reuses one history for every customer). */
  reset(): void {
    this.n = 0;
    this.sum = this.sumComp = this.sumSq = this.sumSqComp = 0;
    this.buckets = 0;
  }

  /**
   * The history as plain numbers, for a store shared by several processes (Redis): count, the four
   * running sums, then (step, count, sum) per bucket. `restore` rebuilds the same history bit for
   * bit (JSON keeps every double exactly), so features from a shared history are the batch ones.
   */
  snapshot(): number[] {
    const out = [this.n, this.sum, this.sumComp, this.sumSq, this.sumSqComp];
    for (let i = 0; i < this.buckets; i++)
      out.push(this.bucketStep[i], this.bucketCount[i], this.bucketSum[i]);
    return out;
  }

  /** The history a `snapshot()` was taken of; throws on a malformed one. */
  static restore(s: readonly number[]): CustomerHistory {
    if (!Array.isArray(s) || s.length < 5 || (s.length - 5) % 3 !== 0 || !s.every(Number.isFinite))
      throw new Error("malformed customer history snapshot");
    const h = new CustomerHistory();
    [h.n, h.sum, h.sumComp, h.sumSq, h.sumSqComp] = s;
    for (let i = 5, b = 0; i < s.length; i += 3, b++) {
      h.bucketStep[b] = s[i];
      h.bucketCount[b] = s[i + 1];
      h.bucketSum[b] = s[i + 2];
    }
    h.buckets = (s.length - 5) / 3;
    return h;
  }

  /**
   * z-score of `amount` against all earlier amounts (same-step ones included): 0 for a first
   * transaction or when the earlier amounts have no spread.
   */
  amountZscore(amount: number): number {
    const n = this.n;
    // prev_sum = cumsum_including_this - amount, exactly as the reference computes it.
    const prevSum = this.sum + (amount - this.sumComp) - amount;
    const sq = amount * amount;
    const prevSq = this.sumSq + (sq - this.sumSqComp) - sq;
    const mean = n > 0 ? prevSum / n : amount;
    const variance = n > 1 ? (prevSq - n * (mean * mean)) / (n - 1) : 0;
    const std = Math.sqrt(Math.max(variance, 0));
    return std > 0 ? (amount - mean) / (std + 1e-9) : 0;
  }

  /** Count of earlier transactions with step in [step - window, step): strictly earlier steps. */
  velocityCount(step: number, window: number): number {
    let c = 0;
    for (let i = 0; i < this.buckets; i++) {
      const s = this.bucketStep[i];
      if (s >= step - window && s < step) c += this.bucketCount[i];
    }
    return c;
  }

  /** Sum of amounts of earlier transactions with step in [step - window, step), oldest first. */
  velocityAmount(step: number, window: number): number {
    let a = 0;
    for (let i = 0; i < this.buckets; i++) {
      const s = this.bucketStep[i];
      if (s >= step - window && s < step) a += this.bucketSum[i];
    }
    return a;
  }

  /** Adds a transaction to the history; drops buckets too old for any later window. */
  observe(step: number, amount: number, maxWindow: number): void {
    this.n++;
    let y = amount - this.sumComp;
    let t = this.sum + y;
    this.sumComp = t - this.sum - y;
    this.sum = t;
    const sq = amount * amount;
    y = sq - this.sumSqComp;
    t = this.sumSq + y;
    this.sumSqComp = t - this.sumSq - y;
    this.sumSq = t;

    const steps = this.bucketStep;
    const counts = this.bucketCount;
    const sums = this.bucketSum;
    const k = this.buckets;
    if (k > 0 && steps[k - 1] === step) {
      counts[k - 1]++;
      sums[k - 1] += amount;
      return;
    }
    if (k === 0 || steps[k - 1] < step) {
      steps[k] = step;
      counts[k] = 1;
      sums[k] = amount;
      this.buckets = k + 1;
    } else {
      // Out of order (online input only): keep buckets sorted so windows stay right.
      let i = 0;
      while (steps[i] < step) i++;
      if (steps[i] === step) {
        counts[i]++;
        sums[i] += amount;
        return;
      }
      for (let j = k; j > i; j--) {
        steps[j] = steps[j - 1];
        counts[j] = counts[j - 1];
        sums[j] = sums[j - 1];
      }
      steps[i] = step;
      counts[i] = 1;
      sums[i] = amount;
      this.buckets = k + 1;
    }
    // A new step: drop buckets too old for any later window, shifting in place.
    const m = this.buckets;
    const oldest = steps[m - 1] - maxWindow;
    let drop = 0;
    while (drop < m && steps[drop] < oldest) drop++;
    if (drop > 0) {
      for (let i = drop; i < m; i++) {
        steps[i - drop] = steps[i];
        counts[i - drop] = counts[i];
        sums[i - drop] = sums[i];
      }
      this.buckets = m - drop;
    }
  }
}
