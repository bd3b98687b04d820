import { z } from "zod";
import { parseWithSchema } from "../config/index.js";

/** Metrics the trainer can report on an evaluation set each round. */
export const EVAL_METRICS = ["auc", "aucpr", "logloss"] as const;
export type EvalMetric = (typeof EVAL_METRICS)[number];

/**
 * Booster hyperparameters, under XGBoost's own names so a params file reads the same in both
 * worlds. Strict: an unknown key is an error, not a silently ignored typo. Defaults are XGBoost's.
 */
export const boosterParamsSchema = z
  .object({
    objective: z.literal("binary:logistic").default("binary:logistic"),
    tree_method: z.literal("hist").default("hist"),
    n_estimators: z.number().int().min(1).max(100_000).default(100),
    max_depth: z.number().int().min(1).max(31).default(6),
    learning_rate: z.number().gt(0).max(1).optional(),
    eta: z.number().gt(0).max(1).optional(),
    subsample: z.number().gt(0).max(1).default(1),
    colsample_bytree: z.number().gt(0).max(1).default(1),
    min_child_weight: z.number().min(0).default(1),
    reg_lambda: z.number().min(0).default(1),
    reg_alpha: z.number().min(0).default(0),
    gamma: z.number().min(0).default(0),
    scale_pos_weight: z.number().gt(0).default(1),
    base_score: z.number().gt(0).lt(1).default(0.5),
    max_bin: z.number().int().min(2).max(65_535).default(256),
    seed: z.number().int().min(0).default(0),
    eval_metric: z.enum(EVAL_METRICS).default("logloss"),
    early_stopping_rounds: z.number().int().min(1).optional(),
    n_jobs: z.number().int().min(1).max(256).optional(),
  })
  .strict()
  .refine((p) => p.learning_rate === undefined || p.eta === undefined || p.learning_rate === p.eta, {
    message: "learning_rate and eta are the same parameter; give one",
  });

/** Parameters as a user writes them (every key optional). */
export type BoosterParamsInput = z.input<typeof boosterParamsSchema>;

/** Parameters after validation and defaults; `learning_rate` resolved from `eta` when needed. */
export type BoosterParams = Omit<z.output<typeof boosterParamsSchema>, "eta" | "learning_rate"> & {
  learning_rate: number;
};

/** Validates user parameters (from YAML, CLI or code); errors name the key. */
export function parseBoosterParams(raw: unknown, source = "booster parameters"): BoosterParams {
  const p = parseWithSchema(raw ?? {}, boosterParamsSchema, source);
  const { eta, learning_rate, ...rest } = p;
  return { ...rest, learning_rate: learning_rate ?? eta ?? 0.3 };
}
