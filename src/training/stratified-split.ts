import { BadInputError } from "../errors/index.js";
import { SeededRandom } from "../random/index.js";

/** Row indices (ascending, so reads stay in file order) of the two sides of a split. */
export interface SplitIndices {
  train: Uint32Array;
  test: Uint32Array;
}

/** Positions of the rows of each class (0 = legitimate, 1 = fraud), in ascending order. */
export function indicesByClass(labels: ArrayLike<number>, subset?: Uint32Array): [Uint32Array, Uint32Array] {
  const n = subset ? subset.length : labels.length;
  let pos = 0;
  for (let k = 0; k < n; k++) if (labels[subset ? subset[k] : k] === 1) pos++;
  const neg = new Uint32Array(n - pos);
  const posIdx = new Uint32Array(pos);
  let a = 0;
  let b = 0;
  for (let k = 0; k < n; k++) {
    const row = subset ? subset[k] : k;
    if (labels[row] === 1) posIdx[b++] = row;
    else neg[a++] = row;
  }
  return [neg, posIdx];
}

/**
 * Stratified, seeded train/test split: each class is shuffled on its own and `testSize` of it (rounded,
 * at least one row when the class has two or more) goes to the test side, so a 0.1 % fraud rate stays
 * 0.1 % on both sides. Same labels + seed = same split, always.
 */
export function stratifiedSplit(labels: ArrayLike<number>, testSize: number, seed: number): SplitIndices {
  if (!(testSize > 0 && testSize < 1))
    throw new BadInputError(`test_size must be between 0 and 1, got ${testSize}`);
  const rand = new SeededRandom(seed);
  // Which rows go to the test side; both sides are then listed by one scan, already ascending.
  const isTest = new Uint8Array(labels.length);
  let nTestRows = 0;
  for (const [cls, rows] of indicesByClass(labels).entries()) {
    if (rows.length < 2) {
      throw new BadInputError(
        `class ${cls} has ${rows.length} row(s): a stratified split needs at least 2 of each class`,
      );
    }
    const shuffled = rows.slice();
    rand.shuffle(shuffled);
    const nTest = Math.min(rows.length - 1, Math.max(1, Math.round(rows.length * testSize)));
    for (let k = 0; k < nTest; k++) isTest[shuffled[k]] = 1;
    nTestRows += nTest;
  }
  const train = new Uint32Array(labels.length - nTestRows);
  const test = new Uint32Array(nTestRows);
  let a = 0;
  let b = 0;
  for (let row = 0; row < labels.length; row++) {
    if (isTest[row] === 1) test[b++] = row;
    else train[a++] = row;
  }
  return { train, test };
}
