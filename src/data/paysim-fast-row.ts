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
const PAYMENT = "PAYMENT";
const TRANSFER = "TRANSFER";
const DEBIT = "DEBIT";
const CASH_IN = "CASH_IN";
const CASH_OUT = "CASH_OUT";
/** Bytes a worker reads at a time (see `scanRange`). */
const CHUNK_BYTES = 4 << 20;

/** The constants the fast-path functions use, for a worker program that ships them. */
export const FAST_ROW_CONSTANTS = {
  STEP,
  TYPE,
  AMOUNT,
  OLD_ORG,
  NEW_ORIG,
  OLD_DEST,
  NEW_DEST,
  NAME_ORIG,
  NAME_DEST,
  IS_FRAUD,
  IS_FLAGGED,
  COMMA,
  NEWLINE,
  CR,
  PAYMENT,
  TRANSFER,
  DEBIT,
  CASH_IN,
  CASH_OUT,
  CHUNK_BYTES,
};

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
 * The state of the fast path over one run of lines: the scan position within the current line,
 * and the packed names of the rows parsed so far, waiting to be interned. A plain object and plain
 * functions (not a class) so a worker can run the very same code (see paysim-split-read.ts).
 */
export interface FastScan {
  p: number;
  readonly roles: Uint8Array;
  readonly pow10: Float64Array;
  // Names of parsed rows wait here, packed, until they are interned in one tight loop: the
  // hash-table lookups are cache misses, and back-to-back independent lookups overlap in the
  // CPU where lookups spread through the parse loop do not (measured ~35% of read time saved).
  origKeys: Float64Array;
  destKeys: Float64Array;
  pending: number;
}

export function newFastScan(roles: Uint8Array): FastScan {
  const pow10 = new Float64Array(23);
  for (let i = 0; i < 23; i++) pow10[i] = Number(`1e${i}`);
  return {
    p: 0,
    roles,
    pow10,
    origKeys: new Float64Array(1 << 16),
    destKeys: new Float64Array(1 << 16),
    pending: 0,
  };
}

/**
 * The reader's hot path: parses one well-formed PaySim line in a single pass over its bytes,
 * each field parsed while it is scanned (no split pass, no strings). It recognises only the
 * common shape (plain decimals, PaySim type spellings, letter-and-digits names) and returns -1
 * for anything else; the reader then re-parses that line with the general, slower code, which
 * also writes the precise error. So the fast path never decides that a row is bad.
 *
 * Stores row `r`'s fields in `cols` (names as packed keys in `s`, see `FastScan`); returns the
 * offset after the line's newline (or `end`), or -1.
 */
export function scanLine(
  s: FastScan,
  buf: Uint8Array,
  pos: number,
  end: number,
  cols: PaysimColumns,
  r: number,
): number {
  const roles = s.roles;
  const width = roles.length;
  s.p = pos;
  let origKey = 0;
  let destKey = 0;
  let next = -1;
  for (let f = 0; f < width && next < 0; f++) {
    const role = roles[f];
    switch (role) {
      case STEP: {
        const v = scanNumber(s, buf, end);
        if (!(v >= 0 && v <= 2147483647 && v === Math.floor(v))) return -1;
        cols.step[r] = v;
        break;
      }
      case TYPE: {
        const t = scanType(s, buf, end);
        if (t < 0) return -1;
        cols.type[r] = t;
        break;
      }
      case AMOUNT: {
        const v = scanNumber(s, buf, end);
        if (!(v >= 0)) return -1;
        cols.amount[r] = v;
        break;
      }
      case OLD_ORG:
      case NEW_ORIG:
      case OLD_DEST:
      case NEW_DEST: {
        const v = scanNumber(s, buf, end);
        if (v !== v) return -1;
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
        const key = scanName(s, buf, end);
        if (key === 0) return -1;
        // Kept only once the whole line has parsed, so a rejected row leaves no name behind.
        if (role === NAME_ORIG) origKey = key;
        else destKey = key;
        break;
      }
      case IS_FRAUD:
      case IS_FLAGGED: {
        const b = buf[s.p] - 48;
        if (b !== 0 && b !== 1) return -1;
        s.p++;
        (role === IS_FRAUD ? cols.isFraud : cols.isFlagged)[r] = b;
        break;
      }
      default: {
        let i = s.p;
        let c: number;
        while (i < end && (c = buf[i]) !== COMMA && c !== NEWLINE && c !== CR) i++;
        s.p = i;
      }
    }
    // The field must end exactly at its delimiter: a comma, or the line's end for the last one.
    const i = s.p;
    if (f < width - 1) {
      if (i >= end || buf[i] !== COMMA) return -1;
      s.p = i + 1;
    } else {
      const c = buf[i];
      if (i === end) next = end;
      else if (c === NEWLINE) next = i + 1;
      else if (c === CR && (i + 1 === end || buf[i + 1] === NEWLINE)) next = Math.min(i + 2, end);
      else return -1;
    }
  }
  if (next < 0) return -1;
  if (s.pending === s.origKeys.length) growScanKeys(s);
  s.origKeys[s.pending] = origKey;
  s.destKeys[s.pending++] = destKey;
  return next;
}

function growScanKeys(s: FastScan): void {
  const o = new Float64Array(s.origKeys.length * 2);
  o.set(s.origKeys);
  s.origKeys = o;
  const d = new Float64Array(s.destKeys.length * 2);
  d.set(s.destKeys);
  s.destKeys = d;
}

/** Same grammar and rounding as `parseDecimal`, scanning from `s.p`; NaN if not the fast shape. */
function scanNumber(s: FastScan, buf: Uint8Array, end: number): number {
  let i = s.p;
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
  if (digits === 0 || digits > 15) return NaN;
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
    if (ed === 0) return NaN;
    if (neg) exp = -exp;
  }
  s.p = i;
  const e = exp - frac;
  if (e === 0) return mantissa;
  if (e > 0) return e <= 22 ? mantissa * s.pow10[e] : NaN;
  return e >= -22 ? mantissa / s.pow10[-e] : NaN;
}

/** PaySim's type spellings by their distinguishing bytes; -1 for anything else. */
function scanType(s: FastScan, buf: Uint8Array, end: number): number {
  const start = s.p;
  let i = start;
  while (i < end && buf[i] !== COMMA && buf[i] !== NEWLINE) i++;
  s.p = i;
  const len = i - start;
  const c0 = buf[start];
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
    const b = buf[start + k];
    if (b !== candidate.charCodeAt(k) && !(k === 4 && len !== 5 && b === 45 && c0 === 67)) return -1;
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
function scanName(s: FastScan, buf: Uint8Array, end: number): number {
  const start = s.p;
  const letter = buf[start];
  if (letter < 65 || letter > 90) return 0;
  let i = start + 1;
  let v = 0;
  let c: number;
  while (i < end && (c = buf[i]) >= 48 && c <= 57) {
    v = v * 10 + (c - 48);
    i++;
  }
  const len = i - start;
  if (len < 2 || len > 14 || (buf[start + 1] === 48 && len > 2)) return 0;
  s.p = i;
  return (letter - 64) * 1e13 + v;
}

/**
 * What a second thread made of the file's second half: the rows the fast path took, from the
 * half's first line on, and where it stopped. Its names are numbered locally and given their real
 * ids by the reading thread after its own half's, so ids stay in order of first appearance.
 */
export interface ScannedRange {
  rows: number;
  /** File offset of the first line the fast path did not take; the range's end if it took all. */
  stop: number;
  /** The rows' fields; `nameOrig` and `nameDest` hold ids local to the range (see `localNames`). */
  cols: PaysimColumns;
  /** The packed names of the local ids, in order of first appearance in the range. */
  origNames: Float64Array;
  destNames: Float64Array;
}

/**
 * Parses the lines of bytes [from, to) of `file` with the reader's fast path, from `from` (a line
 * start) until the first line it does not take: the reading thread parses the rest itself with
 * the general code, so blank lines, unusual shapes and bad rows get the exact same treatment
 * (and line numbers, and first-error-wins) as in a one-thread read. Synchronous: it runs in a worker.
 */
export function scanRange(
  fs: typeof import("node:fs"),
  file: string,
  from: number,
  to: number,
  roles: Uint8Array,
  cap: number,
): ScannedRange {
  const scan = newFastScan(roles);
  scan.origKeys = new Float64Array(cap); // sized like the columns: no doubling on the way
  scan.destKeys = new Float64Array(cap);
  let labeled = false;
  let flagged = false;
  for (let k = 0; k < roles.length; k++) {
    if (roles[k] === IS_FRAUD) labeled = true;
    if (roles[k] === IS_FLAGGED) flagged = true;
  }
  const grown = (a: ArrayLike<number> & { set(a: ArrayLike<number>): void; length: number }, n: number) => {
    if (a.length === 0) return a;
    const b = new (a.constructor as new (n: number) => typeof a)(n);
    b.set(a);
    return b;
  };
  let cols: PaysimColumns = {
    step: new Int32Array(cap),
    type: new Uint8Array(cap),
    amount: new Float64Array(cap),
    oldOrg: new Float64Array(cap),
    newOrig: new Float64Array(cap),
    oldDest: new Float64Array(cap),
    newDest: new Float64Array(cap),
    nameOrig: new Int32Array(0),
    nameDest: new Int32Array(0),
    isFraud: new Uint8Array(labeled ? cap : 0),
    isFlagged: new Uint8Array(flagged ? cap : 0),
  };
  const fd = fs.openSync(file, "r");
  let buf = new Uint8Array(CHUNK_BYTES);
  let offset = from; // file offset of buf[0]
  let filled = 0; // bytes of an unfinished line carried to the front
  let rows = 0;
  let stop = -1;
  try {
    while (stop < 0) {
      if (filled === buf.length) {
        const bigger = new Uint8Array(buf.length * 2);
        bigger.set(buf);
        buf = bigger;
      }
      const want = Math.min(buf.length - filled, to - offset - filled);
      const n = want > 0 ? fs.readSync(fd, buf, filled, want, offset + filled) : 0;
      const len = filled + n;
      let lines = len; // at the end, the last line needs no newline
      if (n > 0) {
        const lastNl = buf.lastIndexOf(NEWLINE, len - 1);
        if (lastNl < 0) {
          filled = len;
          continue;
        }
        lines = lastNl + 1;
      }
      let pos = 0;
      while (pos < lines) {
        if (rows === cap) {
          cap = Math.ceil(cap * 1.5) + 1024;
          cols = {
            step: grown(cols.step, cap) as Int32Array,
            type: grown(cols.type, cap) as Uint8Array,
            amount: grown(cols.amount, cap) as Float64Array,
            oldOrg: grown(cols.oldOrg, cap) as Float64Array,
            newOrig: grown(cols.newOrig, cap) as Float64Array,
            oldDest: grown(cols.oldDest, cap) as Float64Array,
            newDest: grown(cols.newDest, cap) as Float64Array,
            nameOrig: cols.nameOrig,
            nameDest: cols.nameDest,
            isFraud: grown(cols.isFraud, cap) as Uint8Array,
            isFlagged: grown(cols.isFlagged, cap) as Uint8Array,
          };
        }
        const next = scanLine(scan, buf, pos, lines, cols, rows);
        if (next < 0) break;
        pos = next;
        rows++;
      }
      if (pos < lines || n === 0) stop = offset + pos;
      else {
        buf.copyWithin(0, lines, len);
        offset += lines;
        filled = len - lines;
      }
    }
  } finally {
    fs.closeSync(fd);
  }
  cols.nameOrig = new Int32Array(rows);
  cols.nameDest = new Int32Array(rows);
  const origNames = localNames(scan.origKeys, rows, cols.nameOrig);
  const destNames = localNames(scan.destKeys, rows, cols.nameDest);
  return { rows, stop, cols, origNames, destNames };
}

/**
 * Numbers the `n` packed names of `keys` in order of first appearance (ids into `ids`) and returns
 * the distinct ones in that order. A worker does this for its range so the reading thread interns
 * each distinct name once (a file has ~4 rows per customer), not once a row: interning those in
 * order gives every name the id a one-thread read would have given it.
 */
export function localNames(keys: Float64Array, n: number, ids: Int32Array): Float64Array {
  let size = 1024;
  while (size < 2 * n) size *= 2;
  const mask = size - 1;
  const slots = new Float64Array(size); // 0 = empty: no packed name is 0
  const slotIds = new Int32Array(size);
  const distinct = new Float64Array(n);
  let count = 0;
  for (let i = 0; i < n; i++) {
    const key = keys[i];
    // NameTable's hash of a packed name.
    let h = Math.imul((key >>> 0) ^ Math.imul((key / 4294967296) >>> 0, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h = (h ^ (h >>> 16)) & mask;
    for (;;) {
      const k = slots[h];
      if (k === key) {
        ids[i] = slotIds[h];
        break;
      }
      if (k === 0) {
        slots[h] = key;
        slotIds[h] = count;
        distinct[count] = key;
        ids[i] = count++;
        break;
      }
      h = (h + 1) & mask;
    }
  }
  return distinct.slice(0, count);
}

/**
 * The fast path's functions, in dependency order, for a worker program that ships them. They live
 * in this one module because a function shipped as source may call only functions of its program
 * (and the test runner rewrites calls across modules).
 */
export const FAST_ROW_FUNCTIONS = [
  newFastScan,
  scanNumber,
  scanType,
  scanName,
  growScanKeys,
  scanLine,
  localNames,
  scanRange,
];

/**
 * Interns `n` packed names in order into `out[base..]`; keys read in file order keep ids in order
 * of first appearance.
 */
export function internKeys(
  table: NameTable,
  keys: Float64Array,
  n: number,
  out: Int32Array,
  base: number,
): void {
  for (let i = 0; i < n; i++) out[base + i] = table.internPacked(keys[i]);
}

/**
 * Gives the local ids of a range's rows (see `localNames`) their ids in `table`, interning the
 * range's distinct names in their order: `out[at + i]` for the range's row i.
 */
export function internLocalNames(
  table: NameTable,
  distinct: Float64Array,
  localIds: Int32Array,
  n: number,
  out: Int32Array,
  at: number,
): void {
  const ids = new Int32Array(distinct.length);
  for (let u = 0; u < distinct.length; u++) ids[u] = table.internPacked(distinct[u]);
  for (let i = 0; i < n; i++) out[at + i] = ids[localIds[i]];
}

/** The fast path on the reading thread: `scanLine`, and `flush` to intern its rows' names. */
export class FastRowParser {
  private readonly scan: FastScan;

  constructor(
    roles: Uint8Array,
    private readonly origNames: NameTable,
    private readonly destNames: NameTable,
  ) {
    this.scan = newFastScan(roles);
  }

  parseLine(buf: Uint8Array, pos: number, end: number, cols: PaysimColumns, r: number): number {
    return scanLine(this.scan, buf, pos, end, cols, r);
  }

  /**
   * Interns the names of the rows parsed since the last flush, which are the rows just before
   * `rows`, in file order (so ids stay in order of first appearance). Call before any other code
   * interns a name, before reading the columns, and at the end.
   */
  flush(cols: PaysimColumns, rows: number): void {
    const s = this.scan;
    const n = s.pending;
    if (n === 0) return;
    internKeys(this.origNames, s.origKeys, n, cols.nameOrig, rows - n);
    internKeys(this.destNames, s.destKeys, n, cols.nameDest, rows - n);
    s.pending = 0;
  }
}
