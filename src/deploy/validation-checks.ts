import { performance } from "node:perf_hooks";
import { percentile } from "./percentile.js";

/** The validation gate's checks, in the order they run. */
export const VALIDATION_CHECKS = [
  "model_loads",
  "scores_valid",
  "scores_in_range",
  "latency_within_sla",
] as const;
export type ValidationCheckName = (typeof VALIDATION_CHECKS)[number];

/** Default P95 single-prediction latency SLA, from the deployment procedure. */
export const DEFAULT_LATENCY_SLA_MS = 200;

/** The slice of a compiled model the gate needs: one feature vector in, one score out. */
export interface ScorePredictor {
  predictRow(values: Float64Array): number;
  /** Optional column-wise batch scoring (the compiled predictor has it); backtests use it when present. */
  predictBatch?(columns: readonly ArrayLike<number>[], nRows: number): Float64Array;
}

export interface ValidationStep {
  name: ValidationCheckName;
  passed: boolean;
  /** What was seen, in words: shown by the CLI and kept in the audit trail. */
  detail: string;
}

export interface ValidationDetails {
  n_tested: number;
  n_synthetic: number;
  n_caller: number;
  n_valid: number;
  valid_score_share: number;
  n_in_range: number;
  mean_score: number | null;
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
  latency_p99_ms: number | null;
  latency_sla_ms: number;
  prediction_errors: number;
  /** Where the synthetic vectors came from: the version's reference.json, or the built-in PaySim ranges. */
  vector_source?: string;
}

/** The gate's outcome: every step reported, pass or fail, never a throw halfway. */
export interface ValidationReport {
  passed: boolean;
  checks: Record<ValidationCheckName, boolean>;
  steps: ValidationStep[];
  details: ValidationDetails;
}

export type LoadOutcome =
  { ok: true; predictor: ScorePredictor; detail: string } | { ok: false; error: string };

export interface ValidationInput {
  load: LoadOutcome;
  /** Synthetic vectors first, then the caller's; each in model feature order. */
  synthetic: readonly Float64Array[];
  callerVectors?: readonly Float64Array[];
  latencySlaMs?: number;
  /** Untimed predictions first, so the JIT's first compile is not billed to the model. */
  warmup?: number;
}

/**
 * Runs the four checks. A model that does not load fails every later check with that reason
 * rather than aborting, so the stored report always has all four rows.
 */
export function runValidationChecks(input: ValidationInput): ValidationReport {
  const sla = input.latencySlaMs ?? DEFAULT_LATENCY_SLA_MS;
  const vectors = [...input.synthetic, ...(input.callerVectors ?? [])];
  const details: ValidationDetails = {
    n_tested: 0,
    n_synthetic: input.synthetic.length,
    n_caller: input.callerVectors?.length ?? 0,
    n_valid: 0,
    valid_score_share: 0,
    n_in_range: 0,
    mean_score: null,
    latency_p50_ms: null,
    latency_p95_ms: null,
    latency_p99_ms: null,
    latency_sla_ms: sla,
    prediction_errors: 0,
  };
  if (!input.load.ok) {
    const why = `not run: the model did not load`;
    return finish(
      [
        { name: "model_loads", passed: false, detail: input.load.error },
        { name: "scores_valid", passed: false, detail: why },
        { name: "scores_in_range", passed: false, detail: why },
        { name: "latency_within_sla", passed: false, detail: why },
      ],
      details,
    );
  }
  const predictor = input.load.predictor;
  const warmup = Math.min(input.warmup ?? 5, vectors.length);
  for (let i = 0; i < warmup; i++) safePredict(predictor, vectors[i]);

  const scores: number[] = [];
  const latencies: number[] = [];
  let firstError: string | undefined;
  for (const v of vectors) {
    const t0 = performance.now();
    const r = safePredict(predictor, v);
    latencies.push(performance.now() - t0);
    if (r.error !== undefined) {
      details.prediction_errors++;
      firstError ??= r.error;
    }
    scores.push(r.score);
  }
  const valid = scores.filter((s) => Number.isFinite(s));
  const inRange = valid.filter((s) => s >= 0 && s <= 1);
  details.n_tested = vectors.length;
  details.n_valid = valid.length;
  details.valid_score_share = vectors.length ? valid.length / vectors.length : 0;
  details.n_in_range = inRange.length;
  details.mean_score = valid.length ? valid.reduce((a, b) => a + b, 0) / valid.length : null;
  details.latency_p50_ms = latencies.length ? percentile(latencies, 50) : null;
  details.latency_p95_ms = latencies.length ? percentile(latencies, 95) : null;
  details.latency_p99_ms = latencies.length ? percentile(latencies, 99) : null;

  const none = vectors.length === 0;
  const p95 = details.latency_p95_ms;
  return finish(
    [
      { name: "model_loads", passed: true, detail: input.load.detail },
      {
        name: "scores_valid",
        passed: !none && valid.length === vectors.length,
        detail: none
          ? "no vectors to score"
          : `${valid.length}/${vectors.length} predictions finite` +
            (firstError ? `; first error: ${firstError}` : ""),
      },
      {
        name: "scores_in_range",
        passed: !none && valid.length > 0 && inRange.length === valid.length,
        detail: valid.length
          ? `${inRange.length}/${valid.length} valid predictions in [0, 1]`
          : "no valid predictions to check",
      },
      {
        name: "latency_within_sla",
        passed: p95 !== null && p95 <= sla,
        detail: p95 === null ? "no predictions timed" : `p95 ${fmt(p95)} ms against an SLA of ${sla} ms`,
      },
    ],
    details,
  );
}

function safePredict(p: ScorePredictor, v: Float64Array): { score: number; error?: string } {
  try {
    const s = p.predictRow(v);
    return { score: typeof s === "number" ? s : Number.NaN };
  } catch (err) {
    return { score: Number.NaN, error: (err as Error)?.message ?? String(err) };
  }
}

function finish(steps: ValidationStep[], details: ValidationDetails): ValidationReport {
  const checks = Object.fromEntries(steps.map((s) => [s.name, s.passed])) as Record<
    ValidationCheckName,
    boolean
  >;
  return { passed: steps.every((s) => s.passed), checks, steps, details };
}

function fmt(ms: number): string {
  return ms < 1 ? ms.toFixed(3) : ms.toFixed(1);
}
