// Single-row prediction latency alone, as the model server calls it (one Float64Array of feature
// values a call, `predictRow`): after a 50,000-call warm-up, REPS rounds of 100,000 calls, each
// round's p50 and p99 with the load average, so a busy machine's rounds can be told apart.
//
//   npm run build && node bench/predict-single-row.mjs MODEL.json FEATURES.csv [REPS]
// e.g. the shallow models bench/gbdt-predict.mjs leaves in its --work directory.
import { readFileSync } from "node:fs";
import { Booster } from "../dist/gbdt/index.js";
import { readFeatureCsv } from "../dist/data/index.js";

const [model, features, reps = "5"] = process.argv.slice(2);
if (!model || !features) {
  console.error("usage: node bench/predict-single-row.mjs MODEL.json FEATURES.csv [REPS]");
  process.exit(2);
}
const booster = Booster.fromXgboostJson(readFileSync(model, "utf8"));
const csv = await readFeatureCsv(features);
const cols = booster.featureNames.map((name) => csv.columns[csv.names.indexOf(name)]);
const predictor = booster.compile();
const rows = Array.from({ length: Math.min(csv.rows, 10_000) }, (_, i) =>
  Float64Array.from(cols, (c) => c[i]),
);
for (let i = 0; i < 50_000; i++) predictor.predictRow(rows[i % rows.length]);
const calls = 100_000;
const lat = new Float64Array(calls);
let sink = 0;
for (let rep = 1; rep <= Number(reps); rep++) {
  for (let i = 0; i < calls; i++) {
    const r = rows[i % rows.length];
    const t0 = process.hrtime.bigint();
    sink += predictor.predictRow(r);
    lat[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  lat.sort();
  const load = readFileSync("/proc/loadavg", "utf8").split(" ")[0];
  console.log(
    `round ${rep}: p50 ${lat[calls >> 1].toFixed(2)} µs, p99 ${lat[Math.floor(0.99 * calls)].toFixed(2)} µs, load ${load}`,
  );
}
if (!(sink > -Infinity)) console.log("(unreachable: keeps the calls alive)");
