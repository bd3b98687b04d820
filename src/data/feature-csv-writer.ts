import { open, type FileHandle } from "node:fs/promises";
import { BadInputError } from "../errors/index.js";
import { ProgramWorker, type WorkerProgram } from "../gbdt/function-worker.js";

/** Decimal places the fast path tries before handing a number to `String`. */
const MAX_DECIMALS = 8;
/**
 * Scaled values up to here are exact and far apart: ulp(x) stays under a 64th of 10^-k, so no
 * other decimal with at most k+1 places reads back as the same double (see `writeNumber`).
 */
const MAX_SCALED = 2 ** 46;
/** 10^MAX_DECIMALS, exact. */
const TOP_SCALE = 10 ** MAX_DECIMALS;

/** Rows formatted into one buffer before it is written (a few MB at the widest rows). */
const CHUNK_ROWS = 16_384;
/** The longest cell `writeNumber` writes ("-1.7976931348623157e+308"), plus its comma. */
const MAX_CELL = 25;
/** From this many rows a worker thread formats the second half while this thread does the first. */
const PARALLEL_ROWS = 100_000;

/**
 * Writes a numeric matrix as CSV, streaming (one chunk of rows formatted at a time) so millions of
 * rows never become one string. Numbers are written in JavaScript's shortest round-trip form, so
 * reading the file back gives the same doubles bit for bit; NaN is an empty cell.
 *
 * Formatting numbers is most of the cost, so from PARALLEL_ROWS rows a worker formats the second
 * half of the rows into buffers it hands back, while this thread formats and writes the first half;
 * then, rather than wait for the worker's next buffer, this thread formats the worker's last
 * unclaimed chunks itself (the worker starts later and its code starts cold: at load 5 this thread
 * waited 60-180 ms for it). The file is the same bytes either way (the same functions format every row).
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
  let fh: FileHandle;
  try {
    fh = await open(file, "w");
  } catch (err) {
    throw new BadInputError(`cannot write file (${(err as NodeJS.ErrnoException).code ?? String(err)})`, {
      file,
    });
  }
  const half = rows >= PARALLEL_ROWS ? rows >> 1 : rows;
  const helper = half < rows ? startHelper(columns, half, rows) : undefined;
  try {
    await fh.write(names.join(",") + "\n", null, "latin1");
    // Two buffers: one is formatted while the other is being written.
    const size = Math.min(CHUNK_ROWS, Math.max(half, 1)) * (columns.length * MAX_CELL + 1);
    const bufs = [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)];
    let writing: Promise<unknown> = Promise.resolve();
    for (let r0 = 0, i = 0; r0 < half; r0 += CHUNK_ROWS, i ^= 1) {
      const end = formatRows(bufs[i], columns, r0, Math.min(half, r0 + CHUNK_ROWS));
      await writing;
      writing = fh.write(bufs[i], 0, end);
    }
    await writing;
    if (helper) {
      // The helper's chunks in order; while the next one is not in yet, this thread formats the
      // helper's last unclaimed chunk itself instead of waiting (written after the helper's).
      const taken: Buffer[] = [];
      for (;;) {
        if (!helper.ready()) {
          const c = helper.takeLast();
          if (c >= 0) {
            const r0 = half + c * CHUNK_ROWS;
            const buf = Buffer.allocUnsafe(CHUNK_ROWS * (columns.length * MAX_CELL + 1));
            taken.push(buf.subarray(0, formatRows(buf, columns, r0, Math.min(rows, r0 + CHUNK_ROWS))));
            continue;
          }
        }
        const chunk = await helper.next();
        if (chunk === null) break;
        await fh.write(chunk.bytes, 0, chunk.end);
      }
      for (const buf of taken.reverse()) await fh.write(buf);
    }
  } finally {
    await helper?.close();
    await fh.close();
  }
}

/**
 * Writes rows [r0, r1) of `columns` as CSV lines into `buf` from offset 0 (which must hold
 * MAX_CELL bytes a cell); returns the end. Self-contained: it also runs in the helper worker.
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

/** The helper's program: format its rows chunk by chunk, each buffer handed over as it is done. */
export const CSV_FORMAT_WORKER: WorkerProgram = {
  name: "CSV formatting",
  constants: { CHUNK_ROWS, MAX_CELL, MAX_DECIMALS, MAX_SCALED, TOP_SCALE },
  functions: [writeDigits, writeNumber, formatRows, claimChunk],
  main: `
const { parentPort, workerData: d } = require("node:worker_threads");
const { Buffer } = require("node:buffer");
let own = 0;
const claim = () => (d.claims ? claimChunk(d.claims, false) : own * CHUNK_ROWS < d.rows ? own++ : -1);
for (let c; (c = claim()) >= 0; ) {
  const r0 = c * CHUNK_ROWS;
  const r1 = Math.min(d.rows, r0 + CHUNK_ROWS);
  const buf = Buffer.allocUnsafeSlow((r1 - r0) * (d.columns.length * MAX_CELL + 1));
  const end = formatRows(buf, d.columns, r0, r1);
  parentPort.postMessage({ bytes: buf.buffer, end }, [buf.buffer]);
}
parentPort.postMessage(null);
// Stay up until the owner terminates it: an exit of its own would race the last messages.
parentPort.on("message", () => {});`,
};

interface Helper {
  /** Whether `next` has a chunk (or the end) already received. */
  ready(): boolean;
  /** The next formatted chunk in row order, or null when the helper's rows are done. */
  next(): Promise<{ bytes: Buffer; end: number } | null>;
  /** Claims the helper's last chunk not yet claimed by either thread (its index), or -1. */
  takeLast(): number;
  close(): Promise<void>;
}

/**
 * Claims a chunk of the helper's rows for one of the two threads: the helper takes them from the
 * front, the owner from the back, one compare-and-swap on a word holding both ends (front in the
 * low 16 bits, back in the high 16), so no chunk is formatted twice or skipped. Returns the chunk
 * index, or -1 when the two ends have met. Self-contained: it also runs in the helper worker.
 */
export function claimChunk(claims: Uint32Array, fromBack: boolean): number {
  for (;;) {
    const word = Atomics.load(claims, 0);
    const front = word & 0xffff;
    const back = word >>> 16;
    if (front >= back) return -1;
    const next = fromBack ? ((back - 1) << 16) | front : (back << 16) | (front + 1);
    if (Atomics.compareExchange(claims, 0, word, next >>> 0) === word) return fromBack ? back - 1 : front;
  }
}

/**
 * Starts a worker on rows [from, to). A column in shared memory is handed over as a view of those
 * rows; any other gets a copy of them, transferred, not cloned twice (at 1M rows, copying the 11
 * feature columns' half was ~40 ms and 44 MB of fresh pages).
 */
function startHelper(columns: ArrayLike<number>[], from: number, to: number): Helper {
  const part = columns.map((c) => {
    const typed = ArrayBuffer.isView(c) ? (c as unknown as Float64Array) : Float64Array.from(c);
    return typed.buffer instanceof SharedArrayBuffer ? typed.subarray(from, to) : typed.slice(from, to);
  });
  const chunks = Math.ceil((to - from) / CHUNK_ROWS);
  // Past 65,535 chunks (a billion rows) the ends do not fit the claim word: the helper takes all.
  const claims = new Uint32Array(new SharedArrayBuffer(4));
  claims[0] = chunks <= 0xffff ? chunks << 16 : 0;
  const worker = new ProgramWorker(CSV_FORMAT_WORKER, {
    workerData: { columns: part, rows: to - from, claims: chunks <= 0xffff ? claims : null },
    transferList: part.flatMap((c) => (c.buffer instanceof SharedArrayBuffer ? [] : [c.buffer])),
  });
  // Every message is queued from the start, so none is missed between two `next` calls.
  const queue: ({ bytes: ArrayBuffer; end: number } | null)[] = [];
  let wake: (() => void) | undefined;
  worker.worker.on("message", (m: { bytes: ArrayBuffer; end: number } | null) => {
    queue.push(m);
    wake?.();
  });
  return {
    ready: () => queue.length > 0,
    takeLast: () => (chunks <= 0xffff ? claimChunk(claims, true) : -1),
    async next() {
      while (queue.length === 0) await worker.run(new Promise<void>((resolve) => (wake = resolve)));
      const m = queue.shift()!;
      return m === null ? null : { bytes: Buffer.from(m.bytes), end: m.end };
    },
    close: () => worker.terminate(),
  };
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
  // Copied by hand: `buf.write` is a native call per cell, ~30 % of this path's cost.
  const s = String(x);
  for (let i = 0; i < s.length; i++) buf[pos++] = s.charCodeAt(i);
  return pos;
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
