import { open } from "node:fs/promises";
import { ProgramWorker, type WorkerProgram } from "../gbdt/function-worker.js";
import { FAST_ROW_CONSTANTS, FAST_ROW_FUNCTIONS, type ScannedRange } from "./paysim-fast-row.js";

/** Plain files from this size are read by two threads, one per half. */
export const SPLIT_MIN_BYTES = 8 << 20;
const NEWLINE = 10;

/**
 * Where to split a plain file in two: just after the first newline at or after byte `at`; -1 if
 * there is none before the end (then one thread reads it all).
 */
export async function findSplit(file: string, size: number, at: number): Promise<number> {
  const fh = await open(file, "r");
  try {
    const buf = Buffer.allocUnsafe(64 * 1024);
    for (let pos = at; pos < size; pos += buf.length) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      const nl = buf.subarray(0, bytesRead).indexOf(NEWLINE);
      if (nl >= 0) return pos + nl + 1 < size ? pos + nl + 1 : -1;
    }
    return -1;
  } finally {
    await fh.close();
  }
}

/** The second thread's program: scan its range and hand the columns over (transferred, not copied). */
export const PAYSIM_SCAN_WORKER: WorkerProgram = {
  name: "PaySim reading",
  constants: FAST_ROW_CONSTANTS,
  functions: FAST_ROW_FUNCTIONS,
  main: `
const { parentPort, workerData: d } = require("node:worker_threads");
const r = scanRange(require("node:fs"), d.file, d.from, d.to, d.roles, d.cap);
const c = r.cols;
const arrays = [c.step, c.type, c.amount, c.oldOrg, c.newOrig, c.oldDest, c.newDest, c.nameOrig, c.nameDest, c.isFraud, c.isFlagged, r.origNames, r.destNames];
parentPort.postMessage(r, arrays.map((a) => a.buffer));
// Stay up until the owner terminates it: an exit of its own would race the message.
parentPort.on("message", () => {});`,
};

/** A worker scanning bytes [from, to) of `file` (see `scanRange`) as soon as it starts. */
export interface RangeScanner {
  result(): Promise<ScannedRange>;
  close(): Promise<void>;
}

export function startRangeScan(file: string, from: number, to: number, roles: Uint8Array): RangeScanner {
  const worker = new ProgramWorker(PAYSIM_SCAN_WORKER, {
    workerData: { file, from, to, roles, cap: Math.ceil((to - from) / 64) + 1024 },
  });
  // Listening from the start, so the message cannot come before anyone listens.
  const result = worker.nextMessage<ScannedRange>();
  result.catch(() => undefined); // observed by whoever awaits `result()`
  return { result: () => result, close: () => worker.terminate() };
}
