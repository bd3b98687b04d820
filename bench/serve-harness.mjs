/* global URL */
// What the serving benchmarks share (serve-bench.mjs, serve-cpu.mjs): the wrk scripts, the wrk
// runner, server CPU from /proc, starting a server child and the bare Fastify anchor.
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** A score request body in Lua's string.format: id, step, amount, customer. */
const txFormat = (txType) =>
  `'{"transaction_id":"b%d","step":%d,"type":"${txType}","amount":%d.5,"nameOrig":"C%d","oldbalanceOrg":50000,"newbalanceOrig":40000,"nameDest":"C1","oldbalanceDest":0,"newbalanceDest":0}'`;

/** wrk script for `POST /api/v1/fraud/score`: a new transaction id and customer (of 200,000) every request. */
export function scoreLua(txType = "TRANSFER") {
  return `
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
local n = 0
request = function()
  n = n + 1
  local c = RUN_ID * 100000000 + tid * 10000000 + n
  return wrk.format("POST", nil, {["Content-Type"]="application/json"}, string.format(${txFormat(txType)}, c, n % 700, n % 90000 + 10, c % 200000))
end
`;
}

/** wrk script for the batch endpoint: `size` new transactions a request. */
export function batchLua(size) {
  return `
local threads = 0
function setup(thread) threads = threads + 1; thread:set("tid", threads) end
local n = 0
request = function()
  local parts = {}
  for k = 1, ${size} do
    n = n + 1
    local c = RUN_ID * 1000000000 + tid * 100000000 + n
    parts[k] = string.format(${txFormat("CASH_OUT")}, c, n % 700, n % 90000 + 10, c % 200000)
  end
  return wrk.format("POST", nil, {["Content-Type"]="application/json"}, '{"transactions":[' .. table.concat(parts, ",") .. ']}')
end
`;
}

/**
 * Writes `lua` into `dir` for one wrk run with a new RUN_ID, so every run sends transaction ids no
 * run sent before (a repeated id is an idempotent replay, neither scored nor logged again).
 */
let runs = 0;
export function wrkScript(lua, dir) {
  const script = path.join(dir, `wrk-${++runs}.lua`);
  writeFileSync(script, lua.replaceAll("RUN_ID", String(runs)));
  return script;
}

/** Runs wrk (a new RUN_ID); returns requests/s, requests, p99 ms, non-2xx count and socket errors. */
export function wrk(url, lua, { seconds, threads = 2, connections = 32, dir }) {
  const script = wrkScript(lua, dir);
  const r = spawnSync(
    "wrk",
    [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, "--latency", "-s", script, url],
    { encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr}`);
  const out = r.stdout;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]);
  const requests = Number(/(\d+) requests in/.exec(out)[1]);
  const p99m = /\s99%\s+([\d.]+)(us|ms|s)/.exec(out);
  const p99 = Number(p99m[1]) * { us: 0.001, ms: 1, s: 1000 }[p99m[2]];
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = sock ? sock.slice(1).reduce((s, x) => s + Number(x), 0) : 0;
  return { rps, requests, p99, non2xx, socketErrors, raw: out };
}

/**
 * CPU seconds a process has used, its main thread and all threads (Linux /proc, ticks of 10 ms):
 * per request, steadier than requests/s on a shared machine.
 */
export function cpuSeconds(pid) {
  const ticks = (file) => {
    const stat = readFileSync(file, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100; // utime + stime
  };
  return { main: ticks(`/proc/${pid}/task/${pid}/stat`), all: ticks(`/proc/${pid}/stat`) };
}

/** Starts a child that logs `listening on http://...`; resolves with its URL and the child. */
export function startChild(argv, childEnv) {
  const child = spawn(process.execPath, argv, { env: childEnv, stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  return new Promise((resolve, reject) => {
    child.stderr.on("data", (d) => {
      err += d;
      const m = /listening on (http:\/\/[^"\s]+)/.exec(err);
      if (m) resolve({ url: m[1], child });
    });
    child.on("exit", (code) => reject(new Error(`${argv[0]} exited ${code}: ${err}`)));
  });
}

/** Writes the anchor into `dir`: a bare Fastify route parsing the body and answering a constant JSON object. */
export function writeBareServer(dir) {
  const file = path.join(dir, "bare.mjs");
  const fastify = fileURLToPath(new URL("../node_modules/fastify/fastify.js", import.meta.url));
  writeFileSync(
    file,
    `import Fastify from ${JSON.stringify(fastify)};
const app = Fastify();
const body = { score: 0.42, risk_tier: "medium", recommendation: "review" };
app.post("/bare", async () => body);
const url = await app.listen({ host: "127.0.0.1", port: 0 });
process.stderr.write("listening on " + url + "\\n");
`,
  );
  return file;
}
