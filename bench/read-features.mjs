// Our side of bench/read-features.sh: read a PaySim CSV and build the 11 features, as the
// training pipeline does, and print one JSON line of timings. Runs the BUILT code (npm run build).
import { performance } from "node:perf_hooks";
import { readPaysim } from "../dist/data/index.js";
import { buildFeatures } from "../dist/features/index.js";

const file = process.argv[2];
if (!file) {
  console.error("usage: node bench/read-features.mjs DATA.csv");
  process.exit(2);
}
const t0 = performance.now();
const { tx } = await readPaysim(file);
const t1 = performance.now();
const m = buildFeatures(tx);
const t2 = performance.now();
let check = 0;
for (const c of m.columns) check += c[m.rows - 1];
console.log(
  JSON.stringify({
    rows: tx.rows,
    load_s: +((t1 - t0) / 1000).toFixed(2),
    features_s: +((t2 - t1) / 1000).toFixed(2),
    total_s: +((t2 - t0) / 1000).toFixed(2),
    check,
  }),
);
