import { Worker } from "node:worker_threads";

/**
 * The hashing program, run in a worker thread: SHA-256 runs on the thread that calls `update`, so
 * hashing a 470 MB file on the main thread would add its full cost to the CSV read it runs beside.
 * A CommonJS string, so it works the same from `dist/` and from TypeScript sources under the tests.
 */
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

/** SHA-256 of a file (the training dataset's fingerprint recorded with every run), off the main thread. */
export function fileSha256(file: string): Promise<string> {
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
