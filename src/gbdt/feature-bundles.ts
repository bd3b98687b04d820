/**
 * Histogram building costs one read-modify-write of a (gradient, hessian) slot per row and
 * feature, and in V8 that add, not memory, bounds the pass over in-order rows. Many features have
 * few bins (hour of day, transaction type, counts): features whose bin counts multiply to at most
 * one code's range share one column of the row-major matrix as a joint code, so a row costs one
 * add for all of them. Each member's own histogram is then the joint histogram summed over the
 * other members (`marginalize`), a few hundred adds per node instead of one per row.
 *
 * Splits, gains and models are those of per-feature histograms; only the order in which
 * gradients are summed differs, and it depends on the data alone, never on threads.
 */

/** Features sharing one histogram column: code = Σ code(f) · stride(f). */
export interface FeatureBundle {
  features: number[];
  /** Codes per member: its bins plus the missing-value code. */
  sizes: number[];
  strides: number[];
  /** Joint codes: the product of `sizes`. */
  cells: number;
}

/**
 * Packs features into bundles whose joint codes fit in `maxCells`: features by ascending code
 * count, each added to the open bundle while the product fits, else opening a new one. Feature
 * order inside a bundle and bundle order follow from the code counts alone (ties by feature).
 */
export function bundleFeatures(sizes: ArrayLike<number>, maxCells: number): FeatureBundle[] {
  const order = Array.from({ length: sizes.length }, (_, f) => f).sort(
    (a, b) => sizes[a] - sizes[b] || a - b,
  );
  const groups: number[][] = [];
  let cells = Infinity;
  for (const f of order) {
    if (cells * sizes[f] <= maxCells) {
      groups[groups.length - 1].push(f);
      cells *= sizes[f];
    } else {
      groups.push([f]);
      cells = sizes[f];
    }
  }
  return groups.map((features) => {
    const memberSizes = features.map((f) => sizes[f]);
    const strides = memberSizes.map((_, j) => memberSizes.slice(j + 1).reduce((a, b) => a * b, 1));
    return { features, sizes: memberSizes, strides, cells: memberSizes.reduce((a, b) => a * b, 1) };
  });
}

/** For each member of a bundle, its own code in each joint code (so marginals need no division). */
export function memberCodes(b: FeatureBundle): Int32Array[] {
  return b.features.map((_, j) => {
    const codes = new Int32Array(b.cells);
    for (let c = 0; c < b.cells; c++) codes[c] = Math.floor(c / b.strides[j]) % b.sizes[j];
    return codes;
  });
}

/** One member's marginal: where its own histogram goes, and its code in each joint code. */
export interface Marginal {
  offset: number;
  codes: Int32Array;
}

/**
 * Sums a bundle's joint histogram (`cells` slots from `jointOffset`) into its members' own
 * histograms, which must be zero. Slots are (gradient, hessian) pairs of doubles.
 */
export function marginalize(
  hist: Float64Array,
  jointOffset: number,
  cells: number,
  members: readonly Marginal[],
): void {
  for (const { offset, codes } of members) {
    for (let c = 0; c < cells; c++) {
      const from = 2 * (jointOffset + c);
      const to = 2 * (offset + codes[c]);
      hist[to] += hist[from];
      hist[to + 1] += hist[from + 1];
    }
  }
}
