/* global URL */
// End-to-end training benchmark, side by side with the reference Python stack (run `npm run build` first):
//
//   node bench/train-e2e.mjs [FILE.csv ...]     lakay train vs bench/reference_pipeline.py on each file
//        (default: /work/bench-data/paysim-1m.csv and paysim-6.3m.csv, those that exist), with the
//        issue's YAML (bench/train-e2e.yaml: 200 trees, depth 8, eta 0.05, grid off). Wall time and
//        peak RSS from /usr/bin/time -v; AUC-PR from each side's own output. Ours includes what the
//        reference does not: registry run, reports, reference profile, version in Staging.
//   node bench/train-e2e.mjs --pairs N FILE.csv  N alternating pairs (who goes first alternates too) on one
//        file: every run's seconds, the medians, their ratio and the median of the pairs' own ratios,
//        with the load average before and after each run (the machine is shared).
//   node bench/train-e2e.mjs --grid FILE.csv    grid search (12 candidates x 3 folds, bench/train-grid.yaml)
//        on one core, then on two cores used two ways (--cv-parallel engine: each training on 2 engine
//        threads; candidates: two single-threaded trainings side by side): time and speed-ups.
//
// Prints a Markdown table for docs/BENCHMARKS.md and writes the raw results to bench/out/.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLI = path.join(ROOT, "dist/cli/main.js");
const REF = process.env.LAKAY_REF_PIPELINE ?? path.join(ROOT, "bench/reference_pipeline.py");
const OUT = path.join(ROOT, "bench/out");

/** Runs a command under /usr/bin/time -v: wall seconds, peak RSS (MiB), stdout. */
function timed(cmd, args, env = {}) {
  const r = spawnSync("/usr/bin/time", ["-v", cmd, ...args], {
    encoding: "utf8",
    env: { ...process.env, ...env },
    maxBuffer: 64 << 20,
  });
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(r.stderr);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr);
  if (r.status !== 0 || !wall || !rss)
    throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}):\n${r.stderr.slice(-2000)}`);
  const seconds = Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]);
  return { seconds, rssMiB: Number(rss[1]) / 1024, stdout: r.stdout };
}

function lakayTrain(file, config, extra = []) {
  const home = mkdtempSync(path.join(os.tmpdir(), "lakay-bench-train-"));
  try {
    const t = timed(
      process.execPath,
      [CLI, "train", "--dataset", file, "--config", config, "--json", ...extra],
      { LAKAY_HOME: home },
    );
    return { ...t, result: JSON.parse(t.stdout) };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

function reference(file) {
  const t = timed("/usr/bin/python3", [REF, file]);
  return { ...t, result: JSON.parse(t.stdout.trim().split("\n").pop()) };
}

const fmt = (x, d = 1) => x.toFixed(d);
mkdirSync(OUT, { recursive: true });
const args = process.argv.slice(2);

const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (args[0] === "--pairs") {
  const pairs = Number(args[1]);
  const file = args[2] ?? "/work/bench-data/paysim-1m.csv";
  const config = path.join(ROOT, "bench/train-e2e.yaml");
  const runs = [];
  for (let i = 0; i < pairs; i++) {
    const loadBefore = load();
    const order = i % 2 === 0 ? ["ref", "lakay"] : ["lakay", "ref"];
    const pair = { loadBefore };
    for (const side of order) pair[side] = side === "ref" ? reference(file) : lakayTrain(file, config);
    pair.loadAfter = load();
    runs.push(pair);
    console.error(
      `pair ${i + 1} (${order.join(" first, ")}): lakay ${fmt(pair.lakay.seconds)} s / ref ${fmt(pair.ref.seconds)} s = ${fmt(pair.lakay.seconds / pair.ref.seconds, 2)}x, load ${loadBefore} -> ${pair.loadAfter}`,
    );
  }
  const l = median(runs.map((r) => r.lakay.seconds));
  const r = median(runs.map((r) => r.ref.seconds));
  const pr = median(runs.map((x) => x.lakay.seconds / x.ref.seconds));
  console.log(
    `| input | pairs | lakay train s (median) | reference s (median) | ratio of medians | median pair ratio | AUC-PR lakay / ref | peak RSS lakay / ref MiB |`,
  );
  console.log("|---|---|---|---|---|---|---|---|");
  console.log(
    `| ${path.basename(file)} | ${pairs} | ${fmt(l)} (${runs.map((x) => fmt(x.lakay.seconds)).join(", ")}) | ${fmt(r)} (${runs.map((x) => fmt(x.ref.seconds)).join(", ")}) | ${fmt(l / r, 2)}x | ${fmt(pr, 2)}x | ${fmt(runs[0].lakay.result.metrics.auc_pr, 4)} / ${fmt(runs[0].ref.result.auc_pr, 4)} | ${fmt(median(runs.map((x) => x.lakay.rssMiB)), 0)} / ${fmt(median(runs.map((x) => x.ref.rssMiB)), 0)} |`,
  );
  writeFileSync(path.join(OUT, "train-e2e-pairs.json"), JSON.stringify({ file, runs }, null, 2));
} else if (args[0] === "--grid") {
  const file = args[1] ?? "/work/bench-data/paysim-1m.csv";
  const config = path.join(ROOT, "bench/train-grid.yaml");
  // One core; both cores inside each training (engine threads); both cores as two trainings side by side.
  const setups = [
    { label: "1 thread", extra: ["--threads", "1", "--cv-parallel", "engine"] },
    {
      label: "2 engine threads, candidates one at a time",
      extra: ["--threads", "2", "--cv-parallel", "engine"],
    },
    {
      label: "2 single-thread candidates side by side",
      extra: ["--threads", "2", "--cv-parallel", "candidates"],
    },
  ];
  const runs = [];
  for (const s of setups) {
    const r = lakayTrain(file, config, [...s.extra, "--no-register"]);
    runs.push({ ...s, ...r });
    console.error(`${s.label}: ${fmt(r.seconds)} s wall, grid ${r.result.grid_search.seconds} s`);
  }
  console.log(
    `| input | grid | cores used | grid search s | whole run s | peak RSS MiB | best (${runs[0].result.grid_search.scoring}) |`,
  );
  console.log("|---|---|---|---|---|---|---|");
  for (const r of runs) {
    console.log(
      `| ${path.basename(file)} | 12 candidates x 3 folds | ${r.label} | ${fmt(r.result.grid_search.seconds)} | ${fmt(r.seconds)} | ${fmt(r.rssMiB, 0)} | ${fmt(r.result.grid_search.best_score, 4)} |`,
    );
  }
  const g = runs.map((r) => r.result.grid_search.seconds);
  console.log(
    `\nspeed-up from the second core: engine threads ${fmt(g[0] / g[1], 2)}x, candidates side by side ${fmt(g[0] / g[2], 2)}x`,
  );
  writeFileSync(path.join(OUT, "train-grid.json"), JSON.stringify({ file, runs }, null, 2));
} else {
  const files = args.length
    ? args
    : ["/work/bench-data/paysim-1m.csv", "/work/bench-data/paysim-6.3m.csv"].filter(existsSync);
  const config = path.join(ROOT, "bench/train-e2e.yaml");
  const rows = [];
  for (const file of files) {
    // Alternate the two so machine noise hits both alike.
    const ref = reference(file);
    const ours = lakayTrain(file, config);
    rows.push({ file, ours, ref });
    console.error(`${path.basename(file)}: lakay ${fmt(ours.seconds)} s / ref ${fmt(ref.seconds)} s`);
  }
  console.log(
    "| input | lakay train s | reference_pipeline.py s | ratio | AUC-PR lakay | AUC-PR ref | peak RSS lakay MiB | peak RSS ref MiB |",
  );
  console.log("|---|---|---|---|---|---|---|---|");
  for (const { file, ours, ref } of rows) {
    console.log(
      `| ${path.basename(file)} (${ours.result.train_rows + ours.result.test_rows} rows) | ${fmt(ours.seconds)} | ${fmt(ref.seconds)} | ${fmt(ours.seconds / ref.seconds, 2)}x | ${fmt(ours.result.metrics.auc_pr, 4)} | ${fmt(ref.result.auc_pr, 4)} | ${fmt(ours.rssMiB, 0)} | ${fmt(ref.rssMiB, 0)} |`,
    );
  }
  writeFileSync(path.join(OUT, "train-e2e.json"), JSON.stringify(rows, null, 2));
}
