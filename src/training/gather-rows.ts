import { float64Column } from "../data/index.js";

/**
 * Copies the given rows of each column into new dense arrays. The engine trains on whole columns, so
 * a split or a fold is materialised once, one Float64Array per feature. `shared` puts them in shared
 * memory, so prediction workers can read them without a copy.
 */
export function gatherColumns(
  columns: readonly ArrayLike<number>[],
  rows: Uint32Array,
  opts: { shared?: boolean } = {},
): Float64Array[] {
  return columns.map((col) => gather(col, rows, float64Column(rows.length, opts.shared)));
}

/** `out[k] = col[rows[k]]`. */
export function gather<T extends { [i: number]: number; length: number }>(
  col: ArrayLike<number>,
  rows: Uint32Array,
  out: T,
): T {
  for (let k = 0; k < rows.length; k++) out[k] = col[rows[k]];
  return out;
}
