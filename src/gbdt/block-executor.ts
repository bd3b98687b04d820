import { MessageChannel, type MessagePort, receiveMessageOnPort } from "node:worker_threads";
import {
  collectDistinct,
  computeCuts,
  copyFinite,
  countDigits,
  digitStarts,
  fromOrderKeys,
  quantilesAbove,
  scatterByDigit,
  sortFloat32,
  toOrderKeys,
} from "./binning.js";
import { ProgramWorker, type WorkerProgram } from "./function-worker.js";
import {
  applyLastSplit,
  applyLeaf,
  boostBlock,
  cutsTask,
  fillBinLookup,
  partitionBlock,
  seedBlockGenerator,
  splitsRight,
  wasmBoostKernel,
  wasmHistogramKernel,
  wasmPartitionKernel,
  type HistogramKernel,
} from "./kernels.js";
import {
  makeViews,
  prefault,
  runTasks,
  TASK_WIDTH,
  type PhaseArgs,
  type Region,
  type SharedBuffers,
  type SharedViews,
  type Kernels,
} from "./block-tasks.js";

const WASM_PAGE = 65_536;
/** WebAssembly addresses are 32-bit: the kernel memory may not grow past 4 GiB. */
const MAX_PAGES = 65_536;

/**
 * A shared `WebAssembly.Memory` holding the given regions in order (8-byte aligned), for the
 * WebAssembly kernels (wasm-kernels.ts) and every thread's views of them.
 */
export function kernelMemory<K extends string>(
  sizes: Record<K, number>,
): { memory: WebAssembly.Memory; regions: Record<K, Region> } {
  const regions = {} as Record<K, Region>;
  let top = 0;
  for (const name of Object.keys(sizes) as K[]) {
    regions[name] = { offset: top, bytes: sizes[name] };
    top += Math.ceil(sizes[name] / 8) * 8;
  }
  const initial = Math.max(1, Math.ceil(top / WASM_PAGE));
  if (initial > MAX_PAGES)
    throw new RangeError(`training needs ${top} bytes of kernel memory; WebAssembly holds at most 4 GiB`);
  return { memory: new WebAssembly.Memory({ initial, maximum: MAX_PAGES, shared: true }), regions };
}

/** Int32 words of the shared `control` buffer. */
export const CONTROL_WORDS = 5;
/** Slots of the shared `control` words (slot 0 is the task counter of `runTasks`). */
const GENERATION = 1;
const DONE = 2;
const FAILED = 3;
/** Set by a worker's thread as it exits unasked (see the program's `exit` handler). */
const LOST = 4;
/** How long a thread polls a control word before it sleeps on it. */
const SPIN_MS = 2;

/**
 * The worker's whole program, assembled from the same functions the main thread runs.
 *
 * The worker sleeps on the generation word; each bump wakes it to read, synchronously from its
 * port, what was sent since (kernels, buffers, the phase to run), run the phase's tasks and count
 * itself done. No event loop turn is involved on either side: a phase costs a futex wake, not
 * two message round trips (measured ~55 µs a phase with messages).
 *
 * Because the main thread blocks in `run` (no event loop, so no `exit` event), a worker that dies
 * says so itself: its thread's `exit` handler (which runs on `process.exit` and on an uncaught
 * error) sets LOST and counts itself done, so `run` wakes and throws instead of waiting forever.
 */
export const TRAINING_WORKER: WorkerProgram = {
  name: "training",
  constants: { SPIN_MS, GENERATION, DONE, FAILED, LOST },
  functions: [
    toOrderKeys,
    fromOrderKeys,
    countDigits,
    digitStarts,
    scatterByDigit,
    sortFloat32,
    copyFinite,
    collectDistinct,
    quantilesAbove,
    computeCuts,
    splitsRight,
    fillBinLookup,
    cutsTask,
    seedBlockGenerator,
    boostBlock,
    partitionBlock,
    applyLeaf,
    applyLastSplit,
    makeViews,
    prefault,
    awaitChange,
    runTasks,
    wasmHistogramKernel,
    wasmPartitionKernel,
    wasmBoostKernel,
  ],
  main: `
const { workerData, parentPort, receiveMessageOnPort } = require("node:worker_threads");
const { port } = workerData;
let buffers = workerData.buffers;
let views = makeViews(buffers);
let quit = false;
process.on("exit", () => {
  if (quit) return;
  Atomics.store(views.control, LOST, 1);
  Atomics.add(views.control, DONE, 1);
  Atomics.notify(views.control, DONE);
});
parentPort.postMessage("started");
prefault(views);
parentPort.postMessage("ready");
const kernels = { cutsTask, computeCuts, boostBlock, applyLeaf, applyLastSplit, partitionBlock, histogramBlock: null };
const histogramKernels = new Map();
let seen = 0;
while (!quit) {
  awaitChange(views.control, GENERATION, seen);
  seen = Atomics.load(views.control, GENERATION);
  for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) {
    const msg = m.message;
    if (msg.type === "quit") quit = true;
    else if (msg.type === "kernel") {
      let k = histogramKernels.get(msg.source);
      if (k === undefined) histogramKernels.set(msg.source, (k = new Function(msg.source)()));
      kernels.histogramBlock = k;
    } else if (msg.type === "wasmKernels") {
      kernels.partitionBlock = wasmPartitionKernel(msg.partition, buffers.kernelMemory, buffers.wideBins ? 2 : 1);
      kernels.boostBlock = wasmBoostKernel(msg.boost, buffers.kernelMemory);
    } else if (msg.type === "wasmKernel") {
      let k = histogramKernels.get(msg.key);
      if (k === undefined) histogramKernels.set(msg.key, (k = wasmHistogramKernel(msg.module, buffers.kernelMemory)));
      kernels.histogramBlock = k;
    } else if (msg.type === "buffers") {
      buffers = Object.assign({}, buffers, msg.buffers);
      views = makeViews(buffers);
    } else {
      if (msg.exitForTest) process.exit(70);
      try {
        runTasks(msg.phase, msg.args, views, kernels);
      } catch (err) {
        port.postMessage(String((err && err.stack) || err));
        Atomics.store(views.control, FAILED, 1);
      }
      Atomics.add(views.control, DONE, 1);
      Atomics.notify(views.control, DONE);
    }
  }
}
port.close();
`,
};

/** Test-only faults, injected by tests through `TrainOptions.faults`; nothing reads them from the environment. */
export interface ExecutorFaults {
  /** The first worker exits its thread (`process.exit`) when handed this phase (1 = the first). */
  workerExitsAtPhase?: number;
}

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
    worker: ProgramWorker;
    port: MessagePort;
    exited: Promise<void>;
    /** The worker's program is defined and running (it says so). */
    started: Promise<void>;
    /** ... and has faulted in its buffers. */
    ready: Promise<void>;
  }[] = [];
  private readonly histogramKernels = new Map<string, HistogramKernel>();
  private histogramSource = "";
  private phasesRun = 0;

  constructor(
    readonly buffers: SharedBuffers,
    nThreads: number,
    private readonly faults: ExecutorFaults = {},
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
    for (let i = 1; i < nThreads; i++) {
      const { port1, port2 } = new MessageChannel();
      const worker = new ProgramWorker(TRAINING_WORKER, {
        workerData: { buffers, port: port2 },
        transferList: [port2],
      });
      const exited = new Promise<void>((resolve) => worker.worker.once("exit", () => resolve()));
      // Between phases the event loop may turn: a worker lost then (terminated, out of memory) is
      // marked so the next `run` refuses instead of waiting for it.
      worker.lost.catch(() => Atomics.store(this.views.control, LOST, 1));
      // Listened for from the start, so no message is missed; a loss is thrown where awaited.
      const started = worker.nextMessage<void>((m) => m === "started");
      const ready = worker.nextMessage<void>((m) => m === "ready");
      for (const p of [started, ready]) p.catch(() => undefined);
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

  /**
   * Selects a WebAssembly histogram kernel (`histogramModule`, known by `key`) on every thread:
   * each thread instantiates the module once over the shared kernel memory and keeps it.
   */
  useWasmHistogramKernel(key: string, module: WebAssembly.Module): void {
    if (key === this.histogramSource) return;
    this.histogramSource = key;
    let k = this.histogramKernels.get(key);
    if (k === undefined)
      this.histogramKernels.set(key, (k = wasmHistogramKernel(module, this.buffers.kernelMemory)));
    this.kernels.histogramBlock = k;
    for (const w of this.workers) w.port.postMessage({ type: "wasmKernel", key, module });
  }

  /**
   * Makes every thread partition and boost with WebAssembly (`partitionModule`, `boostModule`: the
   * same ids in the same slots, the same gradients).
   */
  useWasmKernels(partition: WebAssembly.Module, boost: WebAssembly.Module): void {
    const codeBytes = this.buffers.wideBins ? 2 : 1;
    this.kernels.partitionBlock = wasmPartitionKernel(partition, this.buffers.kernelMemory, codeBytes);
    this.kernels.boostBlock = wasmBoostKernel(boost, this.buffers.kernelMemory);
    for (const w of this.workers) w.port.postMessage({ type: "wasmKernels", partition, boost });
  }

  /** Replaces some buffers (after growing them) everywhere. */
  replaceBuffers(update: Partial<SharedBuffers>): void {
    Object.assign(this.buffers, update);
    this.views = makeViews(this.buffers);
    for (const w of this.workers) w.port.postMessage({ type: "buffers", buffers: update });
  }

  /** A new region of `bytes` at the end of the kernel memory, grown to hold it. */
  private growKernelMemory(bytes: number): Region {
    const memory = this.buffers.kernelMemory;
    // The regions' end: every field holding an offset and a byte count.
    const regions = Object.values(this.buffers).filter(
      (v): v is Region => v !== null && typeof v === "object" && "offset" in v && "bytes" in v,
    );
    const top = Math.max(...regions.map((r) => r.offset + r.bytes));
    const offset = Math.ceil(top / 8) * 8;
    const pages = Math.ceil((offset + bytes) / WASM_PAGE) - memory.buffer.byteLength / WASM_PAGE;
    if (pages > 0) memory.grow(pages);
    return { offset, bytes };
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
      update.partial = this.growKernelMemory(Math.max(partialDoubles, 2 * this.views.partial.length) * 8);
    }
    if (Object.keys(update).length > 0) this.replaceBuffers(update);
  }

  /** Runs `args.nTasks` tasks of `phase` (tasks table already filled) on all threads; blocks until done. */
  run(phase: number, args: PhaseArgs): void {
    if (args.nTasks === 0) return;
    const control = this.views.control;
    this.throwIfLost();
    Atomics.store(control, 0, 0);
    // Tiny phases are not worth waking a worker.
    const helpers = args.nTasks > 1 ? this.workers : [];
    if (helpers.length > 0) {
      const exitForTest = ++this.phasesRun === this.faults.workerExitsAtPhase;
      Atomics.store(control, DONE, 0);
      for (const w of helpers) {
        w.port.postMessage({ type: "phase", phase, args, exitForTest: exitForTest && w === helpers[0] });
      }
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
        if (Atomics.load(control, LOST) !== 0) break; // a dead worker's tasks never finish
        awaitChange(control, DONE, done);
      }
    }
    this.throwIfLost();
    if (Atomics.exchange(control, FAILED, 0) !== 0) {
      const reports = this.workers.map((w) => receiveMessageOnPort(w.port)?.message).filter(Boolean);
      throw new Error(`training worker failed: ${reports.join("; ")}`);
    }
  }

  /** A worker stopped (its thread said so, or its exit was seen between phases): training cannot go on. */
  private throwIfLost(): void {
    if (Atomics.load(this.views.control, LOST) === 0) return;
    const why = this.workers.map((w) => w.worker.lostReason).find((r) => r !== null);
    throw new Error(
      `a training worker thread stopped in the middle of the training${why ? ` (${why})` : ""}; no model was written`,
    );
  }

  async close(): Promise<void> {
    for (const w of this.workers) w.worker.closingDown();
    for (const w of this.workers) w.port.postMessage({ type: "quit" });
    Atomics.add(this.views.control, GENERATION, 1);
    Atomics.notify(this.views.control, GENERATION);
    await Promise.all(this.workers.map((w) => w.exited));
  }
}
