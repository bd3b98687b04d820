/* global URL, performance, setImmediate */
// In-process scoring throughput, no HTTP (not a test; `npm run build` first):
//   node bench/serve-inprocess.mjs [--seconds 5] [--pairs 3] [--home DIR] [--trees 100]
// Builds a registry the quickstart's way (20,000 generated rows, two versions of `--trees` trees,
// depth 6, version 1 through the gate) in a temporary LAKAY_HOME, or reuses `--home DIR` when it
// already holds one. Then, alternating the two sides `--pairs` times:
//   - FraudScoringService.score, one transaction at a time, prediction log + monitoring on vs off;
//   - FraudScoringService.scoreBatch, 1,000 transactions a call, the same two ways.
// Every side yields to the event loop between chunks of 1,000 transactions (as a server would
// between requests), so the prediction log's timer writes during the run; the time includes the
// final flush of what is still queued. Prints transactions/s (wall) and transactions per second of
// the process's CPU time (what a shared machine moves least) per run, and the medians.
// Profile one side: node --cpu-prof bench/serve-inprocess.mjs --only batch-on --home DIR
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
const opt = (name, d) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : d;
};
const SECONDS = Number(opt("seconds", 5));
const PAIRS = Number(opt("pairs", 3));
const TREES = Number(opt("trees", 100));
const ONLY = opt("only", null);
const CLI = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
const keepHome = opt("home", null);
const home = keepHome ?? mkdtempSync(path.join(os.tmpdir(), "lakay-inproc-bench-"));
const env = { ...process.env, LAKAY_HOME: home, LAKAY_LOG_LEVEL: "warn" };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function lakay(...a) {
  const r = spawnSync(process.execPath, [CLI, ...a], { env, encoding: "utf8", timeout: 600_000 });
  if (r.status !== 0) throw new Error(`lakay ${a.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

function buildRegistry() {
  mkdirSync(home, { recursive: true });
  const data = path.join(home, "paysim.csv");
  lakay("generate", "paysim", "--rows", "20000", "--seed", "42", "--out", data);
  const cfg = path.join(home, "train.yaml");
  writeFileSync(cfg, `model_name: fraud-detector\nhyperparams:\n  n_estimators: ${TREES}\n  max_depth: 6\n`);
  for (let v = 0; v < 2; v++) lakay("train", "--dataset", data, "--config", cfg);
  lakay("validate", "--model", "fraud-detector", "--version", "1");
  for (const [role, by] of [
    ["ml_engineer", "alice"],
    ["team_lead", "bob"],
    ["bsa_officer", "dave"],
  ])
    lakay("approve", "--model", "fraud-detector", "--version", "1", "--role", role, "--by", by);
  lakay("promote", "--model", "fraud-detector", "--version", "1", "--by", "carol");
  writeFileSync(path.join(home, ".bench-ready"), "");
}

if (!existsSync(path.join(home, ".bench-ready"))) buildRegistry();
process.env.LAKAY_HOME = home;
process.env.LAKAY_LOG_LEVEL = "warn";
const dist = (p) => import(new URL(`../dist/${p}`, import.meta.url).href);
const { openLakay } = await dist("app/index.js");
const { FraudScoringService, loadServingConfig } = await dist("serving/index.js");
const { log } = await dist("log/index.js");

let seq = 0;
/** A new transaction id and customer every time, as serve-bench's wrk script sends them. */
function transaction() {
  const n = seq++;
  return {
    transaction_id: `t${n}`,
    step: n % 700,
    type: n % 3 === 0 ? "TRANSFER" : "CASH_OUT",
    amount: (n % 90000) + 10.5,
    nameOrig: `C${n % 200000}`,
    oldbalanceOrg: 50000,
    newbalanceOrig: 40000,
    nameDest: "C1",
    oldbalanceDest: 0,
    newbalanceDest: 0,
  };
}

async function run(kind, monitoring) {
  const registry = await openLakay({});
  const config = loadServingConfig();
  config.monitoring.enabled = monitoring;
  config.monitoring.prediction_log.spill_dir = path.join(home, "spill");
  config.reload.poll_seconds = 0;
  if (opt("idempotency", null)) config.idempotency.max_entries = Number(opt("idempotency", null));
  const service = new FraudScoringService({ registry, config, logger: log() });
  await service.start();
  // A registry whose artifacts moved would leave rules-only scoring: a benchmark of nothing.
  if (service.mode !== "hybrid") throw new Error(`no model loaded from ${home}: scoring would be rules-only`);
  const chunk = 1000;
  // Requests built before the clock starts: the HTTP layer hands the service parsed bodies.
  const pool = Array.from({ length: 200 }, () => Array.from({ length: chunk }, transaction));
  let done = 0;
  let p = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  while (performance.now() < end) {
    const txs = pool[p++ % pool.length];
    if (p % pool.length === 0) for (const b of pool) for (let i = 0; i < b.length; i++) b[i] = transaction();
    if (kind === "batch") service.scoreBatch(txs, performance.now());
    else for (const tx of txs) service.score(tx, performance.now());
    done += txs.length;
    await new Promise((r) => setImmediate(r));
  }
  await service.monitor?.writer?.flush();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await service.close();
  await registry.close();
  // Transactions per second of this process's CPU time: what a shared machine's load moves least.
  return { wall: done / seconds, cpu: done / ((cpu.user + cpu.system) / 1e6) };
}

const sides = [
  ["score-on", "score", true],
  ["score-off", "score", false],
  ["batch-on", "batch", true],
  ["batch-off", "batch", false],
].filter(([name]) => !ONLY || ONLY.split(",").includes(name));
console.log(
  `# in-process scoring: ${os.cpus().length} cores (shared), load ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(" ")}, ${SECONDS}s runs, ${TREES} trees`,
);
const results = Object.fromEntries(sides.map(([name]) => [name, []]));
for (let pair = 0; pair < PAIRS; pair++) {
  const order = pair % 2 === 0 ? sides : [...sides].reverse();
  for (const [name, kind, mon] of order) {
    const r = await run(kind, mon);
    results[name].push(r);
    console.log(
      `pair ${pair + 1} ${name}: ${r.wall.toFixed(0)} tx/s wall, ${r.cpu.toFixed(0)} tx per CPU-second`,
    );
  }
}
for (const [name, xs] of Object.entries(results))
  console.log(
    `median ${name}: ${median(xs.map((x) => x.wall)).toFixed(0)} tx/s wall, ` +
      `${median(xs.map((x) => x.cpu)).toFixed(0)} tx per CPU-second (${xs.map((x) => x.cpu.toFixed(0)).join(", ")})`,
  );
for (const kind of ["score", "batch"])
  if (results[`${kind}-on`]?.length && results[`${kind}-off`]?.length) {
    const ratio = (k) => median(results[`${kind}-on`].map((on, i) => on[k] / results[`${kind}-off`][i][k]));
    console.log(
      `${kind}: monitoring on / off, median pair ratio ${ratio("wall").toFixed(2)} wall, ${ratio("cpu").toFixed(2)} CPU`,
    );
  }
console.log(
  `load ${os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(" ")}`,
);
if (!keepHome) rmSync(home, { recursive: true, force: true });
