import { differenceOf, wilson, type Interval, type ProportionEstimate } from "./intervals.js";

/** Score histogram bins for the A/B report: [0, 0.1), ..., [0.9, 1]. */
export const AB_SCORE_BINS = 10;

/** What the log holds for one variant of an experiment (or a window), aggregated. */
export interface VariantAggregate {
  count: number;
  scoreSum: number;
  /** Score histogram, {@link AB_SCORE_BINS} bins. */
  bins: number[];
  p95LatencyMs: number | null;
  /** Labeled predictions, by flagged (score ≥ operating threshold) and outcome. */
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

export function emptyAggregate(): VariantAggregate {
  return {
    count: 0,
    scoreSum: 0,
    bins: new Array<number>(AB_SCORE_BINS).fill(0),
    p95LatencyMs: null,
    tp: 0,
    fp: 0,
    fn: 0,
    tn: 0,
  };
}

/** Adds one logged prediction (and its label, when known) to an aggregate. */
export function addPrediction(
  agg: VariantAggregate,
  score: number,
  threshold: number,
  isFraud: boolean | null,
): void {
  agg.count++;
  agg.scoreSum += score;
  agg.bins[Math.min(AB_SCORE_BINS - 1, Math.max(0, Math.floor(score * AB_SCORE_BINS)))]++;
  if (isFraud === null) return;
  const flagged = score >= threshold;
  if (flagged && isFraud) agg.tp++;
  else if (flagged) agg.fp++;
  else if (isFraud) agg.fn++;
  else agg.tn++;
}

export interface VariantReport {
  count: number;
  mean_score: number | null;
  score_histogram: { from: number; to: number; count: number }[];
  p95_latency_ms: number | null;
  labeled: number;
  precision: ProportionEstimate;
  recall: ProportionEstimate;
  false_positive_rate: ProportionEstimate;
}

export interface AbReport {
  operating_threshold: number;
  champion: VariantReport;
  challenger: VariantReport;
  /** challenger − champion, each with Newcombe's 95 % interval. */
  difference: Record<
    "precision" | "recall" | "false_positive_rate",
    { value: number | null; ci95: Interval | null }
  >;
}

export function variantReport(a: VariantAggregate): VariantReport {
  return {
    count: a.count,
    mean_score: a.count ? a.scoreSum / a.count : null,
    score_histogram: a.bins.map((count, i) => ({
      from: i / AB_SCORE_BINS,
      to: (i + 1) / AB_SCORE_BINS,
      count,
    })),
    p95_latency_ms: a.p95LatencyMs,
    labeled: a.tp + a.fp + a.fn + a.tn,
    precision: wilson(a.tp, a.tp + a.fp),
    recall: wilson(a.tp, a.tp + a.fn),
    false_positive_rate: wilson(a.fp, a.fp + a.tn),
  };
}

/** Per-variant statistics with 95 % intervals and the challenger − champion differences (seed §5.3). */
export function abReport(
  champion: VariantAggregate,
  challenger: VariantAggregate,
  threshold: number,
): AbReport {
  const c = variantReport(champion);
  const k = variantReport(challenger);
  return {
    operating_threshold: threshold,
    champion: c,
    challenger: k,
    difference: {
      precision: differenceOf(c.precision, k.precision),
      recall: differenceOf(c.recall, k.recall),
      false_positive_rate: differenceOf(c.false_positive_rate, k.false_positive_rate),
    },
  };
}
