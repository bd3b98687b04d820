#!/usr/bin/env bash
# `lakay features build` as a whole process against the same job in pandas (read_csv +
# bench/reference_pipeline.py build_features + to_csv: bench/features-build-pandas.py), each under
# /usr/bin/time, alternating ROUNDS times (who goes first alternates too); prints the medians of
# wall and CPU seconds and their ratios, and the load average before and after.
#
#   npm run build && bash bench/features-build.sh /work/bench-data/paysim-1m.csv [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:?usage: bench/features-build.sh DATA.csv [ROUNDS]}
ROUNDS=${2:-3}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

run() { # name, command...
  local name=$1
  shift
  /usr/bin/time -f "%e %U %S" -o "$OUT/time" "$@" >/dev/null
  read -r wall user sys <"$OUT/time"
  echo "$name $wall $(echo "$user + $sys" | bc)" | tee -a "$OUT/all.txt"
}

echo "file: $DATA, rounds: $ROUNDS, load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq 1 "$ROUNDS"); do
  lakay() { run lakay node dist/cli/main.js features build --dataset "$DATA" --out "$OUT/lakay.csv"; }
  pandas() { run pandas /usr/bin/python3 bench/features-build-pandas.py "$DATA" "$OUT/pandas.csv"; }
  if ((i % 2)); then lakay && pandas; else pandas && lakay; fi
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
node -e '
const rows = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map((l) => l.split(" "));
const med = (xs) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const m = (name, k) => med(rows.filter((r) => r[0] === name).map((r) => Number(r[k])));
for (const n of ["lakay", "pandas"]) console.log(`${n.padEnd(6)} wall ${m(n, 1).toFixed(2)} s  CPU ${m(n, 2).toFixed(2)} s (medians)`);
console.log(`ratio lakay/pandas: wall ${(m("lakay", 1) / m("pandas", 1)).toFixed(3)} (target <= 0.2), CPU ${(m("lakay", 2) / m("pandas", 2)).toFixed(3)}`);
' "$OUT/all.txt"
