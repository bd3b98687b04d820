import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readFeatureCsv, writeFeatureCsv } from "../../src/data/index.js";
import { BadInputError } from "../../src/errors/index.js";

const dir = mkdtempSync(join(tmpdir(), "lakay-fcsv-"));

describe("feature CSV", () => {
  it("round-trips doubles bit for bit, NaN as an empty cell", async () => {
    const awkward = [
      0.1 + 0.2,
      1e-300,
      -123456.789,
      1.7976931348623157e308,
      5e-324,
      2 ** 53 + 2,
      -7,
      0,
      NaN,
      1e21,
    ];
    const rnd = Array.from({ length: 5000 }, (_, i) => Math.sin(i) * 10 ** ((i % 30) - 10));
    const a = Float64Array.from([...awkward, ...rnd]);
    const b = Float64Array.from(a, (_, i) => i % 7);
    const file = join(dir, "rt.csv");
    await writeFeatureCsv(file, ["a", "b"], [a, b], a.length);
    const back = await readFeatureCsv(file);
    expect(back.names).toEqual(["a", "b"]);
    expect(back.rows).toBe(a.length);
    for (let i = 0; i < a.length; i++) {
      expect(Object.is(back.columns[0][i], a[i]) || (a[i] === 0 && back.columns[0][i] === 0)).toBe(true);
      expect(back.columns[1][i]).toBe(b[i]);
    }
  });

  it("reads CRLF, a BOM, no final newline and empty cells", async () => {
    const file = join(dir, "quirks.csv");
    writeFileSync(file, "\ufeffx,y\r\n1,\r\n2.5E+02,-3\r\n,4");
    const m = await readFeatureCsv(file);
    expect(m.names).toEqual(["x", "y"]);
    expect(m.rows).toBe(3);
    expect(Array.from(m.columns[0])).toEqual([1, 250, NaN]);
    expect(Array.from(m.columns[1])).toEqual([NaN, -3, 4]);
  });

  it("names file, line and column of a non-number", async () => {
    const file = join(dir, "bad.csv");
    writeFileSync(file, "x,y\n1,2\n3,abc\n");
    const err = await readFeatureCsv(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BadInputError);
    expect((err as Error).message).toContain("line 3");
    expect((err as Error).message).toContain("column y");
    expect((err as Error).message).toContain('"abc"');
  });

  it("rejects a short row", async () => {
    const file = join(dir, "short.csv");
    writeFileSync(file, "x,y\n1\n");
    await expect(readFeatureCsv(file)).rejects.toThrow(/line 2.*expected 2 fields/);
  });
});
