import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";
import { computeCuts, sortFloat32 } from "./binning.js";
import {
  applyLastSplit,
  applyLeaf,
  boostBlock,
  cutsTask,
  partitionBlock,
  splitsRight,
  type HistogramKernel,
} from "./kernels.js";
import {
  makeViews,
  prefault,
  runTasks,
  TASK_WIDTH,
  type PhaseArgs,
  type SharedBuffers,
  type SharedViews,
  type Kernels,
} from "./block-tasks.js";

/** Slots of the shared `control` words (slot 0 is the task counter of `runTasks`). */
const GENERATION = 1;
const DONE = 2;
const FAILED = 3;

/**
 * The worker's whole program, assembled from the same functions the main thread runs, so a
 * block gives the same bytes on any thread. Evaluated as a CommonJS script (`eval: true`), which
 * keeps it working both from compiled `dist/` and from TypeScript sources under the test runner.
 *
 * The worker sleeps on the generation word; each bump wakes it to read, synchronously from its
 * port, what was sent since (kernels, buffers, the phase to run), run the phase's tasks and count
 * itself done. No event loop turn is involved on either side: a phase costs a futex wake, not
 * two message round trips (measured ~55 µs a phase with messages).
 */
function workerSource(): string {
  return `
const { workerData, parentPort, receiveMessageOnPort } = require("node:worker_threads");
const sortFloat32 = ${sortFloat32.toString()};
const computeCuts = ${computeCuts.toString()};
const splitsRight = ${splitsRight.toString()};
const cutsTask = ${cutsTask.toString()};
const boostBlock = ${boostBlock.toString()};
const partitionBlock = ${partitionBlock.toString()};
const applyLeaf = ${applyLeaf.toString()};
const applyLastSplit = ${applyLastSplit.toString()};
const makeViews = ${makeViews.toString()};
const prefault = ${prefault.toString()};
const SPIN_MS = ${SPIN_MS};
const awaitChange = ${awaitChange.toString()};
const runTasks = ${runTasks.toString()};
const { port } = workerData;
let buffers = workerData.buffers;
let views = makeViews(buffers);
parentPort.postMessage("started");
prefault(views);
parentPort.postMessage("ready");
const kernels = { cutsTask, computeCuts, boostBlock, applyLeaf, applyLastSplit, partitionBlock, histogramBlock: null };
const histogramKernels = new Map();
let seen = 0;
for (let quit = false; !quit; ) {
  awaitChange(views.control, ${GENERATION}, seen);
  seen = Atomics.load(views.control, ${GENERATION});
  for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
    const msg = m.message;
    if (msg.type === "quit") quit = true;
    else if (msg.type === "kernel") {
      let k = histogramKernels.get(msg.source);
      if (k === undefined) histogramKernels.set(msg.source, (k = new Function(msg.source)()));
      kernels.histogramBlock = k;
    } else if (msg.type === "buffers") {
      buffers = Object.assign({}, buffers, msg.buffers);
      views = makeViews(buffers);
    } else {
      try {
        runTasks(msg.phase, msg.args, views, kernels);
      } catch (err) {
        port.postMessage(String((err && err.stack) || err));
        Atomics.store(views.control, ${FAILED}, 1);
      }
      Atomics.add(views.control, ${DONE}, 1);
      Atomics.notify(views.control, ${DONE});
    }
  }
}
port.close();
`;
}

/** How long a thread polls a control word before it sleeps on it. */
const SPIN_MS = 2;

/**
 * Returns once `control[slot]` is no longer `seen`: polls it for up to SPIN_MS, then sleeps on it.
 * Waking a sleeping thread costs a futex wake, measured 60-200 µs a phase on this 2-vCPU machine
 * (~2,300 phases per 100 trees); a phase is usually posted well within SPIN_MS of the last one,
 * so the thread sees it at once. OpenMP runtimes (XGBoost's) spin-then-sleep the same way.
 */
export function awaitChange(control: Int32Array, slot: number, seen: number): void {
  const deadline = performance.now() + SPIN_MS;
  for (;;) {
    for (let i = 0; i < 1024; i++) if (Atomics.load(control, slot) !== seen) return;
    if (performance.now() > deadline) break;
  }
  Atomics.wait(control, slot, seen);
}

/**
 * Runs block tasks on the main thread plus `nThreads - 1` workers over shared memory. With one
 * thread no worker is started and the same code runs inline. `run` blocks the calling thread
 * until the phase is done (Node allows `Atomics.wait` on the main thread): training is one
 * long computation, and a phase is too short to be worth an event-loop turn.
 */
export class BlockExecutor {
  views: SharedViews;
  private readonly kernels: Kernels;
  private readonly workers: {
    worker: Worker;
    port: MessagePort;
    exited: Promise<void>;
    /** The worker's program is defined and running (it says so). */
    started: Promise<void>;
    /** ... and has faulted in its buffers. */
    ready: Promise<void>;
  }[] = [];
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
    this.kernels = {
      cutsTask,
      computeCuts,
      boostBlock,
      partitionBlock,
      applyLeaf,
      applyLastSplit,
      histogramBlock: none,
    };
    const source = workerSource();
    for (let i = 1; i < nThreads; i++) {
      const { port1, port2 } = new MessageChannel();
      const worker = new Worker(source, {
        eval: true,
        workerData: { buffers, port: port2 },
        transferList: [port2],
      });
      const exited = new Promise<void>((resolve) => worker.once("exit", () => resolve()));
      // Listened for from the start, so no event is missed; a failure is thrown where awaited.
      const failed = new Promise<never>((_, reject) => worker.once("error", reject));
      const said = (word: string) =>
        Promise.race([new Promise<void>((r) => worker.on("message", (m) => m === word && r())), failed]);
      const started = said("started");
      const ready = said("ready");
      for (const p of [failed, started, ready]) p.catch(() => undefined);
      this.workers.push({ worker, port: port1, exited, started, ready });
    }
  }

  /**
   * Resolves once every worker runs its program: before that, a phase could block the main
   * thread on a worker that never starts (its error event cannot arrive while `run` waits).
   */
  async started(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.started));
  }

  /**
   * Resolves once every worker has also faulted in the per-row buffers (see `prefault`): no
   * phase or main-thread step may write those buffers while a worker still writes its zeros.
   */
  async ready(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.ready));
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
    for (const w of this.workers) w.port.postMessage({ type: "kernel", source });
  }

  /** Replaces some buffers (after growing them) everywhere. */
  replaceBuffers(update: Partial<SharedBuffers>): void {
    Object.assign(this.buffers, update);
    this.views = makeViews(this.buffers);
    for (const w of this.workers) w.port.postMessage({ type: "buffers", buffers: update });
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

  /** Runs `args.nTasks` tasks of `phase` (tasks table already filled) on all threads; blocks until done. */
  run(phase: number, args: PhaseArgs): void {
    if (args.nTasks === 0) return;
    const control = this.views.control;
    Atomics.store(control, 0, 0);
    // Tiny phases are not worth waking a worker.
    const helpers = args.nTasks > 1 ? this.workers : [];
    if (helpers.length > 0) {
      Atomics.store(control, DONE, 0);
      for (const w of helpers) w.port.postMessage({ type: "phase", phase, args });
      Atomics.add(control, GENERATION, 1);
      Atomics.notify(control, GENERATION);
    }
    try {
      runTasks(phase, args, this.views, this.kernels);
    } finally {
      // Even when this thread failed, no worker may still be writing when the caller moves on.
      for (
        let done = Atomics.load(control, DONE);
        done < helpers.length;
        done = Atomics.load(control, DONE)
      ) {
        awaitChange(control, DONE, done);
      }
    }
    if (Atomics.exchange(control, FAILED, 0) !== 0) {
      const reports = this.workers.map((w) => receiveMessageOnPort(w.port)?.message).filter(Boolean);
      throw new Error(`training worker failed: ${reports.join("; ")}`);
    }
  }

  async close(): Promise<void> {
    for (const w of this.workers) w.port.postMessage({ type: "quit" });
    Atomics.add(this.views.control, GENERATION, 1);
    Atomics.notify(this.views.control, GENERATION);
    await Promise.all(this.workers.map((w) => w.exited));
  }
}
