import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";
import { FEATURE_SET_VERSION, LONG_WINDOW, SHORT_WINDOW } from "../features/index.js";
import { trainBooster } from "../gbdt/index.js";
import { defaultActor, type Migration } from "../registry/index.js";
import { RulesEngine } from "../rules/index.js";
import { lakayVersion } from "../version.js";
import { writeArtifactFolder, type ArtifactContents } from "./artifact-folder.js";
import { testSplitBiasReport } from "./test-split-bias.js";
import { connectRegistry } from "./registry-connection.js";
import {
  flatMetrics,
  gridSummary,
  recordRun,
  round,
  runParams,
  toMetrics,
  type TrainMetrics,
} from "./run-record.js";
import { boosterParams, classRatio } from "./booster-params.js";
import { evaluateOnTest, type TestEvaluation } from "./evaluate-model.js";
import {
  importanceTable,
  startFeatureImportance,
  type ImportanceReport,
} from "./feature-importance-report.js";
import { gather, gatherColumns } from "./gather-rows.js";
import { gridSearchCv, type CvParallelMode, type GridSearchResult } from "./grid-search.js";
import { loadTrainingData } from "./load-training-data.js";
import { predictParallel } from "./parallel-predict.js";
import { buildReferenceProfile } from "./reference-profile.js";
import { stratifiedSplit } from "./stratified-split.js";
import {
  configRegistryUri,
  expandGrid,
  parseTrainingConfig,
  type Hyperparams,
  type TrainingConfig,
} from "./training-config.js";

/** Where the pipeline is, for progress bars and logs. */
export type TrainProgress =
  | { phase: "read"; done: number; total: number }
  | { phase: "features" | "split" | "evaluate" | "record" }
  | { phase: "cv"; done: number; total: number }
  | { phase: "train"; done: number; total: number };

export interface TrainPipelineOptions {
  dataset: string;
  /** Parsed config (see `loadTrainingConfig`); defaults when absent. */
  config?: TrainingConfig;
  sampleSize?: number;
  /** Overrides the config's. */
  seed?: number;
  modelName?: string;
  experiment?: string;
  /** Flag > config file (`registry_uri` / `mlflow_tracking_uri`) > `LAKAY_REGISTRY_URI` > default. */
  registryUri?: string;
  artifactRoot?: string;
  /** The other layers' schema steps, needed to open the registry (the composition root's `LAKAY_MIGRATIONS`). */
  migrations: readonly Migration[];
  /** false: record the run, but register no version and move nothing to Staging. */
  register?: boolean;
  /** Also write the artifact folder (with a manifest) here. */
  outDir?: string;
  allowLargeGrid?: boolean;
  /** Engine threads; default every core. Never changes the model. */
  threads?: number;
  /** How grid-search cross-validation uses the cores (see `CvParallelMode`); default `candidates`. */
  cvParallel?: CvParallelMode;
  env?: NodeJS.ProcessEnv;
  onProgress?: (p: TrainProgress) => void;
}

export type { TrainMetrics };

/** What `lakay train --json` prints. */
export interface TrainResult {
  model_name: string;
  version: number | null;
  run_id: string;
  stage: string | null;
  artifact_uri: string;
  registry_uri: string;
  duration_s: number;
  train_rows: number;
  test_rows: number;
  dataset_sha256: string;
  hyperparams: Hyperparams & { scale_pos_weight: number };
  metrics: TrainMetrics;
  /** Scoring, folds, candidate count, best score and parameters, seconds, every candidate's fold scores. */
  grid_search: ReturnType<typeof gridSummary> | null;
  ml_vs_rules: TestEvaluation["comparison"]["fraud_caught"];
  out_dir: string | null;
}

/**
 * `lakay train` as a library call: CSV → features → stratified split → (grid search) → train → test
 * metrics and reports → a registry run with every artifact → a model version in Staging.
 *
 * The registry is opened and the run created before any data is read, so an unreachable or unwritable
 * registry fails in seconds instead of after an hour of training. A failure after that marks the run
 * FAILED.
 */
export async function runTrainingPipeline(opts: TrainPipelineOptions): Promise<TrainResult> {
  const started = performance.now();
  const config = opts.config ?? parseTrainingConfig();
  const seed = opts.seed ?? config.random_seed;
  const modelName = opts.modelName ?? config.model_name;
  const threshold = config.decision_threshold;
  const threads = opts.threads ?? availableParallelism();
  const progress = opts.onProgress ?? (() => {});
  // Refuse bad grids and rules before touching anything.
  const candidates = config.grid_search.enabled
    ? expandGrid(config.hyperparams, config.grid_search.param_grid, { allowLarge: opts.allowLargeGrid })
    : [];
  const rules = new RulesEngine(config.rules ?? {});

  const registry = await connectRegistry({
    ...opts,
    registryUri: opts.registryUri ?? configRegistryUri(config),
  });
  let runId: string | undefined;
  try {
    const experiment = await registry.createExperiment(opts.experiment ?? config.experiment ?? modelName);
    const run = await registry.createRun({ experimentId: experiment.id, name: `train-${modelName}` });
    runId = run.id;

    const data = await loadTrainingData(opts.dataset, {
      sampleSize: opts.sampleSize,
      onProgress: (done, total) => progress({ phase: "read", done, total }),
      onPhase: () => progress({ phase: "features" }),
    });
    const { features, labels, tx } = data;
    progress({ phase: "split" });
    const split = stratifiedSplit(labels, config.test_size, seed);
    const classWeight = classRatio(labels, split.train);

    let grid: GridSearchResult | undefined;
    let chosen: Hyperparams = config.hyperparams;
    if (candidates.length > 0) {
      grid = await gridSearchCv({
        columns: features.columns,
        featureNames: features.names,
        labels,
        trainRows: split.train,
        candidates,
        folds: config.grid_search.cv_folds,
        scoring: config.grid_search.scoring,
        seed,
        threshold,
        threads,
        parallel: opts.cvParallel ?? "candidates",
        onStep: (done, total) => progress({ phase: "cv", done, total }),
      });
      chosen = grid.best.params;
    }

    const trainColumns = gatherColumns(features.columns, split.train);
    const trainLabels = gather(labels, split.train, new Uint8Array(split.train.length));
    // A configured (or grid-chosen) scale_pos_weight wins over the class ratio.
    const scalePosWeight = chosen.scale_pos_weight ?? classWeight;
    const params = boosterParams(chosen, scalePosWeight, seed);
    const booster = await trainBooster(
      { columns: trainColumns, featureNames: features.names, labels: trainLabels },
      params,
      {
        nThreads: threads,
        onRound: (r) => progress({ phase: "train", done: r.round, total: r.rounds }),
      },
    );
    trainColumns.length = 0; // let the training copy go before evaluation allocates

    progress({ phase: "evaluate" });
    const testColumns = gatherColumns(features.columns, split.test);
    const testLabels = gather(labels, split.test, new Uint8Array(split.test.length));
    const scores = await predictParallel(booster, testColumns, split.test.length, threads);
    // The importance's worker explains while this thread writes the other reports (none needs it).
    const importanceJob = startFeatureImportance(booster, testColumns, split.test.length, threads);
    let evaluation: TestEvaluation;
    let importance: ImportanceReport;
    let modelJson: string;
    let referenceJson: string;
    let biasJson: string;
    try {
      evaluation = evaluateOnTest({
        tx,
        testRows: split.test,
        testColumns,
        testLabels,
        scores,
        threshold,
        rules,
      });
      modelJson = booster.toXgboostJson();
      referenceJson = json(
        buildReferenceProfile({
          names: features.names,
          columns: features.columns,
          trainRows: split.train,
          testScores: scores,
          featureSetVersion: FEATURE_SET_VERSION,
        }),
      );
      biasJson = json(
        testSplitBiasReport({ data, testRows: split.test, scores, testLabels, threshold, modelName, config }),
      );
      importance = await importanceJob.finish();
    } finally {
      await importanceJob.close();
    }
    const metrics = toMetrics(evaluation, threshold);
    const hyperparams = { ...chosen, scale_pos_weight: scalePosWeight };

    progress({ phase: "record" });
    const trainedAt = new Date().toISOString();
    const artifacts: ArtifactContents = {
      "model.json": modelJson,
      "features.json": json({
        feature_set_version: FEATURE_SET_VERSION,
        features: features.names.map((name) => ({ name, type: "float" })),
        label: "isFraud",
        point_in_time: {
          key: "nameOrig",
          order: ["step", "file order"],
          short_window_steps: SHORT_WINDOW,
          long_window_steps: LONG_WINDOW,
        },
      }),
      "reference.json": referenceJson,
      "metrics.json": json({
        model_name: modelName,
        dataset_sha256: data.sha256,
        train_rows: split.train.length,
        test_rows: split.test.length,
        fraud_rows: { train: sumAt(labels, split.train), test: sumAt(labels, split.test) },
        hyperparams,
        test: metrics,
        feature_importance: importance,
        grid_search: grid ? gridSummary(grid, { timing: false }) : null,
      }),
      "classification_report.txt": `${evaluation.report}\n${importanceTable(importance)}`,
      "ml_vs_rules_comparison.json": json(evaluation.comparison),
      "bias_audit.json": biasJson,
    };
    const staging = mkdtempSync(path.join(tmpdir(), "lakay-train-"));
    try {
      writeArtifactFolder(staging, artifacts);
      await recordRun(registry, run.id, {
        params: runParams(config, hyperparams, {
          seed,
          modelName,
          sampleSize: opts.sampleSize,
          dataset: opts.dataset,
          threads,
          cvParallel: opts.cvParallel ?? "candidates",
        }),
        metrics: { ...flatMetrics(metrics), train_rows: split.train.length, test_rows: split.test.length },
        grid,
        tags: {
          model_name: modelName,
          lakay_version: lakayVersion(),
          node_version: process.version,
          engine: "lakay-gbdt (XGBoost hist compatible)",
          engine_version: lakayVersion(),
          feature_set_version: FEATURE_SET_VERSION,
          feature_list: JSON.stringify(features.names),
          dataset_path: path.resolve(opts.dataset),
          dataset_sha256: data.sha256,
          dataset_rows: String(tx.rows),
          training_timestamp: trainedAt,
          actor: defaultActor(opts.env),
        },
        staging,
      });
    } finally {
      rmSync(staging, { recursive: true, force: true });
    }
    if (opts.outDir) writeArtifactFolder(opts.outDir, artifacts, { manifest: true });

    let version: number | null = null;
    let stage: string | null = null;
    if (opts.register !== false) {
      const actor = defaultActor(opts.env);
      const mv = await registry.createModelVersion({
        name: modelName,
        runId: run.id,
        description: `lakay train on ${path.basename(opts.dataset)} (sha256 ${data.sha256.slice(0, 12)})`,
        tags: { dataset_sha256: data.sha256, feature_set_version: FEATURE_SET_VERSION },
        actor,
      });
      const moved = await registry.transitionStage({
        name: modelName,
        version: mv.version,
        stage: "Staging",
        actor,
        reason: "trained by lakay train",
      });
      version = moved.version;
      stage = moved.stage;
    }
    const durationS = round((performance.now() - started) / 1000, 1);
    await registry.logMetrics(run.id, { duration_s: durationS });
    await registry.endRun(run.id, "FINISHED");
    return {
      model_name: modelName,
      version,
      run_id: run.id,
      stage,
      artifact_uri: run.artifactUri,
      registry_uri: registry.uri,
      duration_s: durationS,
      train_rows: split.train.length,
      test_rows: split.test.length,
      dataset_sha256: data.sha256,
      hyperparams,
      metrics,
      grid_search: grid ? gridSummary(grid) : null,
      ml_vs_rules: evaluation.comparison.fraud_caught,
      out_dir: opts.outDir ? path.resolve(opts.outDir) : null,
    };
  } catch (err) {
    if (runId) await registry.endRun(runId, "FAILED").catch(() => {});
    throw err;
  } finally {
    await registry.close();
  }
}

function sumAt(labels: ArrayLike<number>, rows: Uint32Array): number {
  let s = 0;
  for (let k = 0; k < rows.length; k++) s += labels[rows[k]];
  return s;
}

const json = (v: unknown) => JSON.stringify(v, null, 2) + "\n";
