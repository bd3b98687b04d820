/* global URL */
// Server CPU per scored transaction over HTTP (not a test; `npm run build` first; Debian's wrk; Linux):
//   node bench/serve-cpu.mjs --home DIR [--anchor CHECKOUT] [--seconds 8] [--pairs 3] [--only batch,score]
//                            [--monitoring on]
// DIR: a registry built by `node bench/serve-inprocess.mjs --home DIR` (it builds one when missing).
// On a shared machine wall-clock rates say more about the neighbours than about the server, so this
// reads the server process's own CPU time (/proc/PID/stat, user + system, every thread) around each
// wrk run and prints transactions (batch) or requests (score) per server CPU-second beside the wall
// rate. Sides, taking turns (who goes first rotates), each a fresh `lakay serve --port 0` with
// monitoring off (the prediction log's own cost is measured by serve-bench.mjs; `--monitoring on`
// keeps the serving.yaml default, monitoring and prediction log on, as issue #14's target has it):
//   - batch: `POST /api/v1/fraud/score/batch`, 1,000 new transactions a request, wrk -t1 -c2
//     (one server core at most), this checkout and, with --anchor, the checkout at CHECKOUT (its
//     own dist/, e.g. a build of the commit before a change);
//   - score: `POST /api/v1/fraud/score`, wrk -t2 -c32, the same sides plus a bare Fastify route
//     parsing the same body and answering a constant JSON object (serve-bench.mjs's anchor).
// A new transaction id and customer (of 200,000) every time; the idempotency memory (200,000
// answers) fills after 200,000 transactions, so longer runs show the steady state.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { batchLua, cpuSeconds, scoreLua, startChild, wrk, writeBareServer } from "./serve-harness.mjs";

const args = process.argv.slice(2);
const opt = (name, d) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : d;
};
const SECONDS = Number(opt("seconds", 8));
const PAIRS = Number(opt("pairs", 3));
const HOME = opt("home", null);
const ANCHOR = opt("anchor", null);
const ONLY = opt("only", "batch,score").split(",");
const MONITORING = opt("monitoring", "off") === "on";
if (!HOME) throw new Error("--home DIR: a registry built by bench/serve-inprocess.mjs --home DIR");
const here = fileURLToPath(new URL("..", import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), "lakay-serve-cpu-"));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(1))
    .join(" ");

const offConfig = path.join(tmp, "monitoring-off.yaml");
writeFileSync(offConfig, "monitoring:\n  enabled: false\n");
const bareFile = writeBareServer(tmp);
// The score requests are CASH_OUTs here (serve-bench.mjs sends TRANSFERs), as this bench always did.
const LUA = { score: scoreLua("CASH_OUT"), batch: batchLua(1000) };
const WRK_LOAD = { score: { threads: 2, connections: 32 }, batch: { threads: 1, connections: 2 } };

/** Starts a server (a checkout's `lakay serve` with monitoring off, or the bare route). */
function start(side) {
  const argv =
    side.checkout === null
      ? [bareFile]
      : [
          path.join(side.checkout, "dist/cli/main.js"),
          "serve",
          "--port",
          "0",
          ...(MONITORING ? [] : ["--config", offConfig]),
        ];
  return startChild(argv, { ...process.env, LAKAY_HOME: HOME, LAKAY_LOG_LEVEL: "info" });
}

async function measure(side, kind) {
  const { url, child } = await start(side);
  const target = `${url}${side.checkout === null ? "/bare" : kind === "batch" ? "/api/v1/fraud/score/batch" : "/api/v1/fraud/score"}`;
  const run = (seconds) => wrk(target, LUA[kind], { seconds, ...WRK_LOAD[kind], dir: tmp });
  run(2); // warm-up (JIT)
  const cpu0 = cpuSeconds(child.pid);
  const w = run(SECONDS);
  const cpu1 = cpuSeconds(child.pid);
  const cpu = cpu1.all - cpu0.all;
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  const per = kind === "batch" ? 1000 : 1;
  return {
    wall: (w.requests * per) / SECONDS,
    cpu: (w.requests * per) / cpu,
    mainUs: ((cpu1.main - cpu0.main) * 1e6) / (w.requests * per),
    p99: w.p99,
    non2xx: w.non2xx,
  };
}

console.log(
  `# server CPU per transaction: ${os.cpus().length} cores (shared), load ${load()}, ${SECONDS}s runs, ` +
    `monitoring ${MONITORING ? "on" : "off"}`,
);
for (const kind of ONLY) {
  const sides = [{ name: "this checkout", checkout: here }];
  if (ANCHOR) sides.push({ name: `anchor ${ANCHOR}`, checkout: ANCHOR });
  if (kind === "score") sides.push({ name: "bare Fastify", checkout: null });
  const results = Object.fromEntries(sides.map((s) => [s.name, []]));
  const unit = kind === "batch" ? "tx" : "req";
  for (let p = 0; p < PAIRS; p++)
    for (const side of sides.map((_, i) => sides[(i + p) % sides.length])) {
      const r = await measure(side, kind);
      results[side.name].push(r);
      console.log(
        `${kind} pair ${p + 1} ${side.name}: ${r.wall.toFixed(0)} ${unit}/s wall, ${r.cpu.toFixed(0)} ${unit} per server CPU-second, ` +
          `main thread ${r.mainUs.toFixed(1)} µs/${unit}, p99 ${r.p99.toFixed(2)} ms, non-2xx ${r.non2xx} (load ${load()})`,
      );
    }
  for (const [name, xs] of Object.entries(results))
    console.log(
      `${kind} median ${name}: ${median(xs.map((x) => x.wall)).toFixed(0)} ${unit}/s wall, ` +
        `${median(xs.map((x) => x.cpu)).toFixed(0)} ${unit} per server CPU-second (${xs.map((x) => x.cpu.toFixed(0)).join(", ")}), ` +
        `main thread ${median(xs.map((x) => x.mainUs)).toFixed(1)} µs/${unit}`,
    );
}
rmSync(tmp, { recursive: true, force: true });
