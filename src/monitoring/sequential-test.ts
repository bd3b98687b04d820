/**
 * The always-valid test behind auto-promotion (seed §5.5). Labels arrive one by one and the decision
 * is re-checked after each, so a fixed-sample test (a z-test at 95 %) would be peeked at thousands of
 * times and promote a no-better challenger far more often than 5 % of the time.
 *
 * This is the mixture sequential probability ratio test (mSPRT) of Johari, Pekelis & Walsh,
 * "Always Valid Inference: Continuous Monitoring of A/B Tests" (Operations Research, 2022), in its
 * normal-approximation two-sample form, written as the confidence sequence it inverts to: with
 * Δ̂ = p̂_B − p̂_A, V = p̂_A(1−p̂_A)/n_A + p̂_B(1−p̂_B)/n_B and mixing variance τ², the interval
 *
 *   Δ̂ ± sqrt( V (V + τ²) / τ² · ( 2 ln(1/α) + ln((V + τ²) / V) ) )
 *
 * covers the true difference at every n simultaneously with probability ≥ 1 − α (Robbins' normal
 * mixture; asymptotically, with V estimated). The mSPRT rejects Δ ≤ 0 exactly when this interval's
 * lower end is above 0. τ is the size of difference the test is tuned to find fastest.
 */
export interface SequentialTestOptions {
  /** 1 − α; the seed's `confidence_level` (0.95). */
  confidenceLevel: number;
  /** Mixing standard deviation τ on the difference scale; default 0.05. */
  tau?: number;
}

export interface ConfidenceSequencePoint {
  difference: number;
  lower: number;
  upper: number;
  variance: number;
}

/** The always-valid interval for p_B − p_A after `nA`/`nB` trials with `sA`/`sB` successes. */
export function confidenceSequence(
  sA: number,
  nA: number,
  sB: number,
  nB: number,
  opts: SequentialTestOptions,
): ConfidenceSequencePoint | null {
  if (nA === 0 || nB === 0) return null;
  const pA = sA / nA;
  const pB = sB / nB;
  // With all successes or none so far the plug-in variance is 0 and the interval would have no
  // width: the variance uses the Laplace-smoothed rate (s + 1) / (n + 2) instead.
  const varOf = (s: number, n: number) => {
    const p = (s + 1) / (n + 2);
    return (p * (1 - p)) / n;
  };
  const v = varOf(sA, nA) + varOf(sB, nB);
  const tau = opts.tau ?? 0.05;
  const t2 = tau * tau;
  const alpha = 1 - opts.confidenceLevel;
  const half = Math.sqrt(((v * (v + t2)) / t2) * (2 * Math.log(1 / alpha) + Math.log((v + t2) / v)));
  const d = pB - pA;
  return { difference: d, lower: d - half, upper: d + half, variance: v };
}

/** The naive fixed-sample two-proportion z-test's interval: valid once, not when re-checked. */
export function fixedSampleInterval(
  sA: number,
  nA: number,
  sB: number,
  nB: number,
  z = 1.959963984540054,
): ConfidenceSequencePoint | null {
  if (nA === 0 || nB === 0) return null;
  const pA = sA / nA;
  const pB = sB / nB;
  const v = (pA * (1 - pA)) / nA + (pB * (1 - pB)) / nB;
  const half = z * Math.sqrt(v);
  return { difference: pB - pA, lower: pB - pA - half, upper: pB - pA + half, variance: v };
}
