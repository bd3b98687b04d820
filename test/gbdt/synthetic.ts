/** A small seeded synthetic binary problem with missing values, for fast engine tests. */
export function syntheticData(
  n: number,
  seed = 1,
): { columns: Float64Array[]; featureNames: string[]; labels: Float64Array } {
  let s = seed >>> 0 || 1;
  const rnd = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
  const featureNames = ["amount", "ratio", "count", "noise", "flag"];
  const columns = featureNames.map(() => new Float64Array(n));
  const labels = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    columns[0][i] = Math.round(rnd() * 100_000) / 100;
    columns[1][i] = rnd() < 0.1 ? NaN : rnd() * 2 - 1;
    columns[2][i] = Math.floor(rnd() * 12);
    columns[3][i] = rnd();
    columns[4][i] = rnd() < 0.3 ? 1 : 0;
    const ratio = columns[1][i];
    const z =
      columns[0][i] / 200 - 2.5 + (ratio !== ratio ? 1.5 : ratio) + columns[4][i] * 1.2 + (rnd() - 0.5) * 2;
    labels[i] = z > 1 ? 1 : 0;
  }
  return { columns, featureNames, labels };
}
