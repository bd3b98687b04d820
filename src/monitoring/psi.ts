import { BinLookup } from "./bin-lookup.js";
export { binOf, BinLookup } from "./bin-lookup.js";

/**
 * Population Stability Index against a version's `reference.json` bins (src/training's
 * reference profile): bin 0 is `x < edges[0]`, bin i is `edges[i-1] <= x < edges[i]`, the last is
 * `x >= edges[last]`. PSI = Σ (cur − ref) · ln(cur / ref); an empty bin on either side is floored
 * at {@link PSI_EPSILON} so one empty bin gives a large but finite PSI instead of Infinity.
 */
export const PSI_EPSILON = 1e-4;

/** Drift statuses, mildest first (seed config: < 0.1 stable, < 0.25 warning, else critical). */
export const DRIFT_STATUSES = ["stable", "warning", "critical"] as const;
export type DriftStatus = (typeof DRIFT_STATUSES)[number];

export interface PsiThresholds {
  warning: number;
  critical: number;
}
export const DEFAULT_PSI_THRESHOLDS: PsiThresholds = { warning: 0.1, critical: 0.25 };

/** The bins of one feature as reference.json gives them. */
export interface ReferenceBins {
  edges: readonly number[];
  proportions: readonly number[];
}

/** PSI of live bin counts against reference proportions (same bins); null with no observations. */
export function psiOf(reference: ArrayLike<number>, counts: ArrayLike<number>): number | null {
  let n = 0;
  for (let i = 0; i < counts.length; i++) n += counts[i];
  if (n === 0) return null;
  let psi = 0;
  for (let i = 0; i < reference.length; i++) {
    const ref = Math.max(reference[i], PSI_EPSILON);
    const cur = Math.max(counts[i] / n, PSI_EPSILON);
    psi += (cur - ref) * Math.log(cur / ref);
  }
  return psi;
}

export function driftStatusOf(psi: number | null, t: PsiThresholds = DEFAULT_PSI_THRESHOLDS): DriftStatus {
  if (psi === null || psi < t.warning) return "stable";
  return psi < t.critical ? "warning" : "critical";
}

/** The worst of several statuses (stable when none). */
export function worstStatus(statuses: Iterable<DriftStatus>): DriftStatus {
  let worst = 0;
  for (const s of statuses) worst = Math.max(worst, DRIFT_STATUSES.indexOf(s));
  return DRIFT_STATUSES[worst];
}

export interface FeaturePsi {
  feature: string;
  psi: number | null;
  status: DriftStatus;
  /** Observations behind the figure. */
  count: number;
}

/**
 * PSI per feature for a batch of rows (an offline file, or the log's rows in a window). `columns[j]`
 * holds feature `names[j]`; features without reference bins are reported with psi null.
 */
export function psiTable(
  names: readonly string[],
  columns: readonly ArrayLike<number>[],
  reference: Readonly<Record<string, ReferenceBins>>,
  thresholds: PsiThresholds = DEFAULT_PSI_THRESHOLDS,
): FeaturePsi[] {
  return names.map((feature, j) => {
    const ref = reference[feature];
    const col = columns[j];
    if (!ref) return { feature, psi: null, status: "stable" as const, count: col.length };
    const lookup = new BinLookup(ref.edges);
    const counts = new Float64Array(lookup.bins);
    lookup.countInto(col, counts);
    const psi = psiOf(ref.proportions, counts);
    return { feature, psi, status: driftStatusOf(psi, thresholds), count: col.length };
  });
}
