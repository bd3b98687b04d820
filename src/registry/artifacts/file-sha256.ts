import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { Worker } from "node:worker_threads";

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

/** A CommonJS string, so it works the same from `dist/` and from TypeScript sources under the tests. */
const HASH_WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const { createReadStream } = require("node:fs");
const hash = createHash("sha256");
createReadStream(workerData, { highWaterMark: 1 << 20 })
  .on("data", (chunk) => hash.update(chunk))
  .on("end", () => parentPort.postMessage({ sha256: hash.digest("hex") }))
  .on("error", (err) => parentPort.postMessage({ error: String(err && err.message || err) }));
`;

function hashInWorker(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const w = new Worker(HASH_WORKER, { eval: true, workerData: file });
    w.once("message", (m: { sha256?: string; error?: string }) => {
      void w.terminate();
      if (m.sha256) resolve(m.sha256);
      else reject(new Error(`cannot hash ${file}: ${m.error}`));
    });
    w.once("error", reject);
  });
}
