import { LONG_WINDOW } from "./compute-features.js";

/** The histories of a page of slots, in columns. */
interface HistoryPage {
  /** Per slot: n, sum, sumComp, sumSq, sumSqComp. */
  stats: Float64Array;
  /** Per slot: its bucket count (integers: bucket indexes computed from a double count are slower). */
  sizes: Int32Array;
  /** Per slot, BUCKET_CAPACITY buckets each: step (a whole hour), transaction count, amount sum. */
  steps: Int32Array;
  counts: Int32Array;
  sums: Float64Array;
}

/**
 * The storage of many customers' histories, in columns by slot: a serving process remembers up to
 * a million customers, and as objects (a history, its four running sums as boxed numbers, three
 * arrays and their stores) each was about a dozen objects for the garbage collector to copy once
 * and then mark on every full collection. Here they are typed arrays in pages of `2 ** pageBits`
 * slots, added as slots are used: growing never copies what is there (doubling one set of arrays
 * at 100,000 customers held a request for tens of milliseconds).
 */
export class CustomerHistoryTable {
  readonly pages: HistoryPage[] = [];

  constructor(readonly pageBits = 12) {}

  /** The page holding `slot`, added (with any before it) when missing. */
  page(slot: number): HistoryPage {
    const index = slot >>> this.pageBits;
    while (this.pages.length <= index) {
      const n = 1 << this.pageBits;
      this.pages.push({
        stats: new Float64Array(n * STATS),
        sizes: new Int32Array(n),
        steps: new Int32Array(n * BUCKET_CAPACITY),
        counts: new Int32Array(n * BUCKET_CAPACITY),
        sums: new Float64Array(n * BUCKET_CAPACITY),
      });
    }
    return this.pages[index];
  }
}

/** Numbers per slot in a page's `stats`. */
const STATS = 5;
const N = 0;
const SUM = 1;
const SUM_COMP = 2;
const SUM_SQ = 3;
const SUM_SQ_COMP = 4;

/**
 * Buckets a history holds at most: one per step of the longest window plus the current step, and
 * one more while an out-of-order step is put in place before the oldest is dropped (steps are
 * whole hours: PaySim's, or a timestamp's hours since the configured epoch).
 */
export const BUCKET_CAPACITY = LONG_WINDOW + 2;

/**
 * One customer's past, as the point-in-time features need it: running count, sum and sum of
 * squares of all earlier amounts (for the z-score) and per-step buckets of the last 24 steps
 * (for the velocity windows). Batch and online features both go through this class, one
 * customer at a time, which is what keeps training and serving features identical bit for bit.
 *
 * The numbers live in a `CustomerHistoryTable` at one slot: a history of its own (one slot, the
 * default), or a view the online state moves from customer to customer (`moveTo`). Memory is
 * bounded per customer: at most BUCKET_CAPACITY step buckets, however many transactions the
 * customer makes.
 */
export class CustomerHistory {
  private readonly table: CustomerHistoryTable;
  /** The page of this history's slot, where its numbers start in `stats`, and its buckets. */
  private page!: HistoryPage;
  private slot = 0;
  private at = 0;
  private bucketAt = 0;

  constructor(table: CustomerHistoryTable = new CustomerHistoryTable(0), slot = 0) {
    this.table = table;
    this.moveTo(slot);
  }

  /** Makes this the history at `slot` of its table (its page added when missing). */
  moveTo(slot: number): this {
    const local = slot & ((1 << this.table.pageBits) - 1);
    this.page = this.table.page(slot);
    this.slot = local;
    this.at = local * STATS;
    this.bucketAt = local * BUCKET_CAPACITY;
    return this;
  }

  /** Number of earlier transactions. */
  get n(): number {
    return this.page.stats[this.at + N];
  }

  /** Forgets everything (the batch builder reuses one history for every customer). */
  reset(): void {
    // Five stores, not `fill`: the batch builder resets once a customer, and most PaySim customers
    // have one transaction (a builtin call each, with a double bucket count, took the builder's
    // history loop from 45 to 70 ms at 1M rows).
    const { stats, sizes } = this.page;
    const s = this.at;
    stats[s + N] = stats[s + SUM] = stats[s + SUM_COMP] = stats[s + SUM_SQ] = stats[s + SUM_SQ_COMP] = 0;
    sizes[this.slot] = 0;
  }

  /**
   * The history as plain numbers, for a store shared by several processes (Redis): count, the four
   * running sums, then (step, count, sum) per bucket. `restore` rebuilds the same history bit for
   * bit (JSON keeps every double exactly), so features from a shared history are the batch ones.
   */
  snapshot(): number[] {
    const { stats, steps, counts, sums } = this.page;
    const s = this.at;
    const out = [
      stats[s + N],
      stats[s + SUM],
      stats[s + SUM_COMP],
      stats[s + SUM_SQ],
      stats[s + SUM_SQ_COMP],
    ];
    for (let i = 0, b = this.bucketAt; i < this.page.sizes[this.slot]; i++, b++)
      out.push(steps[b], counts[b], sums[b]);
    return out;
  }

  /** The history a `snapshot()` was taken of; throws on a malformed one. */
  static restore(s: readonly number[]): CustomerHistory {
    if (
      !Array.isArray(s) ||
      s.length < 5 ||
      (s.length - 5) % 3 !== 0 ||
      (s.length - 5) / 3 > BUCKET_CAPACITY ||
      !s.every(Number.isFinite) ||
      !s.every((x, i) => i < 5 || (i - 5) % 3 === 2 || Number.isInteger(x))
    )
      throw new Error("malformed customer history snapshot");
    const h = new CustomerHistory();
    const { stats, steps, counts, sums } = h.page;
    for (let i = 0; i < 5; i++) stats[i] = s[i];
    for (let i = 5, b = 0; i < s.length; i += 3, b++) {
      steps[b] = s[i];
      counts[b] = s[i + 1];
      sums[b] = s[i + 2];
    }
    h.page.sizes[0] = (s.length - 5) / 3;
    return h;
  }

  /**
   * z-score of `amount` against all earlier amounts (same-step ones included): 0 for a first
   * transaction or when the earlier amounts have no spread.
   */
  amountZscore(amount: number): number {
    const stats = this.page.stats;
    const s = this.at;
    const n = stats[s + N];
    // prev_sum = cumsum_including_this - amount, exactly as the reference computes it.
    const prevSum = stats[s + SUM] + (amount - stats[s + SUM_COMP]) - amount;
    const sq = amount * amount;
    const prevSq = stats[s + SUM_SQ] + (sq - stats[s + SUM_SQ_COMP]) - sq;
    const mean = n > 0 ? prevSum / n : amount;
    const variance = n > 1 ? (prevSq - n * (mean * mean)) / (n - 1) : 0;
    const std = Math.sqrt(Math.max(variance, 0));
    return std > 0 ? (amount - mean) / (std + 1e-9) : 0;
  }

  /** Count of earlier transactions with step in [step - window, step): strictly earlier steps. */
  velocityCount(step: number, window: number): number {
    const { steps, counts } = this.page;
    const end = this.bucketAt + this.page.sizes[this.slot];
    let c = 0;
    for (let b = this.bucketAt; b < end; b++) {
      const s = steps[b];
      if (s >= step - window && s < step) c += counts[b];
    }
    return c;
  }

  /** Sum of amounts of earlier transactions with step in [step - window, step), oldest first. */
  velocityAmount(step: number, window: number): number {
    const { steps, sums } = this.page;
    const end = this.bucketAt + this.page.sizes[this.slot];
    let a = 0;
    for (let b = this.bucketAt; b < end; b++) {
      const s = steps[b];
      if (s >= step - window && s < step) a += sums[b];
    }
    return a;
  }

  /**
   * Adds a transaction to the history; drops buckets too old for any later window (at most
   * `LONG_WINDOW`). `step` is a whole hour (the online state checks it, see `wholeHour`).
   */
  observe(step: number, amount: number, maxWindow: number): void {
    const { stats, steps, counts, sums } = this.page;
    const s = this.at;
    stats[s + N]++;
    let y = amount - stats[s + SUM_COMP];
    let t = stats[s + SUM] + y;
    stats[s + SUM_COMP] = t - stats[s + SUM] - y;
    stats[s + SUM] = t;
    const sq = amount * amount;
    y = sq - stats[s + SUM_SQ_COMP];
    t = stats[s + SUM_SQ] + y;
    stats[s + SUM_SQ_COMP] = t - stats[s + SUM_SQ] - y;
    stats[s + SUM_SQ] = t;

    const o = this.bucketAt;
    const k = this.page.sizes[this.slot];
    if (k > 0 && steps[o + k - 1] === step) {
      counts[o + k - 1]++;
      sums[o + k - 1] += amount;
      return;
    }
    if (k === 0 || steps[o + k - 1] < step) {
      steps[o + k] = step;
      counts[o + k] = 1;
      sums[o + k] = amount;
    } else {
      // Out of order (online input only): keep buckets sorted so windows stay right.
      let i = 0;
      while (steps[o + i] < step) i++;
      if (steps[o + i] === step) {
        counts[o + i]++;
        sums[o + i] += amount;
        return;
      }
      for (let j = k; j > i; j--) {
        steps[o + j] = steps[o + j - 1];
        counts[o + j] = counts[o + j - 1];
        sums[o + j] = sums[o + j - 1];
      }
      steps[o + i] = step;
      counts[o + i] = 1;
      sums[o + i] = amount;
    }
    // A new step: drop buckets too old for any later window, shifting in place.
    const m = k + 1;
    const oldest = steps[o + m - 1] - maxWindow;
    let drop = 0;
    while (drop < m && steps[o + drop] < oldest) drop++;
    if (drop > 0)
      for (let i = drop; i < m; i++) {
        steps[o + i - drop] = steps[o + i];
        counts[o + i - drop] = counts[o + i];
        sums[o + i - drop] = sums[o + i];
      }
    this.page.sizes[this.slot] = m - drop;
  }
}
