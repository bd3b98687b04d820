import { Command, Option } from "commander";
import { seed, wholeNumber } from "./option-values.js";
import { LAKAY_MIGRATIONS } from "../app/index.js";
import { BadInputError } from "../errors/index.js";
import { addRegistryOptions } from "./registry-options.js";
import {
  CV_PARALLEL_MODES,
  loadTrainingConfig,
  parseTrainingConfig,
  runTrainingPipeline,
  type CvParallelMode,
  type TrainProgress,
} from "../training/index.js";
import { emit } from "./output.js";
import { Progress } from "./progress.js";
import { action } from "./run-command.js";

interface TrainCliOptions {
  dataset: string;
  config?: string;
  sampleSize?: number;
  registryUri?: string;
  mlflowUri?: string;
  artifactRoot?: string;
  seed?: number;
  modelName?: string;
  experiment?: string;
  register: boolean;
  out?: string;
  allowLargeGrid?: boolean;
  threads?: number;
  cvParallel?: CvParallelMode;
  json?: boolean;
}

/** `lakay train`: PaySim CSV → trained, evaluated, recorded model version in Staging. */
export function registerTrainCommand(program: Command): void {
  const cmd = program
    .command("train")
    .description("train a fraud model from a PaySim CSV, record the run and register the version in Staging")
    .requiredOption("--dataset <file>", "labeled PaySim CSV (.csv or .csv.gz)")
    .option("--config <file>", "training config YAML (model name, seed, hyperparameters, grid search)")
    .option("--sample-size <rows>", "train on the first N rows of the file", wholeNumber(1))
    .addOption(new Option("--mlflow-uri <uri>", "alias of --registry-uri").hideHelp())
    .option("--seed <n>", "random seed (overrides the config's random_seed)", seed)
    .option("--model-name <name>", "registered model name (overrides the config's model_name)")
    .option("--experiment <name>", "experiment to record the run under (default: the model name)")
    .option("--no-register", "record the run and its artifacts, but register no model version")
    .option("--out <dir>", "also write the artifact folder (with a SHA-256 manifest) here")
    .option("--allow-large-grid", "allow a grid search of more than 50 candidates")
    .option("--threads <n>", "engine threads (default: every core; never changes the model)", wholeNumber(1))
    .addOption(
      new Option("--cv-parallel <mode>", "grid search: one candidate per core, or one at a time on all cores")
        .choices(CV_PARALLEL_MODES)
        .default("candidates"),
    )
    .option("--json", "print one JSON object instead of the summary");
  addRegistryOptions(cmd);
  cmd.addHelpText(
    "after",
    `
Examples:
  lakay train --dataset data/paysim.csv
  lakay train --dataset data/paysim.csv --config config.yaml
  lakay train --dataset data/paysim.csv --sample-size 100000 --json
  lakay train --dataset data/paysim.csv --registry-uri postgresql://postgres@127.0.0.1:5432/lakay

The registry is checked before any work starts: if it cannot be reached, nothing is trained.
See docs/training.md for the config file and the artifacts written.`,
  );
  cmd.action(
    action(async (o: TrainCliOptions) => {
      if (o.registryUri && o.mlflowUri && o.registryUri !== o.mlflowUri) {
        throw new BadInputError("--registry-uri and --mlflow-uri name the same setting; give one");
      }
      const config = o.config ? loadTrainingConfig(o.config) : parseTrainingConfig();
      const bar = new ProgressBars();
      const result = await runTrainingPipeline({
        dataset: o.dataset,
        migrations: LAKAY_MIGRATIONS,
        config,
        sampleSize: o.sampleSize,
        seed: o.seed,
        modelName: o.modelName,
        experiment: o.experiment,
        registryUri: o.registryUri ?? o.mlflowUri,
        artifactRoot: o.artifactRoot,
        register: o.register,
        outDir: o.out,
        allowLargeGrid: o.allowLargeGrid,
        threads: o.threads,
        cvParallel: o.cvParallel,
        onProgress: (p) => bar.update(p),
      }).finally(() => bar.done());
      emit(o, result, () => {
        const m = result.metrics;
        const lines = [
          `Training Complete: ${result.model_name}`,
          `  Version: ${result.version ?? "(not registered)"}`,
          `  AUC-ROC: ${m.auc_roc.toFixed(4)}`,
          `  Precision: ${m.precision.toFixed(4)}`,
          `  Recall: ${m.recall.toFixed(4)}`,
          `  F1: ${m.f1.toFixed(4)}`,
          `  Duration: ${result.duration_s.toFixed(1)}s`,
        ];
        process.stdout.write(lines.join("\n") + "\n");
        process.stderr.write(
          `  AUC-PR ${m.auc_pr.toFixed(4)}, FPR ${m.false_positive_rate.toFixed(6)}; run ${result.run_id}` +
            `${result.stage ? `, stage ${result.stage}` : ""}; artifacts ${result.artifact_uri}\n`,
        );
      });
    }),
  );
}

/** One progress line per phase, on a TTY only (Progress stays silent in pipes). */
class ProgressBars {
  private current?: { phase: string; bar: Progress };

  update(p: TrainProgress): void {
    const label = LABELS[p.phase];
    if (this.current?.phase !== p.phase) {
      this.current?.bar.done();
      const total = "total" in p ? p.total : undefined;
      this.current = { phase: p.phase, bar: new Progress(label, total, p.phase === "read" ? " bytes" : "") };
    }
    this.current.bar.update("done" in p ? p.done : 0);
  }

  done(): void {
    this.current?.bar.done();
  }
}

const LABELS: Record<TrainProgress["phase"], string> = {
  read: "Reading CSV",
  features: "Building features",
  split: "Splitting",
  cv: "Cross-validating",
  train: "Training trees",
  evaluate: "Evaluating on the test split",
  record: "Recording the run",
};
