import type { Command } from "commander";
import { numberBetween, wholeNumber } from "./option-values.js";
import { readFile, writeFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { readFeatureCsv } from "../data/index.js";
import { BadInputError } from "../errors/index.js";
import { parseBoosterParams, trainBooster, type EvalSet } from "../gbdt/index.js";
import { stratifiedSplit } from "../training/index.js";
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
  const raw = o.config ? await readParamsYaml(o.config) : {};
  const csv = await readFeatureCsv(o.features);
  const labelIndex = csv.names.indexOf(o.label);
  if (labelIndex < 0)
    throw new BadInputError(`no label column "${o.label}" (columns: ${csv.names.join(", ")})`, {
      file: o.features,
    });
  const labels = csv.columns[labelIndex];
  for (let i = 0; i < csv.rows; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) {
      throw new BadInputError(`label is ${labels[i]}; labels must be 0 or 1`, {
        file: o.features,
        line: i + 2,
        column: o.label,
      });
    }
  }
  const featureNames = csv.names.filter((_, i) => i !== labelIndex);
  const featureColumns = csv.columns.filter((_, i) => i !== labelIndex);
  const seed = typeof raw.seed === "number" ? raw.seed : 0;

  let trainRows: Uint32Array | undefined;
  let evalSet: EvalSet | undefined;
  if (o.evalFraction > 0) {
    const split = stratifiedSplit(labels, o.evalFraction, seed);
    trainRows = split.train;
    evalSet = {
      columns: featureColumns.map((c) => gather(c, split.test)),
      labels: gather(labels, split.test),
    };
  }
  const trainColumns = trainRows ? featureColumns.map((c) => gather(c, trainRows)) : featureColumns;
  const trainLabels = trainRows ? gather(labels, trainRows) : labels;
  if (raw.scale_pos_weight === "auto") {
    let pos = 0;
    for (let i = 0; i < trainLabels.length; i++) pos += trainLabels[i];
    raw.scale_pos_weight = pos > 0 ? (trainLabels.length - pos) / pos : 1;
  }
  const params = parseBoosterParams(raw, o.config ?? "booster parameters");

  const progress = new Progress("training", params.n_estimators, " trees");
  const booster = await trainBooster({ columns: trainColumns, featureNames, labels: trainLabels }, params, {
    evalSet,
    nThreads: o.threads,
    onRound: (r) => progress.update(r.round, r.metric ? `${r.metric.name} ${r.metric.value.toFixed(5)}` : ""),
  });
  progress.done();
  await writeFile(o.out, booster.toXgboostJson());
  const t = booster.training!;
  const summary = {
    model: o.out,
    rows_train: trainLabels.length,
    rows_eval: evalSet?.labels.length ?? 0,
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
      `trained ${t.rounds} trees on ${trainLabels.length.toLocaleString("en-US")} rows in ${t.trainSeconds.toFixed(2)} s (${t.threads} threads)${metrics}\nwrote ${o.out}\n`,
    );
  });
}

async function readParamsYaml(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new BadInputError(`cannot read config file (${(err as NodeJS.ErrnoException).code ?? err})`, {
      file,
    });
  }
  let raw: unknown;
  try {
    raw = parseYaml(text) ?? {};
  } catch (err) {
    throw new BadInputError(`invalid YAML: ${(err as Error).message.split("\n")[0]}`, { file });
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new BadInputError("expected a mapping of parameter names to values", { file });
  return { ...(raw as Record<string, unknown>) };
}

function gather(col: ArrayLike<number>, rows: Uint32Array): Float64Array {
  const out = new Float64Array(rows.length);
  for (let k = 0; k < rows.length; k++) out[k] = col[rows[k]];
  return out;
}
