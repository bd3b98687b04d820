#!/usr/bin/env node
// A/B training benchmark in ONE process: trains alternately with this checkout's build and
// another checkout's build (e.g. `git archive <commit> | tar -x -C /tmp/base`, then build it
// there with node_modules linked), on the same rows, and prints wall time per run, the time of
// each block-task phase (timed around `BlockExecutor.run`) and whether the model text is the
// same as the first run's. On a shared machine this is how to compare two builds: both see
// the same load, and the phase times show where a change moved the time. CPU time is the whole
// process's (workers included; a worker spinning between phases counts).
//
// usage: node bench/gbdt-train-ab.mjs --base /tmp/base [--threads 1] [--trees 50] [--reps 2]
//        [--train /tmp/gbdt-bench-perf/features-1m.train.csv] [--label isFraud]
// The training CSV is the one `bench/gbdt-train.mjs` writes into its --work directory.
// Needs `npm run build` in both checkouts.
/* global URL */
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { readFeatureCsv } from "../dist/data/index.js";

const here = fileURLToPath(new URL("..", import.meta.url));
const { values: a } = parseArgs({
  options: {
    base: { type: "string" },
    threads: { type: "string", default: "1" },
    trees: { type: "string", default: "50" },
    reps: { type: "string", default: "2" },
    train: { type: "string", default: "/tmp/gbdt-bench-perf/features-1m.train.csv" },
    label: { type: "string", default: "isFraud" },
  },
});
if (!a.base) throw new Error("--base <other checkout> is required");

const csv = await readFeatureCsv(a.train);
const li = csv.names.indexOf(a.label);
const labels = csv.columns[li];
let pos = 0;
for (let i = 0; i < labels.length; i++) pos += labels[i];
const data = {
  labels,
  featureNames: csv.names.filter((_, i) => i !== li),
  columns: csv.columns.filter((_, i) => i !== li),
};
const params = {
  n_estimators: Number(a.trees),
  max_depth: 8,
  learning_rate: 0.05,
  subsample: 0.8,
  colsample_bytree: 0.8,
  min_child_weight: 5,
  scale_pos_weight: (labels.length - pos) / pos,
  seed: 42,
};

const PHASES = ["bin", "boost", "partition", "histogram", "leaf", "gather", "cuts"]; // leaf, gather: older builds only
const builds = [];
for (const [name, dir] of [
  ["base", a.base],
  ["this", here],
]) {
  const gbdt = await import(`${dir}/dist/gbdt/index.js`);
  const { BlockExecutor } = await import(`${dir}/dist/gbdt/block-executor.js`);
  const phases = new Map();
  const run = BlockExecutor.prototype.run;
  // \`run\` is synchronous in newer builds and async in older ones: time whichever it is.
  BlockExecutor.prototype.run = function (phase, args) {
    const t = performance.now();
    const record = () => phases.set(phase, (phases.get(phase) ?? 0) + performance.now() - t);
    const result = run.call(this, phase, args);
    if (result instanceof Promise) return result.then(record);
    record();
  };
  builds.push({ name, gbdt, phases });
}

let first;
for (let r = 0; r < Number(a.reps); r++) {
  for (const b of builds) {
    b.phases.clear();
    const t = performance.now();
    const cpu0 = process.cpuUsage(); // the whole process: the workers' threads too
    const booster = await b.gbdt.trainBooster(data, params, { nThreads: Number(a.threads) });
    const wall = (performance.now() - t) / 1000;
    const used = process.cpuUsage(cpu0);
    const cpu = (used.user + used.system) / 1e6;
    const text = booster.toXgboostJson();
    first ??= text;
    const ph = [...b.phases]
      .sort((x, y) => x[0] - y[0])
      .map(([k, v]) => `${PHASES[k]}=${(v / 1000).toFixed(2)}s`)
      .join(" ");
    (b.runs ??= []).push({ wall, cpu });
    console.log(
      `${b.name} load=${loadavg()[0].toFixed(1)} train=${wall.toFixed(2)}s cpu=${cpu.toFixed(2)}s ${ph} sameModel=${text === first}`,
    );
  }
}

const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)];
for (const b of builds) {
  const w = median(b.runs.map((r) => r.wall));
  const c = median(b.runs.map((r) => r.cpu));
  console.log(`${b.name} median train=${w.toFixed(2)}s cpu=${c.toFixed(2)}s`);
}
const [base, mine] = builds.map((b) => b.runs);
const ratio = (k) => median(mine.map((r, i) => r[k] / base[i][k])).toFixed(3);
console.log(`this/base median of pairs: train ${ratio("wall")}x cpu ${ratio("cpu")}x`);
