import { describe, expect, it } from "vitest";
import { Booster, CompiledPredictor, ParallelBatchPredictor } from "../../src/gbdt/index.js";
import { TreeBuilder, type RegressionTree } from "../../src/gbdt/tree.js";

/**
 * The compiled predictor (thresholds turned into integer codes, trees walked side by side) held
 * equal, bit for bit, to the plain interpreter: on the edges of float32 comparison, on missing
 * values in both default directions, on random ensembles of every shape, and past the packed
 * form's limits where it falls back to the interpreter.
 */

const seeded = (seed: number) => {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
};

/** A random tree on `nf` features: up to `maxDepth` deep, thresholds drawn from `pool`. */
function randomTree(
  rnd: () => number,
  nf: number,
  maxDepth: number,
  pool: readonly number[],
): RegressionTree {
  const b = new TreeBuilder();
  const grow = (id: number, depth: number): void => {
    if (depth >= maxDepth || (depth > 0 && rnd() < 0.3)) return;
    const left = b.addNode(id, Math.fround((rnd() - 0.5) / 10), 1);
    const right = b.addNode(id, Math.fround((rnd() - 0.5) / 10), 1);
    const threshold = pool[Math.floor(rnd() * pool.length)];
    b.setSplit(id, Math.floor(rnd() * nf), threshold, rnd() < 0.5, 1, left, right);
    grow(left, depth + 1);
    grow(right, depth + 1);
  };
  grow(b.addNode(-1, Math.fround((rnd() - 0.5) / 10), 1), 0);
  return b.finish();
}

/** Values that sit on, beside and between the thresholds, plus the awkward ones. */
function edgeValues(pool: readonly number[]): number[] {
  const out = [NaN, 0, -0, Infinity, -Infinity, 1e30, -1e30];
  for (const t of pool) {
    const below = Math.fround(t - Math.max(Math.abs(t) * 2 ** -23, 1e-45));
    // A float64 just under t that rounds to t in float32: must compare as t (goes right).
    out.push(t, below, Math.fround(t + Math.abs(t) * 2 ** -23), t - Math.abs(t) * 2 ** -26);
  }
  return out;
}

function randomColumns(rnd: () => number, nf: number, n: number, values: readonly number[]): Float64Array[] {
  return Array.from({ length: nf }, () =>
    Float64Array.from({ length: n }, () => values[Math.floor(rnd() * values.length)]),
  );
}

function expectSameAsInterpreter(booster: Booster, columns: Float64Array[], n: number): void {
  const compiled = booster.compile();
  const reference = booster.interpreter();
  const margins = reference.predictBatch(columns, n, undefined, { margin: true });
  expect(compiled.predictBatch(columns, n, undefined, { margin: true })).toEqual(margins);
  expect(compiled.predictBatch(columns, n)).toEqual(reference.predictBatch(columns, n));
  for (let r = 0; r < n; r++) {
    const row = columns.map((c) => c[r]);
    expect(compiled.predictMargin(row)).toBe(margins[r]);
    expect(compiled.predictRow(row)).toBe(reference.predictRow(row));
  }
}

describe("CompiledPredictor", () => {
  const pool = [-1.5, -0, 0.1, 0.3333333432674408, 1, 2.5, 1e6, 123456.7890625];

  it("compares in float32 exactly as XGBoost: x < threshold goes left, NaN follows the default", () => {
    const rnd = seeded(7);
    const trees = Array.from({ length: 37 }, () => randomTree(rnd, 4, 6, pool));
    const booster = new Booster(["a", "b", "c", "d"], trees, 0.3);
    const values = edgeValues(pool);
    expectSameAsInterpreter(booster, randomColumns(rnd, 4, 3001, values), 3001);
  });

  it("matches the interpreter on random ensembles of every shape", () => {
    for (const [seed, nTrees, depth, nf] of [
      [1, 1, 0, 3], // a single leaf
      [2, 8, 1, 1],
      [3, 17, 10, 6], // more trees than a group of 8, deep trees, features left unused
      [4, 200, 8, 11],
      [5, 60, 6, 1], // one feature, few thresholds: runs of trees with the same root split
    ]) {
      const rnd = seeded(seed);
      const thresholds = Array.from({ length: nf === 1 ? 2 : 300 }, () => Math.fround((rnd() - 0.5) * 1000));
      const trees = Array.from({ length: nTrees }, () => randomTree(rnd, nf, depth, thresholds));
      const booster = new Booster(
        Array.from({ length: nf }, (_, f) => `f${f}`),
        trees,
        0.5,
      );
      const values = [...edgeValues(thresholds.slice(0, 50)), ...thresholds.map((t) => t + 0.25)];
      expectSameAsInterpreter(booster, randomColumns(rnd, nf, 1000, values), 1000);
    }
  });

  it("codes values exactly where thresholds crowd under the same top bits of their float, across zero and denormals", () => {
    // 400 thresholds within a few ulps-thousands of 1 share one entry of the code table (a long
    // scan), and the others straddle zero, the denormals and both infinities' neighbours.
    const crowded = Array.from({ length: 400 }, (_, i) => Math.fround(1 + i * 2 ** -22));
    const spread = [-3.4e38, -1, -1e-45, -0, 1e-45, 1.1754942e-38, 1e-30, 3.4e38];
    const thresholds = [...crowded, ...spread];
    const rnd = seeded(9);
    const trees = Array.from({ length: 24 }, () => randomTree(rnd, 2, 6, thresholds));
    const booster = new Booster(["a", "b"], trees, 0.5);
    const values = [...edgeValues(thresholds), ...crowded.map((t) => t + 2 ** -24)];
    expectSameAsInterpreter(booster, randomColumns(rnd, 2, 4000, values), 4000);
  });

  it("keeps the code tables of a wide model within their budget, coarser but still exact", () => {
    // 1,500 features whose thresholds span ±1e30 would want 65,536 table entries each (375 MB);
    // they get fewer key bits instead, and values scan more thresholds.
    const nf = 1500;
    const pool = [-1e30, -1, -1e-30, 1e-30, 0.5, 1, 1e30];
    const rnd = seeded(13);
    const trees = Array.from({ length: 400 }, () => randomTree(rnd, nf, 5, pool));
    const booster = new Booster(
      Array.from({ length: nf }, (_, f) => `f${f}`),
      trees,
      0.5,
    );
    const program = booster.compile().program!;
    expect(program.features.length).toBeGreaterThan(1000);
    expect(program.keyTable.length).toBeLessThanOrEqual(1 << 22);
    expect(Math.max(...program.keyShifts)).toBeGreaterThan(16);
    expectSameAsInterpreter(booster, randomColumns(rnd, nf, 200, edgeValues(pool)), 200);
  });

  it("falls back to the interpreter for a model splitting on more features than the packed form holds", async () => {
    const nf = 2100;
    const trees = Array.from({ length: nf }, (_, f) => {
      const b = new TreeBuilder();
      const root = b.addNode(-1, 0, 1);
      b.setSplit(root, f, 0.5, f % 2 === 0, 1, b.addNode(root, -0.01, 1), b.addNode(root, 0.02, 1));
      return b.finish();
    });
    const booster = new Booster(
      Array.from({ length: nf }, (_, f) => `f${f}`),
      trees,
      0.5,
    );
    const compiled = booster.compile();
    expect(compiled.program).toBeUndefined();
    const columns = randomColumns(seeded(5), nf, 20, [0, 0.5, 1, NaN]);
    expectSameAsInterpreter(booster, columns, 20);
    const parallel = new ParallelBatchPredictor(compiled, 2);
    try {
      expect(await parallel.predictBatch(columns, 20)).toEqual(compiled.predictBatch(columns, 20));
    } finally {
      await parallel.close();
    }
  });
});

describe("ParallelBatchPredictor", () => {
  it("scores plain-array columns exactly as the single-thread batch predictor", async () => {
    const rnd = seeded(11);
    const thresholds = Array.from({ length: 100 }, () => Math.fround(rnd() * 10));
    const trees = Array.from({ length: 30 }, () => randomTree(rnd, 3, 7, thresholds));
    const compiled = new CompiledPredictor(["x", "y", "z"], trees, 0.2);
    const n = 140_000; // more than one shared chunk
    const columns = randomColumns(rnd, 3, n, [...edgeValues(thresholds.slice(0, 20)), 5, 7]);
    const parallel = new ParallelBatchPredictor(compiled, 2);
    try {
      const plain = columns.map((c) => Array.from(c));
      expect(await parallel.predictBatch(plain, n)).toEqual(compiled.predictBatch(columns, n));
    } finally {
      await parallel.close();
    }
  });
});
