import { describe, expect, it } from "vitest";
import { aucPr, aucRoc, logloss } from "../../src/gbdt/index.js";

describe("eval metrics (sklearn definitions)", () => {
  const y = [0, 0, 1, 1, 0, 1];
  const s = [0.1, 0.4, 0.35, 0.8, 0.4, 0.9];
  it("AUC-ROC counts ties as half", () => {
    // sklearn.metrics.roc_auc_score(y, s) = 0.7777777777777778
    expect(aucRoc(y, s)).toBeCloseTo(0.7777777777777778, 12);
  });
  it("AUC-PR is average precision", () => {
    // sklearn.metrics.average_precision_score(y, s) = 0.8666666666666667
    expect(aucPr(y, s)).toBeCloseTo(0.8666666666666667, 12);
  });
  it("logloss clips probabilities", () => {
    // sklearn.metrics.log_loss(y, s) = 0.4175563257767536
    expect(logloss(y, s)).toBeCloseTo(0.4175563257767536, 12);
    expect(Number.isFinite(logloss([1], [0]))).toBe(true);
  });
  it("is undefined (NaN) with one class", () => {
    expect(aucRoc([1, 1], [0.2, 0.3])).toBeNaN();
    expect(aucPr([0, 0], [0.2, 0.3])).toBeNaN();
  });
  it("is NaN, and returns, when a score is NaN (a model that cannot be ranked)", () => {
    const labels = [1, 0, 1, 0];
    const scores = [0.9, Number.NaN, 0.4, 0.1];
    expect(aucRoc(labels, scores)).toBeNaN();
    expect(aucPr(labels, scores)).toBeNaN();
    expect(aucRoc(labels, scores, [1, 1, 1, 1])).toBeNaN();
  });
});
