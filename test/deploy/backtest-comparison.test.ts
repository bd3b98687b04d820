import { describe, expect, it } from "vitest";
import { compareBacktest, type BacktestMetrics } from "../../src/deploy/backtest-comparison.js";

const current: BacktestMetrics = {
  auc_roc: 0.95,
  precision: 0.8,
  recall: 0.7,
  f1: 0.75,
  false_positive_rate: 0.02,
};

describe("compareBacktest", () => {
  it("passes a candidate within every tolerance, exactly at the bounds", () => {
    const c = compareBacktest(
      { auc_roc: 0.95, precision: 0.78, recall: 0.68, f1: 0.75, false_positive_rate: 0.03 },
      current,
    );
    expect(c.compared).toBe(true);
    expect(c.rows.map((r) => r.passed)).toEqual([true, true, true, true, true]);
    expect(c.passed).toBe(true);
  });

  it("fails each row that regresses beyond its tolerance, and names them", () => {
    const c = compareBacktest(
      { auc_roc: 0.949, precision: 0.77, recall: 0.69, f1: 0.76, false_positive_rate: 0.031 },
      current,
    );
    expect(Object.fromEntries(c.rows.map((r) => [r.metric, r.passed]))).toEqual({
      auc_roc: false,
      precision: false,
      recall: true,
      f1: true,
      false_positive_rate: false,
    });
    expect(c.passed).toBe(false);
    expect(c.summary).toBe("candidate fails AUC-ROC, Precision, False positive rate");
    expect(c.rows[1].requirement).toBe("candidate >= current - 0.02");
    expect(c.rows[4].requirement).toBe("candidate <= current + 0.01");
  });

  it("treats NaN metrics as failing", () => {
    const c = compareBacktest({ ...current, precision: Number.NaN }, current);
    expect(c.rows[1].passed).toBe(false);
  });

  it("reports candidate metrics and says so when there is no Production version", () => {
    const c = compareBacktest(current, null);
    expect(c.compared).toBe(false);
    expect(c.passed).toBe(false);
    expect(c.rows.every((r) => r.current === null && r.passed === null)).toBe(true);
    expect(c.summary).toContain("no Production version");
  });
});
