import { Worker } from "node:worker_threads";
import {
  binBlock,
  boostBlock,
  lastSplitBlock,
  leafBlock,
  partitionBlock,
  type HistogramKernel,
} from "./kernels.js";
import {
  makeViews,
  runTasks,
  TASK_WIDTH,
  type PhaseArgs,
  type SharedBuffers,
  type SharedViews,
  type Kernels,
} from "./block-tasks.js";

/**
 * The worker's whole program, assembled from the same functions the main thread runs, so a
 * block gives the same bytes on any thread. Evaluated as a CommonJS script (`eval: true`), which
 * keeps it working both from compiled `dist/` and from TypeScript sources under the test runner.
 */
function workerSource(): string {
  return `
const { parentPort } = require("node:worker_threads");
const binBlock = ${binBlock.toString()};
const boostBlock = ${boostBlock.toString()};
const partitionBlock = ${partitionBlock.toString()};
const leafBlock = ${leafBlock.toString()};
const lastSplitBlock = ${lastSplitBlock.toString()};
const makeViews = ${makeViews.toString()};
const runTasks = ${runTasks.toString()};
let buffers, views, kernels;
const histogramKernels = new Map();
parentPort.on("message", (msg) => {
  if (msg.type === "init") {
    buffers = msg.buffers;
    views = makeViews(buffers);
    kernels = { binBlock, boostBlock, partitionBlock, leafBlock, lastSplitBlock, histogramBlock: null };
    return;
  }
  if (msg.type === "kernel") {
    let k = histogramKernels.get(msg.source);
    if (k === undefined) histogramKernels.set(msg.source, (k = new Function(msg.source)()));
    kernels.histogramBlock = k;
    return;
  }
  if (msg.type === "buffers") {
    Object.assign(buffers, msg.buffers);
    views = makeViews(buffers);
    return;
  }
  try {
    runTasks(msg.phase, msg.args, views, kernels);
    parentPort.postMessage({ ok: true });
  } catch (err) {
    parentPort.postMessage({ ok: false, message: String(err && err.stack || err) });
  }
});
`;
}

/**
 * Runs block tasks on the main thread plus `nThreads - 1` workers over shared memory. With one
 * thread no worker is started and the same code runs inline.
 */
export class BlockExecutor {
  views: SharedViews;
  private readonly kernels: Kernels;
  private readonly workers: Worker[] = [];
  private pending: ((msg: { ok: boolean; message?: string }) => void)[] = [];
  private readonly histogramKernels = new Map<string, HistogramKernel>();
  private histogramSource = "";

  constructor(
    readonly buffers: SharedBuffers,
    nThreads: number,
  ) {
    this.views = makeViews(buffers);
    const none: HistogramKernel = () => {
      throw new Error("no histogram kernel selected");
    };
    this.kernels = { binBlock, boostBlock, partitionBlock, leafBlock, lastSplitBlock, histogramBlock: none };
    const source = workerSource();
    for (let i = 1; i < nThreads; i++) {
      const w = new Worker(source, { eval: true });
      w.on("message", (msg) => this.pending.shift()?.(msg));
      w.on("error", (err) => this.pending.shift()?.({ ok: false, message: String(err) }));
      w.postMessage({ type: "init", buffers });
      this.workers.push(w);
    }
  }

  /**
   * Selects the histogram kernel (source from `histogramKernelSource`) on every thread. Each
   * thread compiles a given source once and keeps it, so V8's optimised code is reused by
   * later trees sampling the same features.
   */
  useHistogramKernel(source: string): void {
    if (source === this.histogramSource) return;
    this.histogramSource = source;
    let k = this.histogramKernels.get(source);
    if (k === undefined) this.histogramKernels.set(source, (k = new Function(source)() as HistogramKernel));
    this.kernels.histogramBlock = k;
    for (const w of this.workers) w.postMessage({ type: "kernel", source });
  }

  /** Replaces some buffers (after growing them) everywhere. */
  replaceBuffers(update: Partial<SharedBuffers>): void {
    Object.assign(this.buffers, update);
    this.views = makeViews(this.buffers);
    for (const w of this.workers) w.postMessage({ type: "buffers", buffers: update });
  }

  /** Grows the task table and the partial-histogram buffer so a phase fits. */
  ensureTasks(nTasks: number, partialDoubles: number): void {
    const update: Partial<SharedBuffers> = {};
    if (this.views.tasks.length < nTasks * TASK_WIDTH) {
      const cap = Math.max(nTasks, 2 * (this.views.results.length || 1));
      update.tasks = new SharedArrayBuffer(cap * TASK_WIDTH * 4);
      update.results = new SharedArrayBuffer(cap * 4);
    }
    if (this.views.partial.length < partialDoubles) {
      update.partial = new SharedArrayBuffer(Math.max(partialDoubles, 2 * this.views.partial.length) * 8);
    }
    if (Object.keys(update).length > 0) this.replaceBuffers(update);
  }

  /** Runs `args.nTasks` tasks of `phase` (tasks table already filled) on all threads. */
  async run(phase: number, args: PhaseArgs): Promise<void> {
    if (args.nTasks === 0) return;
    Atomics.store(this.views.control, 0, 0);
    // Tiny phases are not worth a message round trip.
    const useWorkers = this.workers.length > 0 && args.nTasks > 1;
    const done: Promise<{ ok: boolean; message?: string }>[] = [];
    if (useWorkers) {
      for (const w of this.workers) {
        done.push(new Promise((resolve) => this.pending.push(resolve)));
        w.postMessage({ phase, args });
      }
    }
    runTasks(phase, args, this.views, this.kernels);
    for (const r of await Promise.all(done))
      if (!r.ok) throw new Error(`training worker failed: ${r.message}`);
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
