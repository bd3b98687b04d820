#!/usr/bin/env bash
# The README's main job, on the embedded default registry (SQLite + a local folder under $LAKAY_HOME):
# generate PaySim-like data, train, and take model versions through the promotion gate — a candidate
# that fails its backtest is refused, a better one passes validation, backtest and three sign-offs and
# is promoted with `champion` following — then roll back (the target is verified first) and show the
# history and the audit chain. Then it serves the model (`lakay serve`), replays traffic with labels
# (`lakay simulate`), opens a 90/10 experiment, injects drift, and shows the alerts, the A/B report and
# the monitoring summary; `npm start` afterwards opens the dashboard on this registry.
# Safe to run again: each run uses a fresh home.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build --silent

export LAKAY_HOME="${LAKAY_HOME:-$PWD/.lakay/quickstart}"
rm -rf "$LAKAY_HOME" && mkdir -p "$LAKAY_HOME"
data="$LAKAY_HOME/data"
mkdir -p "$data"
lakay() { node dist/cli/main.js "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# Exits 1 on purpose in this drill: say so and go on.
refused() { "$@" || echo "(refused, exit $? — as the drill expects)"; }
signoffs() { # the default policy's three sign-offs for a fraud model promotion
  lakay approve --model fraud-detector --version "$1" --role ml_engineer --by alice
  lakay approve --model fraud-detector --version "$1" --role team_lead --by bob --note "metrics reviewed"
  lakay approve --model fraud-detector --version "$1" --role bsa_officer --by gina --note "SAR/CTR impact reviewed"
}
config() { # a training config: trees, depth
  printf 'model_name: fraud-detector\nhyperparams:\n  n_estimators: %s\n  max_depth: %s\n' "$1" "$2" > "$LAKAY_HOME/train-$3.yaml"
  echo "$LAKAY_HOME/train-$3.yaml"
}

step "1. Generate 200,000 PaySim-like transactions (seeded) and a later month for the backtest"
lakay generate paysim --rows 200000 --seed 42 --out "$data/paysim.csv"
lakay generate paysim --rows 100000 --seed 43 --out "$data/labeled-recent.csv"

step "2. Inspect the file"
lakay data inspect "$data/paysim.csv"

step "3. Train v1 (10 trees, depth 3) -> registered in Staging"
lakay train --dataset "$data/paysim.csv" --config "$(config 10 3 v1)"

step "4. First deployment: the gate asks for validation and three sign-offs (no backtest without a Production version)"
refused lakay gate --model fraud-detector --version 1 --promoter carol
lakay validate --model fraud-detector --version 1
signoffs 1
lakay gate --model fraud-detector --version 1 --promoter carol
lakay promote --model fraud-detector --version 1 --by carol

step "5. v2 (3 trees, depth 2): its backtest against v1 fails, and the gate refuses it with the failing rows"
lakay train --dataset "$data/paysim.csv" --config "$(config 3 2 v2)"
refused lakay backtest --model fraud-detector --candidate 2 --dataset "$data/labeled-recent.csv"
signoffs 2
refused lakay promote --model fraud-detector --version 2 --by carol

step "6. v3 (40 trees, depth 4): passes validation, its backtest against v1 and three sign-offs; promoted, champion follows"
lakay train --dataset "$data/paysim.csv" --config "$(config 40 4 v3)"
lakay validate --model fraud-detector --version 3
lakay backtest --model fraud-detector --candidate 3 --dataset "$data/labeled-recent.csv"
signoffs 3
lakay promote --model fraud-detector --version 3 --by carol
lakay models versions fraud-detector

step "7. Into Production only through the gate: a stage transition is refused"
refused lakay models transition fraud-detector 2 Production --by mallory

step "8. Roll back: v1 is verified (checksums, validation checks), restored, and champion follows"
lakay rollback --model fraud-detector --by carol --reason "quickstart drill"
lakay models versions fraud-detector

step "9. Deployment history, audit chain"
lakay history --model fraud-detector
lakay audit verify

step "10. Serve it: lakay serve on this registry (v1 champion), tokens for the operators"
lakay tokens create --name alice --role ml_engineer --json | node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(0, "utf8")).token)' > "$LAKAY_HOME/alice.token"
# node itself in the background, not the `lakay` function: $! must be the server's own pid, or the
# SIGTERM below would stop a subshell and leave the server running.
node dist/cli/main.js serve --port 0 > "$LAKAY_HOME/serve.log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do url=$(grep -o 'listening on http://[0-9.:]*' "$LAKAY_HOME/serve.log" | head -n 1 | cut -d' ' -f3 || true); [ -n "$url" ] && break; sleep 0.2; done
[ -n "$url" ] || { cat "$LAKAY_HOME/serve.log"; exit 1; }
echo "lakay serve is listening on $url"
api() { curl -sS -H "authorization: Bearer $(cat "$LAKAY_HOME/alice.token")" -H 'content-type: application/json' "$@"; }
simulate() { LAKAY_TOKEN="$(cat "$LAKAY_HOME/alice.token")" lakay simulate --dataset "$data/labeled-recent.csv" --url "$url" "$@"; }

step "11. Traffic like the training data, with investigators' labels 1 s later"
simulate --rate 400 --duration 5s --labels-after 1s

step "12. A 90/10 experiment: v2 as challenger for 10 % of customers"
lakay models alias fraud-detector challenger 2 --by alice --reason "quickstart experiment"
api -X POST "$url/api/v1/serving/reload" -d '{"reason": "load the challenger"}' > /dev/null
api -X POST "$url/api/v1/serving/routing" -d '{"champion_pct": 90, "challenger_pct": 10, "reason": "quickstart A/B"}' | node -e 'const r = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(`split ${r.champion_pct}/${r.challenger_pct}: champion v${r.champion_version}, challenger v${r.challenger_version}`)'
simulate --rate 400 --duration 6s --labels-after 1s

step "13. Drift: amounts x5 from half-way through"
simulate --rate 400 --duration 5s --drift 'amount*5@40%'

step "14. The alerts, the A/B report and the monitoring summary"
curl -sS "$url/api/v1/serving/monitoring" | node -e '
const m = JSON.parse(require("fs").readFileSync(0, "utf8"));
console.log(`champion v${m.model?.version}, challenger v${m.challenger?.version ?? "-"}, mode ${m.mode}, ML ${m.ml_enabled ? "on" : "off"}, split ${m.routing.champion_pct}/${m.routing.challenger_pct}`);
console.log(`predictions ${m.predictions.total} (champion ${m.predictions.champion}, challenger ${m.predictions.challenger}); latency p95 ${m.latency_ms.p95} ms (SLA ${m.latency_ms.sla.p95} ms)`);
const d = m.drift ?? {};
console.log(`drift ${d.status} over ${d.observations ?? 0} observations; critical: ${(d.critical_features ?? []).join(", ") || "none"}`);
if (m.score_shift) console.log(`score shift ${m.score_shift.shift_sigma?.toFixed(2)} sigma (${m.score_shift.status})`);
console.log(`open alerts: ${(m.alerts ?? []).length}`);
for (const a of m.alerts ?? []) console.log(`  [${a.severity}] ${a.kind}${a.feature ? " " + a.feature : ""}: ${a.message}`);
'
lakay ab report --model fraud-detector

step "15. Stop the server (SIGTERM: in-flight requests finish, the prediction log is flushed)"
kill -TERM "$server" && wait "$server" || true
trap - EXIT

printf '\nRegistry: %s\n' "$LAKAY_HOME"
printf 'Dashboard: npm start, then open http://127.0.0.1:8000/ (the experiment, drift and alerts above; actions need a token: lakay tokens create)\n'
