/** 95 % intervals for proportions and their differences (A/B statistics, seed §5.3). */
import { wilsonInterval } from "../training/index.js";

/** The standard normal quantile for a two-sided interval at `level` (0.95 → 1.96). */
export function zFor(level: number): number {
  return normalQuantile(1 - (1 - level) / 2);
}

/** Acklam's rational approximation of the standard normal quantile (|error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError("p must be in (0, 1)");
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

export interface Interval {
  lower: number;
  upper: number;
}

/** A proportion with its Wilson score interval (good at small counts and near 0 or 1). */
export interface ProportionEstimate {
  value: number | null;
  successes: number;
  trials: number;
  ci95: Interval | null;
}

/** The interval itself is the bias audit's (training's `wilsonInterval`): one formula for both reports. */
export function wilson(successes: number, trials: number, level = 0.95): ProportionEstimate {
  const ci = wilsonInterval(successes, trials, zFor(level));
  if (!ci) return { value: null, successes, trials, ci95: null };
  return { value: successes / trials, successes, trials, ci95: { lower: ci[0], upper: ci[1] } };
}

/**
 * Difference b − a of two independent proportions with Newcombe's hybrid score interval (method 10),
 * built from the two Wilson intervals: better coverage than the Wald interval at small counts.
 */
export function differenceOf(
  a: ProportionEstimate,
  b: ProportionEstimate,
  level = 0.95,
): { value: number | null; ci95: Interval | null } {
  if (a.value === null || b.value === null) return { value: null, ci95: null };
  const wa = wilson(a.successes, a.trials, level).ci95!;
  const wb = wilson(b.successes, b.trials, level).ci95!;
  const d = b.value - a.value;
  const lower = d - Math.sqrt((b.value - wb.lower) ** 2 + (wa.upper - a.value) ** 2);
  const upper = d + Math.sqrt((wb.upper - b.value) ** 2 + (a.value - wa.lower) ** 2);
  return { value: d, ci95: { lower: Math.max(-1, lower), upper: Math.min(1, upper) } };
}
