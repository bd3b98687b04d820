import type { BiasAuditConfig } from "./bias-audit-config.js";
import type { Segmentation } from "./bias-segments.js";

/** z for a two-sided 95 % interval. */
const Z95 = 1.959963984540054;

/** A proportion with its 95 % Wilson score interval; `value` and `ci95` are null when nothing was counted. */
export interface Rate {
  value: number | null;
  ci95: [number, number] | null;
}

/** A segment's rate, plus its ratio to the overall value (null when either is undefined or the overall is 0). */
export interface SegmentRate extends Rate {
  ratio: number | null;
}

interface Counts {
  count: number;
  fraud: number;
  /** Rows the model flags: `score >= threshold`. */
  predicted_fraud: number;
  true_positives: number;
  false_positives: number;
}

export interface OverallMetrics extends Counts {
  mean_score: number | null;
  fraud_rate: Rate;
  flag_rate: Rate;
  precision: Rate;
  recall: Rate;
  false_positive_rate: Rate;
}

/** `too_small`: fewer frauds or rows than the configured minimum; reported, never flagged. */
export type SegmentStatus = "ok" | "flagged" | "too_small";

export interface SegmentMetrics extends Counts {
  dimension: string;
  segment: string;
  status: SegmentStatus;
  mean_score: number | null;
  mean_score_ratio: number | null;
  fraud_rate: SegmentRate;
  flag_rate: SegmentRate;
  precision: SegmentRate;
  recall: SegmentRate;
  false_positive_rate: SegmentRate;
}

/** The two disparities the audit flags. */
export type BiasFlagMetric = "false_positive_rate" | "recall";

export interface BiasFlag {
  dimension: string;
  segment: string;
  metric: BiasFlagMetric;
  value: number;
  ci95: [number, number];
  overall: number;
  ratio: number;
  /** The bound the ratio broke: above `max_fpr_ratio` or below `min_recall_ratio`. */
  bound: number;
  /** One sentence for people: what the flag says. */
  message: string;
}

export interface BiasAuditResult {
  threshold: number;
  interval: "wilson_95";
  bounds: Pick<BiasAuditConfig, "max_fpr_ratio" | "min_recall_ratio" | "min_positives" | "min_rows">;
  overall: OverallMetrics;
  /** Every non-empty segment of every dimension, dimensions in configured order, segments in theirs. */
  segments: SegmentMetrics[];
  flags: BiasFlag[];
}

export interface BiasAuditInput {
  /** Model scores, one per row. */
  scores: ArrayLike<number>;
  /** 0/1 fraud labels, one per row. */
  labels: ArrayLike<number>;
  /** A row is flagged by the model when `score >= threshold` (as everywhere in Lakay). */
  threshold: number;
  segmentations: readonly Segmentation[];
  config: BiasAuditConfig;
}

/**
 * How a model treats each segment of customers: per segment, the counts, fraud rate, mean score,
 * flag rate, precision, recall and false-positive rate, each rate with a 95 % Wilson score interval
 * and its ratio to the overall value. A segment large enough to judge is flagged when its
 * false-positive rate is more than `max_fpr_ratio` times the overall one (the model holds its honest
 * customers more often) or its recall is under `min_recall_ratio` times the overall one (the model
 * misses its fraud more often). Pure: no I/O, the same numbers for training, the CLI and backtests.
 */
export function biasAudit(input: BiasAuditInput): BiasAuditResult {
  const { scores, labels, threshold, config } = input;
  const n = scores.length;
  if (labels.length !== n) throw new RangeError(`${n} scores but ${labels.length} labels`);

  const all = emptyTally();
  for (let i = 0; i < n; i++) add(all, scores[i], labels[i], threshold);
  const overall = metricsOf(all);

  const segments: SegmentMetrics[] = [];
  const flags: BiasFlag[] = [];
  for (const seg of input.segmentations) {
    if (seg.of.length !== n)
      throw new RangeError(`${seg.dimension}: ${seg.of.length} segment ids for ${n} rows`);
    const tallies = seg.segments.map(emptyTally);
    for (let i = 0; i < n; i++) add(tallies[seg.of[i]], scores[i], labels[i], threshold);
    tallies.forEach((t, s) => {
      if (t.count === 0) return;
      const m = metricsOf(t);
      const segment = seg.segments[s];
      const judged = t.fraud >= config.min_positives && t.count >= config.min_rows;
      const row: SegmentMetrics = {
        dimension: seg.dimension,
        segment,
        status: judged ? "ok" : "too_small",
        ...countsOf(t),
        mean_score: m.mean_score,
        mean_score_ratio: ratio(m.mean_score, overall.mean_score),
        fraud_rate: withRatio(m.fraud_rate, overall.fraud_rate),
        flag_rate: withRatio(m.flag_rate, overall.flag_rate),
        precision: withRatio(m.precision, overall.precision),
        recall: withRatio(m.recall, overall.recall),
        false_positive_rate: withRatio(m.false_positive_rate, overall.false_positive_rate),
      };
      if (judged) {
        const fpr = row.false_positive_rate;
        if (fpr.ratio !== null && fpr.ratio > config.max_fpr_ratio)
          flags.push(flag(row, "false_positive_rate", overall, config.max_fpr_ratio));
        const recall = row.recall;
        if (recall.ratio !== null && recall.ratio < config.min_recall_ratio)
          flags.push(flag(row, "recall", overall, config.min_recall_ratio));
        if (flags.some((f) => f.dimension === row.dimension && f.segment === segment)) row.status = "flagged";
      }
      segments.push(row);
    });
  }
  return {
    threshold,
    interval: "wilson_95",
    bounds: {
      max_fpr_ratio: config.max_fpr_ratio,
      min_recall_ratio: config.min_recall_ratio,
      min_positives: config.min_positives,
      min_rows: config.min_rows,
    },
    overall,
    segments,
    flags,
  };
}

/**
 * The 95 % Wilson score interval of `k` successes in `n` trials. Chosen over the normal (Wald)
 * interval because segments are small and rates near 0 or 1 are the rule here (recall near 1,
 * false-positive rates near 0), where Wald collapses to a zero-width interval or leaves [0, 1].
 */
export function wilsonInterval(k: number, n: number, z = Z95): [number, number] | null {
  if (n === 0) return null;
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // At k = 0 or k = n the bound is exactly 0 or 1; rounding would leave 1e-17 or 0.9999999999999999.
  return [k === 0 ? 0 : Math.max(0, centre - half), k === n ? 1 : Math.min(1, centre + half)];
}

interface Tally extends Counts {
  scoreSum: number;
}

function emptyTally(): Tally {
  return { count: 0, fraud: 0, predicted_fraud: 0, true_positives: 0, false_positives: 0, scoreSum: 0 };
}

function add(t: Tally, score: number, label: number, threshold: number): void {
  const fraud = label === 1;
  const predicted = score >= threshold;
  t.count++;
  t.scoreSum += score;
  if (fraud) t.fraud++;
  if (predicted) {
    t.predicted_fraud++;
    if (fraud) t.true_positives++;
    else t.false_positives++;
  }
}

function countsOf(t: Tally): Counts {
  const { count, fraud, predicted_fraud, true_positives, false_positives } = t;
  return { count, fraud, predicted_fraud, true_positives, false_positives };
}

function metricsOf(t: Tally): OverallMetrics {
  return {
    ...countsOf(t),
    mean_score: t.count > 0 ? t.scoreSum / t.count : null,
    fraud_rate: rate(t.fraud, t.count),
    flag_rate: rate(t.predicted_fraud, t.count),
    precision: rate(t.true_positives, t.predicted_fraud),
    recall: rate(t.true_positives, t.fraud),
    false_positive_rate: rate(t.false_positives, t.count - t.fraud),
  };
}

function rate(k: number, n: number): Rate {
  return { value: n > 0 ? k / n : null, ci95: wilsonInterval(k, n) };
}

function ratio(value: number | null, overall: number | null): number | null {
  return value === null || overall === null || overall === 0 ? null : value / overall;
}

function withRatio(r: Rate, overall: Rate): SegmentRate {
  return { ...r, ratio: ratio(r.value, overall.value) };
}

function flag(row: SegmentMetrics, metric: BiasFlagMetric, overall: OverallMetrics, bound: number): BiasFlag {
  const r = row[metric];
  const o = overall[metric].value!;
  const what =
    metric === "false_positive_rate"
      ? `flags honest transactions ${fmt(r.ratio!)}x as often as overall (false-positive rate ${pct(r.value!)} vs ${pct(o)}; bound ${bound}x)`
      : `catches ${fmt(r.ratio!)}x the overall share of its fraud (recall ${pct(r.value!)} vs ${pct(o)}; bound ${bound}x)`;
  return {
    dimension: row.dimension,
    segment: row.segment,
    metric,
    value: r.value!,
    ci95: r.ci95!,
    overall: o,
    ratio: r.ratio!,
    bound,
    message: `${row.dimension}=${row.segment} ${what}`,
  };
}

const fmt = (x: number) => x.toFixed(2);
const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
