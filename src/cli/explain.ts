import type { Command } from "commander";
import { availableParallelism } from "node:os";
import { readFeatureCsv, readPaysim } from "../data/index.js";
import { BadInputError, ValidationFailedError } from "../errors/index.js";
import { buildFeatures, FEATURE_SET_VERSION } from "../features/index.js";
import { meanAbsContribution, ParallelExplainer, type TreeExplainer } from "../gbdt/index.js";
import { LAKAY_MIGRATIONS } from "../app/index.js";
import { loadModel, writeContributionsCsv } from "../training/index.js";
import { wholeNumber } from "./option-values.js";
import { emit, table } from "./output.js";
import { action } from "./run-command.js";

interface ExplainOptions {
  model: string;
  features?: string;
  dataset?: string;
  registryUri?: string;
  artifactRoot?: string;
  out: string;
  top?: number;
  threads?: number;
  json?: boolean;
}

/** Below this many rows, starting worker threads costs more than it saves. */
const PARALLEL_MIN_ROWS = 2_000;

/**
 * `lakay explain`: exact per-row feature contributions (TreeSHAP, equal to XGBoost's
 * `pred_contribs`) for a feature CSV or a raw PaySim file, with any model `lakay predict` takes.
 */
export function registerExplainCommand(program: Command): void {
  program
    .command("explain")
    .description(
      "per-row feature contributions (TreeSHAP, in log-odds) that sum with `bias` to each row's margin",
    )
    .requiredOption("--model <ref>", "model.json, model folder, or models:/NAME/STAGE (or /VERSION, @alias)")
    .option("--features <file>", "feature CSV; columns matched to the model's feature names")
    .option("--dataset <file>", "raw PaySim CSV: features built point-in-time, as in training")
    .option("--registry-uri <uri>", "registry for models:/ URIs (env LAKAY_REGISTRY_URI)")
    .option("--artifact-root <uri>", "artifact store for models:/ URIs (env LAKAY_ARTIFACT_ROOT)")
    .requiredOption("--out <file>", "CSV to write: one row per input row")
    .option(
      "--top <n>",
      "write the N largest contributions per row (feature, value, contribution)",
      wholeNumber(1),
    )
    .option("--threads <n>", "threads (default: every core)", wholeNumber(1))
    .option("--json", "print a JSON summary")
    .addHelpText(
      "after",
      `
Example:
  lakay explain --model model.json --features features.csv --out contributions.csv
  lakay explain --model models:/fraud-detector-v0.1/Production --dataset paysim.csv --out why.csv --top 5

Without --top: one column per model feature in the model's order, then \`bias\` (XGBoost's
pred_contribs layout); each row's values sum to its margin, log(p / (1 - p)). A positive
contribution pushes the score toward fraud. An empty cell is a missing value and takes the
model's default branch, as in prediction.`,
    )
    .action(action(async (o: ExplainOptions) => explainCommand(o)));
}

async function explainCommand(o: ExplainOptions): Promise<void> {
  if (!o.features === !o.dataset)
    throw new BadInputError("give exactly one of --features <file> or --dataset <file>", {
      field: o.features ? "--dataset" : "--features",
    });
  const t0 = performance.now();
  const loaded = await loadModel(o.model, { ...o, migrations: LAKAY_MIGRATIONS });
  const featureNames = loaded.featureNames;
  const input = o.features
    ? await featureCsvColumns(o.features, featureNames)
    : await datasetColumns(o.dataset!, featureNames);
  const explainer = loaded.booster.explainer();
  const contribs = await explainAll(
    explainer,
    input.columns,
    input.rows,
    o.threads ?? availableParallelism(),
  );
  await writeContributionsCsv(o.out, featureNames, contribs, input.rows, {
    top: o.top,
    columns: input.columns,
  });

  const meanAbs = meanAbsContribution(contribs, input.rows, featureNames.length);
  const importance = featureNames
    .map((feature, f) => ({ feature, mean_abs_contribution: meanAbs[f] }))
    .sort((a, b) => b.mean_abs_contribution - a.mean_abs_contribution);
  const summary = {
    model: o.model,
    model_name: loaded.name,
    version: loaded.version,
    input: o.features ?? o.dataset,
    out: o.out,
    rows: input.rows,
    trees: loaded.booster.numTrees,
    bias: explainer.bias,
    top: o.top ?? null,
    importance,
    seconds: Number(((performance.now() - t0) / 1000).toFixed(3)),
  };
  emit(o, summary, () => {
    process.stdout.write(
      `explained ${input.rows.toLocaleString("en-US")} rows with ${loaded.booster.numTrees} trees; wrote ${o.out}\n` +
        `bias (expected margin) ${explainer.bias.toFixed(4)}; mean |contribution| per feature:\n` +
        table(
          ["feature", "mean |contribution|"],
          importance.map((i) => [i.feature, Number(i.mean_abs_contribution.toFixed(4))]),
        ) +
        "\n",
    );
  });
}

async function explainAll(
  explainer: TreeExplainer,
  columns: Float64Array[],
  rows: number,
  threads: number,
): Promise<Float64Array> {
  if (threads < 2 || rows < PARALLEL_MIN_ROWS) return explainer.explainBatch(columns, rows);
  const pool = new ParallelExplainer(explainer, threads);
  try {
    return await pool.explainBatch(columns, rows);
  } finally {
    await pool.close();
  }
}

/** The model's feature columns, by name, from a feature CSV; a missing one is an error naming it. */
async function featureCsvColumns(
  file: string,
  featureNames: readonly string[],
): Promise<{ columns: Float64Array[]; rows: number }> {
  const csv = await readFeatureCsv(file);
  const missing = featureNames.filter((n) => !csv.names.includes(n));
  if (missing.length > 0)
    throw new BadInputError(
      `the model needs column(s) ${missing.map((m) => `"${m}"`).join(", ")}, not in the file (columns: ${csv.names.join(", ")})`,
      { file },
    );
  return { columns: featureNames.map((n) => csv.columns[csv.names.indexOf(n)]), rows: csv.rows };
}

/** Features built from raw PaySim with the training code, in the model's order. */
async function datasetColumns(
  file: string,
  featureNames: readonly string[],
): Promise<{ columns: Float64Array[]; rows: number }> {
  const { tx } = await readPaysim(file);
  const m = buildFeatures(tx);
  const columns = featureNames.map((name) => {
    const j = m.names.indexOf(name);
    if (j < 0)
      throw new ValidationFailedError(
        `the model needs feature "${name}", which Lakay's feature set ${FEATURE_SET_VERSION} does not build (${m.names.join(", ")})`,
      );
    return Float64Array.from(m.columns[j]);
  });
  return { columns, rows: tx.rows };
}
