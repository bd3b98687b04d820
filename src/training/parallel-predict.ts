import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import type { Booster, Predictor } from "../gbdt/index.js";

/**
 * The worker's program: load the model from its JSON and score its share of rows, reading the
 * columns and writing the scores through shared memory (no copies). CommonJS text run with
 * `eval: true`; it imports the engine by URL, so it only runs from the compiled `dist/` build.
 */
const PREDICT_WORKER = `
const { parentPort, workerData: w } = require("node:worker_threads");
import(w.gbdtUrl).then(({ Booster }) => {
  const p = Booster.fromXgboostJson(w.model).compile();
  const cols = w.columns.map((b) => new Float64Array(b, w.start * 8, w.end - w.start));
  p.predictBatch(cols, w.end - w.start, new Float64Array(w.out, w.start * 8, w.end - w.start));
  parentPort.postMessage("done");
}).catch((err) => parentPort.postMessage(String((err && err.stack) || err)));
`;

const GBDT_URL = new URL("../gbdt/index.js", import.meta.url).href;
/** Below this many rows a worker's start-up (parse the model, compile) costs more than it saves. */
const MIN_ROWS_PER_WORKER = 100_000;

/**
 * Scores many rows on several threads: the rows are cut in contiguous ranges, the main thread
 * takes the first one and each worker another. Each range is scored by the same compiled predictor,
 * so the scores are identical to a single-threaded `predictBatch`. Falls back to one thread for
 * small inputs, or when running from TypeScript sources (tests) where the worker cannot import the
 * engine.
 */
export async function predictParallel(
  booster: Booster,
  columns: readonly Float64Array[],
  nRows: number,
  threads = availableParallelism(),
): Promise<Float64Array> {
  const nThreads = Math.max(1, Math.min(threads, Math.floor(nRows / MIN_ROWS_PER_WORKER)));
  const shared = columns.every((c) => c.buffer instanceof SharedArrayBuffer && c.byteOffset === 0);
  if (nThreads === 1 || !shared || import.meta.url.endsWith(".ts")) {
    return booster.compile().predictBatch(columns, nRows);
  }
  const outBuffer = new SharedArrayBuffer(nRows * 8);
  const out = new Float64Array(outBuffer);
  const model = booster.toXgboostJson();
  const bounds = Array.from({ length: nThreads + 1 }, (_, i) => Math.round((i * nRows) / nThreads));
  const workers = bounds.slice(1, -1).map(
    (start, i) =>
      new Promise<void>((resolve, reject) => {
        const worker = new Worker(PREDICT_WORKER, {
          eval: true,
          workerData: {
            gbdtUrl: GBDT_URL,
            model,
            columns: columns.map((c) => c.buffer),
            out: outBuffer,
            start,
            end: bounds[i + 2],
          },
        });
        worker.once("message", (m) => {
          void worker.terminate();
          if (m === "done") resolve();
          else reject(new Error(`prediction worker failed: ${m}`));
        });
        worker.once("error", reject);
      }),
  );
  const first = bounds[1];
  // Typed as the interface: its `out` accepts a view of shared memory.
  const predictor: Predictor = booster.compile();
  predictor.predictBatch(
    columns.map((c) => c.subarray(0, first)),
    first,
    out.subarray(0, first),
  );
  await Promise.all(workers);
  return out;
}
