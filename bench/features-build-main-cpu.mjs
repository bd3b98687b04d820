// Preload for `lakay features build` (or any lakay command): at exit, appends the main thread's
// CPU milliseconds (from /proc, Linux only, 10 ms ticks) and the whole process's to $MT_OUT, tagged
// $MT_SIDE. The main thread's CPU is the critical path's floor once work moves to workers, and it
// moves less than wall seconds on a shared machine.
//
//   MT_OUT=/tmp/mt.txt MT_SIDE=new node --import ./bench/features-build-main-cpu.mjs dist/cli/main.js \
//     features build --dataset /work/bench-data/paysim-1m.csv --out /tmp/f.csv
import fs from "node:fs";
process.on("exit", () => {
  const stat = fs.readFileSync(`/proc/${process.pid}/task/${process.pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const all = process.cpuUsage();
  const line = `${process.env.MT_SIDE ?? "run"} main ${(Number(f[11]) + Number(f[12])) * 10} all ${((all.user + all.system) / 1000).toFixed(0)}\n`;
  fs.appendFileSync(process.env.MT_OUT ?? "/dev/stderr", line);
});
