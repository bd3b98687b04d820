import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { spawnChildSync } from "../helpers/cli.js";
import {
  classificationReport,
  compareMlWithRules,
  confusionAt,
  rankingMetrics,
  thresholdMetrics,
} from "../../src/training/index.js";

/** Scores with ties (rounded to 2 decimals) and a rare positive class, like a fraud test split. */
function sample(n: number): { y: Uint8Array; p: Float64Array } {
  let s = 99;
  const rnd = () => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32;
  const y = new Uint8Array(n);
  const p = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = rnd() < 0.05 ? 1 : 0;
    p[i] = Math.round(Math.min(1, Math.max(0, (y[i] ? 0.45 : 0.2) + (rnd() - 0.5) * 0.7)) * 100) / 100;
  }
  return { y, p };
}

/** scikit-learn's own figures for the same data (the real library, via the system Python). */
function sklearn(y: Uint8Array, p: Float64Array, threshold: number, w: Float64Array) {
  const dir = mkdtempSync(path.join(tmpdir(), "lakay-metrics-"));
  const file = path.join(dir, "data.json");
  writeFileSync(file, JSON.stringify({ y: Array.from(y), p: Array.from(p), w: Array.from(w) }));
  const script = `
import json, sys
from sklearn.metrics import roc_auc_score, average_precision_score, precision_score, recall_score, f1_score, classification_report
d = json.load(open(sys.argv[1])); y = d["y"]; p = d["p"]; w = d["w"]; t = float(sys.argv[2])
yhat = [1 if v >= t else 0 for v in p]
print(json.dumps({"auc_roc": roc_auc_score(y, p), "auc_pr": average_precision_score(y, p),
  "weighted_auc_roc": roc_auc_score(y, p, sample_weight=w),
  "weighted_auc_pr": average_precision_score(y, p, sample_weight=w),
  "precision": precision_score(y, yhat, zero_division=0), "recall": recall_score(y, yhat, zero_division=0),
  "f1": f1_score(y, yhat, zero_division=0),
  "report": classification_report(y, yhat, digits=4, target_names=["legitimate", "fraud"])}))
`;
  const r = spawnChildSync("/usr/bin/python3", ["-c", script, file, String(threshold)]);
  if (r.status !== 0) throw new Error(`scikit-learn failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe("metrics agree with scikit-learn", () => {
  const { y, p } = sample(5_000);
  const w = Float64Array.from(y, (_, i) => 0.5 + (i % 7) / 4);
  const ref = sklearn(y, p, 0.5, w);

  it("AUC-ROC and AUC-PR (average precision), with tied scores", () => {
    const m = rankingMetrics(y, p);
    expect(m.aucRoc).toBeCloseTo(ref.auc_roc, 12);
    expect(m.aucPr).toBeCloseTo(ref.auc_pr, 12);
  });

  it("AUC-ROC and AUC-PR with sample weights (the engine's weighted eval metrics)", () => {
    const m = rankingMetrics(y, p, w);
    expect(m.aucRoc).toBeCloseTo(ref.weighted_auc_roc, 12);
    expect(m.aucPr).toBeCloseTo(ref.weighted_auc_pr, 12);
    expect(m.aucPr).not.toBeCloseTo(ref.auc_pr, 6);
  });

  it("precision, recall, F1 at the threshold", () => {
    const m = thresholdMetrics(y, p, 0.5);
    expect(m.precision).toBeCloseTo(ref.precision, 12);
    expect(m.recall).toBeCloseTo(ref.recall, 12);
    expect(m.f1).toBeCloseTo(ref.f1, 12);
    const c = m.confusion;
    expect(c.tn + c.fp + c.fn + c.tp).toBe(5_000);
    expect(m.falsePositiveRate).toBeCloseTo(c.fp / (c.fp + c.tn), 15);
  });

  it("classification report table is scikit-learn's layout, then the confusion matrix", () => {
    const text = classificationReport(confusionAt(y, p, 0.5), { threshold: 0.5 });
    expect(text.startsWith(ref.report)).toBe(true);
    expect(text).toContain("Confusion matrix at threshold 0.5");
  });

  it("AUCs are NaN when a class is missing", () => {
    expect(rankingMetrics(new Uint8Array(4), [0.1, 0.2, 0.3, 0.4]).aucRoc).toBeNaN();
  });
});

describe("compareMlWithRules", () => {
  it("splits fraud into model only / rules only / both / neither and counts false positives", () => {
    const labels = [1, 1, 1, 1, 0, 0, 0, 0];
    const model = [1, 1, 0, 0, 1, 0, 1, 0];
    const rules = [1, 0, 1, 0, 1, 1, 0, 0];
    const fired = Uint32Array.from([1, 0, 2, 0, 3, 2, 0, 0]);
    const c = compareMlWithRules({
      labels,
      modelFlag: model,
      rulesFlag: rules,
      modelThreshold: 0.5,
      rulesThreshold: 0.5,
      firedMask: fired,
      ruleIds: ["a", "b"],
    });
    expect(c.fraud_caught).toEqual({ model_only: 1, rules_only: 1, both: 1, neither: 1 });
    expect(c.false_positives).toEqual({ model: 2, rules: 2, both: 1, either: 3 });
    expect(c.recall).toEqual({ model: 0.5, rules: 0.5, either: 0.75 });
    expect(c.rules_fired).toEqual({ a: { fraud: 1, legitimate: 1 }, b: { fraud: 1, legitimate: 2 } });
  });
});
