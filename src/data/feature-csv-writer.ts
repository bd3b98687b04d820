import { open } from "node:fs/promises";
import { BadInputError } from "../errors/index.js";

const FLUSH_BYTES = 1 << 20;

/**
 * Writes a numeric matrix as CSV, streaming (about 1 MB buffered) so millions of rows never
 * become one string. Numbers are written in JavaScript's shortest round-trip form, so reading
 * the file back gives the same doubles bit for bit; NaN is an empty cell.
 */
export async function writeFeatureCsv(
  file: string,
  names: readonly string[],
  columns: ArrayLike<number>[],
  rows: number,
): Promise<void> {
  if (names.length !== columns.length)
    throw new BadInputError(`${names.length} column names for ${columns.length} columns`, { file });
  for (const n of names)
    if (/[,"\r\n]/.test(n) || n === "")
      throw new BadInputError(`column name "${n}" cannot be written to CSV`, { file });
  let fh;
  try {
    fh = await open(file, "w");
  } catch (err) {
    throw new BadInputError(`cannot write file (${(err as NodeJS.ErrnoException).code ?? String(err)})`, {
      file,
    });
  }
  try {
    const buf = Buffer.allocUnsafe(FLUSH_BYTES + 64 * 1024);
    let pos = buf.write(names.join(",") + "\n", 0, "latin1");
    const width = columns.length;
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < width; k++) {
        if (k > 0) buf[pos++] = 44;
        pos = writeNumber(buf, pos, columns[k][r]);
      }
      buf[pos++] = 10;
      if (pos >= FLUSH_BYTES) {
        await fh.write(buf, 0, pos);
        pos = 0;
      }
    }
    if (pos > 0) await fh.write(buf, 0, pos);
  } finally {
    await fh.close();
  }
}

/** Decimal places the fast path tries before handing a number to `String`. */
const MAX_DECIMALS = 8;
const POW10 = Array.from({ length: MAX_DECIMALS + 1 }, (_, k) => 10 ** k);
/**
 * Scaled values up to here are exact and far apart: ulp(x) stays under a 64th of 10^-k, so no
 * other decimal with at most k+1 places reads back as the same double (see `writeNumber`).
 */
const MAX_SCALED = 2 ** 46;

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
 * - Anything else (17-digit sums, tiny or huge magnitudes, -0): `String(x)`.
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
  if (ax >= 1e-6 && ax < 1e15) {
    for (let k = 1; k <= MAX_DECIMALS; k++) {
      const scale = POW10[k];
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
  return pos + buf.write(String(x), pos, "latin1");
}

/** The decimal digits of a whole number `x` >= 1 (below 2^53) at `pos`; returns the new end. */
function writeDigits(buf: Buffer, pos: number, x: number): number {
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
