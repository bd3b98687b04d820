import { mkdtempSync, rmSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFeatureCsv, writeFeatureCsv } from "../../src/data/index.js";
import { Booster, trainBooster } from "../../src/gbdt/index.js";
import type { RegressionTree } from "../../src/gbdt/tree.js";
import { compileTreeShapKernel } from "../../src/gbdt/tree-shap-kernel.js";
import { buildTreeShapProgram } from "../../src/gbdt/tree-shap-program.js";
import { syntheticData } from "./synthetic.js";
import { worstDiff, xgbHelper, xgboostContribs, xgboostMargins } from "./xgboost-interop.js";

/**
 * TreeSHAP against real XGBoost (Debian's python3-xgboost 1.7) on generated data: every
 * contribution of every row within 1e-5 of `pred_contribs`, for a model trained here and one
 * trained by XGBoost, with missing values and deep trees that split on a feature more than once
 * on one path (the repeated-feature case of the algorithm).
 */
const dir = mkdtempSync(join(tmpdir(), "lakay-tree-shap-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function writeCsv(file: string, names: string[], columns: Float64Array[], labels?: Float64Array) {
  const cols = labels ? [...columns, labels] : columns;
  await writeFeatureCsv(file, labels ? [...names, "isFraud"] : names, cols, columns[0].length);
}

describe("TreeSHAP equals XGBoost's pred_contribs (generated data)", () => {
  const generated = syntheticData(6000, 7);
  const { featureNames, labels } = generated;
  const rows = labels.length;
  const csv = join(dir, "synthetic.csv");
  // Both sides read the values XGBoost reads: the CSV's (its decimals, not the generator's doubles).
  let columns: Float64Array[];
  beforeAll(async () => {
    await writeCsv(csv, featureNames, generated.columns, labels);
    const read = await readFeatureCsv(csv);
    columns = featureNames.map((n) => read.columns[read.names.indexOf(n)]);
  });

  const check = async (booster: Booster, model: string) => {
    const theirs = xgboostContribs(model, csv, join(dir, "contribs.f32"));
    const explainer = booster.explainer();
    const ours = explainer.explainBatch(columns, rows);
    expect(worstDiff(ours, theirs)).toBeLessThan(1e-5);

    // Leaves past the table budget take the integral at run time: with half the budget, both
    // kinds of leaf in one model, and the same numbers.
    const nTable = explainer.program.table.length;
    const half = buildTreeShapProgram(booster.trees, featureNames.length, booster.baseScore, nTable >> 1);
    expect(half.leafTable.some((t) => t < 0) && half.leafTable.some((t) => t >= 0)).toBe(true);
    const mixed = new Float64Array(ours.length);
    compileTreeShapKernel(half).explainRows(columns, 0, rows, mixed, 0);
    expect(worstDiff(mixed, theirs)).toBeLessThan(1e-5);

    // Contributions plus bias sum to the margin XGBoost predicts.
    const margins = xgboostMargins(model, csv, join(dir, "margins.f32"));
    const nf = featureNames.length;
    const sums = new Float64Array(rows);
    for (let r = 0; r < rows; r++) for (let f = 0; f <= nf; f++) sums[r] += ours[r * (nf + 1) + f];
    expect(worstDiff(sums, margins)).toBeLessThan(1e-4);

    // The single-row path gives the batch's numbers, bit for bit.
    for (const r of [0, 17, rows - 1]) {
      const one = explainer.explainRow(columns.map((c) => c[r]));
      expect(Array.from(one.contributions)).toEqual(
        Array.from(ours.subarray(r * (nf + 1), r * (nf + 1) + nf)),
      );
      expect(one.bias).toBe(ours[r * (nf + 1) + nf]);
    }
  };

  it("for a model trained here (deep trees, repeated features on a path, missing values)", async () => {
    const booster = await trainBooster(
      { columns, featureNames, labels },
      { n_estimators: 40, max_depth: 8, learning_rate: 0.2, subsample: 0.8, seed: 3 },
      { nThreads: 1 },
    );
    const model = join(dir, "ours.json");
    writeFileSync(model, booster.toXgboostJson());
    await check(booster, model);
  });

  it("for a model trained by XGBoost", async () => {
    const model = join(dir, "xgb.json");
    xgbHelper([
      "train",
      csv,
      "isFraud",
      model,
      JSON.stringify({ n_estimators: 30, max_depth: 9, eta: 0.15, colsample_bytree: 0.8, seed: 4 }),
    ]);
    await check(Booster.fromXgboostJson(readFileSync(model, "utf8"), model), model);
  });

  it("for deep trees with 7-8 distinct features on a path (tables of 128-256 patterns)", async () => {
    // Ten features that all matter a little, so depth-8 paths split on many different ones.
    let seed = 99;
    const rnd = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296;
    const n = 4000;
    const names = Array.from({ length: 10 }, (_, i) => `x${i}`);
    const cols = names.map(() => new Float64Array(n));
    const y = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      let z = 0;
      cols.forEach((c, i) => {
        c[r] = rnd() < 0.05 ? NaN : Math.round(rnd() * 1000) / 100;
        z += (Number.isNaN(c[r]) ? 5 : c[r]) * (i % 2 ? 1 : -0.7);
      });
      y[r] = z + (rnd() - 0.5) * 6 > 1.5 ? 1 : 0;
    }
    const wide = join(dir, "wide.csv");
    await writeCsv(wide, names, cols, y);
    const read = await readFeatureCsv(wide);
    const wideCols = names.map((name) => read.columns[read.names.indexOf(name)]);
    const model = join(dir, "wide.json");
    xgbHelper([
      "train",
      wide,
      "isFraud",
      model,
      JSON.stringify({ n_estimators: 25, max_depth: 8, eta: 0.3, seed: 6 }),
    ]);
    const booster = Booster.fromXgboostJson(readFileSync(model, "utf8"), model);
    const explainer = booster.explainer();
    expect(explainer.program.maxSlots).toBeGreaterThanOrEqual(7);
    const ours = explainer.explainBatch(wideCols, n);
    const theirs = xgboostContribs(model, wide, join(dir, "wide.f32"));
    expect(worstDiff(ours, theirs)).toBeLessThan(1e-5);
  });
});

/**
 * Path-dependent Shapley values by their definition: every subset S of features, the tree's
 * expected value given S (a split on a feature in S follows the row, any other split averages its
 * children by cover), weighted |S|!(M−|S|−1)!/M!. Exponential in M: for tiny hand-made trees.
 */
function bruteForceShap(tree: RegressionTree, nFeatures: number, x: number[]): number[] {
  const expected = (i: number, known: number): number => {
    const l = tree.leftChildren[i];
    if (l === -1) return tree.splitConditions[i];
    const r = tree.rightChildren[i];
    const f = tree.splitIndices[i];
    if (known & (1 << f)) return expected(x[f] < tree.splitConditions[i] ? l : r, known);
    const c = tree.sumHessian;
    return (c[l] * expected(l, known) + c[r] * expected(r, known)) / c[i];
  };
  const fact = (n: number): number => (n <= 1 ? 1 : n * fact(n - 1));
  const phi = new Array<number>(nFeatures).fill(0);
  for (let f = 0; f < nFeatures; f++)
    for (let known = 0; known < 1 << nFeatures; known++) {
      if (known & (1 << f)) continue;
      let size = 0;
      for (let g = 0; g < nFeatures; g++) size += (known >> g) & 1;
      const w = (fact(size) * fact(nFeatures - size - 1)) / fact(nFeatures);
      phi[f] += w * (expected(0, known | (1 << f)) - expected(0, known));
    }
  return phi;
}

describe("TreeSHAP on a branch no training row took (zero cover)", () => {
  // Root splits feature 0 at 1; its left child splits feature 1 at 2 into a leaf with cover 0
  // (z = 0: no table, the integral) and one with all of it; the right child splits feature 0
  // again (a repeated slot) and then feature 2.
  //        0:f0<1
  //    1:f1<2      4:f0<3
  //   2     3     5   6:f2<0
  //                  7     8
  const tree: RegressionTree = {
    leftChildren: Int32Array.from([1, 2, -1, -1, 5, -1, 7, -1, -1]),
    rightChildren: Int32Array.from([4, 3, -1, -1, 6, -1, 8, -1, -1]),
    parents: Int32Array.from([2147483647, 0, 1, 1, 0, 4, 4, 6, 6]),
    splitIndices: Int32Array.from([0, 1, 0, 0, 0, 0, 2, 0, 0]),
    splitConditions: Float32Array.from([1, 2, 0.5, -0.25, 3, 0.75, 0, -1, 0.125]),
    defaultLeft: Uint8Array.from([1, 1, 0, 0, 0, 0, 1, 0, 0]),
    baseWeights: new Float32Array(9),
    lossChanges: new Float32Array(9),
    sumHessian: Float32Array.from([10, 4, 0, 4, 6, 2, 4, 1, 3]),
  };
  const booster = new Booster(["a", "b", "c"], [tree], 0.5);

  it("equals the Shapley values by definition, with and without tables", () => {
    const explainer = booster.explainer();
    const noTables = compileTreeShapKernel(buildTreeShapProgram([tree], 3, 0.5, 0));
    const out = new Float64Array(4);
    for (const x of [
      [0, 1, 0],
      [0, 3, 0],
      [2, 1, -1],
      [2, 1, 1],
      [5, 5, 5],
    ]) {
      const want = bruteForceShap(tree, 3, x);
      const ours = explainer.explainRow(x).contributions;
      noTables.explainRow(Float32Array.from(x), out, 0);
      for (let f = 0; f < 3; f++) {
        expect(ours[f]).toBeCloseTo(want[f], 6);
        expect(out[f]).toBeCloseTo(want[f], 6);
      }
    }
  });
});
