import { describe, expect, it } from "vitest";
import { SeededRandom } from "../../src/random/index.js";

describe("SeededRandom", () => {
  // Pinned from the engine's generator before the three generators became one: the engine's column
  // samples come from stream 1 of the training seed, so a change here changes every model file.
  it("draws the engine's sequence for a (seed, stream)", () => {
    const draws = (seed: number, stream: number) => {
      const r = new SeededRandom(seed, stream);
      return Array.from({ length: 5 }, () => r.uint32());
    };
    expect(draws(0, 0)).toEqual([464072896, 2089357934, 3193633698, 3847748371, 418018144]);
    expect(draws(42, 1)).toEqual([3509811226, 2513939816, 3934195250, 3335490111, 2115889292]);
    expect(draws(4294967295, 1)).toEqual([2758764570, 245884434, 3597482184, 2660507873, 2346863826]);
    expect(new SeededRandom(42, 1).sampleIndices(11, 7)).toEqual([0, 2, 6, 7, 8, 9, 10]);
  });

  it("gives seeds above 2^32 a sequence of their own", () => {
    const low = new SeededRandom(5).uint32();
    expect(new SeededRandom(5 + 2 ** 32).uint32()).not.toBe(low);
    expect(new SeededRandom(5).uint32()).toBe(low);
  });

  it("shuffles to a permutation, the same one for the same seed", () => {
    const a = Uint32Array.from({ length: 100 }, (_, i) => i);
    const b = a.slice();
    new SeededRandom(9).shuffle(a);
    new SeededRandom(9).shuffle(b);
    expect(a).toEqual(b);
    expect(Array.from(a).sort((x, y) => x - y)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(Array.from(a)).not.toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it("keeps float, int and normal in range and roughly standard", () => {
    const r = new SeededRandom(3);
    let sum = 0;
    let sq = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const f = r.float();
      expect(f >= 0 && f < 1).toBe(true);
      const k = r.int(7);
      expect(Number.isInteger(k) && k >= 0 && k < 7).toBe(true);
      const z = r.normal();
      sum += z;
      sq += z * z;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.05);
    expect(Math.abs(sq / n - 1)).toBeLessThan(0.05);
  });
});
