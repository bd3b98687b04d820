/* global performance, URL */
// CPU per prediction-log row of SQLite's append worker (not a test; `npm run build` first; Linux):
//   node bench/append-worker-cpu.mjs [--anchor CHECKOUT] [--rows 100000] [--pairs 3]
// Appends `--rows` prediction-log rows (1,000 per call, as the writer's batches) to a fresh SQLite
// file through SqliteAppendWorker, and reads the process's CPU time from /proc around it: the
// serving thread's (packing and sending) and every thread's (the worker's inserts and commits too).
// The rows are made before the clock starts. With --anchor, the same with CHECKOUT's build
// (e.g. main's), the two taking turns.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { spawnSync } from "node:child_process";

const args = process.argv.slice(2);
const opt = (name, d) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : d;
};
const ROWS = Number(opt("rows", 100_000));
const PAIRS = Number(opt("pairs", 3));

if (opt("child", null)) {
  const checkout = opt("child", null);
  const { SqliteAppendWorker } = await import(
    path.join(checkout, "dist/registry/sql/sqlite-append-worker.js")
  );
  const Database = (await import(path.join(checkout, "node_modules/better-sqlite3/lib/index.js"))).default;
  const dir = mkdtempSync(path.join(os.tmpdir(), "lakay-append-cpu-"));
  const file = path.join(dir, "log.db");
  const rules = JSON.stringify([
    { id: "dest_balance_unchanged", weight: 0.15 },
    { id: "night_transfer", weight: 0.1 },
  ]);
  let seq = 0;
  const row = () => {
    const i = seq++;
    return {
      ts: new Date().toISOString(),
      model: "fraud-detector",
      transaction_id: `b${1e8 + i}`,
      user_id: `C${i % 200_000}`,
      variant: "champion",
      model_version: 1,
      experiment_id: null,
      amount: 100.5 + i,
      amount_zscore: Math.random(),
      hour_of_day: 3,
      day_of_week: 2,
      tx_type_encoded: 4,
      balance_delta_sender: -10_000 + Math.random(),
      balance_delta_receiver: 0,
      velocity_count_1h: 1,
      velocity_count_24h: 2,
      velocity_amount_1h: 100.5 + i,
      velocity_amount_24h: 201 + i,
      ml_score: Math.random(),
      rule_score: 0.25,
      score: Math.random(),
      risk_tier: "low",
      latency_ms: Math.random(),
      rules_triggered: rules,
    };
  };
  // The prediction log's columns, as the writer's rows have them (PREDICTION_LOG_COLUMNS).
  const columns = Object.keys(row());
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.exec(`CREATE TABLE prediction_log (${columns.join(", ")}, UNIQUE (model, transaction_id))`);
  db.close();
  const ticks = (f) => {
    const stat = readFileSync(f, "utf8");
    const x = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(x[11]) + Number(x[12])) / 100;
  };
  const cpu = () => ({ main: ticks(`/proc/self/task/${process.pid}/stat`), all: ticks("/proc/self/stat") });
  const w = new SqliteAppendWorker({ file, busyTimeoutMs: 30_000, chunkRows: 128 });
  const batches = Array.from({ length: Math.ceil(ROWS / 1000) }, () => Array.from({ length: 1000 }, row));
  await w.append("prediction_log", columns, Array.from({ length: 1000 }, row), ["model", "transaction_id"]);
  const c0 = cpu();
  const t0 = performance.now();
  for (const b of batches) await w.append("prediction_log", columns, b, ["model", "transaction_id"]);
  const c1 = cpu();
  const n = batches.length * 1000;
  console.log(
    JSON.stringify({
      main: ((c1.main - c0.main) * 1e6) / n,
      all: ((c1.all - c0.all) * 1e6) / n,
      wall: ((performance.now() - t0) * 1e3) / n,
    }),
  );
  await w.close();
  rmSync(dir, { recursive: true, force: true });
} else {
  const here = fileURLToPath(new URL("..", import.meta.url));
  const anchor = opt("anchor", null);
  const sides = [{ name: "this checkout", checkout: here }];
  if (anchor) sides.push({ name: `anchor ${anchor}`, checkout: path.resolve(anchor) });
  const results = Object.fromEntries(sides.map((s) => [s.name, []]));
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(`# append worker CPU per row: ${ROWS} rows a run, load ${os.loadavg()[0].toFixed(1)}`);
  for (let p = 0; p < PAIRS; p++)
    for (const side of sides.map((_, i) => sides[(i + p) % sides.length])) {
      const r = spawnSync(
        process.execPath,
        [fileURLToPath(import.meta.url), "--child", side.checkout, "--rows", String(ROWS)],
        {
          encoding: "utf8",
        },
      );
      if (r.status !== 0) throw new Error(r.stderr);
      const m = JSON.parse(r.stdout.trim().split("\n").at(-1));
      results[side.name].push(m);
      console.log(
        `pair ${p + 1} ${side.name}: serving thread ${m.main.toFixed(2)} µs/row, all threads ${m.all.toFixed(2)} µs/row, wall ${m.wall.toFixed(2)} µs/row`,
      );
    }
  for (const [name, xs] of Object.entries(results))
    console.log(
      `median ${name}: serving thread ${median(xs.map((x) => x.main)).toFixed(2)} µs/row, all threads ${median(xs.map((x) => x.all)).toFixed(2)} µs/row`,
    );
}
