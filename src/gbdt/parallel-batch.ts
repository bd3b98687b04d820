import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { CompiledPredictor } from "./compiled-predictor.js";

/** Rows handed out per task; rows are gathered into shared memory this many at a time. */
const TASK_ROWS = 4096;
const CHUNK_ROWS = 131_072;

/**
 * Scores rows [start, end) of a row-major float32 matrix with a packed program (the layout of
 * `CompiledPredictor`), 128 rows at a time, tree by tree. Self-contained: also runs in workers.
 */
export function scoreRows(
  ints: Int32Array,
  floats: Float32Array,
  roots: Int32Array,
  margin0: number,
  x: Float32Array,
  nf: number,
  start: number,
  end: number,
  out: Float64Array,
  asMargin: boolean,
  acc: Float32Array,
): void {
  for (let b0 = start; b0 < end; b0 += 128) {
    const m = Math.min(128, end - b0);
    for (let r = 0; r < m; r++) acc[r] = margin0;
    for (let t = 0; t < roots.length; t++) {
      const root = roots[t] << 2;
      for (let r = 0; r < m; r++) {
        const base = (b0 + r) * nf;
        let o = root;
        let f = ints[o];
        while (f >= 0) {
          const v = x[base + f];
          const left = (v < floats[o + 2] ? 1 : 0) | (v !== v ? ints[o + 3] : 0);
          o = (ints[o + 1] + 1 - left) << 2;
          f = ints[o];
        }
        acc[r] += floats[o + 2];
      }
    }
    if (asMargin) for (let r = 0; r < m; r++) out[b0 + r] = acc[r];
    else for (let r = 0; r < m; r++) out[b0 + r] = Math.fround(1 / (1 + Math.exp(-acc[r])));
  }
}

/** Pulls row tasks from the shared counter until the chunk is done (self-contained). */
export function scoreTasks(
  program: { ints: Int32Array; floats: Float32Array; roots: Int32Array; margin0: number },
  x: Float32Array,
  nf: number,
  rows: number,
  out: Float64Array,
  asMargin: boolean,
  counter: Int32Array,
  taskRows: number,
  acc: Float32Array,
  score: typeof scoreRows,
): void {
  for (;;) {
    const start = Atomics.add(counter, 0, 1) * taskRows;
    if (start >= rows) return;
    score(
      program.ints,
      program.floats,
      program.roots,
      program.margin0,
      x,
      nf,
      start,
      Math.min(rows, start + taskRows),
      out,
      asMargin,
      acc,
    );
  }
}

/**
 * Batch scoring on several threads (the main thread plus workers) over shared memory, for large
 * inputs such as `lakay predict` on millions of rows. Results are identical to
 * `CompiledPredictor.predictBatch`: each row's arithmetic does not depend on the thread.
 */
export class ParallelBatchPredictor {
  private readonly workers: Worker[] = [];
  private readonly nf: number;
  private readonly x: Float32Array;
  private readonly out: Float64Array;
  private readonly counter = new Int32Array(new SharedArrayBuffer(4));
  private readonly acc = new Float32Array(128);

  constructor(
    private readonly predictor: CompiledPredictor,
    threads = availableParallelism(),
  ) {
    this.nf = predictor.featureNames.length;
    this.x = new Float32Array(new SharedArrayBuffer(CHUNK_ROWS * Math.max(1, this.nf) * 4));
    this.out = new Float64Array(new SharedArrayBuffer(CHUNK_ROWS * 8));
    const source = `
const { parentPort, workerData: d } = require("node:worker_threads");
const scoreRows = ${scoreRows.toString()};
const scoreTasks = ${scoreTasks.toString()};
const program = { ints: d.ints, floats: d.floats, roots: d.roots, margin0: d.margin0 };
const acc = new Float32Array(128);
parentPort.on("message", (m) => {
  scoreTasks(program, d.x, d.nf, m.rows, d.out, m.asMargin, d.counter, ${TASK_ROWS}, acc, scoreRows);
  parentPort.postMessage(0);
});`;
    const { ints, floats, roots, margin0 } = predictor;
    for (let i = 1; i < threads; i++) {
      this.workers.push(
        new Worker(source, {
          eval: true,
          workerData: {
            ints,
            floats,
            roots,
            margin0,
            x: this.x,
            out: this.out,
            nf: this.nf,
            counter: this.counter,
          },
        }),
      );
    }
  }

  /** Probabilities (or margins) for `nRows` rows given column-wise in model feature order. */
  async predictBatch(
    columns: readonly ArrayLike<number>[],
    nRows: number,
    opts: { margin?: boolean } = {},
  ): Promise<Float64Array> {
    if (columns.length !== this.nf)
      throw new RangeError(`expected ${this.nf} feature columns, got ${columns.length}`);
    const result = new Float64Array(nRows);
    const { x, nf, out } = this;
    for (let c0 = 0; c0 < nRows; c0 += CHUNK_ROWS) {
      const rows = Math.min(CHUNK_ROWS, nRows - c0);
      for (let f = 0; f < nf; f++) {
        const col = columns[f];
        for (let r = 0; r < rows; r++) x[r * nf + f] = col[c0 + r];
      }
      Atomics.store(this.counter, 0, 0);
      const asMargin = opts.margin === true;
      const done = this.workers.map((w) => new Promise((resolve) => w.once("message", resolve)));
      for (const w of this.workers) w.postMessage({ rows, asMargin });
      scoreTasks(this.predictor, x, nf, rows, out, asMargin, this.counter, TASK_ROWS, this.acc, scoreRows);
      await Promise.all(done);
      result.set(out.subarray(0, rows), c0);
    }
    return result;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
