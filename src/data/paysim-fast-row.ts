import type { NameTable } from "./name-table.js";
import type { ColumnIndex } from "./paysim-columns.js";

/** Columnar output the reader fills; replaced when it grows. */
export interface PaysimColumns {
  step: Int32Array;
  type: Uint8Array;
  amount: Float64Array;
  oldOrg: Float64Array;
  newOrig: Float64Array;
  oldDest: Float64Array;
  newDest: Float64Array;
  nameOrig: Int32Array;
  nameDest: Int32Array;
  isFraud: Uint8Array;
  isFlagged: Uint8Array;
}

const IGNORE = 0;
const STEP = 1;
const TYPE = 2;
const AMOUNT = 3;
const OLD_ORG = 4;
const NEW_ORIG = 5;
const OLD_DEST = 6;
const NEW_DEST = 7;
const NAME_ORIG = 8;
const NAME_DEST = 9;
const IS_FRAUD = 10;
const IS_FLAGGED = 11;

const COMMA = 44;
const NEWLINE = 10;
const CR = 13;
const PAYMENT = Buffer.from("PAYMENT");
const TRANSFER = Buffer.from("TRANSFER");
const DEBIT = Buffer.from("DEBIT");
const CASH_IN = Buffer.from("CASH_IN");
const CASH_OUT = Buffer.from("CASH_OUT");
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));

/** Role of each field of a line, from the header mapping. */
export function fieldRoles(col: ColumnIndex, width: number): Uint8Array {
  const roles = new Uint8Array(width).fill(IGNORE);
  const set: [number, number][] = [
    [col.step, STEP],
    [col.type, TYPE],
    [col.amount, AMOUNT],
    [col.oldbalanceOrg, OLD_ORG],
    [col.newbalanceOrig, NEW_ORIG],
    [col.oldbalanceDest, OLD_DEST],
    [col.newbalanceDest, NEW_DEST],
    [col.nameOrig, NAME_ORIG],
    [col.nameDest, NAME_DEST],
    [col.isFraud, IS_FRAUD],
    [col.isFlaggedFraud, IS_FLAGGED],
  ];
  for (const [k, role] of set) if (k >= 0) roles[k] = role;
  return roles;
}

/**
 * The reader's hot path: parses one well-formed PaySim line in a single pass over its bytes,
 * each field parsed while it is scanned (no split pass, no strings). It recognises only the
 * common shape (plain decimals, PaySim type spellings, letter-and-digits names) and returns -1
 * for anything else; the reader then re-parses that line with the general, slower code, which
 * also writes the precise error. So the fast path never decides that a row is bad.
 *
 * Returns the offset after the line's newline (or `end`), or -1.
 */
export class FastRowParser {
  private p = 0;
  /**
   * Where `number` leaves its value. Returned, a fractional double is boxed (a heap object) when
   * the call is not inlined, and parseLine is too big for it to be: 5 numbers a row were ~80 MB
   * of short-lived garbage at 1M rows. A typed-array slot holds it unboxed.
   */
  private readonly value = new Float64Array(1);
  // Names of parsed rows wait here, packed, until `flush` interns them in one tight loop: the
  // hash-table lookups are cache misses, and back-to-back independent lookups overlap in the
  // CPU where lookups spread through the parse loop do not (measured ~35% of read time saved).
  private origKeys = new Float64Array(1 << 16);
  private destKeys = new Float64Array(1 << 16);
  private pending = 0;

  constructor(
    private readonly roles: Uint8Array,
    private readonly origNames: NameTable,
    /** Undefined: destination names are checked but not interned (their column stays 0). */
    private readonly destNames: NameTable | undefined,
  ) {}

  parseLine(buf: Uint8Array, pos: number, end: number, cols: PaysimColumns, r: number): number {
    const roles = this.roles;
    const width = roles.length;
    this.p = pos;
    let origKey = 0;
    let destKey = 0;
    let next = -1;
    for (let f = 0; f < width && next < 0; f++) {
      const role = roles[f];
      switch (role) {
        case STEP: {
          if (!this.number(buf, end)) return -1;
          const v = this.value[0];
          if (!(v >= 0 && v <= 2147483647 && v === Math.floor(v))) return -1;
          cols.step[r] = v;
          break;
        }
        case TYPE: {
          const t = this.type(buf, end);
          if (t < 0) return -1;
          cols.type[r] = t;
          break;
        }
        case AMOUNT: {
          if (!this.number(buf, end)) return -1;
          const v = this.value[0];
          if (!(v >= 0)) return -1;
          cols.amount[r] = v;
          break;
        }
        case OLD_ORG:
        case NEW_ORIG:
        case OLD_DEST:
        case NEW_DEST: {
          if (!this.number(buf, end)) return -1;
          const v = this.value[0];
          (role === OLD_ORG
            ? cols.oldOrg
            : role === NEW_ORIG
              ? cols.newOrig
              : role === OLD_DEST
                ? cols.oldDest
                : cols.newDest)[r] = v;
          break;
        }
        case NAME_ORIG:
        case NAME_DEST: {
          const key = this.name(buf, end);
          if (key === 0) return -1;
          // Interned only once the whole line has parsed, so a rejected row leaves no name behind.
          if (role === NAME_ORIG) origKey = key;
          else destKey = key;
          break;
        }
        case IS_FRAUD:
        case IS_FLAGGED: {
          const b = buf[this.p] - 48;
          if (b !== 0 && b !== 1) return -1;
          this.p++;
          (role === IS_FRAUD ? cols.isFraud : cols.isFlagged)[r] = b;
          break;
        }
        default: {
          let i = this.p;
          let c: number;
          while (i < end && (c = buf[i]) !== COMMA && c !== NEWLINE && c !== CR) i++;
          this.p = i;
        }
      }
      // The field must end exactly at its delimiter: a comma, or the line's end for the last one.
      const i = this.p;
      if (f < width - 1) {
        if (i >= end || buf[i] !== COMMA) return -1;
        this.p = i + 1;
      } else {
        const c = buf[i];
        if (i === end) next = end;
        else if (c === NEWLINE) next = i + 1;
        else if (c === CR && (i + 1 === end || buf[i + 1] === NEWLINE)) next = Math.min(i + 2, end);
        else return -1;
      }
    }
    if (next < 0) return -1;
    if (this.pending === this.origKeys.length) this.growKeys();
    this.origKeys[this.pending] = origKey;
    this.destKeys[this.pending++] = destKey;
    return next;
  }

  /**
   * Interns the names of the rows parsed since the last flush, which are the rows just before
   * `rows`, in file order (so ids stay in order of first appearance). Call before any other code
   * interns a name, before reading the columns, and at the end.
   */
  flush(cols: PaysimColumns, rows: number): void {
    const n = this.pending;
    if (n === 0) return;
    // Before the loops, not after: code after a long loop has no type feedback when V8 first
    // compiles the loop, and that compiled code was thrown away there, once a chunk.
    this.pending = 0;
    const base = rows - n;
    const orig = this.origNames;
    const dest = this.destNames;
    const ok = this.origKeys;
    const dk = this.destKeys;
    const nameOrig = cols.nameOrig;
    const nameDest = cols.nameDest;
    for (let i = 0; i < n; i++) nameOrig[base + i] = orig.internPacked(ok[i]);
    if (dest) for (let i = 0; i < n; i++) nameDest[base + i] = dest.internPacked(dk[i]);
  }

  private growKeys(): void {
    const o = new Float64Array(this.origKeys.length * 2);
    o.set(this.origKeys);
    this.origKeys = o;
    const d = new Float64Array(this.destKeys.length * 2);
    d.set(this.destKeys);
    this.destKeys = d;
  }

  /**
   * Same grammar and rounding as `parseDecimal`, scanning from `p`: the value in `value[0]` and
   * true, or false if not the fast shape.
   */
  private number(buf: Uint8Array, end: number): boolean {
    let i = this.p;
    let c = 0;
    let mantissa = 0;
    let digits = 0;
    let frac = 0;
    while (i < end && (c = buf[i]) >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48);
      digits++;
      i++;
    }
    if (i < end && c === 46) {
      i++;
      while (i < end && (c = buf[i]) >= 48 && c <= 57) {
        mantissa = mantissa * 10 + (c - 48);
        digits++;
        frac++;
        i++;
      }
    }
    if (digits === 0 || digits > 15) return false;
    let exp = 0;
    if (i < end && (c === 69 || c === 101)) {
      i++;
      let neg = false;
      c = buf[i];
      if (c === 43 || c === 45) {
        neg = c === 45;
        i++;
      }
      let ed = 0;
      while (i < end && (c = buf[i]) >= 48 && c <= 57 && ed < 3) {
        exp = exp * 10 + (c - 48);
        ed++;
        i++;
      }
      if (ed === 0) return false;
      if (neg) exp = -exp;
    }
    this.p = i;
    const e = exp - frac;
    if (e < -22 || e > 22) return false;
    this.value[0] = e === 0 ? mantissa : e > 0 ? mantissa * POW10[e] : mantissa / POW10[-e];
    return true;
  }

  /** PaySim's type spellings by their distinguishing bytes; -1 for anything else. */
  private type(buf: Uint8Array, end: number): number {
    const s = this.p;
    let i = s;
    while (i < end && buf[i] !== COMMA && buf[i] !== NEWLINE) i++;
    this.p = i;
    const len = i - s;
    const c0 = buf[s];
    const candidate =
      c0 === 80
        ? PAYMENT
        : c0 === 84
          ? TRANSFER
          : c0 === 68
            ? DEBIT
            : len === 7
              ? CASH_IN
              : len === 8
                ? CASH_OUT
                : null;
    if (candidate === null || candidate.length !== len) return -1;
    for (let k = 0; k < len; k++) {
      const b = buf[s + k];
      if (b !== candidate[k] && !(k === 4 && len !== 5 && b === 45 && c0 === 67)) return -1;
    }
    return candidate === PAYMENT
      ? 3
      : candidate === TRANSFER
        ? 4
        : candidate === DEBIT
          ? 2
          : candidate === CASH_IN
            ? 0
            : 1;
  }

  /** A packed `letter + digits` name (as NameTable packs it), or 0 for any other shape. */
  private name(buf: Uint8Array, end: number): number {
    const s = this.p;
    const letter = buf[s];
    if (letter < 65 || letter > 90) return 0;
    let i = s + 1;
    let v = 0;
    let c: number;
    while (i < end && (c = buf[i]) >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      i++;
    }
    const len = i - s;
    if (len < 2 || len > 14 || (buf[s + 1] === 48 && len > 2)) return 0;
    this.p = i;
    return (letter - 64) * 1e13 + v;
  }
}
