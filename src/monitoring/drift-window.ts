import {
  BinLookup,
  DEFAULT_PSI_THRESHOLDS,
  driftStatusOf,
  psiOf,
  worstStatus,
  type DriftStatus,
  type FeaturePsi,
  type PsiThresholds,
  type ReferenceBins,
} from "./psi.js";

export interface DriftWindowOptions {
  /** Feature names, in the order vectors are given. */
  names: readonly string[];
  reference: Readonly<Record<string, ReferenceBins>>;
  /** At most this many observations are kept (oldest dropped first). Default 50,000. */
  windowSize?: number;
  /** PSI is recomputed every this many observations... Default 500. */
  recomputeEvery?: number;
  /** ...once at least this many are in. Default 100. */
  minObservations?: number;
  thresholds?: PsiThresholds;
}

export interface DriftReport {
  status: DriftStatus | "insufficient_data";
  observations: number;
  window_size: number;
  computed_at_observation: number | null;
  features: FeaturePsi[];
  critical_features: string[];
}

/**
 * Sliding-window PSI for live traffic. Each observation's bin per feature is kept in a ring
 * (one byte per feature), and per-bin counts are updated as observations enter and leave, so adding
 * is O(features · log bins) and a recompute is O(features · bins) whatever the window size.
 */
export class DriftWindow {
  private readonly names: readonly string[];
  private readonly lookups: (BinLookup | null)[];
  private readonly refProps: (readonly number[] | null)[];
  private readonly counts: Float64Array[];
  private readonly ring: Uint8Array;
  private readonly capacity: number;
  private readonly every: number;
  private readonly minObs: number;
  private readonly thresholds: PsiThresholds;
  private next = 0;
  private filled = 0;
  private seen = 0;
  private lastComputed: DriftReport | null = null;

  constructor(opts: DriftWindowOptions) {
    this.names = opts.names;
    this.capacity = opts.windowSize ?? 50_000;
    this.every = opts.recomputeEvery ?? 500;
    this.minObs = opts.minObservations ?? 100;
    this.thresholds = opts.thresholds ?? DEFAULT_PSI_THRESHOLDS;
    this.lookups = this.names.map((n) => {
      const r = opts.reference[n];
      if (r && r.edges.length > 254) throw new Error(`feature ${n}: more than 255 bins`);
      return r ? new BinLookup(r.edges) : null;
    });
    this.refProps = this.names.map((n) => opts.reference[n]?.proportions ?? null);
    this.counts = this.lookups.map((l) => new Float64Array(l ? l.bins : 1));
    this.ring = new Uint8Array(this.capacity * this.names.length);
  }

  /** Adds one vector (same order as `names`); returns a fresh report when a recompute is due. */
  add(vector: ArrayLike<number>): DriftReport | null {
    const f = this.names.length;
    const base = this.next * f;
    const evict = this.filled === this.capacity;
    for (let j = 0; j < f; j++) {
      const lookup = this.lookups[j];
      if (!lookup) continue;
      if (evict) this.counts[j][this.ring[base + j]]--;
      const b = lookup.binOf(vector[j]);
      this.ring[base + j] = b;
      this.counts[j][b]++;
    }
    this.next = (this.next + 1) % this.capacity;
    if (!evict) this.filled++;
    this.seen++;
    if (this.filled >= this.minObs && (this.lastComputed === null || this.seen % this.every === 0)) {
      this.lastComputed = this.compute();
      return this.lastComputed;
    }
    return null;
  }

  /** The last computed report (insufficient_data before the first). */
  report(): DriftReport {
    return (
      this.lastComputed ?? {
        status: "insufficient_data",
        observations: this.filled,
        window_size: this.capacity,
        computed_at_observation: null,
        features: [],
        critical_features: [],
      }
    );
  }

  get observations(): number {
    return this.filled;
  }

  /** Computes PSI now over what the window holds. */
  compute(): DriftReport {
    const features: FeaturePsi[] = this.names.map((feature, j) => {
      const ref = this.refProps[j];
      const psi = ref ? psiOf(ref, this.counts[j]) : null;
      return { feature, psi, status: driftStatusOf(psi, this.thresholds), count: this.filled };
    });
    return {
      status: this.filled < this.minObs ? "insufficient_data" : worstStatus(features.map((x) => x.status)),
      observations: this.filled,
      window_size: this.capacity,
      computed_at_observation: this.seen,
      features,
      critical_features: features.filter((x) => x.status === "critical").map((x) => x.feature),
    };
  }
}
