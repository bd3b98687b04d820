/* global URL */
// Server CPU per scored transaction over HTTP (not a test; `npm run build` first; Debian's wrk; Linux):
//   node bench/serve-cpu.mjs --home DIR [--anchor CHECKOUT] [--seconds 8] [--pairs 3] [--only batch,score]
// DIR: a registry built by `node bench/serve-inprocess.mjs --home DIR` (it builds one when missing).
// On a shared machine wall-clock rates say more about the neighbours than about the server, so this
// reads the server process's own CPU time (/proc/PID/stat, user + system, every thread) around each
// wrk run and prints transactions (batch) or requests (score) per server CPU-second beside the wall
// rate. Sides, taking turns (who goes first rotates), each a fresh `lakay serve --port 0` with
// monitoring off (the prediction log's own cost is measured by serve-bench.mjs):
//   - batch: `POST /api/v1/fraud/score/batch`, 1,000 new transactions a request, wrk -t1 -c2
//     (one server core at most), this checkout and, with --anchor, the checkout at CHECKOUT (its
//     own dist/, e.g. a build of the commit before a change);
//   - score: `POST /api/v1/fraud/score`, wrk -t2 -c32, the same sides plus a bare Fastify route
//     parsing the same body and answering a constant JSON object (serve-bench.mjs's anchor).
// A new transaction id and customer (of 200,000) every time; the idempotency memory (200,000
// answers) fills after 200,000 transactions, so longer runs show the steady state.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

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
const bareFile = path.join(tmp, "bare.mjs");
writeFileSync(
  bareFile,
  `import Fastify from ${JSON.stringify(path.join(here, "node_modules/fastify/fastify.js"))};
const app = Fastify();
const body = { score: 0.42, risk_tier: "medium", recommendation: "review" };
app.post("/bare", async () => body);
const url = await app.listen({ host: "127.0.0.1", port: 0 });
process.stderr.write("listening on " + url + "\\n");
`,
);

const TX = `'{"transaction_id":"b%d","step":%d,"type":"CASH_OUT","amount":%d.5,"nameOrig":"C%d","oldbalanceOrg":50000,"newbalanceOrig":40000,"nameDest":"C1","oldbalanceDest":0,"newbalanceDest":0}'`;
const LUA = {
  score: `
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
local n = 0
request = function()
  n = n + 1
  local c = tid * 10000000 + n
  return wrk.format("POST", nil, {["Content-Type"]="application/json"}, string.format(${TX}, c, n % 700, n % 90000 + 10, c % 200000))
end`,
  batch: `
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
local n = 0
request = function()
  local parts = {}
  for k = 1, 1000 do
    n = n + 1
    local c = tid * 100000000 + n
    parts[k] = string.format(${TX}, c, n % 700, n % 90000 + 10, c % 200000)
  end
  return wrk.format("POST", nil, {["Content-Type"]="application/json"}, '{"transactions":[' .. table.concat(parts, ",") .. ']}')
end`,
};

/** Starts a server; resolves with its URL and child once it logs `listening on`. */
function start(side) {
  const argv =
    side.checkout === null
      ? [bareFile]
      : [path.join(side.checkout, "dist/cli/main.js"), "serve", "--port", "0", "--config", offConfig];
  const env = { ...process.env, LAKAY_HOME: HOME, LAKAY_LOG_LEVEL: "info" };
  const child = spawn(process.execPath, argv, { env, stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  return new Promise((resolve, reject) => {
    child.stderr.on("data", (d) => {
      err += d;
      const m = /listening on (http:\/\/[^"\s]+)/.exec(err);
      if (m) resolve({ url: m[1], child });
    });
    child.on("exit", (code) => reject(new Error(`${side.name} exited ${code}: ${err}`)));
  });
}

/** User + system CPU seconds of a process, all its threads. */
function cpuSeconds(pid) {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime (fields 14, 15) in clock ticks
}

function wrk(url, kind, seconds) {
  const script = path.join(tmp, `${kind}.lua`);
  writeFileSync(script, LUA[kind]);
  const conn = kind === "batch" ? ["-t1", "-c2"] : ["-t2", "-c32"];
  const r = spawnSync("wrk", [...conn, `-d${seconds}s`, "--latency", "-s", script, url], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr}`);
  const requests = Number(/(\d+) requests in/.exec(r.stdout)[1]);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(r.stdout)?.[1] ?? 0);
  const p99m = /\s99%\s+([\d.]+)(us|ms|s)/.exec(r.stdout);
  return { requests, non2xx, p99: Number(p99m[1]) * { us: 0.001, ms: 1, s: 1000 }[p99m[2]] };
}

async function measure(side, kind) {
  const { url, child } = await start(side);
  const target = `${url}${side.checkout === null ? "/bare" : kind === "batch" ? "/api/v1/fraud/score/batch" : "/api/v1/fraud/score"}`;
  wrk(target, kind, 2); // warm-up (JIT)
  const cpu0 = cpuSeconds(child.pid);
  const w = wrk(target, kind, SECONDS);
  const cpu = cpuSeconds(child.pid) - cpu0;
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  const per = kind === "batch" ? 1000 : 1;
  return { wall: (w.requests * per) / SECONDS, cpu: (w.requests * per) / cpu, p99: w.p99, non2xx: w.non2xx };
}

console.log(
  `# server CPU per transaction: ${os.cpus().length} cores (shared), load ${load()}, ${SECONDS}s runs`,
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
          `p99 ${r.p99.toFixed(2)} ms, non-2xx ${r.non2xx} (load ${load()})`,
      );
    }
  for (const [name, xs] of Object.entries(results))
    console.log(
      `${kind} median ${name}: ${median(xs.map((x) => x.wall)).toFixed(0)} ${unit}/s wall, ` +
        `${median(xs.map((x) => x.cpu)).toFixed(0)} ${unit} per server CPU-second (${xs.map((x) => x.cpu.toFixed(0)).join(", ")})`,
    );
}
rmSync(tmp, { recursive: true, force: true });
