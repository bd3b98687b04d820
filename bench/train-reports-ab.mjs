#!/usr/bin/env node
// A/B of `lakay train`'s report stage (everything between the trained model and the artifacts:
// test-split scores, evaluation and rules, TreeSHAP importance, reference profile, bias audit,
// model JSON) in ONE process, alternating, on the same data and model: the order of 2970e2c
// (each report after the last; the scores and the importance each start their own worker pool)
// against this checkout's (the importance on a worker while the main thread does the rest, then
// joins it). On a shared machine whole `lakay train` runs vary by ±50 %; this isolates the stage.
//
// usage: node bench/train-reports-ab.mjs --base /tmp/base-train --model MODEL.json [--reps 5]
//        [--dataset /work/bench-data/paysim-1m.csv]
// MODEL.json: a model.json `lakay train` wrote for that dataset with the same seed and split
// (e.g. from its registry's artifacts). Needs `npm run build` in both checkouts.
/* global URL, performance */
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const here = fileURLToPath(new URL("..", import.meta.url));
const { values: a } = parseArgs({
  options: {
    base: { type: "string" },
    model: { type: "string" },
    reps: { type: "string", default: "5" },
    dataset: { type: "string", default: "/work/bench-data/paysim-1m.csv" },
  },
});
if (!a.base || !a.model) throw new Error("--base <other checkout> and --model <model.json> are required");

const load = async (root) => ({
  training: await import(`${root}/dist/training/index.js`),
  evaluate: await import(`${root}/dist/training/evaluate-model.js`),
  importance: await import(`${root}/dist/training/feature-importance-report.js`),
  bias: await import(`${root}/dist/training/test-split-bias.js`),
  gather: await import(`${root}/dist/training/gather-rows.js`),
  gbdt: await import(`${root}/dist/gbdt/index.js`),
  rules: await import(`${root}/dist/rules/index.js`),
  data: await import(`${root}/dist/training/load-training-data.js`),
});
const sides = { base: await load(a.base), new: await load(here) };

const m = sides.new;
const config = m.training.parseTrainingConfig({ random_seed: 42, test_size: 0.2 });
const data = await m.data.loadTrainingData(a.dataset);
const split = m.training.stratifiedSplit(data.labels, config.test_size, config.random_seed);
const modelText = readFileSync(a.model, "utf8");
const threads = 2;

function common(s) {
  const booster = s.gbdt.Booster.fromXgboostJson(modelText);
  const testColumns = s.gather.gatherColumns(data.features.columns, split.test);
  const testLabels = s.gather.gather(data.labels, split.test, new Uint8Array(split.test.length));
  return { booster, testColumns, testLabels, rules: new s.rules.RulesEngine({}) };
}
const others = (s, c, scores) => {
  const evaluation = s.evaluate.evaluateOnTest({
    tx: data.tx,
    testRows: split.test,
    testColumns: c.testColumns,
    testLabels: c.testLabels,
    scores,
    threshold: config.decision_threshold,
    rules: c.rules,
  });
  const model = c.booster.toXgboostJson();
  const reference = JSON.stringify(
    s.training.buildReferenceProfile({
      names: data.features.names,
      columns: data.features.columns,
      trainRows: split.train,
      testScores: scores,
      featureSetVersion: "bench",
    }),
  );
  const bias = JSON.stringify(
    s.bias.testSplitBiasReport({
      data,
      testRows: split.test,
      scores,
      testLabels: c.testLabels,
      threshold: config.decision_threshold,
      modelName: "bench",
      config,
    }),
  );
  return { evaluation, model, reference, bias };
};

/** 2970e2c: scores (own pool), evaluation, importance (own pool), then the other reports. */
async function before(s) {
  const c = common(s);
  const scores = await s.training.predictParallel(c.booster, c.testColumns, split.test.length, threads);
  const importance = await s.importance.featureImportanceReport(
    c.booster,
    c.testColumns,
    split.test.length,
    threads,
  );
  return { importance, ...others(s, c, scores) };
}

/** Now: importance started on a worker, scores and the other reports on this thread, then the join. */
async function after(s) {
  const c = common(s);
  const job = s.importance.startFeatureImportance(c.booster, c.testColumns, split.test.length, threads);
  try {
    const scores = await s.training.predictParallel(c.booster, c.testColumns, split.test.length, 1);
    const rest = others(s, c, scores);
    return { importance: await job.finish(), ...rest };
  } finally {
    await job.close();
  }
}

const runs = { before: [], after: [] };
let first;
console.log(
  `load before: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
);
for (let i = 0; i < Number(a.reps); i++) {
  for (const side of i % 2 ? ["after", "before"] : ["before", "after"]) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const out = side === "before" ? await before(sides.base) : await after(sides.new);
    const cpu = process.cpuUsage(c0);
    const wall = (performance.now() - t0) / 1000;
    runs[side].push({ wall, cpu: (cpu.user + cpu.system) / 1e6 });
    const text = JSON.stringify(out.importance) + out.reference + out.bias + out.model;
    first ??= text;
    console.log(
      `${side.padEnd(6)} wall ${wall.toFixed(2)} s  cpu ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s  same reports: ${text === first}  load ${loadavg()[0].toFixed(2)}`,
    );
  }
}
const median = (xs) => xs.sort((x, y) => x - y)[Math.floor(xs.length / 2)];
for (const side of ["before", "after"]) {
  console.log(
    `${side}: wall median ${median(runs[side].map((r) => r.wall)).toFixed(2)} s, CPU median ${median(runs[side].map((r) => r.cpu)).toFixed(2)} s`,
  );
}
console.log(
  `load after: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
);
