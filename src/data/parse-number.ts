/**
 * Byte-level decimal parsing for CSV fields, straight from the file's Buffer.
 *
 * Why not `Number(buf.toString(...))`: creating a string per field is the dominant cost of
 * reading a 6-million-row file (measured ~4x slower than this scan; see docs/BENCHMARKS.md).
 * The fast path is Clinger's: a mantissa below 2^53 times or divided by an exact power of ten
 * up to 1e22 is one correctly rounded IEEE operation, so the result equals `Number(text)` bit
 * for bit. Anything longer or with a larger exponent falls back to `Number` on the validated text.
 */

const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
const MAX_EXACT = 9007199254740992; // 2^53

const MINUS = 45;
const PLUS = 43;
const DOT = 46;
const ZERO = 48;
const NINE = 57;
const E_UPPER = 69;
const E_LOWER = 101;

/**
 * Parses `buf[start, end)` as a decimal number (`12`, `-3.5`, `.5`, `1.92E+07`).
 * Returns NaN when the bytes are not a plain decimal (empty, letters, `0x10`, `Infinity`...):
 * callers decide what NaN means for their column (an error for PaySim, a missing value elsewhere).
 */
export function parseDecimal(buf: Uint8Array, start: number, end: number): number {
  let i = start;
  if (i >= end) return NaN;
  let negative = false;
  let c = buf[i];
  if (c === MINUS || c === PLUS) {
    negative = c === MINUS;
    i++;
  }
  let mantissa = 0;
  let digits = 0;
  let fracDigits = 0;
  while (i < end && (c = buf[i]) >= ZERO && c <= NINE) {
    mantissa = mantissa * 10 + (c - ZERO);
    digits++;
    i++;
  }
  if (i < end && buf[i] === DOT) {
    i++;
    while (i < end && (c = buf[i]) >= ZERO && c <= NINE) {
      mantissa = mantissa * 10 + (c - ZERO);
      digits++;
      fracDigits++;
      i++;
    }
  }
  if (digits === 0) return NaN;
  let exp = 0;
  if (i < end && ((c = buf[i]) === E_UPPER || c === E_LOWER)) {
    i++;
    let expNegative = false;
    if (i < end && ((c = buf[i]) === MINUS || c === PLUS)) {
      expNegative = c === MINUS;
      i++;
    }
    let expDigits = 0;
    while (i < end && (c = buf[i]) >= ZERO && c <= NINE) {
      if (exp < 100000) exp = exp * 10 + (c - ZERO);
      expDigits++;
      i++;
    }
    if (expDigits === 0) return NaN;
    if (expNegative) exp = -exp;
  }
  if (i !== end) return NaN;
  const exp10 = exp - fracDigits;
  let value: number;
  if (mantissa < MAX_EXACT && exp10 >= -22 && exp10 <= 22) {
    value = exp10 >= 0 ? mantissa * POW10[exp10] : mantissa / POW10[-exp10];
  } else {
    // Validated grammar above, so Number() sees only a plain decimal; it rounds correctly.
    value = Number(Buffer.from(buf.buffer, buf.byteOffset + start, end - start).toString("latin1"));
    return value;
  }
  return negative ? -value : value;
}

/** Parses `buf[start, end)` as a base-10 integer without sign or decimals; NaN otherwise. */
export function parseUnsignedInt(buf: Uint8Array, start: number, end: number): number {
  if (start >= end || end - start > 15) return NaN;
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = buf[i];
    if (c < ZERO || c > NINE) return NaN;
    v = v * 10 + (c - ZERO);
  }
  return v;
}
