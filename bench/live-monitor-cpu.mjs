/* global URL, setTimeout */
// The live monitor's cost on the serving thread (not a test; `npm run build` first; Linux):
//   node bench/live-monitor-cpu.mjs --home DIR [--anchor CHECKOUT] [--rate 8000] [--count 50000]
//                                   [--pairs 3] [--log on|off]
// DIR: a registry built by `node bench/serve-inprocess.mjs --home DIR` (copied per run, so runs do
// not grow one prediction log). Each run is a fresh process that opens the copy, starts a
// LiveMonitor for version 1 (default monitoring config, prediction log on unless `--log off`) and
// hands it `--count` scored transactions at about `--rate` a second, in slices of 100 as a server's
// turns of the event loop would (a new id each, ten variants of features); then it prints the main
// thread's CPU a prediction (/proc/self/task/PID/stat) and the whole process's (the SQLite append
// worker writes the rows). With `--anchor`, the checkout at CHECKOUT (its own dist/) takes turns
// with this one. The monitor alone, without HTTP: the serving process's other work is not in it.
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const args = process.argv.slice(2);
const opt = (name, d) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : d;
};
const here = fileURLToPath(new URL("..", import.meta.url));

if (process.env.LIVE_MONITOR_CHILD) {
  // One run, in this process.
  const { dist, home, rate, count, log: logOn } = JSON.parse(process.env.LIVE_MONITOR_CHILD);
  const d = (p) => import(new URL(`file://${path.join(dist, p)}`).href);
  process.env.LAKAY_HOME = home;
  process.env.LAKAY_LOG_LEVEL = "error";
  const { openLakay } = await d("app/index.js");
  const { LiveMonitor, monitoringConfigSchema } = await d("monitoring/index.js");
  const { log } = await d("log/index.js");
  const { Registry: PromRegistry } = await import("prom-client");
  const registry = await openLakay({});
  const config = monitoringConfigSchema.parse({});
  config.prediction_log.spill_dir = path.join(home, "spill");
  config.prediction_log.enabled = logOn;
  const monitor = new LiveMonitor({
    registry,
    logger: log(),
    model: "fraud-detector",
    config,
    latencySla: { p95: 200, p99: 500 },
    prom: new PromRegistry(),
  });
  await monitor.start();
  await monitor.setChampion({ name: "fraud-detector", version: 1 });
  const fired = [Object.freeze([Object.freeze({ id: "large_amount", weight: 0.5 })]), Object.freeze([])];
  const pool = Array.from({ length: 10 }, (_, i) => ({
    transactionId: "",
    userId: `C${i}`,
    variant: i % 10 ? "champion" : "challenger",
    modelVersion: 1,
    experimentId: "exp-bench",
    features: Float64Array.from({ length: 11 }, (_, j) => ((i * (j + 1)) % 97) + 0.5),
    mlScore: i / 10,
    ruleScore: 0.2,
    score: 0.3,
    riskTier: "low",
    latencyMs: 0.05,
    rulesTriggered: fired[i % 2],
  }));
  const mainTicks = () => {
    const s = readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8");
    const f = s.slice(s.lastIndexOf(")") + 2).split(" ");
    return Number(f[11]) + Number(f[12]);
  };
  const slice = 100;
  const pauseMs = (1000 * slice) / rate;
  const t0 = mainTicks();
  const c0 = process.cpuUsage();
  for (let n = 0; n < count;) {
    for (let i = 0; i < slice; i++, n++) {
      const p = pool[n % pool.length];
      p.transactionId = `bench-${n}`;
      monitor.observe(p);
    }
    await new Promise((r) => setTimeout(r, pauseMs));
  }
  const main = ((mainTicks() - t0) * 1e4) / count; // ticks of 10 ms → µs
  const cpu = process.cpuUsage(c0);
  await monitor.close(); // writes what is still queued
  const written = monitor.writer?.stats.written ?? 0;
  await registry.close();
  console.log(JSON.stringify({ main, all: (cpu.user + cpu.system) / count, written }));
  process.exit(0);
}

const HOME = opt("home", null);
if (!HOME) throw new Error("--home DIR: a registry built by bench/serve-inprocess.mjs --home DIR");
const ANCHOR = opt("anchor", null);
const RATE = Number(opt("rate", 8000));
const COUNT = Number(opt("count", 50000));
const PAIRS = Number(opt("pairs", 3));
const LOG = opt("log", "on") === "on";
const sides = [{ name: "this checkout", dist: path.join(here, "dist") }];
if (ANCHOR) sides.push({ name: `anchor ${ANCHOR}`, dist: path.join(ANCHOR, "dist") });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load = () => os.loadavg()[0].toFixed(1);

function run(side) {
  const home = mkdtempSync(path.join(os.tmpdir(), "lakay-monitor-cpu-"));
  try {
    cpSync(path.join(HOME, "lakay.db"), path.join(home, "lakay.db"));
    cpSync(path.join(HOME, "artifacts"), path.join(home, "artifacts"), { recursive: true });
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url)], {
      env: {
        ...process.env,
        LIVE_MONITOR_CHILD: JSON.stringify({ dist: side.dist, home, rate: RATE, count: COUNT, log: LOG }),
      },
      encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`${side.name}: ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split("\n").pop());
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

console.log(
  `# live monitor, prediction log ${LOG ? "on" : "off"}: ${COUNT} predictions at ~${RATE}/s, ${os.cpus().length} cores (shared), load ${load()}`,
);
const results = Object.fromEntries(sides.map((s) => [s.name, []]));
for (let p = 0; p < PAIRS; p++)
  for (const side of sides.map((_, i) => sides[(i + p) % sides.length])) {
    const r = run(side);
    results[side.name].push(r);
    console.log(
      `pair ${p + 1} ${side.name}: main thread ${r.main.toFixed(2)} µs a prediction, process ${r.all.toFixed(2)}, written ${r.written} (load ${load()})`,
    );
  }
for (const [name, xs] of Object.entries(results))
  console.log(
    `median ${name}: main thread ${median(xs.map((x) => x.main)).toFixed(2)} µs a prediction ` +
      `(${xs.map((x) => x.main.toFixed(2)).join(", ")}), process ${median(xs.map((x) => x.all)).toFixed(2)}`,
  );
