import path from "node:path";
import type { Registry } from "../registry/index.js";
import type { TestEvaluation } from "./evaluate-model.js";
import type { GridSearchResult } from "./grid-search.js";
import type { Hyperparams, TrainingConfig } from "./training-config.js";

/** The test metrics as `--json`, metrics.json and the run record carry them. */
export interface TrainMetrics {
  auc_roc: number;
  auc_pr: number;
  precision: number;
  recall: number;
  f1: number;
  false_positive_rate: number;
  accuracy: number;
  threshold: number;
  confusion_matrix: { tn: number; fp: number; fn: number; tp: number };
}

/** Writes a finished training's parameters, metrics, tags and artifacts to its run. */
export async function recordRun(
  registry: Registry,
  runId: string,
  r: {
    params: Record<string, string | number | boolean>;
    metrics: Record<string, number>;
    grid?: GridSearchResult;
    tags: Record<string, string>;
    staging: string;
  },
): Promise<void> {
  await registry.logParams(runId, r.params);
  await registry.logMetrics(runId, r.metrics);
  if (r.grid) {
    // One point per candidate (step = candidate index): the whole search stays queryable.
    await registry.logMetrics(
      runId,
      r.grid.candidates.map((c, step) => ({ key: `cv_${r.grid!.scoring}_mean`, value: c.mean, step })),
    );
  }
  await registry.setTags(runId, r.tags);
  await registry.logArtifacts(runId, r.staging);
}

export function runParams(
  c: TrainingConfig,
  h: Hyperparams & { scale_pos_weight: number },
  o: {
    seed: number;
    modelName: string;
    sampleSize?: number;
    dataset: string;
    threads: number;
    cvParallel: string;
  },
): Record<string, string | number | boolean> {
  const p: Record<string, string | number | boolean> = {
    model_name: o.modelName,
    random_seed: o.seed,
    test_size: c.test_size,
    decision_threshold: c.decision_threshold,
    sample_size: o.sampleSize ?? "all",
    dataset: path.resolve(o.dataset),
    threads: o.threads,
    grid_search_enabled: c.grid_search.enabled,
  };
  for (const [k, v] of Object.entries(h)) if (v !== undefined) p[k] = v;
  if (c.grid_search.enabled) {
    p.grid_search_param_grid = JSON.stringify(c.grid_search.param_grid);
    p.grid_search_cv_folds = c.grid_search.cv_folds;
    p.grid_search_scoring = c.grid_search.scoring;
    p.grid_search_parallel = o.cvParallel;
  }
  if (c.rules) p.rules_config = JSON.stringify(c.rules);
  return p;
}

export function toMetrics(e: TestEvaluation, threshold: number): TrainMetrics {
  const m = e.atThreshold;
  return {
    auc_roc: round(e.aucRoc, 6),
    auc_pr: round(e.aucPr, 6),
    precision: round(m.precision, 6),
    recall: round(m.recall, 6),
    f1: round(m.f1, 6),
    false_positive_rate: round(m.falsePositiveRate, 8),
    accuracy: round(m.accuracy, 6),
    threshold,
    confusion_matrix: m.confusion,
  };
}

export function flatMetrics(m: TrainMetrics): Record<string, number> {
  const { confusion_matrix: c, threshold: _t, ...rest } = m;
  return { ...rest, tn: c.tn, fp: c.fp, fn: c.fn, tp: c.tp };
}

/** The grid search as reported; `timing: false` for metrics.json, which must not change between runs. */
export function gridSummary(g: GridSearchResult, opts: { timing?: boolean } = {}) {
  return {
    scoring: g.scoring,
    folds: g.folds,
    candidates: g.candidates.length,
    best_score: round(g.best.mean, 6),
    best_params: g.best.params,
    ...(opts.timing === false ? {} : { seconds: round(g.seconds, 1) }),
    results: g.candidates.map((c) => ({
      params: c.params,
      mean: round(c.mean, 6),
      std: round(c.std, 6),
      scores: c.scores.map((s) => round(s, 6)),
    })),
  };
}

export const round = (x: number, digits: number) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);
