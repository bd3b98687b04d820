/**
 * Numbers as text into byte buffers, exactly the characters `String(x)` gives, without making
 * the strings: writing a million-row feature matrix is twelve million numbers, and making a
 * string for each was most of the time it took. Every function here is self-contained (the
 * tables and constants aside) so the CSV writer's worker runs the same code from its source.
 */

/** Decimal places the short-decimal path tries. */
export const MAX_DECIMALS = 8;
/**
 * Scaled values up to here are exact and far apart: ulp(x) stays under a 64th of 10^-k, so no
 * other decimal with at most k+1 places reads back as the same double (see `writeNumber`).
 */
export const MAX_SCALED = 2 ** 46;
/** 10^MAX_DECIMALS, exact. */
export const TOP_SCALE = 10 ** MAX_DECIMALS;

/**
 * Writes rows [r0, r1) of `columns` as CSV lines into `buf` from offset 0 (which must hold 25
 * bytes a cell: "-1.7976931348623157e+308" and a comma); returns the end.
 */
export function formatRows(buf: Buffer, columns: ArrayLike<number>[], r0: number, r1: number): number {
  const width = columns.length;
  let pos = 0;
  for (let r = r0; r < r1; r++) {
    for (let k = 0; k < width; k++) {
      if (k > 0) buf[pos++] = 44;
      pos = writeNumber(buf, pos, columns[k][r]);
    }
    buf[pos++] = 10;
  }
  return pos;
}

/**
 * Writes `x` at `pos` and returns the new end: exactly the characters of `String(x)`, which is
 * the expensive part of writing a big matrix, so the common shapes skip it.
 *
 * - Whole numbers (counts, codes, labels): their digits.
 * - Few decimal places (amounts in cents, short ratios): the digits of m = round(x·10^k) for the
 *   smallest k with m / 10^k === x. Both sides of that test are correctly rounded, so it holds
 *   exactly when the decimal m·10^-k reads back as x. The smallest such k is JavaScript's
 *   shortest round-trip form: a shorter form would have fewer places (it is within an ulp of x, so
 *   its leading digit is at most one place higher) and would have matched at a smaller k, and with
 *   m < 2^46 no two decimals of up to k+1 places fit within an ulp of x, so the form is unique.
 *   Fixed notation is what `String` writes from 1e-6 up to 1e21, which bounds the range.
 *   The loop is tried only if m = round(x·10^8) passes the same test (or is past the bound): when
 *   some k <= 8 matches and m < 2^46, x·10^8 is within 0.02 of the integer m_k·10^(8-k) (x is
 *   within half an ulp, under 2^-34, of m_k·10^-k; the product rounds by under 2^-7), so m is that
 *   integer and m / 10^8 is the double nearest m_k·10^-k, which is x.
 * - Other fractions from 1e-6 to 2^53 (17-digit sums, z-scores): `writeShortestDecimal`, which
 *   writes what `String(x)` would without making the string.
 * - Anything else (tiny or huge magnitudes, -0, the rare value writeShortestDecimal leaves): `String(x)`.
 */
export function writeNumber(buf: Buffer, pos: number, x: number): number {
  if (x !== x) return pos;
  if (Number.isInteger(x) && x > -1e15 && x < 1e15 && !Object.is(x, -0)) {
    if (x < 0) {
      buf[pos++] = 45;
      x = -x;
    }
    if (x < 10) {
      buf[pos++] = 48 + x;
      return pos;
    }
    return writeDigits(buf, pos, x);
  }
  const ax = x < 0 ? -x : x;
  // One test at MAX_DECIMALS places answers for all of them (see the doc comment): a 17-digit
  // value (balance deltas, z-scores: 1.7 million of the 12 million cells at 1M rows) skips the loop.
  const top = Math.round(ax * TOP_SCALE);
  if (ax >= 1e-6 && ax < 1e15 && (top >= MAX_SCALED || top / TOP_SCALE === ax)) {
    let scale = 1;
    for (let k = 1; k <= MAX_DECIMALS; k++) {
      scale *= 10; // exact: 10^k for k <= 22
      const m = Math.round(ax * scale);
      if (m >= MAX_SCALED) break;
      if (m / scale === ax) {
        if (x < 0) buf[pos++] = 45;
        const whole = Math.floor(m / scale);
        let frac = m - whole * scale;
        pos = whole < 10 ? ((buf[pos] = 48 + whole), pos + 1) : writeDigits(buf, pos, whole);
        buf[pos] = 46;
        const end = pos + 1 + k;
        for (let p = end - 1; p > pos; p--) {
          const q = Math.floor(frac / 10);
          buf[p] = 48 + (frac - q * 10);
          frac = q;
        }
        return end;
      }
    }
  }
  if (ax >= 1e-6 && ax < 9007199254740992) {
    const end = writeShortestDecimal(buf, x < 0 ? pos + 1 : pos, ax);
    if (end >= 0) {
      if (x < 0) buf[pos] = 45;
      return end;
    }
  }
  // Copied by hand: `buf.write` is a native call per cell, ~30 % of this path's cost.
  const s = String(x);
  for (let i = 0; i < s.length; i++) buf[pos++] = s.charCodeAt(i);
  return pos;
}

/** The decimal digits of a whole number `x` >= 1 (below 2^53) at `pos`; returns the new end. */
export function writeDigits(buf: Buffer, pos: number, x: number): number {
  let digits = 0;
  for (let t = x; t >= 1; t = Math.floor(t / 10)) digits++;
  let p = pos + digits - 1;
  while (x >= 1) {
    const q = Math.floor(x / 10);
    buf[p--] = 48 + (x - q * 10);
    x = q;
  }
  return pos + digits;
}

/** 10^0 .. 10^22 and 5^0 .. 5^22: every one exact as a double (5^22 < 2^53). */
export const POW10: readonly number[] = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
export const POW5: readonly number[] = POW10.map((p, i) => p / 2 ** i);
/** 2^-53·(1 + 2^-52): see `writeShortestDecimal`. */
export const NEIGHBOUR_STEP = 2 ** -53 * (1 + 2 ** -52);

/**
 * Writes `x` (not a whole number, 1e-6 <= x < 2^53) at `pos` exactly as `String(x)` would,
 * without creating the string; returns the new end, or -1 in the rare cases it leaves to
 * `String` (an exact tie to break, a decimal exactly on the rounding boundary).
 *
 * Why by hand: `String(x)` on a 17-digit value costs ~270 ns here, most of it the string's
 * allocation and the garbage collection after it (fresh pages faulted in at ~10 us each on the
 * VMs we run on); balance deltas and z-scores are 1.7 million of the 12 million cells a 1M-row
 * feature file has, and were two thirds of the time spent formatting it.
 *
 * The method: ECMAScript's Number::toString takes the fewest significant digits that read back
 * as x, and of those the decimal nearest x. Here that is decided exactly:
 * - X = x·10^s with s chosen so that 10^16 <= X < 10^17, exactly: x·5^s by Dekker's product
 *   (an exact double-double), then ·2^s. The product's rounded part is a whole number (every
 *   double from 2^53 on is), so X = hi·10^9 + lo + frac with whole hi, lo and |frac| <= 1/2.
 * - A decimal reads back as x when it lies within half the gap to x's neighbours (scaled by
 *   10^s: `below`, `above`, exact; the gap below is half as wide at a power of two). Those half
 *   gaps are at most 11.1 here (X·2^-53), so the window holds at most one multiple of 100.
 * - If a multiple of 100 is inside, it is the answer (any multiple of a higher power of ten
 *   inside would be that one too; its trailing zeros are dropped when written). Else the
 *   nearest multiple of 10 inside, else the nearest whole number inside (of each, the three
 *   next to X: one further out on a side is inside only if the nearer one is too).
 * Distances are exact while small (sums of small whole numbers and frac), and rounding is
 * monotonic, so each strict comparison is decided right; equalities defer to `String`.
 */
export function writeShortestDecimal(buf: Buffer, pos: number, x: number): number {
  // E = floor(log10 x), give or take one (the scaling loop corrects it): Math.log10 or log2
  // cost a third of this function.
  let E = 0;
  if (x >= 1) while (E < 15 && x >= POW10[E + 1]) E++;
  else for (E = -1; E > -6 && x * POW10[-E] < 1;) E--;
  // Scale: 10^16 <= X < 10^17, with s in [1, 22] so that 5^s is exact.
  let s = Math.min(22, 16 - E);
  let top: number;
  let err: number;
  for (let attempt = 0; ; attempt++) {
    if (attempt === 3 || s < 1 || s > 22) return -1;
    const five = POW5[s];
    // Dekker: x·five = p + e exactly (Veltkamp splits of both factors at 2^27 + 1).
    const p = x * five;
    let t = 134217729 * x;
    const xh = t - (t - x);
    const xl = x - xh;
    t = 134217729 * five;
    const fh = t - (t - five);
    const fl = five - fh;
    const e = xh * fh - p + xh * fl + xl * fh + xl * fl;
    const two = POW10[s] / five; // 2^s
    top = p * two;
    err = e * two;
    if (top < 1e16) s++;
    else if (top >= 1e17) s--;
    else break;
  }
  // The gaps to x's neighbours, from them (Rump et al., "Computing predecessor and successor in
  // rounding to nearest", 2009: x ± x·2^-53·(1 + 2^-52) rounds to each neighbour, and the
  // differences are exact); halved and scaled exactly (powers of two times 10^s).
  const step = x * NEIGHBOUR_STEP;
  const above = (x + step - x) * POW10[s] * 0.5;
  const below = (x - (x - step)) * POW10[s] * 0.5;
  const whole = Math.round(err);
  const frac = err - whole; // exact: err's bits less its whole part
  let hi = Math.floor(top / 1e9);
  let lo = top - hi * 1e9 + whole; // exact: hi·10^9 is (hi·5^9)·2^9 with hi·5^9 < 2^53
  if (lo < 0) {
    lo += 1e9;
    hi--;
  } else if (lo >= 1e9) {
    lo -= 1e9;
    hi++;
  }
  const loInt = lo | 0;
  // The nearest multiple inside of 100, else of 10, else of 1, as an offset from lo (the units
  // are literals: a variable divisor made each % a floating-point call).
  let best = nearestInside(loInt % 100, 100, frac, below, above);
  if (best === NONE) best = nearestInside(loInt % 10, 10, frac, below, above);
  if (best === NONE) best = nearestInside(0, 1, frac, below, above);
  if (best === NONE || best === UNSURE) return -1;
  let clo = loInt + best;
  if (clo < 0) {
    clo += 1e9;
    hi--;
  } else if (clo >= 1e9) {
    clo -= 1e9;
    hi++;
  }
  return writeScaledDigits(buf, pos, hi, clo, s);
}

/** `nearestInside` found no candidate inside, or one it cannot decide (a boundary, a tie). */
export const NONE = 1e9;
export const UNSURE = 2e9;

/**
 * Of the multiples of `unit` next to X (X is r + frac above one of them), the offset of the
 * nearest one that reads back as x, from the multiple r under X's whole part; NONE or UNSURE.
 */
export function nearestInside(r: number, unit: number, frac: number, below: number, above: number): number {
  // Most often neither neighbouring multiple is near enough (the one further down neither).
  if (r + frac > below && -(r - unit + frac) > above) return NONE;
  let best = NONE;
  let bestDist = -1;
  for (let t = -1; t <= 1; t++) {
    const d = r - t * unit + frac; // X minus the candidate
    if (d === below || -d === above) return UNSURE; // on a boundary: String decides
    if (d >= 0 ? d >= below : -d >= above) continue;
    const dist = d < 0 ? -d : d;
    if (dist === bestDist) return UNSURE; // an exact tie
    if (bestDist < 0 || dist < bestDist) {
      best = t * unit - r;
      bestDist = dist;
    }
  }
  return best;
}

/**
 * Writes the decimal (chi·10^9 + clo)·10^-s, 1 <= chi < 10^9, in Number::toString's fixed
 * notation, trailing zeros dropped; -1 when that notation would not be fixed or the value is whole.
 */
export function writeScaledDigits(buf: Buffer, pos: number, chi: number, clo: number, s: number): number {
  // Whole numbers below 10^9: int32 arithmetic, which V8 keeps exact and fast.
  let high = chi | 0;
  let low = clo | 0;
  let hiDigits = 1;
  for (let t = 10; t <= high && hiDigits < 9; t *= 10) hiDigits++;
  const digits = hiDigits + 9;
  // Drop trailing zeros: the first `last` digits are significant; -1 in `low` when none is in clo.
  let last = digits;
  if (low === 0) {
    last = hiDigits;
    low = -1;
    while (high % 10 === 0) {
      high = (high / 10) | 0;
      last--;
    }
  } else
    while (low % 10 === 0) {
      low = (low / 10) | 0;
      last--;
    }
  const point = digits - s; // digits before the decimal point
  if (point > 21 || point <= -6 || last <= point) return -1;
  // Right to left: digit i (from the left, 0-based) of the significand, the point before digit `point`.
  const lead = point <= 0 ? 2 - point : 0; // "0.", then zeros
  const end = pos + lead + last + (point > 0 ? 1 : 0);
  let p = end - 1;
  for (let i = last - 1; i >= 0; i--) {
    let d: number;
    if (i >= hiDigits) {
      const q = (low / 10) | 0;
      d = low - q * 10;
      low = q;
    } else {
      const q = (high / 10) | 0;
      d = high - q * 10;
      high = q;
    }
    buf[p--] = 48 + d;
    if (i === point && point > 0) buf[p--] = 46;
  }
  if (lead > 0) {
    buf[pos] = 48;
    buf[pos + 1] = 46;
    for (let i = pos + 2; i < pos + lead; i++) buf[i] = 48;
  }
  return end;
}
