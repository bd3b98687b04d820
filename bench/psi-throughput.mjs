// PSI throughput (issue #15: 11 features over 1,000,000 observations, target ≥ 10 M observations/s).
//   npm run build && node bench/psi-throughput.mjs [ROWS=1000000] [REPEATS=5]
// Offline (psiTable over columns, what `lakay monitor drift` and `?window=` run) against the anchor,
// the same counting with a binary search per value (psiTable before BinLookup), alternated in one
// process; and live (DriftWindow.add per observation, on the request path). One observation = one
// row of 11 features. Rates are given over wall time and over this process's CPU time: on a shared
// machine the wall clock also counts the time other processes held the cores.
import { performance } from "node:perf_hooks";
import { binOf, DriftWindow, psiOf, psiTable } from "../dist/monitoring/index.js";
import { SeededRandom } from "../dist/random/index.js";

const rows = Number(process.argv[2] ?? 1_000_000);
const repeats = Number(process.argv[3] ?? 5);
const names = Array.from({ length: 11 }, (_, j) => `f${j}`);
const rng = new SeededRandom(1);
const columns = names.map(() => Float64Array.from({ length: rows }, () => rng.normal()));
const edges = [-1.28, -0.84, -0.52, -0.25, 0, 0.25, 0.52, 0.84, 1.28];
const reference = Object.fromEntries(names.map((n) => [n, { edges, proportions: new Array(10).fill(0.1) }]));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The anchor: psiTable's counting as it was, one binary search per value. */
function psiBinarySearch() {
  const e = Float64Array.from(edges);
  return columns.map((col) => {
    const counts = new Float64Array(edges.length + 1);
    for (let i = 0; i < col.length; i++) counts[binOf(e, col[i])]++;
    return psiOf(reference.f0.proportions, counts);
  });
}

function timed(fn) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const out = fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000, out };
}

const runs = { grid: [], search: [], live: [] };
const row = new Float64Array(11);
for (let r = 0; r < repeats; r++) {
  const a = timed(() => psiTable(names, columns, reference));
  const b = timed(psiBinarySearch);
  if (a.out.some((f, j) => Math.abs(f.psi - b.out[j]) > 1e-12)) throw new Error("the two sides disagree");
  runs.grid.push(a);
  runs.search.push(b);
  const w = new DriftWindow({ names, reference });
  runs.live.push(
    timed(() => {
      for (let i = 0; i < rows; i++) {
        for (let j = 0; j < 11; j++) row[j] = columns[j][i];
        w.add(row);
      }
    }),
  );
}
const rate = (ms) =>
  `${((rows / ms) * 1000) / 1e6 >= 10 ? "" : " "}${(((rows / ms) * 1000) / 1e6).toFixed(1)} M obs/s`;
const line = (label, xs) => {
  const wall = median(xs.map((x) => x.wall));
  const cpu = median(xs.map((x) => x.cpu));
  console.log(
    `${label}: wall ${wall.toFixed(0)} ms → ${rate(wall)}; cpu ${cpu.toFixed(0)} ms → ${rate(cpu)}`,
  );
  return { wall, cpu };
};
console.log(`PSI of ${names.length} features over ${rows} observations, median of ${repeats}`);
const g = line("offline psiTable (grid lookup)     ", runs.grid);
const s = line("anchor: binary search per value    ", runs.search);
line("live DriftWindow.add (per row)     ", runs.live);
console.log(
  `grid / binary search: ${(s.wall / g.wall).toFixed(2)}× (wall), ${(s.cpu / g.cpu).toFixed(2)}× (cpu)`,
);
