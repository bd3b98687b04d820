/* global URL, fetch, setTimeout */
// Serving benchmark (not a test; `npm run build` first):
//   node bench/serve-bench.mjs [--seconds 10] [--pairs 3] [--connections 32] [--reload 0] [--warmup 20]
// Builds a small registry the quickstart's way in a temporary LAKAY_HOME (20,000 generated rows,
// two 100-tree versions, version 1 promoted through the gate), then with wrk (Debian `wrk`):
// 1. `POST /api/v1/fraud/score` (features + rules + ML + routing at 90/10, a new transaction id and
//    customer every request) against a bare Fastify route parsing the same JSON body and answering
//    a constant JSON body, and against a second `lakay serve` with monitoring and the prediction
//    log off; the three taking turns (who goes first rotates), PAIRS rounds, medians of requests/s
//    and p99 and the medians of the rounds' own ratios (score/bare; off/bare, the route without
//    monitoring's prediction log; on/off, what monitoring costs);
// 2. reloads under load: 20 reloads and a promotion + reload during a run; non-2xx and socket errors
//    (`--reload 0` skips it);
// 3. the batch endpoint (1,000 transactions per request), monitoring on and off in turn, transactions/s.
// The machine may be shared: quote medians and say so.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  batchLua,
  cpuSeconds,
  scoreLua,
  startChild,
  wrk,
  wrkScript,
  writeBareServer,
} from "./serve-harness.mjs";

const args = process.argv.slice(2);
const opt = (name, d) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : d;
};
const SECONDS = opt("seconds", 10);
const PAIRS = opt("pairs", 3);
const CONNECTIONS = opt("connections", 32);
const RELOAD = opt("reload", 1);
// Seconds of score load each server gets before the rounds: long enough for the JIT and for the
// serving memories to fill (200,000 idempotent answers, the customers' histories), so the rounds
// measure the steady state a running server lives in, not its first ~200,000 transactions, during
// which the memories' columns grow and the old generation with them (3 s until the tenth session:
// docs/BENCHMARKS.md has both).
const WARMUP = opt("warmup", 20);
const CLI = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
const home = mkdtempSync(path.join(os.tmpdir(), "lakay-serve-bench-"));
// info: the "listening on" line is how the children say where they are.
const env = { ...process.env, LAKAY_HOME: home, LAKAY_LOG_LEVEL: "info" };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function lakay(...a) {
  const r = spawnSync(process.execPath, [CLI, ...a], { env, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`lakay ${a.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

function gate(version) {
  lakay("validate", "--model", "fraud-detector", "--version", String(version));
  for (const [role, by] of [
    ["ml_engineer", "alice"],
    ["team_lead", "bob"],
    ["bsa_officer", "dave"],
  ])
    lakay("approve", "--model", "fraud-detector", "--version", String(version), "--role", role, "--by", by);
  lakay("promote", "--model", "fraud-detector", "--version", String(version), "--by", "carol");
}

async function main() {
  console.log(
    `# lakay serve benchmark: ${os.cpus().length} cores (shared), wrk -t2 -c${CONNECTIONS}, ${SECONDS}s runs after ${WARMUP}s of warm-up`,
  );
  const data = path.join(home, "paysim.csv");
  lakay("generate", "paysim", "--rows", "20000", "--seed", "42", "--out", data);
  writeFileSync(
    path.join(home, "train.yaml"),
    "model_name: fraud-detector\nhyperparams:\n  n_estimators: 100\n  max_depth: 6\n",
  );
  for (let v = 0; v < 3; v++) lakay("train", "--dataset", data, "--config", path.join(home, "train.yaml"));
  gate(1);
  const token = JSON.parse(
    lakay("tokens", "create", "--name", "bench", "--role", "ml_engineer", "--json"),
  ).token;

  const bare = await startChild([writeBareServer(home)], env);
  const serve = await startChild([CLI, "serve", "--port", "0"], env);
  const offConfig = path.join(home, "monitoring-off.yaml");
  writeFileSync(offConfig, "monitoring:\n  enabled: false\n");
  const serveOff = await startChild([CLI, "serve", "--port", "0", "--config", offConfig], env);
  const auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  const routing = await fetch(`${serve.url}/api/v1/serving/routing`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify({ champion_pct: 90, challenger_pct: 10, reason: "bench" }),
  });
  if (!routing.ok) throw new Error(`routing: ${await routing.text()}`);

  // Warm all three up (JIT, full memories: WARMUP above), then take turns.
  const targets = {
    bare: `${bare.url}/bare`,
    score: `${serve.url}/api/v1/fraud/score`,
    off: `${serveOff.url}/api/v1/fraud/score`,
  };
  for (const url of Object.values(targets))
    wrk(url, scoreLua(), { seconds: WARMUP, connections: CONNECTIONS, dir: home });
  const pairs = [];
  const sides = Object.keys(targets);
  for (let p = 0; p < PAIRS; p++) {
    const order = sides.map((_, i) => sides[(i + p) % sides.length]);
    const res = {};
    for (const side of order) {
      const pid = { bare: bare.child.pid, score: serve.child.pid, off: serveOff.child.pid }[side];
      const cpu0 = cpuSeconds(pid);
      res[side] = wrk(targets[side], scoreLua(), { seconds: SECONDS, connections: CONNECTIONS, dir: home });
      const cpu1 = cpuSeconds(pid);
      const us = (s) => ((cpu1[s] - cpu0[s]) * 1e6) / res[side].requests;
      res[side].cpuMain = us("main");
      res[side].cpuAll = us("all");
    }
    pairs.push(res);
    console.log(
      `round ${p + 1} (${order.join(", ")}): bare ${res.bare.rps.toFixed(0)} req/s (p99 ${res.bare.p99.toFixed(2)} ms), ` +
        `score ${res.score.rps.toFixed(0)} req/s (p99 ${res.score.p99.toFixed(2)} ms, non-2xx ${res.score.non2xx}), ` +
        `monitoring off ${res.off.rps.toFixed(0)} req/s (p99 ${res.off.p99.toFixed(2)} ms); ` +
        `score/bare ${(res.score.rps / res.bare.rps).toFixed(2)}, off/bare ${(res.off.rps / res.bare.rps).toFixed(2)}, on/off ${(res.score.rps / res.off.rps).toFixed(2)}; ` +
        `CPU µs/request main thread (all threads): on ${res.score.cpuMain.toFixed(0)} (${res.score.cpuAll.toFixed(0)}), ` +
        `off ${res.off.cpuMain.toFixed(0)} (${res.off.cpuAll.toFixed(0)})`,
    );
  }
  const med = (f) => median(pairs.map(f));
  console.log(
    `median: bare ${med((x) => x.bare.rps).toFixed(0)} req/s (p99 ${med((x) => x.bare.p99).toFixed(2)} ms), ` +
      `score ${med((x) => x.score.rps).toFixed(0)} req/s (p99 ${med((x) => x.score.p99).toFixed(2)} ms), ` +
      `monitoring off ${med((x) => x.off.rps).toFixed(0)} req/s (p99 ${med((x) => x.off.p99).toFixed(2)} ms); ` +
      `score/bare ${med((x) => x.score.rps / x.bare.rps).toFixed(2)}, off/bare ${med((x) => x.off.rps / x.bare.rps).toFixed(2)}, on/off ${med((x) => x.score.rps / x.off.rps).toFixed(2)}; ` +
      `CPU µs/request main thread (all threads): on ${med((x) => x.score.cpuMain).toFixed(0)} (${med((x) => x.score.cpuAll).toFixed(0)}), ` +
      `off ${med((x) => x.off.cpuMain).toFixed(0)} (${med((x) => x.off.cpuAll).toFixed(0)}), ` +
      `on/off main ${med((x) => x.score.cpuMain / x.off.cpuMain).toFixed(2)}`,
  );

  // Reloads under load: 20 reloads, then a promotion of version 2 (gate) and a reload.
  if (RELOAD) await reloadUnderLoad(serve, token, data);

  // Batch endpoint: 1,000 transactions per request, 2 connections (one server core at most),
  // monitoring on and off in turn.
  const batches = { on: [], off: [] };
  for (let p = 0; p < PAIRS; p++)
    for (const side of p % 2 === 0 ? ["on", "off"] : ["off", "on"]) {
      const url = `${(side === "on" ? serve : serveOff).url}/api/v1/fraud/score/batch`;
      const b = wrk(url, batchLua(1000), { seconds: SECONDS, connections: 2, dir: home });
      batches[side].push(b.rps * 1000);
      console.log(
        `batch, monitoring ${side}: ${(b.rps * 1000).toFixed(0)} transactions/s (${b.rps.toFixed(1)} requests/s of 1,000, non-2xx ${b.non2xx})`,
      );
    }
  console.log(
    `batch median: monitoring on ${median(batches.on).toFixed(0)} tx/s, off ${median(batches.off).toFixed(0)} tx/s`,
  );

  serve.child.kill("SIGTERM");
  serveOff.child.kill("SIGTERM");
  bare.child.kill("SIGTERM");
  rmSync(home, { recursive: true, force: true });
}

async function reloadUnderLoad(serve, token, data) {
  const seconds = Math.max(SECONDS, 20);
  const loadRun = new Promise((resolve) => {
    const script = wrkScript(scoreLua(), home);
    const child = spawn("wrk", [
      "-t2",
      `-c${CONNECTIONS}`,
      `-d${seconds}s`,
      "--latency",
      "-s",
      script,
      `${serve.url}/api/v1/fraud/score`,
    ]);
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("exit", () => resolve(out));
  });
  let reloads = 0;
  let reloadFailures = 0;
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, 1000));
  for (let i = 0; i < 20; i++) {
    const r = await fetch(`${serve.url}/api/v1/serving/reload`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
    reloads++;
    if (!r.ok) reloadFailures++;
    await new Promise((res) => setTimeout(res, 300));
  }
  lakay("backtest", "--model", "fraud-detector", "--candidate", "2", "--dataset", data);
  gate(2);
  const r = await fetch(`${serve.url}/api/v1/serving/reload`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
  });
  reloads++;
  if (!r.ok) reloadFailures++;
  const served = (await (await fetch(`${serve.url}/api/v1/serving/monitoring`)).json()).model.version;
  const out = await loadRun;
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]);
  console.log(
    `reload under load (${seconds}s, ${((Date.now() - t0) / 1000).toFixed(0)}s of reloading): ${reloads} reloads (${reloadFailures} failed), ` +
      `promotion to version ${served}; ${rps.toFixed(0)} req/s, non-2xx ${non2xx}, socket errors ${sock ? sock[0] : "none"}`,
  );
}

await main();
