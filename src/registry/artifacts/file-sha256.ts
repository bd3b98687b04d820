import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { ProgramWorker, type WorkerProgram } from "../../gbdt/index.js";

/**
 * SHA-256 of a file, streamed: the one file hash of the project (artifact checksums, dataset
 * fingerprints of training runs and backtests).
 *
 * `offMainThread`: hash in a worker thread. SHA-256 runs on the thread that calls `update`, so
 * hashing a 470 MB training file on the main thread would add its full cost to the CSV read it
 * runs beside; artifact files are small and are hashed in place.
 */
export function sha256File(file: string, opts: { offMainThread?: boolean } = {}): Promise<string> {
  return opts.offMainThread ? hashInWorker(file) : hashHere(file);
}

async function hashHere(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Streams the file named by `workerData` through SHA-256 and posts the hex digest (or the error). */
export const HASH_WORKER: WorkerProgram = {
  name: "hashing",
  functions: [],
  main: `
const { parentPort, workerData } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const { createReadStream } = require("node:fs");
const hash = createHash("sha256");
createReadStream(workerData, { highWaterMark: 1 << 20 })
  .on("data", (chunk) => hash.update(chunk))
  .on("end", () => parentPort.postMessage({ sha256: hash.digest("hex") }))
  .on("error", (err) => parentPort.postMessage({ error: String(err && err.message || err) }));
`,
};

async function hashInWorker(file: string): Promise<string> {
  const w = new ProgramWorker(HASH_WORKER, { workerData: file });
  try {
    const m = await w.nextMessage<{ sha256?: string; error?: string }>();
    if (!m.sha256) throw new Error(`cannot hash ${file}: ${m.error}`);
    return m.sha256;
  } finally {
    await w.terminate();
  }
}
