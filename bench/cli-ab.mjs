// A/B of two builds of the `lakay` CLI on the same command, as whole processes, alternating (who
// goes first alternates too): each run's wall seconds, and the medians of wall and CPU (user + sys)
// seconds per build. For a change's effect on a shared machine, where CPU moves less than wall.
//
//   node bench/cli-ab.mjs BASE_DIST NEW_DIST PAIRS -- COMMAND ARGS...
// e.g. a base build made with `git archive BASE src tsconfig*.json package.json | tar -x -C /tmp/base`
// and `npx tsc -p tsconfig.build.json` there (node_modules linked in), then
//   node bench/cli-ab.mjs /tmp/base/dist dist 4 -- features build --dataset paysim-1m.csv --out /tmp/f-{side}.csv
// `{side}` in an argument becomes `base` or `new`; each side gets its own LAKAY_HOME under /tmp.
// Each run also reports `others`: the CPU seconds the rest of the machine used meanwhile (/proc/stat's
// busy time less the run's own), so runs that shared the two cores with someone else can be told
// apart. `--quiet` (before `--`) waits, up to 2 minutes, for a second with the machine < 8 % busy
// before each run, and adds the medians of the runs with others < 0.5 CPU-s.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const sep = process.argv.indexOf("--");
const quiet = process.argv.slice(2, sep).includes("--quiet");
const [baseDist, newDist, pairsArg] = process.argv.slice(2, sep).filter((a) => a !== "--quiet");
if (sep < 0 || !baseDist || !newDist || !(Number(pairsArg) >= 1)) {
  console.error("usage: node bench/cli-ab.mjs BASE_DIST NEW_DIST PAIRS -- COMMAND ARGS...");
  process.exit(2);
}
const args = process.argv.slice(sep + 1);
const sides = { base: path.resolve(baseDist, "cli/main.js"), new: path.resolve(newDist, "cli/main.js") };
const runs = { base: [], new: [] };
const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
/** Busy and total jiffies of the whole machine. */
function cpuStat() {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const total = f.reduce((a, b) => a + b, 0);
  return { busy: total - f[3] - f[4], total };
}
function waitForQuiet() {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; i < 120; i++) {
    const a = cpuStat();
    Atomics.wait(pause, 0, 0, 1000);
    const b = cpuStat();
    if ((b.busy - a.busy) / (b.total - a.total) < 0.08) return;
  }
}
console.log(`load before: ${load()}`);
for (let i = 0; i < Number(pairsArg); i++) {
  for (const side of i % 2 ? ["new", "base"] : ["base", "new"]) {
    if (quiet) waitForQuiet();
    const home = mkdtempSync(path.join(os.tmpdir(), `lakay-ab-${side}-`));
    try {
      const before = cpuStat();
      const r = spawnSync(
        "/usr/bin/time",
        ["-f", "%e %U %S", process.execPath, sides[side], ...args.map((a) => a.replaceAll("{side}", side))],
        { encoding: "utf8", env: { ...process.env, LAKAY_HOME: home }, maxBuffer: 64 << 20 },
      );
      if (r.status !== 0) throw new Error(`${side} failed (${r.status}): ${r.stderr.slice(-1000)}`);
      const after = cpuStat();
      const [wall, user, sys] = r.stderr.trim().split("\n").pop().split(" ").map(Number);
      const others = (after.busy - before.busy) / 100 - (user + sys);
      runs[side].push({ wall, cpu: user + sys, others });
      console.log(
        `${side}: ${wall.toFixed(2)} s, CPU ${(user + sys).toFixed(2)} s, others ${others.toFixed(2)} CPU-s`,
      );
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  }
}
const median = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const side of ["base", "new"]) {
  const r = runs[side];
  console.log(
    `${side}: wall ${median(r.map((x) => x.wall)).toFixed(2)} s (${r.map((x) => x.wall.toFixed(2)).join(", ")}), CPU ${median(r.map((x) => x.cpu)).toFixed(2)} s`,
  );
  const alone = r.filter((x) => x.others < 0.5);
  if (quiet && alone.length > 0) {
    console.log(
      `${side}, runs with others < 0.5 CPU-s: wall ${median(alone.map((x) => x.wall)).toFixed(2)} s (${alone.map((x) => x.wall.toFixed(2)).join(", ")}), CPU ${median(alone.map((x) => x.cpu)).toFixed(2)} s`,
    );
  }
}
console.log(`load after: ${load()}`);
