import { describe, expect, it } from "vitest";
import { writeNumber, writeShortestDecimal } from "../../src/data/number-text.js";
import { SeededRandom } from "../../src/random/seeded-random.js";

const buf = Buffer.alloc(64);

/** Values it wrote other than as `String` does, and how many it left to `String` (-1). */
function check(values: number[]): { wrong: string[]; leftToString: number } {
  const wrong: string[] = [];
  let leftToString = 0;
  for (const x of values) {
    const end = writeShortestDecimal(buf, 0, x);
    if (end < 0) leftToString++;
    else if (buf.toString("latin1", 0, end) !== String(x))
      wrong.push(`${String(x)} written as ${buf.toString("latin1", 0, end)}`);
  }
  return { wrong, leftToString };
}

/** The double with these bits (high word, low word). */
function fromBits(high: number, low: number): number {
  const words = new Uint32Array([low >>> 0, high >>> 0]);
  return new Float64Array(words.buffer)[0];
}

describe("writeShortestDecimal", () => {
  it("writes exactly String(x) for doubles of every exponent from 1e-6 to 2^53, deferring only far up", () => {
    const rng = new SeededRandom(19);
    const values: number[] = [];
    // Random significands at every binary exponent of the range (2^-20 .. 2^52).
    for (let i = 0; i < 300_000; i++) {
      const exponent = 1003 + rng.int(1075 - 1003);
      const x = fromBits((exponent << 20) | rng.int(1 << 20), rng.uint32());
      if (x >= 1e-6 && !Number.isInteger(x)) values.push(x);
    }
    const { wrong, leftToString } = check(values);
    expect(wrong).toEqual([]);
    // It defers on exact ties and boundaries, which need x·10^s to be a half: only values with
    // few bits after the point, high in the range (~1.4 % here, none below 2^29).
    expect(leftToString).toBeLessThan(values.length * 0.03);
    expect(check(values.filter((x) => x < 2 ** 28)).leftToString).toBe(0);
  });

  it("writes the feature file's 17-digit shapes without deferring: balance deltas, z-scores", () => {
    const rng = new SeededRandom(7);
    const values: number[] = [];
    for (let i = 0; i < 200_000; i++) {
      const a = rng.int(1e9) / 100;
      const b = rng.int(1e9) / 100;
      if (a !== b && !Number.isInteger(a - b)) values.push(Math.abs(a - b));
      values.push(Math.abs(rng.normal()) * 3 + 1e-3, rng.float() + 1e-6);
    }
    const { wrong, leftToString } = check(values);
    expect(wrong).toEqual([]);
    expect(leftToString).toBe(0);
  });

  it("places digits right next to powers of two and of ten, and at the ends of the range", () => {
    const values = [1e-6, 1.0000000000000002e-6, 2 ** 53 - 0.5, 2 ** 52 + 0.5, 0.1, 0.2, 0.3, 1 / 3, 2 / 3];
    for (let k = -19; k <= 52; k++) {
      const p = 2 ** k;
      values.push(p, p * (1 + 2 ** -52), p * (1 - 2 ** -53), p * (1 + 2 ** -51), p * (1 - 2 ** -52));
    }
    for (let d = -5; d <= 15; d++) {
      const p = Number(`1e${d}`);
      values.push(p, p * (1 + 2 ** -52), p * (1 - 2 ** -53), p + p / 3, p - p / 7);
    }
    const { wrong } = check(values.filter((x) => x >= 1e-6 && x < 2 ** 53 && !Number.isInteger(x)));
    expect(wrong).toEqual([]);
  });

  it("defers an exact tie to String, and writeNumber then writes String(x)", () => {
    // 2251799813685247.75 is as near 2251799813685247.7 as ...247.8: String picks one.
    const tie = 2251799813685247.75;
    expect(writeShortestDecimal(buf, 0, tie)).toBe(-1);
    expect(buf.toString("latin1", 0, writeNumber(buf, 0, tie))).toBe(String(tie));
    expect(buf.toString("latin1", 0, writeNumber(buf, 0, -tie))).toBe(String(-tie));
    expect(buf.toString("latin1", 0, writeNumber(buf, 0, -0.30000000000000004))).toBe("-0.30000000000000004");
  });
});
