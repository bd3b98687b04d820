import { describe, expect, it } from "vitest";
import { computeCuts, cutSampleRows, sortFloat32, takeCutSample } from "../../src/gbdt/binning.js";
import { binBlock, cutsTask } from "../../src/gbdt/kernels.js";
import { SeededRandom } from "../../src/random/index.js";

/** Values around every cut: the cut itself and its float32 neighbours, plus the awkward ones. */
function edgeValues(cuts: Float32Array): Float32Array {
  const bits = new Int32Array(1);
  const f = new Float32Array(bits.buffer);
  const out: number[] = [0, -0, 1e-45, -1e-45, 1e-40, -1e-40, Infinity, -Infinity, NaN, 3.4e38, -3.4e38];
  for (const c of cuts) {
    if (!Number.isFinite(c)) continue;
    f[0] = c;
    const b = bits[0];
    for (const d of [-1, 0, 1]) {
      bits[0] = b + d;
      out.push(f[0]);
    }
  }
  return Float32Array.from(out);
}

/** The plain binary search the lookup table replaces: first cut above x, at most nCuts - 1. */
function searchBin(cuts: Float32Array, x: number): number {
  if (x !== x) return cuts.length;
  let lo = 0;
  let hi = cuts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cuts[mid] > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

describe("binning", () => {
  it("sorts float32 values exactly as Float32Array.prototype.sort does", () => {
    const rnd = new SeededRandom(7, 0);
    const cases = [Float32Array.from([0, -0, 1e-45, -1e-45, 3.4e38, -3.4e38, 1, -1, 0.5, -0.5, 0, -0])];
    for (let k = 0; k < 50; k++) {
      const scale = 10 ** Math.floor(rnd.float() * 60 - 30);
      cases.push(
        Float32Array.from({ length: 1 + k * 97 }, () =>
          rnd.float() < 0.2 ? (rnd.float() < 0.5 ? 0 : -0) : (rnd.float() - 0.5) * scale,
        ),
      );
    }
    for (const c of cases) {
      const ours = c.slice();
      sortFloat32(ours);
      const expected = c.slice().sort();
      // Compare bit patterns, so -0 and 0 must be in the same places.
      expect(new Int32Array(ours.buffer)).toEqual(new Int32Array(expected.buffer));
    }
  });

  it("bins through the lookup table exactly as a binary search over the cuts", () => {
    const rnd = new SeededRandom(11, 0);
    const n = 5000;
    // Heavy-tailed amounts with zeros and missing values; a few distinct small counts; negatives.
    const columns = [
      Float32Array.from({ length: n }, () =>
        rnd.float() < 0.1 ? 0 : rnd.float() < 0.05 ? NaN : Math.exp(rnd.float() * 20),
      ),
      Float32Array.from({ length: n }, () => Math.floor(rnd.float() * 12)),
      Float32Array.from({ length: n }, () => (rnd.float() - 0.5) * 1e-30),
    ];
    const nf = columns.length;
    for (const maxBin of [256, 16]) {
      const cuts = columns.map((c) => computeCuts(c, maxBin).cuts);
      // Rows to bin: the data plus values at and next to every cut.
      const rows = columns.map((c, f) => Float32Array.from([...c, ...edgeValues(cuts[f])]));
      const m = Math.max(...rows.map((r) => r.length));
      const values = new Float32Array(m * nf).fill(NaN);
      rows.forEach((r, f) => values.set(r, f * m));
      const allCuts = new Float32Array(nf * (maxBin + 1));
      const lookup = new Uint16Array(nf * 65537);
      const sample = new Float32Array(nf * cutSampleRows(m));
      const nCuts = columns.map((_, f) => {
        const own = sample.subarray(f * m, (f + 1) * m);
        const hasMissing = takeCutSample(values.subarray(f * m, (f + 1) * m), own);
        return cutsTask(sample, m, f, hasMissing, maxBin, allCuts, maxBin + 1, computeCuts, lookup);
      });
      const plan = nCuts.flatMap((c, f) => [c, f, 1]);
      const bins = new Uint8Array(m * nf);
      const byFeature = new Uint8Array(m * nf);
      // In blocks of rows, as the trainer bins: each block's values copied out feature-major.
      const blockRows = 1000;
      const block = new Float32Array(nf * blockRows);
      for (let start = 0; start < m; start += blockRows) {
        const end = Math.min(m, start + blockRows);
        for (let f = 0; f < nf; f++) block.set(values.subarray(f * m + start, f * m + end), f * blockRows);
        const bits = new Int32Array(block.buffer);
        binBlock(
          block,
          bits,
          blockRows,
          m,
          allCuts,
          maxBin + 1,
          lookup,
          plan,
          bins,
          byFeature,
          nf,
          start,
          end,
        );
      }
      for (let f = 0; f < nf; f++) {
        const c = allCuts.subarray(f * (maxBin + 1), f * (maxBin + 1) + nCuts[f]);
        const expected = Uint8Array.from(values.subarray(f * m, (f + 1) * m), (x) => searchBin(c, x));
        expect(byFeature.subarray(f * m, (f + 1) * m)).toEqual(expected);
      }
    }
  });
});
