import type { Transactions } from "../data/index.js";
import {
  biasAudit,
  parseBiasAuditConfig,
  segmentRows,
  type BiasAuditConfig,
  type BiasAuditResult,
  type BiasFlag,
} from "../training/index.js";

/** A flag as the backtest row, the audit entry and the gate keep it: enough to name and weigh it. */
export interface BiasFlagSummary {
  dimension: string;
  segment: string;
  metric: BiasFlag["metric"];
  value: number;
  overall: number;
  ratio: number;
  bound: number;
}

/** The bias reports of both versions of a backtest, on the same rows, segments and threshold. */
export interface BacktestBias {
  candidate: BiasAuditResult;
  /** Null when there was no Production version to compare against. */
  current: BiasAuditResult | null;
  /** Candidate flags Production does not have on the same data (`dimension=segment:metric`). */
  newFlags: string[];
}

/**
 * The bias audit (docs/bias-audit.md) of the candidate and of the Production version on the
 * backtest's own rows and scores: the same segments and threshold for both, so their flags can be
 * read side by side and a flag the candidate brings is told from one Production already has.
 */
export function backtestBias(args: {
  tx: Transactions;
  labels: ArrayLike<number>;
  threshold: number;
  candidateScores: ArrayLike<number>;
  currentScores: ArrayLike<number> | null;
  config?: BiasAuditConfig;
}): BacktestBias {
  const config = args.config ?? parseBiasAuditConfig();
  const segmentations = segmentRows(args.tx, config);
  const audit = (scores: ArrayLike<number>) =>
    biasAudit({ scores, labels: args.labels, threshold: args.threshold, segmentations, config });
  const candidate = audit(args.candidateScores);
  const current = args.currentScores ? audit(args.currentScores) : null;
  const had = new Set(current?.flags.map(flagKey) ?? []);
  return { candidate, current, newFlags: candidate.flags.map(flagKey).filter((k) => !had.has(k)) };
}

export function flagKey(f: Pick<BiasFlag, "dimension" | "segment" | "metric">): string {
  return `${f.dimension}=${f.segment}:${f.metric}`;
}

export function summariseFlags(flags: readonly BiasFlag[]): BiasFlagSummary[] {
  return flags.map(({ dimension, segment, metric, value, overall, ratio, bound }) => ({
    dimension,
    segment,
    metric,
    value,
    overall,
    ratio,
    bound,
  }));
}

/** The bias part of a stored backtest report, as the database row and the audit entry keep it. */
export function backtestBiasRecord(b: BacktestBias): {
  bounds: BiasAuditResult["bounds"];
  candidate_flags: BiasFlagSummary[];
  current_flags: BiasFlagSummary[] | null;
  new_flags: string[];
} {
  return {
    bounds: b.candidate.bounds,
    candidate_flags: summariseFlags(b.candidate.flags),
    current_flags: b.current ? summariseFlags(b.current.flags) : null,
    new_flags: b.newFlags,
  };
}

/**
 * The candidate's flags from a stored backtest report (the gate reads them from the backtest that
 * counts for the promotion); null when the backtest predates the bias audit.
 */
export function candidateFlagsOf(report: unknown): BiasFlagSummary[] | null {
  const bias = (report as { bias?: { candidate_flags?: unknown } } | null)?.bias;
  return Array.isArray(bias?.candidate_flags) ? (bias.candidate_flags as BiasFlagSummary[]) : null;
}

/** One line per segment flagged in either version: candidate and Production side by side. */
export function flagsSideBySide(b: BacktestBias): { flag: string; candidate: string; current: string }[] {
  const keys = [...new Set([...b.candidate.flags, ...(b.current?.flags ?? [])].map(flagKey))];
  const ratioIn = (r: BiasAuditResult | null, key: string) => {
    if (!r) return "-";
    const [dimSeg, metric] = key.split(":");
    const [dimension, segment] = dimSeg.split("=");
    const seg = r.segments.find((s) => s.dimension === dimension && s.segment === segment);
    const rate = seg?.[metric as BiasFlag["metric"]];
    if (!seg || !rate || rate.ratio === null) return "-";
    const flagged = r.flags.some((f) => flagKey(f) === key);
    return `${rate.ratio.toFixed(2)}x${flagged ? " FLAG" : seg.status === "too_small" ? " (too small)" : ""}`;
  };
  return keys.map((k) => ({ flag: k, candidate: ratioIn(b.candidate, k), current: ratioIn(b.current, k) }));
}
