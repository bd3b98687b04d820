import type { Command } from "commander";
import { numberBetween, wholeNumber } from "./option-values.js";
import { writeFile } from "node:fs/promises";
import { readYamlMapping } from "../config/index.js";
import { readFeatureCsv } from "../data/index.js";
import { trainOnFeatureMatrix } from "../training/index.js";
import { emit } from "./output.js";
import { Progress } from "./progress.js";
import { action } from "./run-command.js";

interface TrainOptions {
  features: string;
  label: string;
  config?: string;
  evalFraction: number;
  out: string;
  threads?: number;
  json?: boolean;
}

/** `lakay gbdt ...`: the engine on its own, on any numeric feature matrix (own features, benchmarks). */
export function registerGbdtCommands(program: Command): void {
  const gbdt = program
    .command("gbdt")
    .description("the gradient-boosting engine on any numeric feature matrix");
  gbdt
    .command("train")
    .description("train a binary classifier on a feature CSV and write an XGBoost JSON model")
    .requiredOption("--features <file>", "numeric feature matrix CSV (as `lakay features build` writes it)")
    .requiredOption("--label <column>", "0/1 label column; every other column is a feature")
    .option(
      "--config <file>",
      "YAML of booster parameters under XGBoost's names (scale_pos_weight: auto = class ratio)",
    )
    .option(
      "--eval-fraction <f>",
      "stratified share of rows held out to evaluate on (0 = none)",
      numberBetween(0, 1, true),
      0.2,
    )
    .requiredOption("--out <file>", "model file to write (XGBoost JSON)")
    .option(
      "--threads <n>",
      "threads (default: n_jobs from the config, else every core); never changes the model",
      wholeNumber(1),
    )
    .option("--json", "print a JSON summary (train_s, rounds, eval metrics)")
    .addHelpText(
      "after",
      `
Example:
  lakay gbdt train --features features.csv --label isFraud --config params.yaml --out model.json --json

params.yaml (XGBoost names; unknown keys are errors):
  n_estimators: 200
  max_depth: 8
  learning_rate: 0.05
  subsample: 0.8
  colsample_bytree: 0.8
  min_child_weight: 5
  scale_pos_weight: auto
  seed: 42

The model loads in XGBoost (xgb.Booster(model_file="model.json")) and in \`lakay predict\`.`,
    )
    .action(action(async (o: TrainOptions) => trainCommand(o)));
}

async function trainCommand(o: TrainOptions): Promise<void> {
  const raw = o.config ? readYamlMapping(o.config) : {};
  const csv = await readFeatureCsv(o.features);
  let progress: Progress | undefined;
  const trained = await trainOnFeatureMatrix(csv, o.features, {
    label: o.label,
    params: raw,
    paramsSource: o.config ?? "booster parameters",
    evalFraction: o.evalFraction,
    threads: o.threads,
    onRound: (r) =>
      (progress ??= new Progress("training", r.rounds, " trees")).update(
        r.round,
        r.metric ? `${r.metric.name} ${r.metric.value.toFixed(5)}` : "",
      ),
  });
  progress?.done();
  const { booster, params, featureNames } = trained;
  await writeFile(o.out, booster.toXgboostJson());
  const t = booster.training!;
  const summary = {
    model: o.out,
    rows_train: trained.trainRows,
    rows_eval: trained.evalRows,
    features: featureNames,
    train_s: Number(t.trainSeconds.toFixed(3)),
    rounds: t.rounds,
    rounds_run: t.roundsRun,
    best_iteration: t.bestIteration ?? null,
    threads: t.threads,
    eval: t.evalMetrics ?? null,
    params,
  };
  emit(o, summary, () => {
    const ev = t.evalMetrics;
    const metrics = ev
      ? `; eval AUC-PR ${ev.aucpr.toFixed(4)}, AUC-ROC ${ev.auc.toFixed(4)}, logloss ${ev.logloss.toFixed(4)}`
      : "";
    process.stdout.write(
      `trained ${t.rounds} trees on ${trained.trainRows.toLocaleString("en-US")} rows in ${t.trainSeconds.toFixed(2)} s (${t.threads} threads)${metrics}\nwrote ${o.out}\n`,
    );
  });
}
