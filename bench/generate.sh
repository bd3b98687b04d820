#!/usr/bin/env bash
# Generator speed at full PaySim size: lakay generate paysim, 6,362,620 rows, under /usr/bin/time -v.
# Target: under a minute on this 2-core machine, in bounded memory.
#
#   npm run build && bash bench/generate.sh [ROWS] [OUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-6362620}
DIR=${2:-$(mktemp -d)}
OUT="$DIR/paysim-bench.csv"
echo "rows: $ROWS, load: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/time -v node dist/cli/main.js generate paysim --rows "$ROWS" --seed 42 --out "$OUT" --json >"$DIR/summary.json" 2>"$DIR/time.txt"
node -e '
const fs = require("fs");
const s = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
const t = fs.readFileSync(process.argv[2], "utf8");
const get = (re) => (t.match(re) || [])[1];
const wall = get(/Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)/).split(":").reduce((a, x) => a * 60 + Number(x), 0);
const user = Number(get(/User time \(seconds\): (\S+)/));
const rss = Math.round(Number(get(/Maximum resident set size \(kbytes\): (\d+)/)) / 1024);
console.log(`wrote ${s.rows.toLocaleString("en-US")} rows, ${(s.bytes / 1e6).toFixed(0)} MB, fraud ${s.fraud}`);
console.log(`wall ${wall.toFixed(1)} s (CPU user ${user.toFixed(1)} s), ${Math.round(s.rows / wall).toLocaleString("en-US")} rows/s, peak RSS ${rss} MB, target < 60 s: ${wall < 60 ? "met" : "MISSED"}`);
' "$DIR/summary.json" "$DIR/time.txt"
rm -f "$OUT"
