import { describe, expect, it } from "vitest";
import { FEATURE_NAMES } from "../../src/features/names.js";
import { BadInputError } from "../../src/errors/index.js";
import { TX_TYPES } from "../../src/data/index.js";
import {
  DEFAULT_RULES_CONFIG,
  FEATURE_INDEX,
  RULE_DEFINITIONS,
  RulesEngine,
  TX_TYPE_CODE,
  parseRulesConfig,
  txTypeCode,
  type RuleBatch,
  type RuleTransaction,
} from "../../src/rules/index.js";

const quietTx: RuleTransaction = {
  type: "PAYMENT",
  amount: 120,
  oldBalanceOrig: 5_000,
  newBalanceOrig: 4_880,
  oldBalanceDest: 0,
  newBalanceDest: 0,
};

function features(overrides: Partial<Record<(typeof FEATURE_NAMES)[number], number>> = {}): number[] {
  const v = new Array<number>(FEATURE_NAMES.length).fill(0);
  v[FEATURE_INDEX.hour_of_day] = 14;
  for (const [k, x] of Object.entries(overrides)) v[FEATURE_INDEX[k as keyof typeof FEATURE_INDEX]] = x;
  return v;
}

describe("rules config", () => {
  it("fills every default and keeps partial overrides", () => {
    const c = parseRulesConfig({ rules: { large_amount: { threshold: 50_000 } } });
    expect(c.rules.large_amount).toEqual({ enabled: true, weight: 0.25, threshold: 50_000 });
    expect(c.rules.account_drained.weight).toBe(DEFAULT_RULES_CONFIG.rules.account_drained.weight);
    expect(c.category_caps).toEqual(DEFAULT_RULES_CONFIG.category_caps);
  });

  it("rejects unknown keys and out-of-range weights, naming the key", () => {
    expect(() => parseRulesConfig({ rules: { large_amout: {} } })).toThrow(BadInputError);
    expect(() => parseRulesConfig({ rules: { large_amount: { weight: 2 } } })).toThrow(
      /rules\.large_amount\.weight/,
    );
    expect(() => parseRulesConfig({ rules: { night_transfer: { start_hour: 6, end_hour: 2 } } })).toThrow(
      /start_hour/,
    );
  });

  it("has one definition per configured rule, each with a distinct bit", () => {
    const ids = RULE_DEFINITIONS.map((r) => r.id).sort();
    expect(ids).toEqual(Object.keys(DEFAULT_RULES_CONFIG.rules).sort());
    expect(RULE_DEFINITIONS.length).toBeLessThanOrEqual(32);
  });
});

describe("RulesEngine.evaluate", () => {
  const engine = new RulesEngine();

  it("scores an ordinary payment 0 with nothing fired", () => {
    expect(engine.evaluate(quietTx, features())).toEqual({ score: 0, flagged: false, fired: [] });
  });

  it("flags a night-time transfer that drains the account into an empty destination", () => {
    const tx = {
      type: "TRANSFER",
      amount: 250_000,
      oldBalanceOrig: 250_000,
      newBalanceOrig: 0,
      oldBalanceDest: 0,
      newBalanceDest: 0,
    };
    const r = engine.evaluate(tx, features({ amount: 250_000, hour_of_day: 2 }));
    expect(r.fired.map((f) => f.id)).toEqual([
      "large_amount",
      "account_drained",
      "dest_balance_unchanged",
      "night_transfer",
    ]);
    // amount 0.25 + behaviour min(0.6, 0.35+0.15+0.1) = 0.85
    expect(r.score).toBeCloseTo(0.85, 10);
    expect(r.flagged).toBe(true);
  });

  it("reads a type the way the data reader does: padded, lower-case or dash-spelled", () => {
    const tx = {
      type: " transfer ",
      amount: 250_000,
      oldBalanceOrig: 250_000,
      newBalanceOrig: 0,
      oldBalanceDest: 0,
      newBalanceDest: 0,
    };
    const r = engine.evaluate(tx, features({ amount: 250_000, hour_of_day: 2 }));
    expect(r.fired.map((f) => f.id)).toContain("night_transfer");
    expect(TX_TYPES.map((t) => txTypeCode(t))).toEqual(TX_TYPES.map((t) => TX_TYPE_CODE[t]));
    expect(txTypeCode(" Cash-Out ")).toBe(TX_TYPE_CODE.CASH_OUT);
  });

  it("caps each category and the composite at 1", () => {
    const tx = {
      type: "CASH-OUT",
      amount: 9_500,
      oldBalanceOrig: 9_500,
      newBalanceOrig: 0,
      oldBalanceDest: 0,
      newBalanceDest: 0,
    };
    const f = features({
      amount_zscore: 8,
      velocity_count_1h: 9,
      velocity_count_24h: 30,
      velocity_amount_24h: 2_000_000,
      hour_of_day: 3,
    });
    const r = engine.evaluate(tx, f);
    // velocity 0.2+0.15+0.15=0.5 capped at 0.35; behaviour 0.35+0.15+0.25+0.1 capped 0.6; compliance 0.3
    expect(r.fired.some((x) => x.category === "velocity")).toBe(true);
    expect(r.score).toBe(1);
  });

  it("knows structuring: just under the CTR threshold, and amounts split across a day", () => {
    const under = engine.evaluate({ ...quietTx, type: "CASH_OUT", amount: 9_900 }, features());
    expect(under.fired.map((f) => f.id)).toContain("structuring_just_under_ctr");
    const split = engine.evaluate(
      { ...quietTx, type: "TRANSFER", amount: 4_000, oldBalanceDest: 10, newBalanceDest: 4_010 },
      features({ velocity_count_24h: 2, velocity_amount_24h: 7_000 }),
    );
    expect(split.fired.map((f) => f.id)).toEqual(["structuring_split_over_day"]);
    const payment = engine.evaluate({ ...quietTx, amount: 9_900 }, features());
    expect(payment.fired).toEqual([]);
  });

  it("honours disabled rules and custom weights", () => {
    const e = new RulesEngine({
      rules: { large_amount: { weight: 0.1 }, night_transfer: { enabled: false } },
    });
    const tx = {
      type: "TRANSFER",
      amount: 300_000,
      oldBalanceOrig: 0,
      newBalanceOrig: 0,
      oldBalanceDest: 10,
      newBalanceDest: 300_010,
    };
    const r = e.evaluate(tx, features({ hour_of_day: 1 }));
    expect(r.fired).toEqual([
      { id: "large_amount", category: "amount", weight: 0.1, description: expect.any(String) },
    ]);
    expect(r.score).toBeCloseTo(0.1, 12);
  });

  it("rejects a feature vector of the wrong length", () => {
    expect(() => engine.evaluate(quietTx, [1, 2, 3])).toThrow(BadInputError);
  });
});

describe("RulesEngine.scoreBatch", () => {
  it("gives the same scores and rules as the single-transaction form", () => {
    const engine = new RulesEngine();
    const n = 500;
    let s = 12345;
    const rnd = () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const types = ["CASH_IN", "CASH_OUT", "DEBIT", "PAYMENT", "TRANSFER"];
    const txs: RuleTransaction[] = [];
    const feats: number[][] = [];
    for (let i = 0; i < n; i++) {
      const amount = rnd() < 0.3 ? 9_000 + rnd() * 1_500 : rnd() * 2_000_000;
      const old = rnd() < 0.5 ? amount : rnd() * 3_000_000;
      txs.push({
        type: types[Math.floor(rnd() * 5)],
        amount,
        oldBalanceOrig: old,
        newBalanceOrig: rnd() < 0.5 ? 0 : Math.max(0, old - amount),
        oldBalanceDest: rnd() < 0.5 ? 0 : rnd() * 1e5,
        newBalanceDest: rnd() < 0.5 ? 0 : rnd() * 1e5,
      });
      feats.push(
        features({
          amount,
          amount_zscore: rnd() * 6 - 1,
          hour_of_day: Math.floor(rnd() * 24),
          velocity_count_1h: Math.floor(rnd() * 5),
          velocity_count_24h: Math.floor(rnd() * 15),
          velocity_amount_24h: rnd() < 0.5 ? rnd() * 10_000 : rnd() * 2e6,
        }),
      );
    }
    const col = (f: (t: RuleTransaction) => number) => Float64Array.from(txs, f);
    const batch: RuleBatch = {
      rows: n,
      typeCode: Uint8Array.from(txs, (t) => txTypeCode(t.type)),
      amount: col((t) => t.amount),
      oldBalanceOrig: col((t) => t.oldBalanceOrig),
      newBalanceOrig: col((t) => t.newBalanceOrig),
      oldBalanceDest: col((t) => t.oldBalanceDest),
      newBalanceDest: col((t) => t.newBalanceDest),
      features: FEATURE_NAMES.map((_, j) => Float64Array.from(feats, (f) => f[j])),
    };
    const scores = new Float64Array(n);
    const fired = new Uint32Array(n);
    engine.scoreBatch(batch, scores, fired);
    let flagged = 0;
    for (let i = 0; i < n; i++) {
      const one = engine.evaluate(txs[i], feats[i]);
      expect(scores[i]).toBe(one.score);
      expect(engine.describe(fired[i])).toEqual(one.fired);
      if (one.flagged) flagged++;
    }
    expect(flagged).toBeGreaterThan(0);
    expect(flagged).toBeLessThan(n);
  });
});
