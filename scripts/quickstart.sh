#!/usr/bin/env bash
# The README's main job, on the embedded default registry (SQLite + a local folder under $LAKAY_HOME):
# generate PaySim-like data, train, and take model versions through the promotion gate — a candidate
# that fails its backtest is refused, a better one passes validation, backtest and three sign-offs and
# is promoted with `champion` following — then roll back (the target is verified first) and show the
# history and the audit chain. Safe to run again: each run uses a fresh home.
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

printf '\nRegistry: %s\n' "$LAKAY_HOME"
