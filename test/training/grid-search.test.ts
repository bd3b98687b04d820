import { describe, expect, it } from "vitest";
import { gridSearchCv, parseTrainingConfig, expandGrid } from "../../src/training/index.js";

/** The worker path needs the compiled build (its workers import the engine's JavaScript). */
const dist = (p: string) => new URL(`../../dist/${p}`, import.meta.url).href;

function data(n: number) {
  let s = 17;
  const rnd = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const columns = [0, 1, 2, 3].map(() => new Float64Array(n));
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    for (const c of columns) c[i] = rnd();
    labels[i] = columns[0][i] * 2 + columns[1][i] + rnd() > 2.6 ? 1 : 0;
  }
  return {
    columns,
    labels,
    featureNames: ["a", "b", "c", "d"],
    trainRows: Uint32Array.from({ length: n }, (_, i) => i),
  };
}

describe("gridSearchCv", () => {
  const base = parseTrainingConfig({ hyperparams: { n_estimators: 10 } }).hyperparams;
  const candidates = expandGrid(base, { max_depth: [2, 4], learning_rate: [0.1, 0.3] });
  const args = { ...data(6_000), candidates, folds: 3, scoring: "aucpr" as const, seed: 1, threshold: 0.5 };

  it("scores every candidate on every fold and picks the best mean", async () => {
    const r = await gridSearchCv({ ...args, threads: 1 });
    expect(r.candidates).toHaveLength(4);
    for (const c of r.candidates) expect(c.scores).toHaveLength(3);
    expect(r.best.mean).toBe(Math.max(...r.candidates.map((c) => c.mean)));
    expect(r.scoring).toBe("auc_pr");
  });

  it("gives the same scores with candidates trained side by side on worker threads (compiled build)", async () => {
    const built = await import(dist("training/index.js"));
    const engine = await built.gridSearchCv({ ...args, threads: 2, parallel: "engine" });
    const side = await built.gridSearchCv({ ...args, threads: 2, parallel: "candidates" });
    expect(side.candidates.map((c: { scores: number[] }) => c.scores)).toEqual(
      engine.candidates.map((c: { scores: number[] }) => c.scores),
    );
    expect(side.bestIndex).toBe(engine.bestIndex);
  });
});
