#!/usr/bin/env node
// Side-by-side training benchmark: XGBoost 1.7 `hist` (Debian's /usr/bin/python3) and
// `lakay gbdt train` on the SAME feature CSV, the SAME stratified 80/20 split and the training
// YAML's hyperparameters. Both report training seconds only (CSV load excluded); peak RSS of each
// whole process comes from /usr/bin/time. Prints one JSON document; the ratio is what to quote.
// With --reps N the two trainings alternate N times (XGBoost first, then Lakay first, in turn)
// and both the ratio of the median times and the median of the pairs' ratios are printed: on a
// shared VM single runs of either engine vary by ±15 %.
//
// usage: node bench/gbdt-train.mjs [--features /work/bench-data/features-1m.csv] [--threads 2]
//        [--trees 200] [--work /tmp/gbdt-bench] [--label isFraud] [--reps 1]
// Needs `npm run build` first.
/* global URL */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { readFeatureCsv, writeFeatureCsv } from "../dist/data/index.js";
import { aucPr, Booster } from "../dist/gbdt/index.js";
import { stratifiedSplit } from "../dist/training/index.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const { values: a } = parseArgs({
  options: {
    features: { type: "string", default: "/work/bench-data/features-1m.csv" },
    threads: { type: "string", default: "2" },
    trees: { type: "string", default: "200" },
    work: { type: "string", default: "/tmp/gbdt-bench" },
    label: { type: "string", default: "isFraud" },
    reps: { type: "string", default: "1" },
  },
});
mkdirSync(a.work, { recursive: true });
const stem = basename(a.features, ".csv");
const trainCsv = join(a.work, `${stem}.train.csv`);
const testCsv = join(a.work, `${stem}.test.csv`);

if (!existsSync(trainCsv) || !existsSync(testCsv)) {
  const csv = await readFeatureCsv(a.features);
  const y = csv.columns[csv.names.indexOf(a.label)];
  const split = stratifiedSplit(y, 0.2, 42);
  for (const [rows, out] of [
    [split.train, trainCsv],
    [split.test, testCsv],
  ]) {
    await writeFeatureCsv(
      out,
      csv.names,
      csv.columns.map((c) => Float64Array.from(rows, (i) => c[i])),
      rows.length,
    );
  }
}

/** Runs a command under /usr/bin/time; returns its stdout and peak RSS in MB. */
function timed(cmd, args) {
  const rssFile = join(a.work, "rss.txt");
  const stdout = execFileSync("/usr/bin/time", ["-f", "%M", "-o", rssFile, cmd, ...args], {
    encoding: "utf8",
    maxBuffer: 64 << 20,
    stdio: ["ignore", "pipe", "inherit"],
  });
  return {
    stdout,
    peakRssMb: Math.round(Number(readFileSync(rssFile, "utf8").trim().split("\n").pop()) / 1024),
  };
}

const load = [loadavg()[0]];
const xgbModel = join(a.work, `${stem}.xgb.json`);
const params = join(a.work, "params.yaml");
writeFileSync(
  params,
  `n_estimators: ${a.trees}\nmax_depth: 8\nlearning_rate: 0.05\nsubsample: 0.8\ncolsample_bytree: 0.8\nmin_child_weight: 5\nscale_pos_weight: auto\nseed: 42\n`,
);
const ourModel = join(a.work, `${stem}.lakay.json`);
const runs = [];
const runXgboost = () => {
  const x = timed("/usr/bin/python3", [
    join(root, "bench/gbdt-train-xgb.py"),
    trainCsv,
    testCsv,
    a.label,
    xgbModel,
    "--threads",
    a.threads,
    "--trees",
    a.trees,
  ]);
  load.push(loadavg()[0]);
  return { x, xgb: JSON.parse(x.stdout.trim().split("\n").pop()) };
};
const runOurs = () => {
  const o = timed(process.execPath, [
    join(root, "dist/cli/main.js"),
    "gbdt",
    "train",
    "--features",
    trainCsv,
    "--label",
    a.label,
    "--config",
    params,
    "--eval-fraction",
    "0",
    "--threads",
    a.threads,
    "--out",
    ourModel,
    "--json",
  ]);
  load.push(loadavg()[0]);
  return { o, ours: JSON.parse(o.stdout) };
};
for (let r = 0; r < Number(a.reps); r++) {
  // Pairs run in turn XGBoost first, then Lakay first: a drift of the VM's speed within a pair
  // then favours neither engine.
  let pair;
  if (r % 2 === 0) pair = { ...runXgboost(), ...runOurs() };
  else pair = { ...runOurs(), ...runXgboost() };
  runs.push(pair);
  if (Number(a.reps) > 1)
    console.error(`rep ${r + 1}: xgboost ${pair.xgb.train_s} s, lakay ${pair.ours.train_s} s`);
}
const median = (v) => [...v].sort((p, q) => p - q)[Math.floor((v.length - 1) / 2)];
const xgbS = median(runs.map((r) => r.xgb.train_s));
const oursS = median(runs.map((r) => r.ours.train_s));
const pairRatios = runs.map((r) => r.ours.train_s / r.xgb.train_s);
const { x, xgb, o, ours } = runs[runs.length - 1];

const test = await readFeatureCsv(testCsv);
const booster = Booster.fromXgboostJson(readFileSync(ourModel, "utf8"));
const cols = booster.featureNames.map((n) => test.columns[test.names.indexOf(n)]);
const oursAucPr = aucPr(
  test.columns[test.names.indexOf(a.label)],
  booster.compile().predictBatch(cols, test.rows),
);

console.log(
  JSON.stringify(
    {
      features: a.features,
      rows_train: ours.rows_train,
      threads: Number(a.threads),
      trees: Number(a.trees),
      reps: runs.length,
      xgboost: { version: xgb.engine, train_s: xgbS, auc_pr: xgb.auc_pr, peak_rss_mb: x.peakRssMb },
      lakay: { train_s: oursS, auc_pr: Number(oursAucPr.toFixed(5)), peak_rss_mb: o.peakRssMb },
      train_time_ratio: Number((oursS / xgbS).toFixed(3)),
      ...(runs.length > 1 && {
        // The median of the pairs' own ratios: each pair ran back to back, so it is the figure
        // least moved by the VM's drift over a series.
        pair_ratio_median: Number(median(pairRatios).toFixed(3)),
        runs_train_s: runs.map((r) => ({ xgboost: r.xgb.train_s, lakay: r.ours.train_s })),
      }),
      auc_pr_diff: Number((oursAucPr - xgb.auc_pr).toFixed(5)),
      load_avg_1m: load.map((l) => Number(l.toFixed(2))),
    },
    null,
    2,
  ),
);
