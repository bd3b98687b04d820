/** Rows looked at to place quantile cuts; exact below this size, a fixed-stride sample above. */
export const CUT_SAMPLE_ROWS = 262_144;

/** How many rows `takeCutSample` takes of `nRows`. */
export function cutSampleRows(nRows: number): number {
  return Math.min(nRows, CUT_SAMPLE_ROWS);
}

/**
 * Writes into `out` (`cutSampleRows(col.length)` long) the rows of `col` whose cuts are
 * computed: all of them, or evenly spaced ones; float32, the precision the model compares in.
 * Returns whether `col` has a missing value (NaN) anywhere, not only in the sample.
 */
export function takeCutSample(col: ArrayLike<number>, out: Float32Array): boolean {
  const n = col.length;
  const take = out.length;
  // `includes` compares with SameValueZero, so it finds NaN (`indexOf` never does); a typed
  // array's own is native, Array.prototype's on a typed array a slow generic loop. Before the
  // loop, which ends the function (see `computeCuts` for why).
  const hasMissing = ArrayBuffer.isView(col)
    ? (col as unknown as Float64Array).includes(NaN)
    : Array.prototype.includes.call(col, NaN);
  if (take === n) out.set(col);
  else for (let k = 0; k < take; k++) out[k] = col[Math.floor((k * n) / take)];
  return hasMissing;
}

/** Bin edges of one feature: `cuts[b]` is the exclusive upper bound of bin b; the last is +Infinity. */
export interface FeatureCuts {
  cuts: Float32Array;
}

/**
 * Quantile cuts for one feature, from its sample (`takeCutSample`). With at most `maxBins`
 * distinct values every value gets its own bin, and the split thresholds are the data's own
 * values, as XGBoost does; otherwise cuts sit at evenly spaced ranks of the sample, so heavy
 * ties (zeros) keep a bin of their own. Self-contained but for the helpers below (shipped to
 * workers with it).
 *
 * Each loop here and in `sortFloat32` is a function of its own, ending at its loop: V8 compiles a
 * long loop's first run on the stack (OSR) before the code after it has run, and that compiled
 * code, lacking type feedback for what follows, was thrown away at the loop's end, 10-20 times per
 * function and thread in a training's first cuts, each time leaving the rest of the call to the
 * interpreter.
 */
export function computeCuts(col: Float32Array, maxBins: number): FeatureCuts {
  const sample = new Float32Array(col.length);
  // Infinities are values (they fall in the first or last bin) but never a threshold.
  const m = copyFinite(col, sample);
  // Few distinct values (flags, hours, counts): collect them without sorting the whole sample.
  // A sort keeps -0 before 0 and `!==` counts them as one value: the same here.
  const few = new Set<number>();
  const negativeZero = collectDistinct(sample, m, maxBins, few);
  const cuts: number[] = [];
  if (few.size <= maxBins) {
    const distinct = Float32Array.from(few).sort();
    if (negativeZero) distinct[distinct.indexOf(0)] = -0;
    for (let i = 1; i < distinct.length; i++) cuts.push(distinct[i]);
  } else {
    const sorted = sample.subarray(0, m);
    sortFloat32(sorted);
    quantilesAbove(sorted, m, maxBins, cuts);
  }
  cuts.push(Infinity);
  return { cuts: Float32Array.from(cuts) };
}

/** The finite values of `col`, in order, at the start of `out`; returns how many. */
export function copyFinite(col: Float32Array, out: Float32Array): number {
  let m = 0;
  for (let k = 0; k < col.length; k++) {
    const x = col[k];
    if (Number.isFinite(x)) out[m++] = x;
  }
  return m;
}

/** Adds the distinct values of `sample[0, m)` to `few`, stopping past `maxBins`; returns whether -0 was seen. */
export function collectDistinct(sample: Float32Array, m: number, maxBins: number, few: Set<number>): boolean {
  let negativeZero = false;
  for (let k = 0; k < m && few.size <= maxBins; k++) {
    few.add(sample[k]);
    if (sample[k] === 0 && 1 / sample[k] < 0) negativeZero = true;
  }
  return negativeZero;
}

/** Appends to `cuts` the values at evenly spaced ranks of `sorted[0, m)`, each above the smallest and the last. */
export function quantilesAbove(sorted: Float32Array, m: number, maxBins: number, cuts: number[]): void {
  for (let b = 1; b < maxBins; b++) {
    const v = sorted[Math.floor((b * m) / maxBins)];
    if (v > sorted[0] && (cuts.length === 0 || v > cuts[cuts.length - 1])) cuts.push(v);
  }
}

/**
 * Sorts finite float32 values ascending in place, -0 before 0 as `Float32Array.prototype.sort`
 * does: a least-significant-digit radix sort, three passes of 11 bits, over the values' bits
 * mapped to keys in unsigned order (sign bit flipped for positives, all bits for negatives).
 * V8's typed-array sort took 10-30 ms for a 262,144-value sample, most of a feature's cuts time;
 * this takes ~3 ms. Self-contained but for the helpers below (shipped to workers).
 */
export function sortFloat32(a: Float32Array): void {
  const n = a.length;
  const bits = new Int32Array(a.buffer, a.byteOffset, n);
  let keys = new Uint32Array(n);
  let spare = new Uint32Array(n);
  const starts = new Int32Array(2048);
  toOrderKeys(bits, keys);
  for (let shift = 0; shift < 32; shift += 11) {
    countDigits(keys, shift, starts);
    digitStarts(starts);
    scatterByDigit(keys, shift, starts, spare);
    const sorted = spare;
    spare = keys;
    keys = sorted;
  }
  fromOrderKeys(keys, bits);
}

/** Each float32's bits as a key in the values' unsigned order. */
export function toOrderKeys(bits: Int32Array, keys: Uint32Array): void {
  for (let i = 0; i < bits.length; i++) {
    const b = bits[i];
    keys[i] = b ^ ((b >> 31) | 0x80000000);
  }
}

/** `toOrderKeys` undone. */
export function fromOrderKeys(keys: Uint32Array, bits: Int32Array): void {
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    bits[i] = k ^ (((k >> 31) ^ -1) | 0x80000000);
  }
}

/** How many keys have each 11-bit digit at `shift`, into `starts` (2,048 counts). */
export function countDigits(keys: Uint32Array, shift: number, starts: Int32Array): void {
  starts.fill(0);
  for (let i = 0; i < keys.length; i++) starts[(keys[i] >>> shift) & 2047]++;
}

/** Counts turned into each digit's first position. */
export function digitStarts(starts: Int32Array): void {
  let sum = 0;
  for (let d = 0; d < 2048; d++) {
    const c = starts[d];
    starts[d] = sum;
    sum += c;
  }
}

/** Keys into `out` in the order of their digit at `shift`, stably. */
export function scatterByDigit(keys: Uint32Array, shift: number, starts: Int32Array, out: Uint32Array): void {
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    out[starts[(k >>> shift) & 2047]++] = k;
  }
}
