import { Worker } from "node:worker_threads";
import type { BoosterParamsInput } from "../gbdt/index.js";

/**
 * A worker that trains one candidate on one fold with a single engine thread and scores the fold's
 * validation rows. CommonJS text run with `eval: true`, importing the engine by URL: it only runs
 * from the compiled `dist/` build (tests of the TypeScript sources use the in-process path).
 */
const CV_WORKER = `
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
`;

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
  private readonly workers: Worker[];

  constructor(size: number) {
    this.workers = Array.from(
      { length: size },
      () => new Worker(CV_WORKER, { eval: true, workerData: { gbdtUrl: GBDT_URL } }),
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
    for (const w of this.workers) w.postMessage(msg);
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

  private one(w: Worker, id: number, params: BoosterParamsInput): Promise<Float64Array> {
    return new Promise((resolve, reject) => {
      const onMessage = (m: { id: number; scores?: Float64Array; error?: string }) => {
        if (m.id !== id) return;
        w.off("message", onMessage);
        w.off("error", reject);
        if (m.scores) resolve(m.scores);
        else reject(new Error(`cross-validation worker failed: ${m.error}`));
      };
      w.on("message", onMessage);
      w.once("error", reject);
      w.postMessage({ type: "train", id, params });
    });
  }
}
