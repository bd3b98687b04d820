import { describe, expect, it } from "vitest";
import { OnlineFeatureState } from "../../src/features/index.js";
import { RecencyIndex } from "../../src/features/index.js";
import { fingerprintOf, sameContents, type ScoreRequest } from "../../src/serving/transaction-input.js";

describe("sameContents", () => {
  it("is fingerprint equality, field by field", () => {
    const base: ScoreRequest = {
      transaction_id: "t-1",
      step: 3,
      type: "TRANSFER",
      amount: 181.5,
      nameOrig: "C1",
      oldbalanceOrg: 181.5,
      newbalanceOrig: 0,
      nameDest: "C2",
      oldbalanceDest: 0,
      newbalanceDest: 0,
    };
    const { step: _s, ...noStep } = base;
    const { nameDest: _d, ...noDest } = base;
    const variants: ScoreRequest[] = [
      base,
      { ...base, transaction_id: "t-2" }, // the id is not part of the contents
      { ...base, user_id: "C1" }, // user_id defaults to nameOrig
      { ...base, user_id: "U1" },
      { ...noStep, timestamp: "2026-01-01T03:00:00Z" },
      { ...base, step: 4 },
      { ...base, type: "CASH_OUT" },
      { ...base, amount: 181.50000000000003 },
      { ...base, amount: -0, oldbalanceOrg: 0 },
      { ...base, amount: 0, oldbalanceOrg: 0 },
      { ...base, nameOrig: "C3" },
      { ...base, oldbalanceOrg: 1 },
      { ...base, newbalanceOrig: 1 },
      noDest,
      { ...base, nameDest: "" }, // a missing nameDest is ""
      { ...base, oldbalanceDest: 1 },
      { ...base, newbalanceDest: 1 },
      { ...base, amount: NaN },
      { ...base, amount: NaN, nameOrig: "C9" },
    ];
    for (const a of variants)
      for (const b of variants) expect(sameContents(a, b)).toBe(fingerprintOf(a) === fingerprintOf(b));
  });
});

describe("least-recently-used eviction", () => {
  it.each([
    [50, 120, 20_000],
    [3_000, 5_000, 30_000], // past the first columns (1,024 slots): they grow, the table is rebuilt
  ])(
    "forgets exactly what a plain LRU list would (capacity %i, %i ids, %i operations)",
    (capacity, ids, ops) => {
      const index = new RecencyIndex(capacity);
      const slotOf = new Map<string, number>(); // what the index said, checked against what it says later
      let order: string[] = []; // oldest first
      let x = 1;
      const rand = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
      for (let op = 0; op < ops; op++) {
        const id = `k${Math.floor(rand() * ids)}`;
        const had = order.includes(id);
        if (rand() < 0.5) {
          const slot = index.get(id);
          expect(slot >= 0).toBe(had);
          if (had) {
            expect(slot).toBe(slotOf.get(id));
            order = [...order.filter((k) => k !== id), id];
          }
        } else {
          const slot = index.set(id);
          if (had) expect(slot).toBe(slotOf.get(id));
          expect(slot).toBeLessThan(index.slots);
          slotOf.set(id, slot);
          order = [...order.filter((k) => k !== id), id];
          if (order.length > capacity) order.shift();
        }
        expect(index.size).toBe(order.length);
      }
      const slots = new Set<number>();
      for (const id of order) {
        expect(index.peek(id)).toBe(slotOf.get(id));
        slots.add(index.peek(id));
      }
      expect(slots.size).toBe(order.length); // one slot per id held
    },
  );

  it("keeps the most recently seen customers in the online feature state", () => {
    const state = new OnlineFeatureState({ maxCustomers: 30 });
    let order: string[] = [];
    let x = 5;
    const rand = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let step = 0; step < 5_000; step++) {
      const nameOrig = `C${Math.floor(rand() * 80)}`;
      const tx = {
        step,
        type: "TRANSFER",
        amount: 100,
        nameOrig,
        oldbalanceOrg: 100,
        newbalanceOrig: 0,
        nameDest: "C0",
        oldbalanceDest: 0,
        newbalanceDest: 0,
      };
      // velocity_count_24h counts the customer's remembered transactions: 0 once forgotten.
      const remembered = order.includes(nameOrig);
      if (!remembered) expect(state.featuresFor(tx)[1]).toBe(0);
      if (rand() < 0.5) state.observe(tx);
      else state.nextInto(nameOrig, step, 4, 100, 100, 0, 0, 0, new Float64Array(11));
      order = [...order.filter((k) => k !== nameOrig), nameOrig];
      if (order.length > 30) order.shift();
      expect(state.size).toBe(order.length);
    }
  });
});
