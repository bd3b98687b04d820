import { describe, expect, it } from "vitest";
import { bundleFeatures, marginalize, memberCodes } from "../../src/gbdt/feature-bundles.js";

describe("feature bundles", () => {
  // Code counts of the 11 PaySim features (bins + the missing-value code).
  const sizes = [256, 140, 25, 8, 6, 256, 170, 5, 14, 4, 38];

  it("packs small features into joint codes that fit a byte, each feature once", () => {
    const bundles = bundleFeatures(sizes, 256);
    expect(bundles.flatMap((b) => b.features).sort((a, b) => a - b)).toEqual(sizes.map((_, f) => f));
    for (const b of bundles) {
      expect(b.cells).toBe(b.sizes.reduce((x, y) => x * y, 1));
      if (b.features.length > 1) expect(b.cells).toBeLessThanOrEqual(256);
      expect(b.strides[b.strides.length - 1]).toBe(1);
    }
    expect(bundles.length).toBeLessThan(sizes.length);
    // Features too large to share stay alone.
    expect(bundles.find((b) => b.features.includes(0))!.features).toEqual([0]);
  });

  it("marginals of a joint histogram equal each member's own histogram", () => {
    const [b] = bundleFeatures([4, 5, 6], 256);
    expect(b.features).toEqual([0, 1, 2]);
    let seed = 7;
    const rnd = () => (seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32;
    const rows = 5_000;
    const codes = [0, 1, 2].map((f) =>
      Int32Array.from({ length: rows }, () => Math.floor(rnd() * b.sizes[f])),
    );
    const g = Float64Array.from({ length: rows }, () => Math.round(rnd() * 1000) - 500);
    const h = Float64Array.from({ length: rows }, () => Math.round(rnd() * 100));
    // Joint histogram in slots [0, cells), members' own slots after it.
    const hist = new Float64Array(2 * (b.cells + 4 + 5 + 6));
    for (let i = 0; i < rows; i++) {
      const c = codes[0][i] * b.strides[0] + codes[1][i] * b.strides[1] + codes[2][i];
      hist[2 * c] += g[i];
      hist[2 * c + 1] += h[i];
    }
    const perMember = memberCodes(b);
    const offsets = [b.cells, b.cells + 4, b.cells + 9];
    marginalize(
      hist,
      0,
      b.cells,
      offsets.map((offset, j) => ({ offset, codes: perMember[j] })),
    );
    for (let f = 0; f < 3; f++) {
      const own = new Float64Array(2 * b.sizes[f]);
      for (let i = 0; i < rows; i++) {
        own[2 * codes[f][i]] += g[i];
        own[2 * codes[f][i] + 1] += h[i];
      }
      expect(Array.from(hist.subarray(2 * offsets[f], 2 * (offsets[f] + b.sizes[f])))).toEqual(
        Array.from(own),
      );
    }
  });
});
