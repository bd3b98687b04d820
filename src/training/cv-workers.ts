import { ProgramWorker, type BoosterParamsInput, type WorkerProgram } from "../gbdt/index.js";

/**
 * A worker that trains one candidate on one fold with a single engine thread and scores the fold's
 * validation rows. It imports the engine by URL, so it only runs from the compiled `dist/` build
 * (tests of the TypeScript sources use the in-process path).
 */
export const CV_WORKER: WorkerProgram = {
  name: "cross-validation",
  functions: [],
  main: `
const { parentPort, workerData } = require("node:worker_threads");
const gbdt = import(workerData.gbdtUrl);
let fold;
parentPort.on("message", async (m) => {
  try {
    if (m.type === "fold") {
      fold = {
        train: m.train.map((b) => new Float64Array(b)),
        labels: new Uint8Array(m.labels),
        valid: m.valid.map((b) => new Float64Array(b)),
        nValid: m.nValid,
        names: m.names,
      };
      return;
    }
    const { trainBooster } = await gbdt;
    const booster = await trainBooster({ columns: fold.train, featureNames: fold.names, labels: fold.labels }, m.params, { nThreads: 1 });
    const scores = booster.compile().predictBatch(fold.valid, fold.nValid);
    parentPort.postMessage({ id: m.id, scores }, [scores.buffer]);
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: String((err && err.stack) || err) });
  }
});
`,
};

const GBDT_URL = new URL("../gbdt/index.js", import.meta.url).href;

/** True when workers can load the engine (running from `dist/`, not from TypeScript sources). */
export const CV_WORKERS_AVAILABLE = !import.meta.url.endsWith(".ts");

/** A fold's data in shared memory, so every worker reads the same bytes without a copy. */
export interface SharedFold {
  train: Float64Array[];
  labels: Uint8Array;
  valid: Float64Array[];
  nValid: number;
  names: readonly string[];
}

/**
 * A pool of single-threaded training workers: candidates of one fold are trained side by side,
 * one per core, instead of one after another with the engine's threads.
 */
export class CvWorkerPool {
  private readonly workers: ProgramWorker[];

  constructor(size: number) {
    this.workers = Array.from(
      { length: size },
      () => new ProgramWorker(CV_WORKER, { workerData: { gbdtUrl: GBDT_URL } }),
    );
  }

  /** Trains every parameter set on the fold; scores come back in the order of `params`. */
  async run(fold: SharedFold, params: BoosterParamsInput[], onDone?: () => void): Promise<Float64Array[]> {
    const msg = {
      type: "fold",
      train: fold.train.map((c) => c.buffer),
      labels: fold.labels.buffer,
      valid: fold.valid.map((c) => c.buffer),
      nValid: fold.nValid,
      names: fold.names,
    };
    for (const w of this.workers) w.worker.postMessage(msg);
    const results: Float64Array[] = new Array(params.length);
    let next = 0;
    await Promise.all(
      this.workers.map(async (w) => {
        while (next < params.length) {
          const id = next++;
          results[id] = await this.one(w, id, params[id]);
          onDone?.();
        }
      }),
    );
    return results;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  /** One candidate on one worker; a worker that dies meanwhile fails the run instead of hanging it. */
  private async one(w: ProgramWorker, id: number, params: BoosterParamsInput): Promise<Float64Array> {
    const reply = w.nextMessage<{ id: number; scores?: Float64Array; error?: string }>(
      (m) => (m as { id?: number }).id === id,
    );
    w.worker.postMessage({ type: "train", id, params });
    const m = await reply;
    if (!m.scores) throw new Error(`cross-validation worker failed: ${m.error}`);
    return m.scores;
  }
}
