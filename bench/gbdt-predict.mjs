#!/usr/bin/env node
// Prediction benchmark against XGBoost's own Python predictor on the same model and rows:
// single-row latency (p50/p99) of the compiled predictor vs `inplace_predict`, batch throughput
// on 1 thread and on --threads for both (best of --reps whole-batch runs each; the machine may be
// shared), their ratios, and the largest difference between the two predictions over every row.
// Prints one JSON document.
//
// usage: node bench/gbdt-predict.mjs --model MODEL.json --features FEATURES.csv [--threads 2] [--single 200000] [--reps 3]
// (bench/gbdt-train.mjs leaves XGBoost's and our 200-tree models and the test split in /tmp/gbdt-bench.)
// Needs `npm run build` first.
/* global URL, performance */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { readFeatureCsv } from "../dist/data/index.js";
import { Booster, ParallelBatchPredictor } from "../dist/gbdt/index.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const { values: a } = parseArgs({
  options: {
    model: { type: "string" },
    features: { type: "string" },
    threads: { type: "string", default: "2" },
    single: { type: "string", default: "200000" },
    reps: { type: "string", default: "3" },
  },
});
if (!a.model || !a.features)
  throw new Error("usage: gbdt-predict.mjs --model MODEL.json --features FEATURES.csv");

const load = [loadavg()[0]];
const booster = Booster.fromXgboostJson(readFileSync(a.model, "utf8"));
const csv = await readFeatureCsv(a.features);
const cols = booster.featureNames.map((n) => csv.columns[csv.names.indexOf(n)]);
const n = csv.rows;
const predictor = booster.compile();

// Single rows, as the model server sees them: one Float64Array of feature values a call.
const rows = Array.from({ length: Math.min(n, 10_000) }, (_, i) => Float64Array.from(cols, (c) => c[i]));
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

/** Rows per second of the best of --reps runs of `score` (after one warm-up run on 20,000 rows). */
async function bestRowsPerS(score) {
  await score(Math.min(n, 20_000));
  let best = Infinity;
  let result;
  for (let i = 0; i < Number(a.reps); i++) {
    const t0 = performance.now();
    result = await score(n);
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return { rowsPerS: Math.round(n / best), result };
}
const { rowsPerS: batch1, result: ours } = await bestRowsPerS((rows) => predictor.predictBatch(cols, rows));
const pool = new ParallelBatchPredictor(predictor, Number(a.threads));
const { rowsPerS: batchN, result: parallel } = await bestRowsPerS((rows) => pool.predictBatch(cols, rows));
await pool.close();
for (let i = 0; i < n; i++)
  if (parallel[i] !== ours[i]) throw new Error(`parallel batch differs at row ${i}`);
load.push(loadavg()[0]);

const predOut = "/tmp/gbdt-bench-xgb-pred.txt";
const xgb = JSON.parse(
  execFileSync(
    "/usr/bin/python3",
    [
      fileURLToPath(new URL("gbdt-predict-xgb.py", import.meta.url)),
      a.model,
      a.features,
      predOut,
      "--threads",
      a.threads,
      "--reps",
      a.reps,
    ],
    {
      encoding: "utf8",
      cwd: root,
    },
  ),
);
const theirs = readFileSync(predOut, "utf8").trim().split("\n").map(Number);
let maxDiff = 0;
for (let i = 0; i < n; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i] - theirs[i]));
load.push(loadavg()[0]);

console.log(
  JSON.stringify(
    {
      model: a.model,
      trees: booster.numTrees,
      rows: n,
      lakay: {
        single_p50_us: pct(0.5),
        single_p99_us: pct(0.99),
        batch_rows_per_s_1_thread: batch1,
        batch_rows_per_s: batchN,
        batch_threads: Number(a.threads),
      },
      xgboost: xgb,
      lakay_over_xgboost: {
        batch_1_thread: Number((batch1 / xgb.batch_rows_per_s_1_thread).toFixed(2)),
        batch_threads: Number((batchN / xgb.batch_rows_per_s).toFixed(2)),
        single_p50: Number((xgb.single_p50_us / pct(0.5)).toFixed(1)),
      },
      max_abs_diff_vs_xgboost: maxDiff,
      load_avg_1m: load.map((l) => Number(l.toFixed(2))),
      _sink: sink > 0,
    },
    null,
    2,
  ),
);
