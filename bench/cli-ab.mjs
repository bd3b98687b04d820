// A/B of two builds of the `lakay` CLI on the same command, as whole processes, alternating (who
// goes first alternates too): each run's wall seconds, and the medians of wall and CPU (user + sys)
// seconds per build. For a change's effect on a shared machine, where CPU moves less than wall.
//
//   node bench/cli-ab.mjs BASE_DIST NEW_DIST PAIRS -- COMMAND ARGS...
// e.g. a base build made with `git archive BASE src tsconfig*.json package.json | tar -x -C /tmp/base`
// and `npx tsc -p tsconfig.build.json` there (node_modules linked in), then
//   node bench/cli-ab.mjs /tmp/base/dist dist 4 -- features build --dataset paysim-1m.csv --out /tmp/f-{side}.csv
// `{side}` in an argument becomes `base` or `new`; each side gets its own LAKAY_HOME under /tmp.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const sep = process.argv.indexOf("--");
const [baseDist, newDist, pairsArg] = process.argv.slice(2, sep);
if (sep < 0 || !baseDist || !newDist || !(Number(pairsArg) >= 1)) {
  console.error("usage: node bench/cli-ab.mjs BASE_DIST NEW_DIST PAIRS -- COMMAND ARGS...");
  process.exit(2);
}
const args = process.argv.slice(sep + 1);
const sides = { base: path.resolve(baseDist, "cli/main.js"), new: path.resolve(newDist, "cli/main.js") };
const runs = { base: [], new: [] };
const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
console.log(`load before: ${load()}`);
for (let i = 0; i < Number(pairsArg); i++) {
  for (const side of i % 2 ? ["new", "base"] : ["base", "new"]) {
    const home = mkdtempSync(path.join(os.tmpdir(), `lakay-ab-${side}-`));
    try {
      const r = spawnSync(
        "/usr/bin/time",
        ["-f", "%e %U %S", process.execPath, sides[side], ...args.map((a) => a.replaceAll("{side}", side))],
        { encoding: "utf8", env: { ...process.env, LAKAY_HOME: home }, maxBuffer: 64 << 20 },
      );
      if (r.status !== 0) throw new Error(`${side} failed (${r.status}): ${r.stderr.slice(-1000)}`);
      const [wall, user, sys] = r.stderr.trim().split("\n").pop().split(" ").map(Number);
      runs[side].push({ wall, cpu: user + sys });
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
}
console.log(`load after: ${load()}`);
