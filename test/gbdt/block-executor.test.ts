import { describe, expect, it } from "vitest";
import { BlockExecutor, CONTROL_WORDS, kernelMemory } from "../../src/gbdt/block-executor.js";
import { PHASE, TASK_WIDTH, type PhaseArgs, type SharedBuffers } from "../../src/gbdt/block-tasks.js";

/** Buffers for `rows` rows of one feature: only what the histogram phase reads matters here. */
function buffers(rows: number): SharedBuffers {
  const b = (bytes: number) => new SharedArrayBuffer(bytes);
  const kernel = kernelMemory({
    ids0: rows * 4,
    ids1: rows * 4,
    gh: rows * 8,
    bins: rows,
    binsByFeature: rows,
    expNegMargin: rows * 8,
    labels: rows * 4,
    partial: 8,
  });
  return {
    kernelMemory: kernel.memory,
    ...kernel.regions,
    wideBins: false,
    weights: null,
    sample: b(rows * 4),
    binLookup: b(0),
    cuts: b(16),
    missingCodes: b(4),
    treeLeafFactor: b(8),
    tasks: b(64 * TASK_WIDTH * 4),
    results: b(64 * 4),
    control: b(CONTROL_WORDS * 4),
  };
}

const args = (nTasks: number): PhaseArgs => ({
  nTasks,
  nRows: 64,
  maxBin: 256,
  scalePosWeight: 1,
  subsample: 1,
  seed: 0,
  round: 0,
  idsFrom: 0,
  histDoubles: 2,
  histColumns: [0],
  histOffsets: [0],
});

describe("BlockExecutor", () => {
  it("runs every task once across threads, phase after phase", async () => {
    const exec = new BlockExecutor(buffers(64), 2);
    await exec.ready();
    // A kernel that counts the rows of its task into its partial slot.
    exec.useHistogramKernel(
      "return function (rows, start, end, bins, gh, out, outBase) { out[2 * outBase] += end - start; return 0; };",
    );
    try {
      for (let phase = 0; phase < 50; phase++) {
        exec.ensureTasks(32, 16 * 2);
        for (let t = 0; t < 16; t++) {
          // task t: one piece (entry 16 + t) of rows [4t, 4t + 4) into partial slot t
          exec.views.tasks.set([16 + t, 1, t], t * TASK_WIDTH);
          exec.views.tasks.set([t * 4, t * 4 + 4], (16 + t) * TASK_WIDTH);
        }
        exec.run(PHASE.histogram, args(16));
        const counted = Array.from({ length: 16 }, (_, t) => exec.views.partial[2 * t]);
        expect(counted).toEqual(Array(16).fill(4));
      }
    } finally {
      await exec.close();
    }
  });

  it("reports a failing kernel as an error and still shuts down", async () => {
    const exec = new BlockExecutor(buffers(64), 2);
    await exec.ready();
    exec.useHistogramKernel('return function () { throw new Error("kernel boom"); };');
    exec.ensureTasks(16, 8 * 2);
    for (let t = 0; t < 8; t++) {
      exec.views.tasks.set([8 + t, 1, t], t * TASK_WIDTH);
      exec.views.tasks.set([t, t + 1], (8 + t) * TASK_WIDTH);
    }
    expect(() => exec.run(PHASE.histogram, args(8))).toThrow(/kernel boom/);
    await exec.close();
  });
});
