import type { Command } from "commander";
import { wholeNumber } from "./option-values.js";
import { readFeatureCsv, writeFeatureCsv } from "../data/index.js";
import { BadInputError } from "../errors/index.js";
import { LAKAY_MIGRATIONS } from "../app/index.js";
import { loadModel, predictParallel, scoreDataset } from "../training/index.js";
import { emit } from "./output.js";
import { action } from "./run-command.js";

interface PredictOptions {
  model: string;
  features?: string;
  dataset?: string;
  registryUri?: string;
  artifactRoot?: string;
  out: string;
  threads?: number;
  json?: boolean;
}

/**
 * `lakay predict`: two forms. `--model file.json --features f.csv` scores a feature matrix with
 * any XGBoost JSON model (here); `--model models:/NAME/STAGE --dataset paysim.csv` builds the
 * features from raw PaySim and scores with a registered version (training's `scoreDataset`). Both
 * load the model through training's `loadModel`: a file, a folder or a `models:/` URI, with the
 * same checks as the deploy gate and serving (checksums, features.json order, feature set).
 */
export function registerPredictCommand(program: Command): void {
  program
    .command("predict")
    .description(
      "score a feature matrix with a model; writes one `score` (probability) per input row, in order",
    )
    .requiredOption(
      "--model <ref>",
      "XGBoost JSON model file (trained here or by XGBoost itself), model folder, or models:/ URI",
    )
    .option(
      "--features <file>",
      "feature CSV; columns matched to the model's feature names, extra columns ignored",
    )
    .option(
      "--dataset <file>",
      "raw PaySim CSV: features built point-in-time (with --model models:/NAME/STAGE)",
    )
    .option("--registry-uri <uri>", "registry for models:/ URIs (env LAKAY_REGISTRY_URI)")
    .option("--artifact-root <uri>", "artifact store for models:/ URIs (env LAKAY_ARTIFACT_ROOT)")
    .requiredOption("--out <file>", "CSV to write, with a `score` column")
    .option("--threads <n>", "threads for scoring (default: every core)", wholeNumber(1))
    .option("--json", "print a JSON summary")
    .addHelpText(
      "after",
      `
Example:
  lakay predict --model model.json --features features.csv --out scores.csv
  lakay predict --model models:/fraud-detector-v0.1/Production --dataset paysim.csv --out scores.csv

Any XGBoost JSON model (binary:logistic) whose feature names are columns of the CSV works,
wherever it was trained. An empty cell is a missing value and takes the model's default branch.`,
    )
    .action(action(async (o: PredictOptions) => predictCommand(o)));
}

async function predictCommand(o: PredictOptions): Promise<void> {
  if (o.dataset) {
    const summary = await scoreDataset({ ...o, dataset: o.dataset, migrations: LAKAY_MIGRATIONS });
    return emit(o, summary, () =>
      process.stdout.write(`scored ${summary.rows.toLocaleString("en-US")} rows; wrote ${o.out}\n`),
    );
  }
  const t0 = performance.now();
  const { booster, predictor, featureNames } = await loadModel(o.model, {
    ...o,
    migrations: LAKAY_MIGRATIONS,
  });
  const input = await readInputs(o, featureNames);
  const scores = await predictParallel(predictor, input.columns, input.rows, o.threads);
  await writeFeatureCsv(o.out, ["score"], [scores], input.rows);
  const summary = {
    model: o.model,
    features: o.features,
    out: o.out,
    rows: input.rows,
    trees: booster.numTrees,
    seconds: Number(((performance.now() - t0) / 1000).toFixed(3)),
  };
  emit(o, summary, () =>
    process.stdout.write(
      `scored ${input.rows.toLocaleString("en-US")} rows with ${booster.numTrees} trees; wrote ${o.out}\n`,
    ),
  );
}

/** The model's feature columns, by name, from the input; a missing one is an error naming it. */
async function readInputs(
  o: PredictOptions,
  featureNames: readonly string[],
): Promise<{ columns: Float64Array[]; rows: number }> {
  if (!o.features)
    throw new BadInputError("give the rows to score with --features <file>", { field: "--features" });
  const csv = await readFeatureCsv(o.features);
  const missing = featureNames.filter((n) => !csv.names.includes(n));
  if (missing.length > 0) {
    throw new BadInputError(
      `the model needs column(s) ${missing.map((m) => `"${m}"`).join(", ")}, not in the file (columns: ${csv.names.join(", ")})`,
      { file: o.features },
    );
  }
  return { columns: featureNames.map((n) => csv.columns[csv.names.indexOf(n)]), rows: csv.rows };
}
