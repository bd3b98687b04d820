import { BadInputError } from "../errors/index.js";
import { fieldText, parseCsvHeader } from "./csv-header.js";
import { float64Column, grow, trim } from "./growable.js";
import { checkInputFile, readLineChunks } from "./line-chunks.js";
import { NameTable } from "./name-table.js";
import { mapPaysimColumns, type ColumnIndex } from "./paysim-columns.js";
import { FastRowParser, fieldRoles, type PaysimColumns } from "./paysim-fast-row.js";
import { TX_TYPES, txTypeCode, type NameLookup, type Transactions } from "./paysim-schema.js";
import { parseDecimal, parseUnsignedInt } from "./parse-number.js";

export interface ReadPaysimOptions {
  /** `fail` (default) stops at the first bad row with its file, line, column and value; `skip` counts and drops it. */
  onBadRows?: "fail" | "skip";
  /**
   * Keep only the first N valid rows (a head sample) and stop reading there. A head sample and not
   * a random one, because the features are per-customer histories: a random subset of rows would
   * silently change every customer's velocity and z-score, a head sample keeps them exact.
   */
  sampleSize?: number;
  /** Called after each chunk with bytes read so far (compressed bytes for .gz) and the file size. */
  onProgress?: (bytes: number, totalBytes: number) => void;
  /**
   * `false` leaves destination accounts un-interned: `tx.nameDest` is all 0 and `tx.destNames`
   * throws if asked for a name. For callers that never look at them (the features use only
   * nameOrig): their hash-table lookups are ~90 ms of a 1M-row read's ~450 ms CPU. Rows with an
   * empty nameDest are still rejected. Default true.
   */
  destinationNames?: boolean;
  /**
   * Money columns (amount and balances) in shared memory, so a worker reads them in place:
   * `lakay features build` turns them into feature columns its CSV writer's worker formats.
   */
  shared?: boolean;
}

export interface PaysimReadResult {
  file: string;
  tx: Transactions;
  /** Rows skipped (with onBadRows "skip"), counted per reason. Empty when nothing was rejected. */
  rejected: Record<string, number>;
  /** The first error message for each reason in `rejected`, to show people why. */
  rejectedExamples: Record<string, string>;
  /** Whether the file has an `isFraud` column. */
  labeled: boolean;
  /** The header's column names, as written in the file. */
  columns: string[];
}

/** Why a row was rejected: stable keys for `rejected` and `--json`. */
export type RejectReason =
  | "wrong_field_count"
  | "invalid_step"
  | "unknown_type"
  | "invalid_number"
  | "negative_amount"
  | "empty_name"
  | "invalid_label";

class RowError {
  constructor(
    readonly reason: RejectReason,
    readonly column: string | undefined,
    readonly message: string,
  ) {}
}

const COMMA = 44;
const NEWLINE = 10;
const CR = 13;
const TYPE_SPELLINGS = [
  ["CASH_IN", 0],
  ["CASH-IN", 0],
  ["CASH_OUT", 1],
  ["CASH-OUT", 1],
  ["DEBIT", 2],
  ["PAYMENT", 3],
  ["TRANSFER", 4],
].map(([s, code]) => ({ bytes: Buffer.from(s as string, "latin1"), code: code as number }));

/**
 * Reads a PaySim-format CSV (`.csv` or `.csv.gz`) into columnar typed arrays, streaming.
 *
 * Why a hand-written byte scanner: it reads each chunk's bytes in place (no string per row or
 * field, no object per row), which is what makes the full 6.3-million-row log load in seconds in
 * bounded memory; a generic CSV library builds strings and arrays per row and is several times
 * slower. It accepts the real files' quirks: whole numbers without a decimal point, exponent
 * notation, `CASH-IN` spellings, CRLF, a BOM, no final newline; columns in any order.
 */
export async function readPaysim(file: string, opts: ReadPaysimOptions = {}): Promise<PaysimReadResult> {
  const skip = opts.onBadRows === "skip";
  const limit = opts.sampleSize ?? Infinity;
  if (!(limit >= 1)) throw new BadInputError(`sample size must be at least 1 (got ${opts.sampleSize})`);
  const totalBytes = await checkInputFile(file);
  const origNames = new NameTable();
  const destNames = opts.destinationNames === false ? undefined : new NameTable();
  const rejected: Record<string, number> = {};
  const rejectedExamples: Record<string, string> = {};

  let cap = Math.min(limit, Math.max(1024, Math.ceil(totalBytes / (file.endsWith(".gz") ? 25 : 70))));
  const cols: PaysimColumns = {
    step: new Int32Array(cap),
    type: new Uint8Array(cap),
    amount: float64Column(cap, opts.shared),
    oldOrg: float64Column(cap, opts.shared),
    newOrig: float64Column(cap, opts.shared),
    oldDest: float64Column(cap, opts.shared),
    newDest: float64Column(cap, opts.shared),
    nameOrig: new Int32Array(cap),
    nameDest: new Int32Array(cap),
    isFraud: new Uint8Array(0),
    isFlagged: new Uint8Array(0),
  };
  let fast: FastRowParser | undefined;

  let col: ColumnIndex | undefined;
  let width = 0;
  let columns: string[] = [];
  let starts = new Int32Array(0);
  let ends = new Int32Array(0);
  let rows = 0;
  let done = false;
  const cursor: LineCursor = { pos: 0, cap: 0 };

  for await (const chunk of readLineChunks(file)) {
    const { buf, end } = chunk;
    let pos = chunk.start;
    let line = chunk.firstLine;
    if (!col) {
      const header = parseCsvHeader(file, chunk);
      columns = header.names;
      col = mapPaysimColumns(file, header.names);
      width = header.names.length;
      starts = new Int32Array(width + 1);
      ends = new Int32Array(width + 1);
      if (col.isFraud >= 0) cols.isFraud = new Uint8Array(cap);
      if (col.isFlaggedFraud >= 0) cols.isFlagged = new Uint8Array(cap);
      fast = new FastRowParser(fieldRoles(col, width), origNames, destNames);
      pos = header.dataStart;
      line++;
    }
    const c = col;
    const fastRow = fast!;
    while (pos < end) {
      cursor.pos = pos;
      cursor.cap = cap;
      const before = rows;
      rows = fastLines(fastRow, buf, end, cols, c, rows, limit, cursor);
      line += rows - before;
      pos = cursor.pos;
      cap = cursor.cap;
      if (rows >= limit) {
        done = true;
        break;
      }
      if (pos >= end) break;
      fastRow.flush(cols, rows);
      // General path: unusual but valid shapes (quotes, negative balances, other names), blank lines, errors.
      // Split the line into fields: one pass over its bytes, recording comma positions.
      let nFields = 0;
      starts[0] = pos;
      let i = pos;
      let b: number;
      while (i < end && (b = buf[i]) !== NEWLINE) {
        if (b === COMMA) {
          if (nFields < width) {
            ends[nFields] = i;
            starts[nFields + 1] = i + 1;
          }
          nFields++;
        }
        i++;
      }
      const next = i + 1;
      let lineEnd = i;
      if (lineEnd > pos && buf[lineEnd - 1] === CR) lineEnd--;
      if (lineEnd === pos) {
        pos = next;
        line++;
        continue; // blank line (e.g. a trailing one)
      }
      if (nFields < width) ends[nFields] = lineEnd;
      nFields++;

      const err =
        nFields !== width
          ? new RowError("wrong_field_count", undefined, `expected ${width} fields, found ${nFields}`)
          : parseRow(buf, starts, ends, c, rows, cols);
      if (err === null) {
        cols.nameOrig[rows] = internName(origNames, buf, starts[c.nameOrig], ends[c.nameOrig]);
        cols.nameDest[rows] = destNames
          ? internName(destNames, buf, starts[c.nameDest], ends[c.nameDest])
          : isEmptyName(buf, starts[c.nameDest], ends[c.nameDest])
            ? -1
            : 0;
        if (cols.nameOrig[rows] < 0 || cols.nameDest[rows] < 0) {
          const which = cols.nameOrig[rows] < 0 ? "nameOrig" : "nameDest";
          const e = new RowError(
            "empty_name",
            which,
            "empty account name (expected a name like C1231006815)",
          );
          if (!skip) throw new BadInputError(e.message, { file, line, column: which });
          count(rejected, rejectedExamples, e, file, line);
        } else if (++rows >= limit) {
          done = true;
          break;
        }
      } else {
        if (!skip) throw new BadInputError(err.message, { file, line, column: err.column });
        count(rejected, rejectedExamples, err, file, line);
      }
      pos = next;
      line++;
    }
    fastRow.flush(cols, rows);
    opts.onProgress?.(chunk.bytesRead, totalBytes);
    if (done) break;
  }
  if (!col) throw new BadInputError("file is empty (expected a header row and data rows)", { file });

  const tx: Transactions = {
    rows,
    step: trim(cols.step, rows),
    type: trim(cols.type, rows),
    amount: trim(cols.amount, rows),
    oldbalanceOrg: trim(cols.oldOrg, rows),
    newbalanceOrig: trim(cols.newOrig, rows),
    oldbalanceDest: trim(cols.oldDest, rows),
    newbalanceDest: trim(cols.newDest, rows),
    nameOrig: trim(cols.nameOrig, rows),
    nameDest: trim(cols.nameDest, rows),
    origNames,
    destNames: destNames ?? UNREAD_NAMES,
  };
  if (col.isFraud >= 0) tx.isFraud = trim(cols.isFraud, rows);
  if (col.isFlaggedFraud >= 0) tx.isFlaggedFraud = trim(cols.isFlagged, rows);
  return { file, tx, rejected, rejectedExamples, labeled: col.isFraud >= 0, columns };
}

/** Where `fastLines` is: the next line's position, the columns' capacity. */
interface LineCursor {
  pos: number;
  cap: number;
}

/**
 * The fast path over one chunk: rows from `at.pos` on (row `rows` of the columns), growing the
 * columns as needed, until a line the fast parser does not take (left to the general path), the
 * chunk's end or `limit` rows; returns the row count, `at` moved past them. A function of its own,
 * called once a chunk: as a loop inside `readPaysim` (an async function resumed once a chunk), V8
 * compiled each chunk's loop on the stack and threw it away at the chunk's end, so much of the loop
 * ran in the interpreter (53-106 ms of `readPaysim`'s own time at 1M rows). `at` is written inside
 * the loop, not after it: code after a loop has no type feedback when the loop is first compiled.
 */
function fastLines(
  fastRow: FastRowParser,
  buf: Uint8Array,
  end: number,
  cols: PaysimColumns,
  c: ColumnIndex,
  rows: number,
  limit: number,
  at: LineCursor,
): number {
  let pos = at.pos;
  let cap = at.cap;
  while (pos < end && rows < limit) {
    if (rows === cap) {
      cap = Math.min(limit, Math.ceil(cap * 1.5) + 1024);
      growColumns(cols, cap, c);
      at.cap = cap;
    }
    const after = fastRow.parseLine(buf, pos, end, cols, rows);
    if (after <= 0) break;
    pos = after;
    at.pos = pos;
    rows++;
  }
  return rows;
}

function growColumns(cols: PaysimColumns, cap: number, c: ColumnIndex): void {
  cols.step = grow(cols.step, cap);
  cols.type = grow(cols.type, cap);
  cols.amount = grow(cols.amount, cap);
  cols.oldOrg = grow(cols.oldOrg, cap);
  cols.newOrig = grow(cols.newOrig, cap);
  cols.oldDest = grow(cols.oldDest, cap);
  cols.newDest = grow(cols.newDest, cap);
  cols.nameOrig = grow(cols.nameOrig, cap);
  cols.nameDest = grow(cols.nameDest, cap);
  if (c.isFraud >= 0) cols.isFraud = grow(cols.isFraud, cap);
  if (c.isFlaggedFraud >= 0) cols.isFlagged = grow(cols.isFlagged, cap);
}

function count(
  rejected: Record<string, number>,
  examples: Record<string, string>,
  err: RowError,
  file: string,
  line: number,
): void {
  rejected[err.reason] = (rejected[err.reason] ?? 0) + 1;
  if (!(err.reason in examples))
    examples[err.reason] = new BadInputError(err.message, { file, line, column: err.column }).message;
}

function internName(table: NameTable, buf: Buffer, start: number, end: number): number {
  if (isQuoted(buf, start, end)) {
    start++;
    end--;
  }
  return start === end ? -1 : table.intern(buf, start, end);
}

function isEmptyName(buf: Buffer, start: number, end: number): boolean {
  return start === end || (isQuoted(buf, start, end) && end - start === 2);
}

function isQuoted(buf: Buffer, start: number, end: number): boolean {
  return end - start >= 2 && buf[start] === 34 && buf[end - 1] === 34;
}

/** `tx.destNames` when the reader was told not to intern them: any lookup is a caller's bug. */
const UNREAD_NAMES: NameLookup = {
  size: 0,
  get(): string {
    throw new Error("destination names were not read (readPaysim with destinationNames: false)");
  },
};

/** Parses and stores every non-name field of row `r`; returns why not, without storing a partial row's meaning. */
function parseRow(
  buf: Buffer,
  starts: Int32Array,
  ends: Int32Array,
  c: ColumnIndex,
  r: number,
  cols: PaysimColumns,
): RowError | null {
  let s = starts[c.step];
  let e = ends[c.step];
  let v = parseUnsignedInt(buf, s, e);
  if (v !== v) v = parseDecimal(buf, s, e);
  if (!(v >= 0 && v <= 2147483647 && Number.isInteger(v)))
    return new RowError(
      "invalid_step",
      "step",
      `"${fieldText(buf, s, e)}" is not a valid step (expected a whole number of hours >= 0)`,
    );
  cols.step[r] = v;

  s = starts[c.type];
  e = ends[c.type];
  const code = matchType(buf, s, e);
  if (code < 0)
    return new RowError(
      "unknown_type",
      "type",
      `unknown transaction type "${fieldText(buf, s, e)}" (expected one of ${TX_TYPES.join(", ")})`,
    );
  cols.type[r] = code;

  s = starts[c.amount];
  e = ends[c.amount];
  v = parseDecimal(buf, s, e);
  if (v !== v)
    return new RowError(
      "invalid_number",
      "amount",
      `"${fieldText(buf, s, e)}" is not a number (expected an amount like 9839.64)`,
    );
  if (v < 0)
    return new RowError(
      "negative_amount",
      "amount",
      `negative amount ${fieldText(buf, s, e)} (amounts are >= 0)`,
    );
  cols.amount[r] = v;

  const err =
    money(buf, starts, ends, c.oldbalanceOrg, "oldbalanceOrg", cols.oldOrg, r) ??
    money(buf, starts, ends, c.newbalanceOrig, "newbalanceOrig", cols.newOrig, r) ??
    money(buf, starts, ends, c.oldbalanceDest, "oldbalanceDest", cols.oldDest, r) ??
    money(buf, starts, ends, c.newbalanceDest, "newbalanceDest", cols.newDest, r);
  if (err) return err;
  if (c.isFraud >= 0) {
    const f = label(buf, starts[c.isFraud], ends[c.isFraud]);
    if (f < 0)
      return new RowError(
        "invalid_label",
        "isFraud",
        `"${fieldText(buf, starts[c.isFraud], ends[c.isFraud])}" is not a label (expected 0 or 1)`,
      );
    cols.isFraud[r] = f;
  }
  if (c.isFlaggedFraud >= 0) {
    const f = label(buf, starts[c.isFlaggedFraud], ends[c.isFlaggedFraud]);
    if (f < 0)
      return new RowError(
        "invalid_label",
        "isFlaggedFraud",
        `"${fieldText(buf, starts[c.isFlaggedFraud], ends[c.isFlaggedFraud])}" is not a label (expected 0 or 1)`,
      );
    cols.isFlagged[r] = f;
  }
  return null;
}

function money(
  buf: Buffer,
  starts: Int32Array,
  ends: Int32Array,
  k: number,
  name: string,
  out: Float64Array,
  r: number,
): RowError | null {
  const v = parseDecimal(buf, starts[k], ends[k]);
  if (v !== v)
    return new RowError(
      "invalid_number",
      name,
      `"${fieldText(buf, starts[k], ends[k])}" is not a number (expected a balance like 170136.0)`,
    );
  out[r] = v;
  return null;
}

function label(buf: Buffer, s: number, e: number): number {
  if (e - s === 1) {
    const b = buf[s];
    return b === 48 ? 0 : b === 49 ? 1 : -1;
  }
  const v = parseDecimal(buf, s, e);
  return v === 0 ? 0 : v === 1 ? 1 : -1;
}

function matchType(buf: Buffer, s: number, e: number): number {
  const len = e - s;
  outer: for (const t of TYPE_SPELLINGS) {
    if (t.bytes.length !== len) continue;
    for (let i = 0; i < len; i++) if (buf[s + i] !== t.bytes[i]) continue outer;
    return t.code;
  }
  return len > 0 && len < 40 ? txTypeCode(buf.toString("latin1", s, e).replace(/^"(.*)"$/, "$1")) : -1;
}
