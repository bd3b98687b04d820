import { describe, expect, it } from "vitest";
import { BadInputError } from "../../src/errors/index.js";
import {
  bucketOf,
  hybridVerdict,
  loadServingConfig,
  scoringConfigDigest,
  scoringConfigSchema,
  variantForBucket,
} from "../../src/serving/index.js";
import { parseWithSchema } from "../../src/config/index.js";

const defaults = loadServingConfig().scoring;
const scoring = (raw: unknown) => parseWithSchema(raw, scoringConfigSchema, "test");

describe("hybrid scorer", () => {
  it("weights rules 0.6 and ML 0.4 by default, with tiers at 0.3 / 0.6 / 0.8", () => {
    expect(hybridVerdict(defaults, 0.5, 0.25)).toEqual({
      score: 0.6 * 0.5 + 0.4 * 0.25,
      riskTier: "medium",
      recommendation: "review",
      usedMl: true,
    });
    expect(hybridVerdict(defaults, 0, 0.2).riskTier).toBe("low");
    expect(hybridVerdict(defaults, 1, 0.5).riskTier).toBe("critical");
    expect(hybridVerdict(defaults, 1, 0.5).recommendation).toBe("block");
    expect(hybridVerdict(defaults, 0.8, 0.2).riskTier).toBe("medium"); // 0.56
    expect(hybridVerdict(defaults, 1, 0.1).riskTier).toBe("high"); // 0.64
  });

  it("implements max, ml_only and rules_only, and falls back to rules without a usable ML score", () => {
    const max = scoring({ hybrid: { strategy: "max" } });
    expect(hybridVerdict(max, 0.2, 0.7).score).toBe(0.7);
    expect(hybridVerdict(scoring({ hybrid: { strategy: "ml_only" } }), 0.9, 0.1).score).toBe(0.1);
    const rulesOnly = hybridVerdict(scoring({ hybrid: { strategy: "rules_only" } }), 0.4, 0.9);
    expect(rulesOnly).toMatchObject({ score: 0.4, usedMl: false });
    expect(hybridVerdict(defaults, 0.4, null)).toMatchObject({ score: 0.4, usedMl: false });
    expect(hybridVerdict(defaults, 0.4, NaN)).toMatchObject({ score: 0.4, usedMl: false });
  });

  it("refuses weights that do not sum to 1, falling tiers and unknown keys, naming the key", () => {
    expect(() => scoring({ hybrid: { rule_weight: 0.5 } })).toThrow(
      /hybrid\.ml_weight: rule_weight \+ ml_weight must be 1/,
    );
    expect(() => scoring({ risk_tiers: { medium: 0.7 } })).toThrow(BadInputError);
    expect(() => scoring({ hybrid: { weights: 1 } })).toThrow(/hybrid/);
    expect(() => scoring({ recommendations: { low: "ignore" } })).toThrow(/recommendations\.low/);
  });

  it("digests a config by content, not key order", () => {
    const a = scoring({ hybrid: { rule_weight: 0.5, ml_weight: 0.5 } });
    const b = scoring({ hybrid: { ml_weight: 0.5, rule_weight: 0.5 } });
    expect(scoringConfigDigest(a)).toBe(scoringConfigDigest(b));
    expect(scoringConfigDigest(a)).not.toBe(scoringConfigDigest(defaults));
  });
});

describe("router", () => {
  it("buckets users deterministically into 0..9999, differently per salt", () => {
    const users = Array.from({ length: 20_000 }, (_, i) => `C${i}`);
    const a = users.map((u) => bucketOf("salt-a", u));
    expect(users.map((u) => bucketOf("salt-a", u))).toEqual(a);
    expect(a.every((b) => Number.isInteger(b) && b >= 0 && b < 10_000)).toBe(true);
    const b = users.map((u) => bucketOf("salt-b", u));
    expect(a.filter((x, i) => x === b[i]).length).toBeLessThan(20);
    // Roughly uniform: each tenth of the buckets holds 10 % ± 1 % of users.
    for (let d = 0; d < 10; d++) {
      const share = a.filter((x) => Math.floor(x / 1000) === d).length / users.length;
      expect(Math.abs(share - 0.1)).toBeLessThan(0.01);
    }
  });

  it("moves only users into the challenger when its share grows", () => {
    for (let bucket = 0; bucket < 10_000; bucket++) {
      if (variantForBucket(bucket, 10) === "challenger")
        expect(variantForBucket(bucket, 20)).toBe("challenger");
    }
    expect(variantForBucket(999, 10)).toBe("challenger");
    expect(variantForBucket(1000, 10)).toBe("champion");
    expect(variantForBucket(0, 0)).toBe("champion");
    expect(variantForBucket(9999, 100)).toBe("challenger");
    expect(variantForBucket(4, 0.05)).toBe("challenger"); // 0.01 % resolution
    expect(variantForBucket(5, 0.05)).toBe("champion");
  });
});
