import { BadInputError } from "../errors/index.js";
import { SeededRandom } from "../random/index.js";
import { indicesByClass, type SplitIndices } from "./stratified-split.js";

/**
 * Stratified, seeded k-fold over `rows` (row indices into `labels`; all rows if omitted): each class
 * is shuffled and dealt round-robin into the folds, so every fold sees the same fraud rate. Fold `f`
 * validates on its own rows (`test`) and trains on the others. Indices come back ascending.
 */
export function stratifiedKFold(
  labels: ArrayLike<number>,
  k: number,
  seed: number,
  rows?: Uint32Array,
): SplitIndices[] {
  if (!Number.isInteger(k) || k < 2 || k > 255) {
    throw new BadInputError(`cv_folds must be an integer from 2 to 255, got ${k}`);
  }
  const rand = new SeededRandom(seed);
  const foldOfRow = new Uint8Array(labels.length);
  const sizes = new Array<number>(k).fill(0);
  let dealt = 0;
  for (const [cls, idx] of indicesByClass(labels, rows).entries()) {
    if (idx.length < k) {
      throw new BadInputError(`class ${cls} has ${idx.length} training row(s), fewer than cv_folds = ${k}`);
    }
    rand.shuffle(idx);
    // Continue the round-robin where the previous class stopped, so fold sizes differ by at most one.
    for (let j = 0; j < idx.length; j++) {
      const f = (dealt + j) % k;
      foldOfRow[idx[j]] = f;
      sizes[f]++;
    }
    dealt += idx.length;
  }
  const ordered = rows ? rows.slice().sort() : Uint32Array.from({ length: labels.length }, (_, i) => i);
  return sizes.map((size, f) => {
    const test = new Uint32Array(size);
    const train = new Uint32Array(ordered.length - size);
    let a = 0;
    let b = 0;
    for (let j = 0; j < ordered.length; j++) {
      const row = ordered[j];
      if (foldOfRow[row] === f) test[a++] = row;
      else train[b++] = row;
    }
    return { train, test };
  });
}
