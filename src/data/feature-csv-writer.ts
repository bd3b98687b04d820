import { open, type FileHandle } from "node:fs/promises";
import { BadInputError } from "../errors/index.js";
import { ProgramWorker, type WorkerProgram } from "../gbdt/function-worker.js";
import {
  MAX_DECIMALS,
  MAX_SCALED,
  NEIGHBOUR_STEP,
  NONE,
  POW10,
  POW5,
  TOP_SCALE,
  UNSURE,
  formatRows,
  nearestInside,
  writeDigits,
  writeNumber,
  writeScaledDigits,
  writeShortestDecimal,
} from "./number-text.js";

/** Rows formatted into one buffer before it is written (a few MB at the widest rows). */
const CHUNK_ROWS = 16_384;
/** Room for a cell: the longest `writeNumber` writes ("-1.7976931348623157e+308"), plus its comma. */
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

/** The helper's program: format its rows chunk by chunk, each buffer handed over as it is done. */
export const CSV_FORMAT_WORKER: WorkerProgram = {
  name: "CSV formatting",
  constants: {
    CHUNK_ROWS,
    MAX_CELL,
    MAX_DECIMALS,
    MAX_SCALED,
    TOP_SCALE,
    POW10,
    POW5,
    NEIGHBOUR_STEP,
    NONE,
    UNSURE,
  },
  functions: [
    writeDigits,
    nearestInside,
    writeScaledDigits,
    writeShortestDecimal,
    writeNumber,
    formatRows,
    claimChunk,
  ],
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
