import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readFeatureCsv, writeFeatureCsv } from "../../src/data/index.js";
import { claimChunk } from "../../src/data/feature-csv-writer.js";
import { writeNumber } from "../../src/data/number-text.js";
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

  it("writes every number exactly as String(x) does, the few-decimals fast path included", () => {
    // Amounts in cents, short ratios and their neighbours at every magnitude the fast path
    // covers and beyond it (exponent notation, 17-digit sums, -0, the 2^46 bound).
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const values: number[] = [0, -0, 1e-6, 1e-7, 9.99e-7, 0.1 + 0.2, 1e15, 2 ** 46 / 1e8, 1e21, 5e-324];
    values.push(0.0000015, 123456789.12345678, -1.5, 9.995, 1.005, 100.01, 0.07, -518215.8599999994);
    for (let d = 0; d <= 15; d++) {
      const p = 10 ** d; // every digit count, the 2^31 switch of the whole-number path included
      values.push(p - 1, p, p + 1, -p, p + 0.5, p - 0.25);
    }
    values.push(2147483647, 2147483648, -2147483648, 2 ** 53 - 1, 999999999.99);
    for (let i = 0; i < 200_000; i++) {
      const places = Math.floor(rnd() * 10);
      const scale = 10 ** Math.floor(rnd() * 20 - 9);
      const v = Math.round(rnd() * scale * 10 ** places) / 10 ** places;
      values.push(v, -v, v / 3, v + 0.1, rnd() * scale);
    }
    // The balance-delta shape (a difference of two amounts in cents: 17 digits or few places) and
    // few-decimal values around 2^46 / 10^8, where the one test at 8 places stops answering for the loop.
    for (let i = 0; i < 100_000; i++) {
      const a = Math.round(rnd() * 10 ** Math.floor(rnd() * 10)) / 100;
      const b = Math.round(rnd() * 10 ** Math.floor(rnd() * 10)) / 100;
      const near = Math.round((2 ** 46 / 1e8) * (0.9 + 0.2 * rnd()) * 10 ** (i % 9)) / 10 ** (i % 9);
      values.push(a - b, b - a, near, -near);
    }
    const buf = Buffer.alloc(64);
    const wrong = values.filter((x) => buf.toString("latin1", 0, writeNumber(buf, 0, x)) !== String(x));
    expect(wrong).toEqual([]);
  });

  it("reads a file whose lines straddle the reader's buffer, and a line longer than it", async () => {
    const file = join(dir, "long.csv");
    const long = "0".repeat(5 * 1024 * 1024) + "1.5"; // a 5 MB cell, longer than the reader's buffer
    const lines = ["x,y"];
    for (let i = 0; i < 120_000; i++) lines.push(`${i},${i * 0.25}`);
    lines.splice(60_000, 0, `${long},1`);
    writeFileSync(file, lines.join("\n"));
    const m = await readFeatureCsv(file);
    expect(m.rows).toBe(120_001);
    expect(m.columns[0][59_999]).toBe(1.5); // the long line is data row 59,999
    expect(m.columns[1][59_999]).toBe(1);
    expect(m.columns[0][60_000]).toBe(59_999);
    expect(m.columns[1][59_998]).toBe(59_998 * 0.25);
    expect(m.columns[0][120_000]).toBe(119_999);
    expect(m.columns[1][120_000]).toBe(119_999 * 0.25);
  });

  it("hands every chunk of the worker's rows out once, from the front or from the back", () => {
    const claims = new Uint32Array(new SharedArrayBuffer(4));
    claims[0] = 7 << 16; // chunks 0..6
    const got = [claimChunk(claims, false), claimChunk(claims, true), claimChunk(claims, true)];
    got.push(claimChunk(claims, false), claimChunk(claims, true), claimChunk(claims, false));
    got.push(claimChunk(claims, true), claimChunk(claims, false), claimChunk(claims, true));
    expect(got).toEqual([0, 6, 5, 1, 4, 2, 3, -1, -1]);
    claims[0] = 0xffff << 16; // the most chunks the claim word holds
    expect(claimChunk(claims, true)).toBe(0xfffe);
    expect(claimChunk(claims, false)).toBe(0);
  });

  it("writes a big matrix on two threads as the same bytes as String(x) row by row", async () => {
    const rows = 250_000; // above the size where a worker formats the second half
    let seed = 11;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const cents = Float64Array.from({ length: rows }, () => Math.round(rnd() * 1e8) / 100);
    // In shared memory, as `features build` hands its columns over: the worker reads it in place.
    const ratio = new Float64Array(new SharedArrayBuffer(rows * 8));
    for (let i = 0; i < rows; i++) ratio[i] = i % 5 === 0 ? NaN : rnd() * 3 - 1;
    const label = Uint8Array.from({ length: rows }, (_, i) => (i % 13 === 0 ? 1 : 0));
    const file = join(dir, "big.csv");
    await writeFeatureCsv(file, ["cents", "ratio", "label"], [cents, ratio, label], rows);
    const cell = (x: number) => (x !== x ? "" : String(x));
    let want = "cents,ratio,label\n";
    for (let r = 0; r < rows; r++) want += `${cell(cents[r])},${cell(ratio[r])},${label[r]}\n`;
    expect(readFileSync(file, "latin1") === want).toBe(true);
  });
});
