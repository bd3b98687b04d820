#!/usr/bin/env bash
# Where the serving thread's time goes under load (not a test; `npm run build` first; Linux, Debian's
# wrk and linux-perf, root or perf_event_paranoid ≤ 1):
#   bash bench/serve-perf.sh HOME|bare OUT [SECONDS]
# HOME: a registry built by `node bench/serve-inprocess.mjs --home HOME` (copied, so runs do not grow
# one prediction log); `bare`: serve-bench's anchor, a bare Fastify route. Starts the server with
# `--perf-basic-prof` (JavaScript frames named), warms it up 12 s with serve-bench's score requests
# (wrk -t2 -c32), then samples its main thread's call stacks for SECONDS (default 5) under the same
# load, into OUT.data; prints wrk's figures and the thread's CPU µs a request (from /proc) into OUT.txt.
# Read it with `python3 bench/perf-owners.py OUT.data US [OTHER.data OTHER_US]`.
set -euo pipefail
target=$1 out=$2 seconds=${3:-5}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
if [ "$target" = bare ]; then
  server=$(node --input-type=module -e "const h = await import('$here/serve-harness.mjs'); console.log(h.writeBareServer('$work'))")
  node --perf-basic-prof "$server" 2>"$work/err" >/dev/null &
  route=/bare
else
  cp -r "$target/." "$work/"
  LAKAY_HOME=$work LAKAY_LOG_LEVEL=info node --perf-basic-prof "$here/../dist/cli/main.js" serve --port 0 2>"$work/err" >/dev/null &
  route=/api/v1/fraud/score
fi
pid=$!
for _ in $(seq 100); do grep -q "listening on" "$work/err" && break; sleep 0.2; done
url=$(grep -o 'http://[0-9.:]*' "$work/err" | head -1)$route
# Two scripts, two RUN_IDs: the measured run's transaction ids are new (a repeated id is an idempotent
# replay, answered from memory, not scored).
scripts=$(node --input-type=module -e "const h = await import('$here/serve-harness.mjs'); console.log(h.wrkScript(h.scoreLua(), '$work'), h.wrkScript(h.scoreLua(), '$work'))")
warm=${scripts% *} script=${scripts#* }
ticks() { awk '{ print $14 + $15 }' "/proc/$pid/task/$pid/stat"; }
wrk -t2 -c32 -d12s -s "$warm" "$url" >/dev/null
wrk -t2 -c32 -d$((seconds + 3))s --latency -s "$script" "$url" >"$work/wrk" &
sleep 1
before=$(ticks)
perf record -F 2000 -g -t "$pid" -o "$out.data" -- sleep "$seconds" 2>/dev/null
after=$(ticks)
wait %2
requests=$(grep -o '[0-9]* requests in' "$work/wrk" | cut -d' ' -f1)
rps=$(grep -o 'Requests/sec: *[0-9.]*' "$work/wrk" | grep -o '[0-9.]*$')
# CPU µs a request over the sampled seconds: ticks are 10 ms, the requests those seconds saw at wrk's rate.
us=$(awk -v t=$((after - before)) -v r="$rps" -v s="$seconds" 'BEGIN { printf "%.1f", t * 10000 / (r * s) }')
{ echo "target $target requests $requests rps $rps main-thread µs a request $us"; grep -E ' 99%' "$work/wrk"; } | tee "$out.txt"
