#!/usr/bin/env node
// TreeSHAP benchmark against XGBoost's own `pred_contribs` on the same model, rows and threads:
//   - batch contributions, rows/s: Lakay's ParallelExplainer vs XGBoost `predict(pred_contribs=True)`,
//     --pairs timed pairs, alternating which side runs first; medians and the median pair ratio;
//   - single-row explain latency p50/p99 (TreeExplainer.explainRow, one row at a time), beside
//     XGBoost's one-row pred_contribs latency for context;
//   - the largest difference between the two sides' contributions over every row.
// The model: --model, or XGBoost trained here (--trees 200, --depth 8) on the features of the
// PaySim sample in test/fixtures (or --features CSV with an isFraud column). Prints one JSON document.
//
// usage: node bench/gbdt-explain.mjs [--model M.json] [--features F.csv] [--rows N] [--threads 2] [--pairs 5] [--single 20000] [--single-only]
// (--rows: explain only the first N rows of the features file; the model is still trained on all.)
// --single-only: only the single-row latencies, no XGBoost and no batch: `explainRow` alone, and the
// whole explanation `lakay serve` adds to a score answer (ServedExplainer + explainDecision: feature
// mapping, TreeSHAP, top 5, rules, the summary sentence), alternating the two in blocks of 1,000;
// wall p50/p99, CPU per row (block totals) and the p50/p99 of each call's own CPU time.
// Needs `npm run build` first.
/* global URL, performance */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { readFeatureCsv, readPaysim, writeFeatureCsv } from "../dist/data/index.js";
import { buildFeatures } from "../dist/features/index.js";
import { Booster, ParallelExplainer } from "../dist/gbdt/index.js";
import { explainDecision, ServedExplainer } from "../dist/serving/index.js";

const { values: a } = parseArgs({
  options: {
    model: { type: "string" },
    features: { type: "string" },
    threads: { type: "string", default: "2" },
    pairs: { type: "string", default: "5" },
    single: { type: "string", default: "20000" },
    trees: { type: "string", default: "200" },
    depth: { type: "string", default: "8" },
    rows: { type: "string" },
    "single-only": { type: "boolean", default: false },
  },
});
const dir = "/tmp/gbdt-explain-bench";
mkdirSync(dir, { recursive: true });
const xgbSide = fileURLToPath(new URL("gbdt-explain-xgb.py", import.meta.url));
const py = (args) => JSON.parse(execFileSync("/usr/bin/python3", [xgbSide, ...args], { encoding: "utf8" }));
const threads = Number(a.threads);
const load = [loadavg()[0]];

let features = a.features;
if (!features) {
  features = join(dir, "features.csv");
  const sample = fileURLToPath(new URL("../test/fixtures/paysim-head-20k.csv", import.meta.url));
  const { tx } = await readPaysim(sample);
  const fm = buildFeatures(tx);
  await writeFeatureCsv(features, [...fm.names, "isFraud"], [...fm.columns, tx.isFraud], fm.rows);
}
let model = a.model;
if (!model) {
  model = join(dir, `xgb-${a.trees}x${a.depth}.json`);
  py(["train", features, "isFraud", model, "--trees", a.trees, "--depth", a.depth, "--threads", a.threads]);
}

if (a.rows) {
  const all = await readFeatureCsv(features);
  const n = Math.min(all.rows, Number(a.rows));
  features = join(dir, `rows-${n}.csv`);
  await writeFeatureCsv(
    features,
    all.names,
    all.columns.map((c) => c.subarray(0, n)),
    n,
  );
}
const booster = Booster.fromXgboostJson(readFileSync(model, "utf8"), model);
const csv = await readFeatureCsv(features);
const cols = booster.featureNames.map((n) => csv.columns[csv.names.indexOf(n)]);
const n = csv.rows;
const t0 = performance.now();
const explainer = booster.explainer();
const buildMs = performance.now() - t0;
const leaves = booster.trees.reduce((s, t) => s + t.leftChildren.filter((c) => c === -1).length, 0);

// Single rows, as a server explains one decision: values in, contributions out.
const rows = Array.from({ length: Math.min(n, 5000) }, (_, i) => Float64Array.from(cols, (c) => c[i]));
const contributions = new Float64Array(booster.featureNames.length);
for (let i = 0; i < 2000; i++) explainer.explainRow(rows[i % rows.length], contributions);
const single = Number(a.single);
const lat = new Float64Array(single);
// CPU time beside wall time: on a shared machine the wall-clock tail is mostly waiting for a core.
const cpu0 = process.cpuUsage();
for (let i = 0; i < single; i++) {
  const s = process.hrtime.bigint();
  explainer.explainRow(rows[i % rows.length], contributions);
  lat[i] = Number(process.hrtime.bigint() - s) / 1000;
}
const cpu = process.cpuUsage(cpu0);
const singleCpuUs = (cpu.user + cpu.system) / single;
lat.sort();
const pct = (q) => Number(lat[Math.min(single - 1, Math.floor(q * single))].toFixed(1));
if (a["single-only"]) {
  console.log(JSON.stringify(singleOnly(), null, 2));
  process.exit(0);
}
const xgbSingle = py(["single", model, features, "--n", "2000"]);

// Batch, alternating sides pair by pair.
const pool = new ParallelExplainer(explainer, threads);
await pool.explainBatch(
  cols.map((c) => c.subarray(0, 2000)),
  2000,
);
const oursRate = [];
const theirsRate = [];
let ours;
const runOurs = async () => {
  const s = performance.now();
  ours = await pool.explainBatch(cols, n);
  oursRate.push(n / ((performance.now() - s) / 1000));
};
const contribsOut = join(dir, "xgb-contribs.f32");
const runTheirs = () => {
  const r = py(["batch", model, features, "--threads", a.threads, "--out", contribsOut]);
  theirsRate.push(r.rows / r.seconds);
};
for (let p = 0; p < Number(a.pairs); p++) {
  if (p % 2 === 0) {
    await runOurs();
    runTheirs();
  } else {
    runTheirs();
    await runOurs();
  }
}
await pool.close();
load.push(loadavg()[0]);

const theirs = new Float32Array(Uint8Array.from(readFileSync(contribsOut)).buffer);
let maxDiff = 0;
for (let i = 0; i < theirs.length; i++) maxDiff = Math.max(maxDiff, Math.abs(ours[i] - theirs[i]));
const median = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const ratios = oursRate.map((r, i) => r / theirsRate[i]);

console.log(
  JSON.stringify(
    {
      model,
      trees: booster.numTrees,
      leaves,
      features: booster.featureNames.length,
      rows: n,
      threads,
      pairs: Number(a.pairs),
      program_build_ms: Number(buildMs.toFixed(1)),
      table_values: explainer.program.table.length,
      lakay: {
        batch_rows_per_s_median: Math.round(median(oursRate)),
        batch_rows_per_s: oursRate.map(Math.round),
        single_p50_us: pct(0.5),
        single_p99_us: pct(0.99),
        single_cpu_us_per_row: Number(singleCpuUs.toFixed(1)),
      },
      xgboost: {
        batch_rows_per_s_median: Math.round(median(theirsRate)),
        batch_rows_per_s: theirsRate.map(Math.round),
        single_p50_us: xgbSingle.p50_us,
        single_p99_us: xgbSingle.p99_us,
      },
      lakay_over_xgboost_batch_median_pair: Number(median(ratios).toFixed(2)),
      max_abs_diff_vs_xgboost: maxDiff,
      load_avg_1m: load.map((l) => Number(l.toFixed(2))),
    },
    null,
    2,
  ),
);

/**
 * Single-row latencies only: the bare kernel (`explainRow`) and the served explanation, in
 * alternating blocks so both see the same load; wall p50/p99 and CPU time per row for each.
 */
function singleOnly() {
  const served = new ServedExplainer(booster.featureNames, explainer);
  const rules = [{ id: "account_drained", weight: 0.3 }];
  const facts = (row) => ({
    score: 0.5,
    riskTier: "medium",
    mlScore: 0.5,
    model: { name: "bench", version: 1 },
    features: row,
    rules,
  });
  for (let i = 0; i < 2000; i++) explainDecision(facts(rows[i % rows.length]), served, 5);
  const sides = {
    explain_row: { lat: [], rowCpu: [], cpu: 0, run: (row) => explainer.explainRow(row, contributions) },
    served_explanation: { lat: [], rowCpu: [], cpu: 0, run: (row) => explainDecision(facts(row), served, 5) },
  };
  const block = 1000;
  for (let done = 0; done < single; done += block) {
    for (const side of Object.values(sides)) {
      const c0 = process.cpuUsage();
      for (let i = done; i < Math.min(single, done + block); i++) {
        // CPU time of each call too: on a shared machine the wall-clock tail is time spent waiting
        // for a core, the CPU-time tail is what the call costs (what an idle core would see).
        const r0 = process.cpuUsage();
        const s = process.hrtime.bigint();
        side.run(rows[i % rows.length]);
        side.lat.push(Number(process.hrtime.bigint() - s) / 1000);
        const r = process.cpuUsage(r0);
        side.rowCpu.push(r.user + r.system);
      }
      const c = process.cpuUsage(c0);
      side.cpu += c.user + c.system;
    }
  }
  load.push(loadavg()[0]);
  const summary = (side) => {
    const l = Float64Array.from(side.lat).sort();
    const q = (p) => Number(l[Math.min(l.length - 1, Math.floor(p * l.length))].toFixed(1));
    const c = Float64Array.from(side.rowCpu).sort();
    const qc = (p) => c[Math.min(c.length - 1, Math.floor(p * c.length))];
    return {
      p50_us: q(0.5),
      p99_us: q(0.99),
      cpu_us_per_row: Number((side.cpu / l.length).toFixed(1)),
      cpu_p50_us: qc(0.5),
      cpu_p99_us: qc(0.99),
    };
  };
  return {
    model,
    trees: booster.numTrees,
    leaves,
    features: booster.featureNames.length,
    rows: single,
    program_build_ms: Number(buildMs.toFixed(1)),
    table_values: explainer.program.table.length,
    explain_row: summary(sides.explain_row),
    served_explanation: summary(sides.served_explanation),
    load_avg_1m: load.map((l) => Number(l.toFixed(2))),
  };
}
