import { availableParallelism } from "node:os";
import {
  BLOCK_ROWS,
  codeRows,
  newBlockScratch,
  scoreRows,
  sumTreesModule,
  type BlockScratch,
  type CompiledPredictor,
  type PackedProgram,
} from "./compiled-predictor.js";
import { ProgramWorker, type WorkerProgram } from "./function-worker.js";

/** Rows handed out per task; rows are copied into shared memory this many at a time. */
const TASK_ROWS = 4096;
const CHUNK_ROWS = 131_072;

/** Pulls row tasks from the shared counter until the chunk is done (self-contained: runs in workers too). */
export function scoreTasks(
  p: PackedProgram,
  columns: readonly Float32Array[],
  rows: number,
  out: Float64Array,
  asMargin: boolean,
  counter: Int32Array,
  taskRows: number,
  scratch: BlockScratch,
  score: typeof scoreRows,
): void {
  for (;;) {
    const start = Atomics.add(counter, 0, 1) * taskRows;
    if (start >= rows) return;
    score(p, columns, start, Math.min(rows, start + taskRows), out, asMargin, scratch);
  }
}

/**
 * A worker's program: the compiled predictor's hot loops, from their own source, and its own
 * scorer (a copy of the trees in its WebAssembly memory) running the module it is given.
 */
export const SCORING_WORKER: WorkerProgram = {
  name: "scoring",
  constants: { BLOCK_ROWS, TASK_ROWS },
  functions: [newBlockScratch, codeRows, scoreRows, scoreTasks],
  main: `
const { parentPort, workerData: d } = require("node:worker_threads");
const scratch = newBlockScratch(d.program, d.module);
parentPort.on("message", (m) => {
  scoreTasks(d.program, d.columns, m.rows, d.out, m.asMargin, d.counter, TASK_ROWS, scratch, scoreRows);
  parentPort.postMessage(0);
});`,
};

/**
 * Batch scoring on several threads (the main thread plus workers) over shared memory, for large
 * inputs such as `lakay predict` on millions of rows. Results are identical to
 * `CompiledPredictor.predictBatch`: every thread runs the same code on the same program.
 */
export class ParallelBatchPredictor {
  private readonly workers: ProgramWorker[] = [];
  private readonly nf: number;
  /** The chunk's feature values, one shared float32 column per model feature. */
  private readonly columns: Float32Array[] = [];
  private readonly out: Float64Array;
  private readonly counter = new Int32Array(new SharedArrayBuffer(4));
  private readonly scratch: BlockScratch | undefined;

  constructor(
    private readonly predictor: CompiledPredictor,
    threads = availableParallelism(),
  ) {
    this.nf = predictor.featureNames.length;
    this.out = new Float64Array(new SharedArrayBuffer(CHUNK_ROWS * 8));
    const program = predictor.program;
    // A model beyond the packed form's limits is scored by the interpreter, on this thread.
    if (!program) return;
    // Only the features some split reads are copied; the others stay empty (never read).
    const used = new Set(program.features);
    this.columns = Array.from({ length: this.nf }, (_, f) =>
      used.has(f) ? new Float32Array(new SharedArrayBuffer(CHUNK_ROWS * 4)) : new Float32Array(0),
    );
    const module = sumTreesModule();
    this.scratch = newBlockScratch(program, module);
    for (let i = 1; i < threads; i++) {
      const workerData = { program, module, columns: this.columns, out: this.out, counter: this.counter };
      this.workers.push(new ProgramWorker(SCORING_WORKER, { workerData }));
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
    const program = this.predictor.program;
    if (!program) return this.predictor.predictBatch(columns, nRows, undefined, opts);
    const result = new Float64Array(nRows);
    const asMargin = opts.margin === true;
    for (let c0 = 0; c0 < nRows; c0 += CHUNK_ROWS) {
      const rows = Math.min(CHUNK_ROWS, nRows - c0);
      this.copyChunk(columns, c0, rows);
      Atomics.store(this.counter, 0, 0);
      // A worker that dies fails the batch instead of leaving it waiting for its reply.
      const done = this.workers.map((w) => w.nextMessage());
      for (const w of this.workers) w.worker.postMessage({ rows, asMargin });
      scoreTasks(
        program,
        this.columns,
        rows,
        this.out,
        asMargin,
        this.counter,
        TASK_ROWS,
        this.scratch!,
        scoreRows,
      );
      await Promise.all(done);
      result.set(this.out.subarray(0, rows), c0);
    }
    return result;
  }

  /** Rows [c0, c0 + rows) into the shared columns (float32 loses nothing: scoring rounds to it). */
  private copyChunk(columns: readonly ArrayLike<number>[], c0: number, rows: number): void {
    columns.forEach((col, f) => {
      const dst = this.columns[f];
      if (dst.length === 0) return;
      if (col instanceof Float64Array || col instanceof Float32Array) dst.set(col.subarray(c0, c0 + rows));
      else for (let r = 0; r < rows; r++) dst[r] = col[c0 + r];
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
