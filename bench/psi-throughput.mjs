// PSI throughput (issue #15: 11 features over 1,000,000 observations, target ≥ 10 M observations/s).
//   npm run build && node bench/psi-throughput.mjs [ROWS=1000000] [REPEATS=5]
// Offline (psiTable over columns, what `lakay monitor drift` runs) and live (DriftWindow.add per
// observation, what the server runs on the request path). One observation = one row of 11 features.
import { performance } from "node:perf_hooks";
import { DriftWindow, psiTable } from "../dist/monitoring/index.js";
import { SeededRandom } from "../dist/random/index.js";

const rows = Number(process.argv[2] ?? 1_000_000);
const repeats = Number(process.argv[3] ?? 5);
const names = Array.from({ length: 11 }, (_, j) => `f${j}`);
const rng = new SeededRandom(1);
const columns = names.map(() => Float64Array.from({ length: rows }, () => rng.normal()));
const edges = [-1.28, -0.84, -0.52, -0.25, 0, 0.25, 0.52, 0.84, 1.28];
const reference = Object.fromEntries(names.map((n) => [n, { edges, proportions: new Array(10).fill(0.1) }]));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const offline = [];
const live = [];
const row = new Float64Array(11);
for (let r = 0; r < repeats; r++) {
  let t0 = performance.now();
  psiTable(names, columns, reference);
  offline.push(performance.now() - t0);
  const w = new DriftWindow({ names, reference });
  t0 = performance.now();
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < 11; j++) row[j] = columns[j][i];
    w.add(row);
  }
  live.push(performance.now() - t0);
}
const rate = (ms) => `${(((rows / ms) * 1000) / 1e6).toFixed(1)} M observations/s`;
console.log(
  `offline psiTable: median ${median(offline).toFixed(1)} ms for ${rows} × 11 → ${rate(median(offline))}`,
);
console.log(`live DriftWindow.add: median ${median(live).toFixed(1)} ms → ${rate(median(live))}`);
