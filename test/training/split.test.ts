import { describe, expect, it } from "vitest";
import { BadInputError } from "../../src/errors/index.js";
import { stratifiedKFold, stratifiedSplit } from "../../src/training/index.js";

function labels(n: number, everyKth: number): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i % everyKth === 3 ? 1 : 0));
}

const count = (y: Uint8Array, idx: Uint32Array) => idx.reduce((s, i) => s + y[i], 0);
const ascending = (a: Uint32Array) => a.every((v, i) => i === 0 || a[i - 1] < v);

describe("stratifiedSplit", () => {
  it("is a seeded partition that keeps the fraud rate on both sides", () => {
    const y = labels(10_000, 100); // 100 fraud
    const s = stratifiedSplit(y, 0.2, 42);
    expect(s.train.length + s.test.length).toBe(10_000);
    expect(new Set([...s.train, ...s.test]).size).toBe(10_000);
    expect(ascending(s.train) && ascending(s.test)).toBe(true);
    expect(count(y, s.test)).toBe(20);
    expect(count(y, s.train)).toBe(80);
    expect(s.test.length).toBe(2_000);
    expect(stratifiedSplit(y, 0.2, 42)).toEqual(s);
    expect(stratifiedSplit(y, 0.2, 7).test).not.toEqual(s.test);
  });

  it("refuses a single class or a class too small to split", () => {
    expect(() => stratifiedSplit(new Uint8Array(50), 0.2, 1)).toThrow(BadInputError);
    const one = new Uint8Array(50);
    one[7] = 1;
    expect(() => stratifiedSplit(one, 0.2, 1)).toThrow(/class 1 has 1 row/);
    expect(() => stratifiedSplit(labels(100, 10), 1.5, 1)).toThrow(/test_size/);
  });
});

describe("stratifiedKFold", () => {
  it("partitions the given rows into k stratified, seeded folds", () => {
    const y = labels(3_000, 30);
    const { train } = stratifiedSplit(y, 0.2, 42);
    const folds = stratifiedKFold(y, 3, 42, train);
    expect(folds).toHaveLength(3);
    const seen = new Set<number>();
    for (const f of folds) {
      expect(f.train.length + f.test.length).toBe(train.length);
      expect(ascending(f.train) && ascending(f.test)).toBe(true);
      const inTest = new Set(f.test);
      expect(f.train.some((r) => inTest.has(r))).toBe(false);
      for (const r of f.test) seen.add(r);
      expect(Math.abs(count(y, f.test) - count(y, train) / 3)).toBeLessThanOrEqual(1);
    }
    expect(seen.size).toBe(train.length);
    const sizes = folds.map((f) => f.test.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    expect(stratifiedKFold(y, 3, 42, train)).toEqual(folds);
  });

  it("refuses fewer fraud rows than folds", () => {
    const y = new Uint8Array(100);
    y[1] = 1;
    y[2] = 1;
    expect(() => stratifiedKFold(y, 3, 1)).toThrow(/fewer than cv_folds = 3/);
  });
});
