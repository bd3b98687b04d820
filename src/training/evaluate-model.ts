import type { Transactions } from "../data/index.js";
import { rankingMetrics } from "../gbdt/index.js";
import { RULE_DEFINITIONS, RulesEngine, type RuleBatch } from "../rules/index.js";
import { classificationReport } from "./classification-report.js";
import { thresholdMetrics, type ThresholdMetrics } from "./classification-metrics.js";
import { gather } from "./gather-rows.js";
import { compareMlWithRules, type MlVsRulesComparison } from "./ml-vs-rules.js";

/** Everything the held-out test split says about a model. */
export interface TestEvaluation {
  aucRoc: number;
  aucPr: number;
  atThreshold: ThresholdMetrics;
  report: string;
  comparison: MlVsRulesComparison;
}

/**
 * Scores the test split: ranking metrics, decision metrics at the threshold, the classification report,
 * and the same rows through the rules engine for the ML-vs-rules comparison.
 */
export function evaluateOnTest(args: {
  tx: Transactions;
  testRows: Uint32Array;
  testColumns: Float64Array[];
  testLabels: Uint8Array;
  scores: Float64Array;
  threshold: number;
  rules: RulesEngine;
}): TestEvaluation {
  const { testRows, testLabels, scores, threshold, rules } = args;
  const n = testRows.length;
  const { aucRoc, aucPr } = rankingMetrics(testLabels, scores);
  const atThreshold = thresholdMetrics(testLabels, scores, threshold);

  const batch: RuleBatch = {
    rows: n,
    typeCode: gather(args.tx.type, testRows, new Uint8Array(n)),
    amount: gather(args.tx.amount, testRows, new Float64Array(n)),
    oldBalanceOrig: gather(args.tx.oldbalanceOrg, testRows, new Float64Array(n)),
    newBalanceOrig: gather(args.tx.newbalanceOrig, testRows, new Float64Array(n)),
    oldBalanceDest: gather(args.tx.oldbalanceDest, testRows, new Float64Array(n)),
    newBalanceDest: gather(args.tx.newbalanceDest, testRows, new Float64Array(n)),
    features: args.testColumns,
  };
  const ruleScores = new Float64Array(n);
  const fired = new Uint32Array(n);
  rules.scoreBatch(batch, ruleScores, fired);
  const modelFlag = new Uint8Array(n);
  const rulesFlag = new Uint8Array(n);
  const ruleThreshold = rules.config.flag_threshold;
  for (let i = 0; i < n; i++) {
    modelFlag[i] = scores[i] >= threshold ? 1 : 0;
    rulesFlag[i] = ruleScores[i] >= ruleThreshold ? 1 : 0;
  }
  const comparison = compareMlWithRules({
    labels: testLabels,
    modelFlag,
    rulesFlag,
    modelThreshold: threshold,
    rulesThreshold: ruleThreshold,
    firedMask: fired,
    ruleIds: RULE_DEFINITIONS.map((r) => r.id),
  });
  return {
    aucRoc,
    aucPr,
    atThreshold,
    report: classificationReport(atThreshold.confusion, { threshold }),
    comparison,
  };
}
