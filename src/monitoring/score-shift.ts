/**
 * Score shift (seed §6.1 "score distribution shift > 3 standard deviations"): the live mean score
 * against the training test scores' mean, in the test scores' standard deviations.
 */
export interface ScoreBaseline {
  mean: number;
  std: number;
  count: number;
}

export interface ScoreShiftThresholds {
  warning: number;
  critical: number;
}
export const DEFAULT_SCORE_SHIFT_THRESHOLDS: ScoreShiftThresholds = { warning: 2, critical: 3 };

export interface ScoreShift {
  status: "stable" | "warning" | "critical" | "insufficient_data" | "no_baseline";
  live_mean: number | null;
  live_count: number;
  baseline_mean: number | null;
  baseline_std: number | null;
  /** (live mean − baseline mean) / baseline std; signed. */
  shift_sigma: number | null;
  thresholds: ScoreShiftThresholds;
}

export function scoreShiftOf(
  liveSum: number,
  liveCount: number,
  baseline: ScoreBaseline | null,
  thresholds: ScoreShiftThresholds = DEFAULT_SCORE_SHIFT_THRESHOLDS,
  minObservations = 100,
): ScoreShift {
  const liveMean = liveCount ? liveSum / liveCount : null;
  const base = {
    live_mean: liveMean,
    live_count: liveCount,
    baseline_mean: baseline?.mean ?? null,
    baseline_std: baseline?.std ?? null,
    thresholds,
  };
  if (!baseline || !(baseline.std > 0)) return { ...base, status: "no_baseline", shift_sigma: null };
  if (liveMean === null || liveCount < minObservations)
    return { ...base, status: "insufficient_data", shift_sigma: null };
  const sigma = (liveMean - baseline.mean) / baseline.std;
  const a = Math.abs(sigma);
  const status = a >= thresholds.critical ? "critical" : a >= thresholds.warning ? "warning" : "stable";
  return { ...base, status, shift_sigma: sigma };
}
