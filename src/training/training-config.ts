import { z } from "zod";
import { loadYamlConfig, parseWithSchema } from "../config/index.js";
import { BadInputError } from "../errors/index.js";
import { rulesConfigSchema } from "../rules/index.js";
import { biasAuditConfigSchema } from "./bias-audit-config.js";

/**
 * Defaults when no config file is given (the seed procedure's): one place, read by the schema below
 * and by `docs/training.md`.
 */
export const TRAINING_DEFAULTS = {
  model_name: "fraud-detector-v0.1",
  random_seed: 42,
  test_size: 0.2,
  decision_threshold: 0.5,
  hyperparams: {
    n_estimators: 100,
    max_depth: 6,
    learning_rate: 0.1,
    subsample: 0.8,
    colsample_bytree: 0.8,
    min_child_weight: 5,
    eval_metric: "aucpr",
  },
  grid_search: { enabled: false, cv_folds: 3, scoring: "f1" },
  /** More grid candidates than this is refused unless explicitly allowed: a typo should not cost a day. */
  max_grid_candidates: 50,
} as const;

const H = TRAINING_DEFAULTS.hyperparams;

/** Hyperparameters that may be tuned by the grid, with what each accepts. */
const tunable = {
  n_estimators: z.number().int().min(1).max(100_000),
  max_depth: z.number().int().min(1).max(31),
  learning_rate: z.number().gt(0).max(1),
  subsample: z.number().gt(0).max(1),
  colsample_bytree: z.number().gt(0).max(1),
  min_child_weight: z.number().min(0),
  reg_lambda: z.number().min(0),
  reg_alpha: z.number().min(0),
  gamma: z.number().min(0),
  max_bin: z.number().int().min(2).max(256),
  scale_pos_weight: z.number().gt(0),
};
export type TunableParam = keyof typeof tunable;

/** Scoring metrics for cross-validation (both spellings of the AUCs are accepted). */
export const CV_SCORINGS = [
  "f1",
  "precision",
  "recall",
  "auc_pr",
  "aucpr",
  "average_precision",
  "auc_roc",
  "roc_auc",
  "auc",
] as const;
export type CvScoring = (typeof CV_SCORINGS)[number];

const hyperparamsSchema = z
  .object({
    n_estimators: tunable.n_estimators.default(H.n_estimators),
    max_depth: tunable.max_depth.default(H.max_depth),
    learning_rate: tunable.learning_rate.default(H.learning_rate),
    subsample: tunable.subsample.default(H.subsample),
    colsample_bytree: tunable.colsample_bytree.default(H.colsample_bytree),
    min_child_weight: tunable.min_child_weight.default(H.min_child_weight),
    reg_lambda: tunable.reg_lambda.optional(),
    reg_alpha: tunable.reg_alpha.optional(),
    gamma: tunable.gamma.optional(),
    max_bin: tunable.max_bin.optional(),
    /** From the class ratio (negatives / positives of the training split) unless given. */
    scale_pos_weight: tunable.scale_pos_weight.optional(),
    eval_metric: z.enum(["aucpr", "auc", "logloss"]).default(H.eval_metric),
  })
  .strict()
  .prefault({});

const paramGridSchema = z
  .object(
    Object.fromEntries(
      Object.entries(tunable).map(([k, s]) => [
        k,
        z.array(s).min(1, `${k}: give at least one value`).optional(),
      ]),
    ) as { [K in TunableParam]: z.ZodOptional<z.ZodArray<(typeof tunable)[K]>> },
  )
  .strict();

/**
 * The `lakay train --config` file. Strict: an unknown key is an error naming the key. The seed's
 * `mlflow_tracking_uri` is accepted as the registry URI so existing config files keep working.
 */
export const trainingConfigSchema = z
  .object({
    model_name: z
      .string()
      .min(1)
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
        "letters, digits, '.', '_' or '-', starting with a letter or digit",
      )
      .default(TRAINING_DEFAULTS.model_name),
    experiment: z.string().min(1).optional(),
    random_seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(TRAINING_DEFAULTS.random_seed),
    test_size: z.number().gt(0).lt(1).default(TRAINING_DEFAULTS.test_size),
    decision_threshold: z.number().gt(0).lt(1).default(TRAINING_DEFAULTS.decision_threshold),
    registry_uri: z.string().min(1).optional(),
    mlflow_tracking_uri: z.string().min(1).optional(),
    hyperparams: hyperparamsSchema,
    grid_search: z
      .object({
        enabled: z.boolean().default(TRAINING_DEFAULTS.grid_search.enabled),
        param_grid: paramGridSchema.default({}),
        cv_folds: z.number().int().min(2).max(20).default(TRAINING_DEFAULTS.grid_search.cv_folds),
        scoring: z.enum(CV_SCORINGS).default(TRAINING_DEFAULTS.grid_search.scoring),
      })
      .strict()
      .prefault({}),
    rules: rulesConfigSchema.optional(),
    /** The bias report written on the test split (`bias_audit.json`); see docs/bias-audit.md. */
    bias_audit: biasAuditConfigSchema.prefault({}),
  })
  .strict()
  .refine((c) => !(c.registry_uri && c.mlflow_tracking_uri && c.registry_uri !== c.mlflow_tracking_uri), {
    message: "registry_uri and mlflow_tracking_uri name the same setting; give one",
    path: ["mlflow_tracking_uri"],
  });

export type TrainingConfig = z.infer<typeof trainingConfigSchema>;
export type Hyperparams = TrainingConfig["hyperparams"];

/** Validates a training config object (e.g. from code or tests); missing keys take their defaults. */
export function parseTrainingConfig(raw: unknown = {}, source = "training config"): TrainingConfig {
  return parseWithSchema(raw ?? {}, trainingConfigSchema, source);
}

/** Reads and validates a YAML training config file; errors name the file and the key. */
export function loadTrainingConfig(file: string): TrainingConfig {
  return loadYamlConfig(file, trainingConfigSchema);
}

/** The registry URI a config names, under either spelling. */
export function configRegistryUri(c: TrainingConfig): string | undefined {
  return c.registry_uri ?? c.mlflow_tracking_uri;
}

/** Normalises the scoring name: `auc_pr`, `aucpr`, `average_precision` → `auc_pr`, and so on. */
export function canonicalScoring(s: CvScoring): "f1" | "precision" | "recall" | "auc_pr" | "auc_roc" {
  if (s === "aucpr" || s === "average_precision" || s === "auc_pr") return "auc_pr";
  if (s === "roc_auc" || s === "auc" || s === "auc_roc") return "auc_roc";
  return s;
}

/**
 * Every combination of the grid, each merged over the base hyperparameters, in a fixed order (keys in
 * the order written, last key varying fastest). Refuses more than `max_grid_candidates` unless allowed.
 */
export function expandGrid(
  base: Hyperparams,
  grid: TrainingConfig["grid_search"]["param_grid"],
  opts: { allowLarge?: boolean; max?: number } = {},
): Hyperparams[] {
  const entries = Object.entries(grid).filter((e): e is [string, number[]] => Array.isArray(e[1]));
  const count = entries.reduce((n, [, v]) => n * v.length, 1);
  const max = opts.max ?? TRAINING_DEFAULTS.max_grid_candidates;
  if (count > max && !opts.allowLarge) {
    throw new BadInputError(
      `grid_search.param_grid has ${count} candidates, more than ${max}; shrink the grid or pass --allow-large-grid`,
      { field: "grid_search.param_grid" },
    );
  }
  let out: Hyperparams[] = [{ ...base }];
  for (const [key, values] of entries) {
    out = out.flatMap((c) => values.map((v) => ({ ...c, [key]: v })));
  }
  return out;
}
