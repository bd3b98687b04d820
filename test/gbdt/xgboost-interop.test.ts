import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { readPaysim, writeFeatureCsv } from "../../src/data/index.js";
import { buildFeatures } from "../../src/features/index.js";
import { aucPr, Booster, ParallelBatchPredictor, trainBooster } from "../../src/gbdt/index.js";
import { SeededRandom } from "../../src/random/index.js";
import { PAYSIM_SAMPLE } from "../helpers/cli.js";
import { xgbHelper, xgboostPredict } from "./xgboost-interop.js";

/**
 * Against real XGBoost (Debian's python3-xgboost): models cross in both directions and predict
 * the same on every row, and our trainer learns as well as XGBoost's on the same split.
 * Data: the real PaySim sample through our feature builder, with some values blanked so the
 * learned default directions for missing values are exercised too.
 */
const dir = mkdtempSync(join(tmpdir(), "lakay-gbdt-interop-"));
const all = join(dir, "features.csv");
const trainCsv = join(dir, "train.csv");
let names: string[];
let columns: Float64Array[];
let labels: Float64Array;
let trainIdx: number[];

const pick = (cols: Float64Array[], idx: number[]): Float64Array[] =>
  cols.map((c) => Float64Array.from(idx, (i) => c[i]));

beforeAll(async () => {
  const { tx } = await readPaysim(PAYSIM_SAMPLE);
  const fm = buildFeatures(tx);
  names = [...fm.names];
  columns = fm.columns.map((c) => Float64Array.from(c));
  // Blank 3% of two features (deterministically) so models learn and use default directions.
  for (let i = 0; i < fm.rows; i++) {
    if ((i * 7919) % 100 < 3) columns[1][i] = NaN;
    if ((i * 104729) % 100 < 3) columns[10][i] = NaN;
  }
  labels = Float64Array.from(tx.isFraud!);
  const idx = Array.from({ length: fm.rows }, (_, i) => i);
  trainIdx = idx.filter((i) => i % 5 !== 0);
  const withLabel = (cols: Float64Array[], y: Float64Array) => [...cols, y];
  await writeFeatureCsv(all, [...names, "isFraud"], withLabel(columns, labels), fm.rows);
  await writeFeatureCsv(
    trainCsv,
    [...names, "isFraud"],
    withLabel(
      pick(columns, trainIdx),
      Float64Array.from(trainIdx, (i) => labels[i]),
    ),
    trainIdx.length,
  );
});

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

describe("XGBoost interop", () => {
  it("loads a model trained by XGBoost and predicts exactly as XGBoost does on every row", () => {
    const model = join(dir, "xgb.json");
    const params = {
      n_estimators: 60,
      max_depth: 6,
      eta: 0.1,
      subsample: 0.8,
      colsample_bytree: 0.8,
      min_child_weight: 1,
      seed: 1,
    };
    xgbHelper(["train", trainCsv, "isFraud", model, JSON.stringify(params)]);
    const theirs = xgboostPredict(model, all, join(dir, "xgb-pred.txt"));
    const booster = Booster.fromXgboostJson(readFileSync(model, "utf8"), model);
    expect(booster.featureNames).toEqual(names);
    const compiled = booster.compile().predictBatch(columns, labels.length);
    const interpreted = booster.interpreter().predictBatch(columns, labels.length);
    expect(maxAbsDiff(compiled, theirs)).toBeLessThan(1e-6);
    expect(maxAbsDiff(compiled, interpreted)).toBe(0);
    const row = columns.map((c) => c[123]);
    expect(booster.compile().predictRow(row)).toBe(compiled[123]);
  });

  it("writes a model XGBoost loads and predicts with exactly as we do on every row", async () => {
    const booster = await trainBooster(
      {
        columns: pick(columns, trainIdx),
        featureNames: names,
        labels: Float64Array.from(trainIdx, (i) => labels[i]),
      },
      { n_estimators: 60, max_depth: 6, learning_rate: 0.1, subsample: 0.8, colsample_bytree: 0.8, seed: 5 },
      { nThreads: 2 },
    );
    const model = join(dir, "ours.json");
    writeFileSync(model, booster.toXgboostJson());
    const theirs = xgboostPredict(model, all, join(dir, "ours-pred.txt"));
    const ours = booster.compile().predictBatch(columns, labels.length);
    expect(maxAbsDiff(ours, theirs)).toBeLessThan(1e-6);
  });

  it("learns as well as XGBoost with the same hyperparameters (pooled 5-fold AUC-PR within 0.01)", async () => {
    // One test fifth of the sample holds ~16 frauds, where one reordered fraud moves AUC-PR by
    // several points. Pool out-of-fold scores over 5 folds instead: every fraud counts once.
    const n = labels.length;
    const common = {
      n_estimators: 200,
      max_depth: 8,
      subsample: 0.8,
      colsample_bytree: 0.8,
      min_child_weight: 5,
      seed: 42,
    };
    xgbHelper(["oof", all, "isFraud", JSON.stringify({ ...common, eta: 0.05 }), join(dir, "oof.txt")]);
    const theirsOof = Float64Array.from(
      readFileSync(join(dir, "oof.txt"), "utf8").trim().split("\n").map(Number),
    );
    const oursOof = new Float64Array(n);
    for (let fold = 0; fold < 5; fold++) {
      const tr = Array.from({ length: n }, (_, i) => i).filter((i) => i % 5 !== fold);
      const te = Array.from({ length: n }, (_, i) => i).filter((i) => i % 5 === fold);
      const trLabels = Float64Array.from(tr, (i) => labels[i]);
      const pos = trLabels.reduce((s, y) => s + y, 0);
      const booster = await trainBooster(
        { columns: pick(columns, tr), featureNames: names, labels: trLabels },
        { ...common, learning_rate: 0.05, scale_pos_weight: (tr.length - pos) / pos },
      );
      const scores = booster.compile().predictBatch(pick(columns, te), te.length);
      te.forEach((i, k) => (oursOof[i] = scores[k]));
    }
    const ours = aucPr(labels, oursOof);
    const theirs = aucPr(labels, theirsOof);
    console.log(`pooled out-of-fold AUC-PR: ours ${ours.toFixed(4)}, XGBoost ${theirs.toFixed(4)}`);
    expect(Math.abs(ours - theirs)).toBeLessThanOrEqual(0.01);
  });
});

/**
 * The shape fraud models take: one split sets most rows apart (legitimate traffic), so most rows
 * reach a leaf right under the root and only the rest go deep. The compiled predictor lets those
 * rows stop early instead of walking every row to the deepest level; here it must still predict
 * exactly as XGBoost does, on models of that shape trained by XGBoost and by Lakay.
 */
describe("XGBoost interop on a shallow-path model shape", () => {
  const rows = 20_000;
  const shallowNames = ["segment", "kind", "x1", "x2", "x3", "x4", "x5"];
  let shallowCols: Float64Array[];
  let shallowLabels: Float64Array;
  const shallowCsv = join(dir, "shallow.csv");

  beforeAll(async () => {
    const rnd = new SeededRandom(3);
    shallowCols = shallowNames.map(() => new Float64Array(rows));
    shallowLabels = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      const risky = rnd.float() < 0.06;
      shallowCols[0][i] = risky ? 1 + rnd.float() : rnd.float();
      shallowCols[1][i] = risky ? 3 : Math.floor(rnd.float() * 3);
      for (let f = 2; f < shallowNames.length; f++) shallowCols[f][i] = rnd.float() * 2 - 1;
      if (rnd.float() < 0.03) shallowCols[3][i] = NaN;
      const z = 2 * shallowCols[2][i] - 1.5 * shallowCols[4][i] * shallowCols[5][i] + (rnd.float() - 0.5) * 2;
      shallowLabels[i] = risky && rnd.float() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    }
    await writeFeatureCsv(shallowCsv, [...shallowNames, "isFraud"], [...shallowCols, shallowLabels], rows);
  });

  /** Levels a row walks in a tree, averaged over rows and trees. */
  const meanPath = (booster: Booster): number => {
    let steps = 0;
    for (const t of booster.trees)
      for (let r = 0; r < rows; r++)
        for (let i = 0; t.leftChildren[i] !== -1; steps++) {
          const x = Math.fround(shallowCols[t.splitIndices[i]][r]);
          const left = x !== x ? t.defaultLeft[i] === 1 : x < t.splitConditions[i];
          i = left ? t.leftChildren[i] : t.rightChildren[i];
        }
    return steps / (rows * booster.trees.length);
  };

  const expectAsXgboost = async (model: string, predOut: string) => {
    const booster = Booster.fromXgboostJson(readFileSync(model, "utf8"), model);
    // The shape under test: most rows stop after one split, though trees go 8 levels deep.
    expect(meanPath(booster)).toBeLessThan(2.5);
    expect(Math.max(...booster.trees.map((t) => t.leftChildren.length))).toBeGreaterThan(40);
    const compiled = booster.compile();
    const ours = compiled.predictBatch(shallowCols, rows);
    expect(maxAbsDiff(ours, xgboostPredict(model, shallowCsv, predOut))).toBeLessThan(1e-6);
    expect(maxAbsDiff(ours, booster.interpreter().predictBatch(shallowCols, rows))).toBe(0);
    for (const r of [0, 1, 17, 4_321, rows - 1])
      expect(compiled.predictRow(shallowCols.map((c) => c[r]))).toBe(ours[r]);
    const parallel = new ParallelBatchPredictor(compiled, 2);
    try {
      expect(await parallel.predictBatch(shallowCols, rows)).toEqual(ours);
    } finally {
      await parallel.close();
    }
  };

  const params = {
    n_estimators: 60,
    max_depth: 8,
    subsample: 0.8,
    colsample_bytree: 0.8,
    min_child_weight: 5,
    seed: 4,
  };

  it("an XGBoost-trained model (max_depth 8, min_child_weight 5) predicts here exactly as in XGBoost", async () => {
    const model = join(dir, "shallow-xgb.json");
    xgbHelper(["train", shallowCsv, "isFraud", model, JSON.stringify({ ...params, eta: 0.1 })]);
    await expectAsXgboost(model, join(dir, "shallow-xgb-pred.txt"));
  });

  it("a Lakay-trained model of the same shape predicts in XGBoost exactly as here", async () => {
    const booster = await trainBooster(
      { columns: shallowCols, featureNames: shallowNames, labels: shallowLabels },
      { ...params, learning_rate: 0.1 },
      { nThreads: 2 },
    );
    const model = join(dir, "shallow-ours.json");
    writeFileSync(model, booster.toXgboostJson());
    await expectAsXgboost(model, join(dir, "shallow-ours-pred.txt"));
  });
});
