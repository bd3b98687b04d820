#!/usr/bin/env node
// Prediction benchmark against XGBoost's own `inplace_predict` on the same models and rows, on two
// model shapes, each with 200 trees trained by XGBoost and by Lakay with the training YAML's
// hyperparameters (max_depth 8, min_child_weight 5, ...), made once per --work directory:
//   deep     PaySim features (`lakay generate paysim --rows --deep-rows --seed 7`, then `features
//            build`, a stratified 80/20 split as bench/gbdt-train.mjs makes): rows go ~5 levels
//            deep on average;
//   shallow  data where one split separates most rows (as fraud traffic is separated by
//            transaction type): most rows reach a leaf after 1-2 levels.
// --model/--features add a given model and its rows (e.g. bench/gbdt-train.mjs's).
// For each model: the mean path length measured (levels a row walks in a tree, averaged over rows
// and trees), single-row latency p50/p99 of both, and batch throughput on 1 thread and on
// --threads: --pairs alternating runs of both sides (XGBoost runs in a long-lived helper process,
// so the sides take turns within one run; who goes first alternates too), medians, the ratio of
// the medians and the median of the pairs' own ratios (the figure a drift of the machine's speed
// moves least). Checks every row: Lakay's 1-thread and N-thread scores are equal, and within 1e-6
// of XGBoost's. Prints one JSON document.
//
// usage: node bench/gbdt-predict.mjs [--model MODEL.json --features FEATURES.csv] [--threads 2]
//        [--pairs 5] [--single 100000] [--work /tmp/gbdt-predict-bench] [--shallow-rows 200000]
//        [--deep-rows 1000000]
// Needs `npm run build` first.
/* global URL, performance */
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { readFeatureCsv, writeFeatureCsv } from "../dist/data/index.js";
import { Booster, ParallelBatchPredictor } from "../dist/gbdt/index.js";
import { SeededRandom } from "../dist/random/index.js";
import { stratifiedSplit } from "../dist/training/index.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const { values: a } = parseArgs({
  options: {
    model: { type: "string" },
    features: { type: "string" },
    threads: { type: "string", default: "2" },
    pairs: { type: "string", default: "5" },
    single: { type: "string", default: "100000" },
    work: { type: "string", default: "/tmp/gbdt-predict-bench" },
    "shallow-rows": { type: "string", default: "200000" },
    "deep-rows": { type: "string", default: "1000000" },
  },
});
mkdirSync(a.work, { recursive: true });
const threads = Number(a.threads);
const load = [loadavg()[0]];

/**
 * Shallow-shape data: 5 % of rows are "risky" and carry every positive label (a noisy function of
 * a few features); the others are told apart by three features (segment, kind, flag), so trees
 * send them to a leaf after their first split.
 */
function shallowData(rows, seed) {
  const rnd = new SeededRandom(seed);
  const names = ["segment", "kind", "flag", ...Array.from({ length: 8 }, (_, i) => `x${i + 1}`), "isFraud"];
  const cols = names.map(() => new Float64Array(rows));
  for (let i = 0; i < rows; i++) {
    const risky = rnd.float() < 0.05;
    cols[0][i] = risky ? 1 + rnd.float() : rnd.float();
    cols[1][i] = risky ? 3 + Math.floor(rnd.float() * 2) : Math.floor(rnd.float() * 3);
    cols[2][i] = risky ? rnd.float() * 100 : 0;
    for (let f = 3; f <= 10; f++) cols[f][i] = rnd.float() * 2 - 1 + (f % 3 === 0 ? rnd.float() : 0);
    if (rnd.float() < 0.03) cols[4][i] = NaN;
    let y = 0;
    if (risky) {
      const z =
        -2.5 +
        2 * cols[3][i] +
        1.5 * (cols[4][i] > 0.2 ? 1 : 0) -
        1.5 * cols[5][i] * cols[6][i] +
        cols[7][i] +
        (rnd.float() - 0.5) * 2;
      y = rnd.float() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    }
    cols[11][i] = y;
  }
  return { names, cols };
}

/** The shallow models (XGBoost's and ours) and their test rows, made once per --work directory. */
async function shallowModels() {
  const rows = Number(a["shallow-rows"]);
  const stem = join(a.work, `shallow-${rows}`);
  for (const [file, seed] of [
    [`${stem}.train.csv`, 1],
    [`${stem}.test.csv`, 2],
  ])
    if (!existsSync(file)) {
      const d = shallowData(rows, seed);
      await writeFeatureCsv(file, d.names, d.cols, rows);
    }
  return trainBoth("shallow", stem);
}

/** The deep models: PaySim features of generated rows, split 80/20 as bench/gbdt-train.mjs does. */
async function deepModels() {
  const rows = Number(a["deep-rows"]);
  const stem = join(a.work, `paysim-${rows}`);
  if (!existsSync(`${stem}.train.csv`) || !existsSync(`${stem}.test.csv`)) {
    const cli = (...args) => execFileSync(process.execPath, [join(root, "dist/cli/main.js"), ...args]);
    cli("generate", "paysim", "--rows", String(rows), "--seed", "7", "--out", `${stem}.csv`);
    cli("features", "build", "--dataset", `${stem}.csv`, "--out", `${stem}.features.csv`);
    const csv = await readFeatureCsv(`${stem}.features.csv`);
    const split = stratifiedSplit(csv.columns[csv.names.indexOf("isFraud")], 0.2, 42);
    for (const [part, name] of [
      [split.train, "train"],
      [split.test, "test"],
    ])
      await writeFeatureCsv(
        `${stem}.${name}.csv`,
        csv.names,
        csv.columns.map((c) => Float64Array.from(part, (i) => c[i])),
        part.length,
      );
  }
  return trainBoth("deep", stem);
}

/** 200-tree models of STEM.train.csv by XGBoost and by Lakay (made once), scored on STEM.test.csv. */
function trainBoth(shape, stem) {
  const [train, test, xgbModel, ourModel] = ["train.csv", "test.csv", "xgb.json", "lakay.json"].map(
    (ext) => `${stem}.${ext}`,
  );
  if (!existsSync(xgbModel))
    execFileSync("/usr/bin/python3", [
      join(root, "bench/gbdt-train-xgb.py"),
      train,
      test,
      "isFraud",
      xgbModel,
      "--threads",
      a.threads,
    ]);
  if (!existsSync(ourModel)) {
    const params = join(a.work, "params.yaml");
    writeFileSync(
      params,
      "n_estimators: 200\nmax_depth: 8\nlearning_rate: 0.05\nsubsample: 0.8\ncolsample_bytree: 0.8\n" +
        "min_child_weight: 5\nscale_pos_weight: auto\nseed: 42\n",
    );
    execFileSync(process.execPath, [
      join(root, "dist/cli/main.js"),
      "gbdt",
      "train",
      "--features",
      train,
      "--label",
      "isFraud",
      "--config",
      params,
      "--eval-fraction",
      "0",
      "--out",
      ourModel,
    ]);
  }
  return [
    { shape, trainedBy: "xgboost", model: xgbModel, features: test },
    { shape, trainedBy: "lakay", model: ourModel, features: test },
  ];
}

/** Levels a row walks from the root to its leaf, averaged over (up to 20,000) rows and every tree. */
function meanPathLength(booster, cols, n) {
  const m = Math.min(n, 20_000);
  let steps = 0;
  for (const t of booster.trees)
    for (let r = 0; r < m; r++)
      for (let i = 0; t.leftChildren[i] !== -1; steps++) {
        const x = Math.fround(cols[t.splitIndices[i]][r]);
        const left = x !== x ? t.defaultLeft[i] === 1 : x < t.splitConditions[i];
        i = left ? t.leftChildren[i] : t.rightChildren[i];
      }
  return Number((steps / (m * booster.trees.length)).toFixed(2));
}

/** The XGBoost helper process: one JSON command a line in, one JSON answer a line out. */
function xgboostHelper() {
  const child = spawn("/usr/bin/python3", [join(root, "bench/gbdt-predict-xgb.py")], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    async ask(cmd) {
      child.stdin.write(JSON.stringify(cmd) + "\n");
      const { value, done } = await lines.next();
      if (done) throw new Error(`the XGBoost helper stopped (command ${cmd.cmd})`);
      return JSON.parse(value);
    },
    close: () => child.stdin.end(JSON.stringify({ cmd: "quit" }) + "\n"),
  };
}

const median = (v) => [...v].sort((p, q) => p - q)[Math.floor((v.length - 1) / 2)];

async function measure(xgb, c) {
  const booster = Booster.fromXgboostJson(readFileSync(c.model, "utf8"));
  const csv = await readFeatureCsv(c.features);
  const cols = booster.featureNames.map((name) => csv.columns[csv.names.indexOf(name)]);
  const n = csv.rows;
  const predictor = booster.compile();
  await xgb.ask({ cmd: "load", model: c.model, features: c.features });

  // Single rows, as the model server sees them: one Float64Array of feature values a call.
  const rows = Array.from({ length: Math.min(n, 10_000) }, (_, i) =>
    Float64Array.from(cols, (col) => col[i]),
  );
  for (let i = 0; i < 50_000; i++) predictor.predictRow(rows[i % rows.length]);
  const single = Number(a.single);
  const lat = new Float64Array(single);
  let sink = 0;
  for (let i = 0; i < single; i++) {
    const r = rows[i % rows.length];
    const t0 = process.hrtime.bigint();
    sink += predictor.predictRow(r);
    lat[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  lat.sort();
  const pct = (q) => Number(lat[Math.min(single - 1, Math.floor(q * single))].toFixed(2));
  const xgbSingle = await xgb.ask({ cmd: "single", n: Math.min(single, 20_000) });

  const pool = new ParallelBatchPredictor(predictor, threads);
  predictor.predictBatch(cols, Math.min(n, 20_000));
  await pool.predictBatch(cols, Math.min(n, 20_000));
  const sides = {
    lakay1: async () => predictor.predictBatch(cols, n),
    lakayN: async () => pool.predictBatch(cols, n),
    xgb1: async () => (await xgb.ask({ cmd: "batch", threads: 1 })).seconds,
    xgbN: async () => (await xgb.ask({ cmd: "batch", threads })).seconds,
  };
  const secs = { lakay1: [], lakayN: [], xgb1: [], xgbN: [] };
  let ours;
  let parallel;
  for (let p = 0; p < Number(a.pairs); p++) {
    for (const th of ["1", "N"]) {
      const order = p % 2 === 0 ? [`lakay${th}`, `xgb${th}`] : [`xgb${th}`, `lakay${th}`];
      for (const side of order) {
        const t0 = performance.now();
        const r = await sides[side]();
        const wall = (performance.now() - t0) / 1000;
        // XGBoost's seconds are its own call's, without the pipe round trip.
        secs[side].push(side.startsWith("xgb") ? r : wall);
        if (side === "lakay1") ours = r;
        if (side === "lakayN") parallel = r;
      }
    }
  }
  await pool.close();
  for (let i = 0; i < n; i++)
    if (parallel[i] !== ours[i]) throw new Error(`parallel batch differs at row ${i}`);
  const predOut = join(a.work, "xgb-pred.txt");
  await xgb.ask({ cmd: "predict", out: predOut });
  const theirs = readFileSync(predOut, "utf8").trim().split("\n").map(Number);
  let maxDiff = 0;
  for (let i = 0; i < n; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i] - theirs[i]));
  load.push(loadavg()[0]);

  const rate = (s) => Math.round(n / median(s));
  const versus = (ourS, theirS) => ({
    lakay_rows_per_s: rate(ourS),
    xgboost_rows_per_s: rate(theirS),
    ratio_of_medians: Number((median(theirS) / median(ourS)).toFixed(2)),
    pair_ratio_median: Number(median(ourS.map((s, i) => theirS[i] / s)).toFixed(2)),
    pair_ratios: ourS.map((s, i) => Number((theirS[i] / s).toFixed(2))),
  });
  return {
    shape: c.shape,
    trained_by: c.trainedBy,
    model: c.model,
    trees: booster.numTrees,
    rows: n,
    mean_path_length: meanPathLength(booster, cols, n),
    single_row_us: {
      lakay_p50: pct(0.5),
      lakay_p99: pct(0.99),
      xgboost_p50: Number(xgbSingle.p50_us.toFixed(2)),
      xgboost_p99: Number(xgbSingle.p99_us.toFixed(2)),
    },
    batch_1_thread: versus(secs.lakay1, secs.xgb1),
    [`batch_${threads}_threads`]: versus(secs.lakayN, secs.xgbN),
    max_abs_diff_vs_xgboost: maxDiff,
    _sink: sink > 0,
  };
}

const cases = [];
if (a.model && a.features)
  cases.push({ shape: "given", trainedBy: "-", model: a.model, features: a.features });
cases.push(...(await deepModels()), ...(await shallowModels()));
const xgb = xgboostHelper();
const results = [];
for (const c of cases) {
  results.push(await measure(xgb, c));
  console.error(`${c.shape} (${c.trainedBy}) done`);
}
xgb.close();
console.log(
  JSON.stringify(
    { threads, pairs: Number(a.pairs), results, load_avg_1m: load.map((l) => Number(l.toFixed(2))) },
    null,
    2,
  ),
);
