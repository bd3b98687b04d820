import { describe, expect, it } from "vitest";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generatePaysim, readPaysim, transactionAt, type Transactions } from "../../src/data/index.js";
import {
  buildFeatures,
  CustomerHistory,
  FEATURE_NAMES,
  LONG_WINDOW,
  OnlineFeatureState,
} from "../../src/features/index.js";
import { PAYSIM_SAMPLE } from "../helpers/cli.js";

/** Replays a file row by row through the online state and requires the batch values exactly. */
function expectOnlineEqualsBatch(tx: Transactions): void {
  const batch = buildFeatures(tx);
  const online = new OnlineFeatureState();
  for (let i = 0; i < tx.rows; i++) {
    const f = online.next(transactionAt(tx, i));
    for (let k = 0; k < FEATURE_NAMES.length; k++) {
      if (!Object.is(f[k], batch.columns[k][i]))
        expect.fail(`row ${i} ${FEATURE_NAMES[k]}: online ${f[k]} batch ${batch.columns[k][i]}`);
    }
  }
}

describe("online features equal batch features", () => {
  it("on every row of the real PaySim sample", async () => {
    const { tx } = await readPaysim(PAYSIM_SAMPLE);
    expectOnlineEqualsBatch(tx);
  });

  it("on every row of a generated file with repeat customers and fraud", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "lakay-online-")), "gen.csv");
    await generatePaysim({ rows: 50000, seed: 3, customers: 3000 }, file);
    const { tx } = await readPaysim(file);
    expect(Math.max(...buildFeatures(tx).columns[8])).toBeGreaterThan(3); // velocities do occur
    expectOnlineEqualsBatch(tx);
  });

  it("in shared memory, the same values", async () => {
    const { tx } = await readPaysim(PAYSIM_SAMPLE);
    const plain = buildFeatures(tx);
    const shared = buildFeatures(tx, { shared: true });
    for (let k = 0; k < FEATURE_NAMES.length; k++) {
      expect(shared.columns[k].buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(
        Buffer.compare(Buffer.from(shared.columns[k].buffer), Buffer.from(plain.columns[k].buffer)),
      ).toBe(0);
    }
  });

  it("built over the transactions' own money columns (read shared), the same values", async () => {
    const { tx } = await readPaysim(PAYSIM_SAMPLE);
    const plain = buildFeatures(tx);
    const read = await readPaysim(PAYSIM_SAMPLE, { shared: true });
    const amount = read.tx.amount;
    const consumed = buildFeatures(read.tx, { shared: true, consumeTransactions: true });
    expect(consumed.columns[0]).toBe(amount); // the inputs' arrays, not copies
    for (let k = 0; k < FEATURE_NAMES.length; k++) {
      expect(consumed.columns[k].buffer).toBeInstanceOf(SharedArrayBuffer);
      expect([...consumed.columns[k]]).toEqual([...plain.columns[k]]);
    }
  });

  it("featuresFor does not record; observe does", () => {
    const s = new OnlineFeatureState();
    const tx = {
      step: 5,
      type: "TRANSFER",
      amount: 100,
      nameOrig: "C1",
      oldbalanceOrg: 100,
      newbalanceOrig: 0,
      nameDest: "C2",
      oldbalanceDest: 0,
      newbalanceDest: 100,
    };
    expect(Array.from(s.featuresFor(tx))).toEqual([100, 0, 5, 0, 4, 100, 100, 0, 0, 0, 0]);
    expect(s.size).toBe(0);
    s.observe(tx);
    // same step: not in the velocity windows, but in the z-score history
    expect(Array.from(s.featuresFor({ ...tx, amount: 50 })).slice(7)).toEqual([0, 0, 0, 0]);
    const later = s.next({ ...tx, step: 6, amount: 300 });
    expect(Array.from(later.slice(7))).toEqual([1, 1, 100, 100]);
    const dayLater = s.featuresFor({ ...tx, step: 30 });
    expect(Array.from(dayLater.slice(7))).toEqual([0, 1, 0, 300]);
  });

  it("forgets the least recently seen customer beyond maxCustomers", () => {
    const s = new OnlineFeatureState({ maxCustomers: 2 });
    const tx = (name: string, step: number) => ({
      step,
      type: "PAYMENT",
      amount: 10,
      nameOrig: name,
      oldbalanceOrg: 10,
      newbalanceOrig: 0,
      nameDest: "M1",
      oldbalanceDest: 0,
      newbalanceDest: 0,
    });
    s.observe(tx("C1", 1));
    s.observe(tx("C2", 1));
    s.observe(tx("C1", 1));
    s.observe(tx("C3", 1));
    expect(s.size).toBe(2);
    expect(s.featuresFor(tx("C1", 2))[7]).toBe(2);
    expect(s.featuresFor(tx("C2", 2))[7]).toBe(0);
    // C3 took the slot C2's history was in, and starts from nothing there.
    expect(s.featuresFor(tx("C3", 2))[7]).toBe(1);
  });

  it("refuses a step that is not a whole hour, without changing the customer's history", () => {
    const s = new OnlineFeatureState();
    const tx = (step: number) => ({
      step,
      type: "PAYMENT",
      amount: 10,
      nameOrig: "C1",
      oldbalanceOrg: 10,
      newbalanceOrig: 0,
      nameDest: "M1",
      oldbalanceDest: 0,
      newbalanceDest: 0,
    });
    for (let i = 0; i < 30; i++) s.observe(tx(100 + i));
    const before = s.featuresFor(tx(130));
    expect(before[8]).toBe(24); // the last 24 steps' transactions
    expect(() => s.observe(tx(130.5))).toThrow(/not a whole hour/);
    expect(s.featuresFor(tx(130))).toEqual(before);
    const h = new CustomerHistory();
    h.observe(7, 10, LONG_WINDOW);
    expect(CustomerHistory.restore(h.snapshot()).snapshot()).toEqual(h.snapshot());
    expect(() => CustomerHistory.restore([1, 10, 0, 100, 0, 7.5, 1, 10])).toThrow(/malformed/);
  });
});
