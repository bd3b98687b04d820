import { availableParallelism } from "node:os";
import { compileTreeShapKernel, makeTreeShapKernel, type TreeShapKernel } from "./tree-shap-kernel.js";
import type { TreeExplainer } from "./tree-shap.js";
import { ProgramWorker, type WorkerProgram } from "./function-worker.js";

/** Rows per task: explaining a row costs far more than scoring one, so tasks are small. */
const TASK_ROWS = 64;
/** Rows copied into shared memory at a time. */
const CHUNK_ROWS = 16_384;

/** Pulls row tasks from the shared counter until the chunk is done (self-contained: runs in workers too). */
export function explainTasks(
  kernel: TreeShapKernel,
  columns: readonly Float32Array[],
  rows: number,
  out: Float64Array,
  counter: Int32Array,
  taskRows: number,
): void {
  for (;;) {
    const start = Atomics.add(counter, 0, 1) * taskRows;
    if (start >= rows) return;
    kernel.explainRows(columns, start, Math.min(rows, start + taskRows), out, 0);
  }
}

/** A worker's program: the TreeSHAP kernel from its own source, over the shared program. */
export const EXPLAIN_WORKER: WorkerProgram = {
  name: "explanation",
  constants: { TASK_ROWS },
  functions: [makeTreeShapKernel, explainTasks],
  main: `
const { parentPort, workerData: d } = require("node:worker_threads");
const kernel = makeTreeShapKernel(d.program);
parentPort.on("message", (m) => {
  explainTasks(kernel, d.columns, m.rows, d.out, d.counter, TASK_ROWS);
  parentPort.postMessage(0);
});`,
};

/**
 * Batch contributions on several threads (this one plus workers) over shared memory, for files
 * of many rows (`lakay explain`, the training report). Identical to `TreeExplainer.explainBatch`
 * bit for bit: every thread runs the same kernel on the same program.
 */
export class ParallelExplainer {
  private readonly workers: ProgramWorker[] = [];
  private readonly nf: number;
  private readonly columns: Float32Array[];
  private readonly out: Float64Array;
  private readonly counter = new Int32Array(new SharedArrayBuffer(4));
  private readonly kernel: TreeShapKernel;

  constructor(
    private readonly explainer: TreeExplainer,
    threads = availableParallelism(),
  ) {
    this.nf = explainer.featureNames.length;
    this.columns = Array.from(
      { length: this.nf },
      () => new Float32Array(new SharedArrayBuffer(CHUNK_ROWS * 4)),
    );
    this.out = new Float64Array(new SharedArrayBuffer(CHUNK_ROWS * (this.nf + 1) * 8));
    this.kernel = compileTreeShapKernel(explainer.program);
    for (let i = 1; i < threads; i++) {
      const workerData = {
        program: explainer.program,
        columns: this.columns,
        out: this.out,
        counter: this.counter,
      };
      this.workers.push(new ProgramWorker(EXPLAIN_WORKER, { workerData }));
    }
  }

  /** Row-major contributions (features then bias per row) for `nRows` rows given column-wise. */
  explainBatch(columns: readonly ArrayLike<number>[], nRows: number): Promise<Float64Array> {
    return this.start(columns, nRows).finish();
  }

  /**
   * Hands the first chunk of rows to the workers at once and returns; `finish` has this thread
   * join in (it takes whatever rows are still unexplained from the same counter, then the other
   * chunks) and gives `explainBatch`'s result. Between the two the caller's thread is free for
   * other work, e.g. `lakay train`'s other reports while the workers explain the importance rows.
   */
  start(columns: readonly ArrayLike<number>[], nRows: number): { finish(): Promise<Float64Array> } {
    if (columns.length !== this.nf)
      throw new RangeError(`expected ${this.nf} feature columns, got ${columns.length}`);
    const width = this.nf + 1;
    const result = new Float64Array(nRows * width);
    let pending = nRows > 0 ? this.handOut(columns, 0, Math.min(CHUNK_ROWS, nRows)) : undefined;
    return {
      finish: async () => {
        for (let c0 = 0; c0 < nRows; c0 += CHUNK_ROWS) {
          const rows = Math.min(CHUNK_ROWS, nRows - c0);
          const done = pending ?? this.handOut(columns, c0, rows);
          pending = undefined;
          explainTasks(this.kernel, this.columns, rows, this.out, this.counter, TASK_ROWS);
          await done;
          result.set(this.out.subarray(0, rows * width), c0 * width);
        }
        return result;
      },
    };
  }

  /** Copies rows [c0, c0 + rows) into shared memory and sets the workers on them; resolves when they are done. */
  private handOut(columns: readonly ArrayLike<number>[], c0: number, rows: number): Promise<unknown> {
    columns.forEach((col, f) => {
      const dst = this.columns[f];
      if (col instanceof Float64Array || col instanceof Float32Array) dst.set(col.subarray(c0, c0 + rows));
      else for (let r = 0; r < rows; r++) dst[r] = col[c0 + r];
    });
    Atomics.store(this.counter, 0, 0);
    // A worker that dies fails the batch instead of leaving it waiting for its reply.
    const done = Promise.all(this.workers.map((w) => w.nextMessage()));
    done.catch(() => undefined); // a loss before `finish` awaits it is reported there, not as unhandled
    for (const w of this.workers) w.worker.postMessage({ rows });
    return done;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
