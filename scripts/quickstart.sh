#!/usr/bin/env bash
# The README's main job, on the embedded default registry (SQLite + a local folder under $LAKAY_HOME):
# generate PaySim-like data, inspect it, train two model versions, gate, approve and promote them,
# roll back, and show the history and the audit chain. Safe to run again: each run uses a fresh home.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build --silent

export LAKAY_HOME="${LAKAY_HOME:-$PWD/.lakay/quickstart}"
rm -rf "$LAKAY_HOME" && mkdir -p "$LAKAY_HOME"
data="$LAKAY_HOME/data"
mkdir -p "$data"
lakay() { node dist/cli/main.js "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. Generate 200,000 PaySim-like transactions (seeded) and a later month for the backtest"
lakay generate paysim --rows 200000 --seed 42 --out "$data/paysim.csv"
lakay generate paysim --rows 100000 --seed 43 --out "$data/labeled-recent.csv"

step "2. Inspect the file"
lakay data inspect "$data/paysim.csv"

step "3. Train v1 (default hyperparameters) -> registered in Staging"
lakay train --dataset "$data/paysim.csv" --model-name fraud-detector

step "4. Gate v1: validate, approve (ML engineer + team lead), promote"
lakay validate --model fraud-detector --version 1
lakay approve --model fraud-detector --version 1 --role ml_engineer --by alice
lakay approve --model fraud-detector --version 1 --role team_lead --by bob --note "metrics reviewed"
lakay promote --model fraud-detector --version 1 --by carol

step "5. Train v2 with more trees, backtest it against Production, approve, promote (v1 archived)"
cat > "$LAKAY_HOME/train-v2.yaml" <<'YAML'
model_name: fraud-detector
hyperparams:
  n_estimators: 200
  max_depth: 8
  learning_rate: 0.05
YAML
lakay train --dataset "$data/paysim.csv" --config "$LAKAY_HOME/train-v2.yaml"
# The backtest prints its table and exits 1 when a tolerance rule fails; the drill goes on either way,
# since promotion is gated on validation and approvals (read the table before approving in real life).
lakay backtest --model fraud-detector --candidate 2 --dataset "$data/labeled-recent.csv" || echo "(backtest did not pass: continuing the drill)"
lakay approve --model fraud-detector --version 2 --role ml_engineer --by alice
lakay approve --model fraud-detector --version 2 --role team_lead --by bob
lakay promote --model fraud-detector --version 2 --by carol

step "6. Roll back (v1 returns to Production, v2 archived)"
lakay rollback --model fraud-detector --by carol --reason "quickstart drill"

step "7. Versions, deployment history, audit chain"
lakay models versions fraud-detector
lakay history --model fraud-detector
lakay audit verify

printf '\nRegistry: %s\n' "$LAKAY_HOME"
