import { beforeAll, describe, expect, it } from "vitest";
import { readPaysim } from "../../src/data/index.js";
import { buildFeatures, FEATURE_NAMES } from "../../src/features/index.js";
import { Booster, trainBooster } from "../../src/gbdt/index.js";
import { explainDecision, ServedExplainer, type DecisionFacts } from "../../src/serving/index.js";
import { PAYSIM_SAMPLE } from "../helpers/cli.js";

/**
 * The explanation a score answer carries, on a model trained here from the PaySim sample: the
 * sum to the margin, the order, the mapping from serving's feature order to a model's own, the
 * rules-only form and the sentence.
 */
let booster: Booster;
let rows: Float64Array[];

beforeAll(async () => {
  const { tx } = await readPaysim(PAYSIM_SAMPLE);
  const fm = buildFeatures(tx);
  const columns = fm.columns.map((c) => Float64Array.from(c));
  booster = await trainBooster(
    { columns, featureNames: [...fm.names], labels: Float64Array.from(tx.isFraud!) },
    { n_estimators: 20, max_depth: 4, learning_rate: 0.3, seed: 3 },
    { nThreads: 1 },
  );
  rows = Array.from({ length: 200 }, (_, k) => Float64Array.from(columns, (c) => c[k * 97]));
}, 120_000);

const model = { name: "fraud-detector", version: 4 };
const rules = [{ id: "account_drained", weight: 0.35 }];
const facts = (features: Float64Array, mlScore: number | null = 0.5): DecisionFacts => ({
  score: 0.4321,
  riskTier: "medium",
  mlScore,
  model: mlScore === null ? null : model,
  features,
  rules,
});

describe("explainDecision", () => {
  it("lists the largest contributions, which with the bias and the rest sum to the model's margin", () => {
    const served = new ServedExplainer(booster.featureNames, booster.explainer());
    const predictor = booster.compile();
    for (const row of rows) {
      const e = explainDecision(facts(row), served, 3);
      expect(e.model).toEqual(model);
      expect(e.contributions.length).toBeLessThanOrEqual(3);
      const listed = e.contributions.reduce((s, c) => s + c.contribution, 0);
      expect(Math.abs(e.bias! + listed + e.other_contribution! - e.margin!)).toBeLessThan(1e-9);
      expect(Math.abs(e.margin! - predictor.predictMargin(row))).toBeLessThan(1e-5);
      const sizes = e.contributions.map((c) => Math.abs(c.contribution));
      expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
      for (const c of e.contributions) {
        expect(c.value).toBe(row[FEATURE_NAMES.indexOf(c.feature as (typeof FEATURE_NAMES)[number])]);
        expect(c.direction).toBe(c.contribution > 0 ? "raises" : "lowers");
      }
      expect(e.rules_triggered).toEqual([
        {
          id: "account_drained",
          category: "behaviour",
          weight: 0.35,
          description: "An outgoing transaction empties (almost all of) the sender's balance",
        },
      ]);
      // The same facts always read the same.
      expect(explainDecision(facts(row), served, 3)).toEqual(e);
    }
  });

  it("maps serving's feature order onto a model whose own order differs", () => {
    const reversed = [...booster.featureNames].reverse();
    // A model reading its features in reverse order: the same trees with feature indices mirrored.
    const json = JSON.parse(booster.toXgboostJson());
    const n = reversed.length;
    json.learner.feature_names = reversed;
    for (const t of json.learner.gradient_booster.model.trees)
      t.split_indices = t.split_indices.map((f: number) => n - 1 - f);
    const other = Booster.fromXgboostJson(JSON.stringify(json), "reversed");
    expect(other.featureNames).toEqual(reversed);
    const a = explainDecision(
      facts(rows[3]),
      new ServedExplainer(booster.featureNames, booster.explainer()),
      11,
    );
    const b = explainDecision(facts(rows[3]), new ServedExplainer(other.featureNames, other.explainer()), 11);
    expect(b.contributions).toEqual(a.contributions);
    expect(b.bias).toBe(a.bias);
  });

  it("refuses a model needing a feature serving does not compute", () => {
    expect(() => new ServedExplainer(["amount", "favourite_colour"], booster.explainer())).toThrow(
      /favourite_colour/,
    );
  });

  it("explains a rules-only decision by its rules alone", () => {
    const served = new ServedExplainer(booster.featureNames, booster.explainer());
    const e = explainDecision(facts(rows[0], null), served, 5);
    expect(e).toMatchObject({
      model: null,
      bias: null,
      margin: null,
      contributions: [],
      other_contribution: null,
    });
    expect(e.summary).toBe(
      "Score 0.43 (medium risk), from the rules alone: rules triggered: account_drained (weight 0.35).",
    );
    const none = explainDecision({ ...facts(rows[0], null), rules: [] }, null, 5);
    expect(none.summary).toBe("Score 0.43 (medium risk), from the rules alone: no rule triggered.");
  });

  it("says in one sentence what pushed the model up and down", () => {
    const served = new ServedExplainer(booster.featureNames, booster.explainer());
    const e = explainDecision(facts(rows[5], 0.8765), served, 5);
    expect(e.summary).toMatch(
      /^Score 0\.43 \(medium risk\): the model \(version 4, fraud probability 0\.88\) (was pushed up by|was .*down by|found nothing)/,
    );
    expect(e.summary).toMatch(/; rules triggered: account_drained \(weight 0\.35\)\.$/);
    for (const c of e.contributions) expect(e.summary).toContain(c.feature);
    expect(e.summary.split(". ").length).toBe(1);
  });
});
