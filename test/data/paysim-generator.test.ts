import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { generatePaysim, readPaysim, summarisePaysim, TX_TYPES } from "../../src/data/index.js";
import { BadInputError } from "../../src/errors/index.js";

const dir = mkdtempSync(join(tmpdir(), "lakay-gen-"));
const cents = (x: number) => Math.round(x * 100);

describe("generatePaysim", () => {
  it("is deterministic for a seed and differs across seeds", async () => {
    const a = join(dir, "a.csv");
    const b = join(dir, "b.csv");
    const c = join(dir, "c.csv.gz");
    await generatePaysim({ rows: 20000, seed: 5 }, a);
    await generatePaysim({ rows: 20000, seed: 5 }, b);
    await generatePaysim({ rows: 20000, seed: 6 }, c);
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
    expect(gunzipSync(readFileSync(c)).equals(readFileSync(a))).toBe(false);
    expect((await readPaysim(c)).tx.rows).toBe(20000);
  });

  it("looks like PaySim: type mix, hourly profile, repeat customers, merchants without balances", async () => {
    const file = join(dir, "mix.csv");
    const summary = await generatePaysim({ rows: 100000, seed: 1 }, file);
    const r = await readPaysim(file);
    const s = summarisePaysim(r);
    expect(s.rows).toBe(100000);
    expect(s.type_counts).toEqual(summary.typeCounts);
    const share = (t: (typeof TX_TYPES)[number]) => s.type_counts[t] / s.rows;
    expect(share("CASH_OUT")).toBeCloseTo(0.352, 1);
    expect(share("PAYMENT")).toBeCloseTo(0.338, 1);
    expect(share("CASH_IN")).toBeCloseTo(0.22, 1);
    expect(share("TRANSFER")).toBeCloseTo(0.084, 1);
    expect(share("DEBIT")).toBeLessThan(0.02);
    expect(s.steps).toEqual({ min: 1, max: 744 });
    const { tx } = r;
    const byHour = new Array(24).fill(0);
    for (let i = 0; i < tx.rows; i++) byHour[tx.step[i] % 24]++;
    expect(byHour[12]).toBeGreaterThan(20 * byHour[3]); // busy noon, quiet night
    expect(tx.origNames.size).toBeLessThan(tx.rows / 2); // customers come back
    const bad: number[] = [];
    for (let i = 0; i < tx.rows; i++) {
      const merchant = tx.destNames.get(tx.nameDest[i]).startsWith("M");
      if (merchant !== (tx.type[i] === 3) || (merchant && tx.oldbalanceDest[i] + tx.newbalanceDest[i] !== 0))
        bad.push(i);
    }
    expect(bad).toEqual([]);
  });

  it("keeps balances consistent and writes the takeover fraud pattern", async () => {
    const file = join(dir, "fraud.csv");
    await generatePaysim({ rows: 50000, seed: 2, fraudRate: 0.02 }, file);
    const { tx } = await readPaysim(file);
    let fraud = 0;
    const unbalanced: number[] = [];
    for (let i = 0; i < tx.rows; i++) {
      const a = cents(tx.amount[i]);
      const dOrig = cents(tx.newbalanceOrig[i]) - cents(tx.oldbalanceOrg[i]);
      const dDest = Math.abs(cents(tx.newbalanceDest[i]) - cents(tx.oldbalanceDest[i]));
      if (!(a > 0) || dOrig !== (tx.type[i] === 0 ? a : -a) || tx.newbalanceOrig[i] < 0) unbalanced.push(i);
      if (tx.type[i] !== 3 && dDest !== a && !(tx.isFraud![i] === 1 && tx.type[i] === 4)) unbalanced.push(i);
      if (tx.isFraud![i] === 1 && tx.type[i] === 4) {
        fraud++;
        // TRANSFER drains the victim into a fresh mule, whose CASH_OUT follows in the same step
        expect(tx.newbalanceOrig[i]).toBe(tx.amount[i] < 10_000_000 ? 0 : tx.oldbalanceOrg[i] - tx.amount[i]);
        expect(tx.isFlaggedFraud![i]).toBe(tx.amount[i] > 200_000 ? 1 : 0);
        const next = i + 1;
        expect(tx.type[next]).toBe(1);
        expect(tx.isFraud![next]).toBe(1);
        expect(tx.step[next]).toBe(tx.step[i]);
        expect(tx.origNames.get(tx.nameOrig[next])).toBe(tx.destNames.get(tx.nameDest[i]));
        expect(tx.amount[next]).toBe(tx.amount[i]);
        expect([tx.oldbalanceDest[i], tx.newbalanceDest[i]]).toEqual([0, 0]); // PaySim's unrecorded mule balance
      } else if (tx.isFraud![i] === 0 && tx.isFlaggedFraud![i] !== 0) unbalanced.push(i);
    }
    expect(unbalanced).toEqual([]);
    const rate = tx.isFraud!.reduce((x, y) => x + y, 0) / tx.rows;
    expect(rate).toBeGreaterThan(0.015);
    expect(rate).toBeLessThan(0.025);
    expect(fraud).toBeGreaterThan(300);
  });

  it("injects drift on request: amounts, type mix, hours", async () => {
    const base = join(dir, "base.csv");
    const shifted = join(dir, "shifted.csv");
    await generatePaysim({ rows: 30000, seed: 9 }, base);
    await generatePaysim(
      { rows: 30000, seed: 9, drift: { amountScale: 3, typeMix: { TRANSFER: 0.5 }, hourShift: 12 } },
      shifted,
    );
    const a = summarisePaysim(await readPaysim(base));
    const b = summarisePaysim(await readPaysim(shifted));
    expect(b.amount!.p50 / a.amount!.p50).toBeGreaterThan(2);
    expect(b.type_counts.TRANSFER / b.rows).toBeGreaterThan(0.3);
    const hours = async (f: string) => {
      const { tx } = await readPaysim(f);
      const h = new Array(24).fill(0);
      for (let i = 0; i < tx.rows; i++) h[tx.step[i] % 24]++;
      return h;
    };
    const [ha, hb] = await Promise.all([hours(base), hours(shifted)]);
    expect(hb[3]).toBeGreaterThan(ha[3] * 10); // the quiet night hours are now busy
  });

  it("rejects bad options with BadInputError", async () => {
    await expect(generatePaysim({ rows: 0, seed: 1 }, join(dir, "x.csv"))).rejects.toBeInstanceOf(
      BadInputError,
    );
    await expect(generatePaysim({ rows: 10, seed: 1, fraudRate: 2 }, join(dir, "x.csv"))).rejects.toThrow(
      /fraud rate/,
    );
    await expect(generatePaysim({ rows: 10, seed: 1 }, join(dir, "no/such/dir.csv"))).rejects.toBeInstanceOf(
      BadInputError,
    );
  });
});
