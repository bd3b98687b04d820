import { describe, expect, it } from "vitest";
import { FEATURE_NAMES } from "../../src/features/index.js";
import { PredictionRecords, type ObservedPrediction } from "../../src/monitoring/index.js";
import { NUMBER_TAG, packedRowCount, STRING_TAG } from "../../src/registry/index.js";
import { logRow } from "./log-row.js";

const fired = Object.freeze([Object.freeze({ id: "structuring", weight: 0.4, description: "d" })]);

/** A scored transaction as the scoring service hands it to the monitor. */
const observed = (i: number, over: Partial<ObservedPrediction> = {}): ObservedPrediction => ({
  transactionId: `t-${i}`,
  userId: `C${i}`,
  variant: i % 2 ? "challenger" : "champion",
  modelVersion: 3,
  experimentId: i % 2 ? "exp-1" : null,
  features: Float64Array.from(FEATURE_NAMES, (_, j) => i * 100 + j + 0.5),
  mlScore: 0.25,
  ruleScore: 0.4,
  score: 0.31,
  riskTier: "medium",
  latencyMs: 1.5,
  rulesTriggered: i % 2 ? fired : [],
  ...over,
});

describe("prediction records (the log writer's queue, in columns)", () => {
  it("records a scored transaction as the row the log stores, column by column", () => {
    const r = new PredictionRecords(1);
    r.addObserved("fraud", "2026-12-07T13:00:00.000Z", observed(1));
    r.addObserved(
      "fraud",
      "2026-12-07T13:00:00.001Z",
      observed(2, { mlScore: Number.NaN, modelVersion: null }),
    );
    r.addObserved(
      "fraud",
      "2026-12-07T13:00:00.002Z",
      observed(3, { mlScore: null, rulesTriggered: undefined }),
    );
    expect(r.length).toBe(3); // grown past its first capacity of one
    const features = (i: number) => Object.fromEntries(FEATURE_NAMES.map((f, j) => [f, i * 100 + j + 0.5]));
    expect(r.rows()).toEqual([
      {
        ts: "2026-12-07T13:00:00.000Z",
        model: "fraud",
        transaction_id: "t-1",
        user_id: "C1",
        variant: "challenger",
        model_version: 3,
        experiment_id: "exp-1",
        ...features(1),
        ml_score: 0.25,
        rule_score: 0.4,
        score: 0.31,
        risk_tier: "medium",
        latency_ms: 1.5,
        rules_triggered: '[{"id":"structuring","weight":0.4}]',
      },
      {
        ts: "2026-12-07T13:00:00.001Z",
        model: "fraud",
        transaction_id: "t-2",
        user_id: "C2",
        variant: "champion",
        model_version: null, // rules-only
        experiment_id: null,
        ...features(2),
        ml_score: null, // a NaN score is no score
        rule_score: 0.4,
        score: 0.31,
        risk_tier: "medium",
        latency_ms: 1.5,
        rules_triggered: "[]",
      },
      expect.objectContaining({ transaction_id: "t-3", ml_score: null, rules_triggered: null }),
    ]);
    expect(r.transactionIds()).toEqual(["t-1", "t-2", "t-3"]);
    // Emptied for reuse (the writer's next queue): what was there before leaves nothing behind.
    r.clear();
    r.addObserved("fraud", "2026-12-07T13:00:01.000Z", observed(2, { mlScore: null, experimentId: null }));
    expect(r.rows()).toEqual([
      expect.objectContaining({
        transaction_id: "t-2",
        ml_score: null,
        experiment_id: null,
        model_version: 3,
      }),
    ]);
    expect(r.transactionIds()).toEqual(["t-2"]);
  });

  it("packs rows given as objects the way it packs scored transactions; a row of before step 7 gets a null", () => {
    const rows = [logRow(1), { ...logRow(2), rules_triggered: '[{"id":"x","weight":1}]' }];
    const r = PredictionRecords.fromRows(rows);
    expect(r.rows()).toEqual([{ ...rows[0], rules_triggered: null }, rows[1]]);
    const p = r.packed();
    expect(packedRowCount(p)).toBe(2);
    expect(p.width).toBe(24);
    // ts, model, transaction_id, user_id, variant, then model_version: strings in order, numbers in place.
    expect([...p.tags.subarray(0, 6)]).toEqual([...Array(5).fill(STRING_TAG), NUMBER_TAG]);
    expect(p.strings.slice(0, 5)).toEqual([rows[0].ts, "m", "t-1", "u-1", "champion"]);
    expect(() => PredictionRecords.fromRows([{ ...logRow(3), amount: true as unknown as number }])).toThrow(
      /amount: boolean/,
    );
  });
});
