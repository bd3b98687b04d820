import { describe, expect, it } from "vitest";
import { parseDecimal } from "../../src/data/index.js";

const p = (s: string) => {
  const b = Buffer.from(`x${s}y`, "latin1");
  return parseDecimal(b, 1, b.length - 1);
};

describe("parseDecimal", () => {
  it("equals Number() on PaySim-style values", () => {
    for (const s of [
      "170136",
      "9839.64",
      "1.92E+07",
      "1.92e7",
      "0",
      "-0.5",
      ".5",
      "5.",
      "181.0",
      "1E-3",
      "+3",
    ])
      expect(p(s)).toBe(Number(s));
  });

  it("equals Number() bit for bit on many random decimals, long mantissas included", () => {
    for (let i = 0; i < 20000; i++) {
      const x = Math.random() * 10 ** Math.floor(Math.random() * 40 - 20);
      for (const s of [x.toFixed(2), String(x), x.toExponential(5), x.toPrecision(17)])
        expect(p(s)).toBe(Number(s));
    }
  });

  it("is NaN for anything that is not a plain decimal", () => {
    for (const s of ["", "-", ".", "abc", "1e", "0x10", "Infinity", "NaN", "1,5", "1 ", " 1", "1e+", "--1"])
      expect(p(s)).toBeNaN();
  });
});
