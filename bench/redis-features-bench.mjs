/* global URL, fetch, performance, setTimeout, clearTimeout */
// What the shared feature store costs per score (issue #17; `npm run build` first, needs Debian's
// redis-server):
//   node bench/redis-features-bench.mjs [--seconds 4] [--pairs 3]
// Two `lakay serve` processes on one SQLite registry with no model (rules-only: the feature step is
// what differs): one with in-process features, one with --feature-store on a redis-server this
// script starts on a free port. One client at a time sends POST /api/v1/fraud/score sequentially
// (new transaction id each, 500 customers), `--seconds` per side, the sides alternating `--pairs`
// times. Prints the median latency seen by the client and the Redis commands per score.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

const CLI = new URL("../dist/cli/main.js", import.meta.url).pathname;
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const SECONDS = arg("--seconds", 4);
const PAIRS = arg("--pairs", 3);

const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
const children = [];
const startChild = (cmd, args, env, ready) =>
  new Promise((resolve, reject) => {
    const c = spawn(cmd, args, {
      cwd: dir,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(c);
    let out = "";
    const timer = setTimeout(() => reject(new Error(`${cmd} did not start: ${out}`)), 30_000);
    const on = (d) => {
      out += d.toString();
      const m = ready.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    c.stdout.on("data", on);
    c.stderr.on("data", on);
    c.on("exit", (code) => reject(new Error(`${cmd} exited ${code}: ${out}`)));
  });

const dir = mkdtempSync(path.join(os.tmpdir(), "lakay-redis-bench-"));
try {
  const redisPort = await freePort();
  await startChild(
    "/usr/bin/redis-server",
    ["--port", String(redisPort), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    {},
    /(Ready to accept connections)/,
  );
  // Each server its own LAKAY_HOME (registry, spill folder).
  const serve = (home, ...extra) =>
    startChild(
      process.execPath,
      [CLI, "serve", "--port", "0", ...extra],
      { LAKAY_HOME: path.join(dir, home), LAKAY_LOG_LEVEL: "info" },
      /listening on (http:\/\/[^"\s]+)/,
    );
  const local = await serve("a");
  const shared = await serve("b", "--feature-store", `redis://127.0.0.1:${redisPort}/0`);

  let n = 0;
  const body = () =>
    JSON.stringify({
      transaction_id: `b-${n}`,
      step: 1 + Math.floor(n / 50),
      type: "TRANSFER",
      amount: 100 + (n % 997),
      nameOrig: `C${n++ % 500}`,
      oldbalanceOrg: 5000,
      newbalanceOrig: 4000,
      nameDest: "M1",
      oldbalanceDest: 0,
      newbalanceDest: 1000,
    });
  const run = async (url) => {
    const lat = [];
    const end = performance.now() + SECONDS * 1000;
    while (performance.now() < end) {
      const t = performance.now();
      const r = await fetch(`${url}/api/v1/fraud/score`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: body(),
      });
      await r.text();
      if (r.status !== 200) throw new Error(`status ${r.status}`);
      lat.push(performance.now() - t);
    }
    lat.sort((a, b) => a - b);
    return { n: lat.length, p50: lat[lat.length >> 1], p99: lat[Math.floor(lat.length * 0.99)] };
  };
  await run(local); // warm-up, both sides
  await run(shared);
  const med = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const sides = { "in-process": [], redis: [] };
  for (let p = 0; p < PAIRS; p++) {
    for (const [name, url] of p % 2
      ? [
          ["redis", shared],
          ["in-process", local],
        ]
      : [
          ["in-process", local],
          ["redis", shared],
        ]) {
      const r = await run(url);
      sides[name].push(r);
      console.log(
        `pair ${p + 1} ${name}: ${(r.n / SECONDS).toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms`,
      );
    }
  }
  for (const [name, rs] of Object.entries(sides))
    console.log(
      `median ${name}: p50 ${med(rs.map((r) => r.p50)).toFixed(2)} ms, ${med(rs.map((r) => r.n / SECONDS)).toFixed(0)} req/s`,
    );
  const mon = await (await fetch(`${shared}/api/v1/serving/monitoring`)).json();
  const c = mon.feature_store.redis_commands;
  const scored = mon.feature_store.scores.scored;
  console.log(
    `redis commands: ${JSON.stringify(c)} for ${scored} scores = ${((c.mget + c.commit + c.outbox) / scored).toFixed(3)} per score`,
  );
} finally {
  for (const c of children) c.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
}
