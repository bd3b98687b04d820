/**
 * `ml_vs_rules_comparison.json`: what the model catches that the rules miss and the other way round.
 * It is the evidence behind hybrid scoring (why keep rules next to the model, or why not).
 */
export interface MlVsRulesComparison {
  test_rows: number;
  fraud_total: number;
  legitimate_total: number;
  model_threshold: number;
  rules_threshold: number;
  fraud_caught: { model_only: number; rules_only: number; both: number; neither: number };
  recall: { model: number; rules: number; either: number };
  false_positives: { model: number; rules: number; both: number; either: number };
  false_positive_rate: { model: number; rules: number; either: number };
  /** How often each rule fired on the test split, on fraud and on legitimate rows. */
  rules_fired: Record<string, { fraud: number; legitimate: number }>;
}

/** Tallies the comparison from per-row decisions of the model and of the rules. */
export function compareMlWithRules(args: {
  labels: ArrayLike<number>;
  modelFlag: ArrayLike<number | boolean>;
  rulesFlag: ArrayLike<number | boolean>;
  modelThreshold: number;
  rulesThreshold: number;
  /** Optional per-row fired-rule bitmasks and the rule id of each bit. */
  firedMask?: Uint32Array;
  ruleIds?: readonly string[];
}): MlVsRulesComparison {
  const { labels, modelFlag, rulesFlag } = args;
  const caught = { model_only: 0, rules_only: 0, both: 0, neither: 0 };
  const fps = { model: 0, rules: 0, both: 0, either: 0 };
  const ids = args.ruleIds ?? [];
  const fired = ids.map(() => ({ fraud: 0, legitimate: 0 }));
  let fraud = 0;
  for (let i = 0; i < labels.length; i++) {
    const m = Boolean(modelFlag[i]);
    const r = Boolean(rulesFlag[i]);
    const isFraud = labels[i] === 1;
    if (isFraud) {
      fraud++;
      if (m && r) caught.both++;
      else if (m) caught.model_only++;
      else if (r) caught.rules_only++;
      else caught.neither++;
    } else {
      if (m) fps.model++;
      if (r) fps.rules++;
      if (m && r) fps.both++;
      if (m || r) fps.either++;
    }
    if (args.firedMask) {
      const mask = args.firedMask[i];
      if (mask !== 0) {
        for (let b = 0; b < ids.length; b++) {
          if (mask & (1 << b)) {
            if (isFraud) fired[b].fraud++;
            else fired[b].legitimate++;
          }
        }
      }
    }
  }
  const legit = labels.length - fraud;
  const share = (a: number, b: number) => (b === 0 ? 0 : round6(a / b));
  return {
    test_rows: labels.length,
    fraud_total: fraud,
    legitimate_total: legit,
    model_threshold: args.modelThreshold,
    rules_threshold: args.rulesThreshold,
    fraud_caught: caught,
    recall: {
      model: share(caught.model_only + caught.both, fraud),
      rules: share(caught.rules_only + caught.both, fraud),
      either: share(fraud - caught.neither, fraud),
    },
    false_positives: fps,
    false_positive_rate: {
      model: share(fps.model, legit),
      rules: share(fps.rules, legit),
      either: share(fps.either, legit),
    },
    rules_fired: Object.fromEntries(ids.map((id, b) => [id, fired[b]])),
  };
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
