import { describe, expect, it } from "vitest";
import { BadInputError, ValidationFailedError } from "../../src/errors/index.js";
import { Booster, trainBooster } from "../../src/gbdt/index.js";
import { formatFloat32 } from "../../src/gbdt/float-format.js";
import { syntheticData } from "./synthetic.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- mutating arbitrary fields of a parsed model is the point
type ModelDoc = Record<string, any>;

async function modelJson(): Promise<ModelDoc> {
  const booster = await trainBooster(syntheticData(500), { n_estimators: 2, max_depth: 2 });
  return JSON.parse(booster.toXgboostJson());
}

describe("XGBoost JSON model files", () => {
  it("writes floats in shortest float32 form, always as floats", () => {
    expect(formatFloat32(0.5)).toBe("0.5");
    expect(formatFloat32(1)).toBe("1E0");
    expect(formatFloat32(-0)).toBe("-0E0");
    expect(formatFloat32(0.1)).toBe("0.1");
    expect(Math.fround(Number(formatFloat32(Math.fround(1 / 3))))).toBe(Math.fround(1 / 3));
    expect(formatFloat32(1.5e-7)).toBe("1.5E-7");
  });

  it("writes XGBoost's document layout with feature names and objective parameters", async () => {
    const doc = await modelJson();
    const learner = doc.learner;
    expect(learner.feature_names).toEqual(["amount", "ratio", "count", "noise", "flag"]);
    expect(learner.objective.name).toBe("binary:logistic");
    expect(learner.learner_model_param.base_score).toBe("0.5");
    expect(learner.gradient_booster.name).toBe("gbtree");
    expect(learner.gradient_booster.model.trees).toHaveLength(2);
    expect(learner.gradient_booster.model.gbtree_model_param.num_trees).toBe("2");
  });

  it("refuses what it cannot serve exactly, naming it", async () => {
    const cases: [string, (d: ModelDoc) => void, RegExp][] = [
      ["multiclass", (d) => (d.learner.learner_model_param.num_class = "3"), /multiclass/],
      ["objective", (d) => (d.learner.objective.name = "reg:squarederror"), /objective "reg:squarederror"/],
      ["dart", (d) => (d.learner.gradient_booster.name = "dart"), /booster "dart"/],
      [
        "categorical",
        (d) => (d.learner.gradient_booster.model.trees[0].split_type[0] = 1),
        /categorical splits/,
      ],
      [
        "categorical type",
        (d) => (d.learner.feature_types = ["c", "float", "float", "float", "float"]),
        /categorical feature "amount"/,
      ],
    ];
    for (const [, mutate, message] of cases) {
      const doc = await modelJson();
      mutate(doc);
      expect(() => Booster.fromXgboostJson(JSON.stringify(doc))).toThrow(ValidationFailedError);
      expect(() => Booster.fromXgboostJson(JSON.stringify(doc))).toThrow(message);
    }
  });

  it("refuses malformed documents as bad input", async () => {
    expect(() => Booster.fromXgboostJson("{not json", "m.json")).toThrow(BadInputError);
    expect(() => Booster.fromXgboostJson("{}", "m.json")).toThrow(/no `learner`/);
    const doc = await modelJson();
    doc.learner.gradient_booster.model.trees[1].left_children[0] = 99;
    expect(() => Booster.fromXgboostJson(JSON.stringify(doc))).toThrow(/tree 1: node 99/);
    const doc2 = await modelJson();
    doc2.learner.gradient_booster.model.trees[0].split_conditions.pop();
    expect(() => Booster.fromXgboostJson(JSON.stringify(doc2))).toThrow(/split_conditions/);
  });

  it("reads XGBoost 2.x/3.x variants: bracketed base_score, boolean default_left, no feature names", async () => {
    const doc = await modelJson();
    const original = Booster.fromXgboostJson(JSON.stringify(doc));
    doc.learner.learner_model_param.base_score = "[5E-1]";
    for (const t of doc.learner.gradient_booster.model.trees)
      t.default_left = t.default_left.map((d: number) => d === 1);
    delete doc.learner.feature_names;
    const loaded = Booster.fromXgboostJson(JSON.stringify(doc));
    expect(loaded.featureNames).toEqual(["f0", "f1", "f2", "f3", "f4"]);
    const data = syntheticData(50);
    expect(loaded.compile().predictBatch(data.columns, 50)).toEqual(
      original.compile().predictBatch(data.columns, 50),
    );
  });
});
