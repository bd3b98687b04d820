import { describe, expect, it } from "vitest";
import { FEATURE_NAMES, OnlineFeatureState } from "../../src/features/index.js";
import { RecencyIndex } from "../../src/features/index.js";
import { IdempotencyCache } from "../../src/serving/idempotency-cache.js";
import type { ScoreResponse } from "../../src/serving/index.js";
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

describe("IdempotencyCache", () => {
  const request = (id: string, amount = 10): ScoreRequest => ({
    transaction_id: id,
    step: 1,
    type: "TRANSFER",
    amount,
    nameOrig: "C1",
    oldbalanceOrg: amount,
    newbalanceOrig: 0,
    nameDest: "C2",
    oldbalanceDest: 0,
    newbalanceDest: 0,
  });
  const fired = Object.freeze([
    Object.freeze({ id: "account_drained", category: "behaviour", weight: 0.35, description: "d" }),
  ]) as unknown as ScoreResponse["rules_triggered"];
  const model = Object.freeze({ name: "fraud-detector", version: 2 });
  const answer = (id: string, over: Partial<ScoreResponse> = {}): ScoreResponse => ({
    transaction_id: id,
    score: 0.36038181701675054,
    risk_tier: "medium",
    recommendation: "review",
    ml_score: 0.0009545425418764353,
    rule_score: 0.6,
    rules_triggered: fired,
    variant: "champion",
    model,
    mode: "hybrid",
    latency_ms: 0.123,
    ...over,
  });

  it("gives back every kind of answer it kept, field for field, with its features", () => {
    const answers = [
      answer("a"),
      answer("b", { ml_score: null, model: null, mode: "rules_only", rules_triggered: [], score: 0 }),
      answer("c", { variant: "challenger", features_degraded: true, latency_ms: -0 }),
      answer("d", { features_degraded: false, ml_score: 1, risk_tier: "critical", recommendation: "block" }),
    ];
    const cache = new IdempotencyCache(10);
    answers.forEach((r, i) => {
      const features = Float64Array.from(FEATURE_NAMES, (_, j) => i * 100 + j);
      cache.set(request(r.transaction_id), r, features, 0);
    });
    answers.forEach((r, i) => {
      const slot = cache.get(r.transaction_id);
      const replay = cache.response(slot);
      expect(replay).toStrictEqual(r);
      expect(Object.keys(replay)).toEqual(Object.keys(r));
      expect(replay.rules_triggered).toBe(r.rules_triggered); // shared, not copied
      expect(cache.sameAs(slot, request(r.transaction_id))).toBe(true);
      expect(cache.sameAs(slot, request(r.transaction_id, 11))).toBe(false);
      const named = Object.fromEntries(FEATURE_NAMES.map((f, j) => [f, i * 100 + j]));
      expect(cache.featuresOf(r)).toEqual(named);
      expect(cache.featuresOf(replay)).toEqual(named);
    });
    // Not the answer held for its id: no features.
    expect(cache.featuresOf(answer("a", { score: 0.5 }))).toBeUndefined();
    expect(cache.featuresOf(answer("a", { model: { name: "fraud-detector", version: 2 } }))).toBeUndefined();
    expect(cache.featuresOf(answer("c", { features_degraded: false }))).toBeUndefined();
    expect(cache.featuresOf(answer("z"))).toBeUndefined();
  });

  it("forgets the least recently used answer past its capacity, and replaces an id's answer", () => {
    const cache = new IdempotencyCache(2);
    const features = new Float64Array(FEATURE_NAMES.length);
    cache.set(request("a"), answer("a"), features, 0);
    cache.set(request("b"), answer("b"), features, 0);
    cache.get("a");
    cache.set(request("c"), answer("c", { score: 0.9 }), features, 0);
    expect(cache.get("b")).toBe(-1);
    expect(cache.response(cache.get("c")).score).toBe(0.9);
    cache.set(request("c"), answer("c", { score: 0.1 }), features, 0);
    expect(cache.response(cache.get("c")).score).toBe(0.1);
    expect(cache.response(cache.get("a"))).toStrictEqual(answer("a"));
  });
});
