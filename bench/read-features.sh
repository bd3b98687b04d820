#!/usr/bin/env bash
# Read + features, side by side on one file: Lakay (readPaysim + buildFeatures) against the
# anchor (pandas read_csv + bench/reference_pipeline.py build_features), each under /usr/bin/time -v for peak
# memory, run alternately ROUNDS times (the machine is shared: the ratio of medians is the figure).
#
#   npm run build && bash bench/read-features.sh /work/bench-data/paysim-6.3m.csv [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:?usage: bench/read-features.sh DATA.csv [ROUNDS]}
ROUNDS=${2:-3}
OUT=$(mktemp -d)

run() { # name, command...
  local name=$1
  shift
  /usr/bin/time -v "$@" >"$OUT/$name.json" 2>"$OUT/$name.time"
  local rss wall cpu
  cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {printf "%.2f", s}' "$OUT/$name.time")
  rss=$(awk -F': ' '/Maximum resident/ {printf "%.0f", $2 / 1024}' "$OUT/$name.time")
  wall=$(awk -F': ' '/Elapsed \(wall/ {split($2, t, ":"); printf "%.2f", (length(t) == 3 ? t[1] * 3600 + t[2] * 60 + t[3] : t[1] * 60 + t[2])}' "$OUT/$name.time")
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$(cat "$OUT/$name.json")" "$wall" "$rss" "$cpu" >>"$OUT/all.txt"
  echo "$name $(cat "$OUT/$name.json") process: wall ${wall}s, CPU ${cpu}s, peak RSS ${rss} MB"
}

echo "file: $DATA ($(du -m "$DATA" | cut -f1) MB), rounds: $ROUNDS, load: $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq 1 "$ROUNDS"); do
  run lakay node bench/read-features.mjs "$DATA"
  run pandas /usr/bin/python3 bench/read-features-pandas.py "$DATA"
done

node -e '
const lines = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n");
const by = { lakay: [], pandas: [] };
for (const l of lines) {
  const [name, json, , rss, cpu] = l.split("\t");
  const j = JSON.parse(json);
  by[name].push({ total: j.total_s, load: j.load_s, feat: j.features_s, rss: +rss, cpu: +cpu });
}
const med = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const m = (n, k) => med(by[n].map((x) => x[k]));
for (const n of ["lakay", "pandas"])
  console.log(`${n.padEnd(6)} load ${m(n, "load").toFixed(2)} s  features ${m(n, "feat").toFixed(2)} s  total ${m(n, "total").toFixed(2)} s  process CPU ${m(n, "cpu").toFixed(2)} s  peak RSS ${m(n, "rss")} MB (medians)`);
console.log(`ratio lakay/pandas, read + features wall time: ${(m("lakay", "total") / m("pandas", "total")).toFixed(3)}  (target <= 0.3)`);
console.log(`ratio lakay/pandas, whole-process CPU time:    ${(m("lakay", "cpu") / m("pandas", "cpu")).toFixed(3)}  (less sensitive to a busy machine)`);
' "$OUT/all.txt"
rm -rf "$OUT"
