import { describe, expect, it } from "vitest";
import { BinLookup, binOf } from "../../src/monitoring/index.js";
import { SeededRandom } from "../../src/random/index.js";

/** The grid lookup must give the binary search's bin for every value, rounding and odd edges included. */
describe("BinLookup", () => {
  const rng = new SeededRandom(15);
  const edgeSets: number[][] = [
    [-1.28, -0.84, -0.52, -0.25, 0, 0.25, 0.52, 0.84, 1.28],
    [0, 0, 0, 1, 1, 2, 5, 5, 30], // counts with repeated quantiles
    [10, 1e3, 1e4, 5e4, 1e5, 2e5, 4e5, 1e6, 5e7], // heavy tail: most edges in the first cells
    [1, 1 + 1e-9, 1 + 2e-9, 2], // edges closer than a cell: the search fallback
    [3], // one edge
    [7, 7, 7], // one distinct value
    [-Infinity, 0, 1], // infinite range
    [], // no edges: one bin
    Array.from({ length: 300 }, (_, i) => i * 0.5), // more than 255 bins
  ];

  it.each(edgeSets.map((e, i) => [i, e] as const))("edge set %i equals binOf everywhere", (_i, edges) => {
    const lookup = new BinLookup(edges);
    expect(lookup.bins).toBe(edges.length + 1);
    const finite = edges.filter(Number.isFinite);
    const lo = finite.length ? Math.min(...finite) : -1;
    const hi = finite.length ? Math.max(...finite) : 1;
    const span = hi - lo || 1;
    const values = [
      NaN,
      Infinity,
      -Infinity,
      0,
      -0,
      ...edges,
      ...edges.map((e) => e + Number.EPSILON * Math.abs(e)),
      ...edges.map((e) => e - Number.EPSILON * Math.abs(e)),
      ...edges.map((e) => (Number.isFinite(e) ? e * (1 - 1e-15) : e)),
      ...Array.from({ length: 20_000 }, () => lo - span * 0.2 + rng.float() * span * 1.4),
    ];
    const column = Float64Array.from(values);
    const counts = new Float64Array(lookup.bins);
    lookup.countInto(column, counts);
    const expected = new Float64Array(lookup.bins);
    for (const x of values) {
      expect(lookup.binOf(x), `x = ${x}`).toBe(binOf(edges, x));
      expected[binOf(edges, x)]++;
    }
    expect(Array.from(counts)).toEqual(Array.from(expected));
  });
});
