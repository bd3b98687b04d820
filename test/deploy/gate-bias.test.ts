import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FEATURE_NAMES } from "../../src/features/names.js";
import type { Registry } from "../../src/registry/index.js";
import {
  checkPromotionGate,
  policyFromConfig,
  promoteToProduction,
  recordApproval,
  runBacktest,
  validateModel,
  type VersionLoader,
} from "../../src/deploy/index.js";
import { PAYSIM_SAMPLE } from "../helpers/cli.js";
import {
  BACKENDS,
  createTestRegistryHome,
  openTestRegistry,
  registerPlaceholderVersion,
  type TestRegistryHome,
} from "./helpers.js";

/**
 * Both versions flag exactly the transactions over 50k: the 50k+ band's honest customers are held far
 * more often than anyone's, and the 10k-50k band's fraud is never caught. Same scores for both, so
 * the backtest's tolerance table passes and only the bias audit speaks.
 */
const AMOUNT = FEATURE_NAMES.indexOf("amount");
const loader: VersionLoader = async () => ({
  predictor: { predictRow: (v) => 1 / (1 + Math.exp(-(v[AMOUNT] - 50_000) / 1e4)) },
  featureNames: [...FEATURE_NAMES],
  reference: null,
  verifiedFiles: ["model.json"],
});

/** A policy that needs no BSA officer for a plain fraud model promotion. */
const relaxed = (biasFlagsNeedApproval: boolean) =>
  policyFromConfig(
    {
      gate: { bias_flags_need_approval: biasFlagsNeedApproval },
      changes: { fraud_model_promotion: { required_roles: ["ml_engineer", "team_lead"] } },
    },
    "test",
  );

for (const backend of BACKENDS) {
  describe(`bias flags at the backtest and the gate (${backend})`, () => {
    let home: TestRegistryHome;
    let registry: Registry;
    const M = "bias-gated";

    beforeAll(async () => {
      home = await createTestRegistryHome(backend);
      registry = await openTestRegistry(home);
      await registerPlaceholderVersion(registry, M, { stage: "Staging" });
      await validateModel(registry, { model: M, version: 1, actor: "ci", loader, latencySlaMs: 200 });
      await recordApproval(registry, { model: M, version: 1, role: "ml_engineer", by: "alice" });
      await recordApproval(registry, { model: M, version: 1, role: "team_lead", by: "bob" });
      const first = await checkPromotionGate(registry, { model: M, version: 1, policy: relaxed(true) });
      expect(first.conditions.find((c) => c.name === "bias")).toMatchObject({ status: "not_required" });
      await promoteToProduction(registry, {
        model: M,
        version: 1,
        by: "alice",
        loader,
        policy: relaxed(true),
      });
      await registerPlaceholderVersion(registry, M, { stage: "Staging" });
      await validateModel(registry, { model: M, version: 2, actor: "ci", loader, latencySlaMs: 200 });
      await recordApproval(registry, { model: M, version: 2, role: "ml_engineer", by: "alice" });
      await recordApproval(registry, { model: M, version: 2, role: "team_lead", by: "bob" });
    }, 60_000);
    afterAll(async () => {
      await registry?.close();
      await home?.drop();
    });

    it("the backtest keeps both versions' bias reports: in its result, the stored row and the audit entry", async () => {
      const report = await runBacktest(registry, {
        model: M,
        candidate: 2,
        dataset: PAYSIM_SAMPLE,
        actor: "ci",
        loader,
      });
      expect(report.comparison.passed).toBe(true);
      const flags = report.bias.candidate.flags.map((f) => `${f.dimension}=${f.segment}:${f.metric}`);
      expect(flags).toEqual(
        expect.arrayContaining(["amount_band=50k+:false_positive_rate", "amount_band=10k-50k:recall"]),
      );
      expect(report.bias.current!.flags).toEqual(report.bias.candidate.flags);
      expect(report.bias.newFlags).toEqual([]);
      const audit = (await registry.listAudit({ model: M })).find((e) => e.action === "deploy.backtest")!;
      const bias = audit.details.bias as {
        candidate_flags: unknown[];
        current_flags: unknown[];
        new_flags: string[];
      };
      expect(bias.candidate_flags).toHaveLength(flags.length);
      expect(bias.current_flags).toHaveLength(flags.length);
    });

    it("the gate shows the candidate's flags and, by default, needs a BSA officer for them", async () => {
      const gate = await checkPromotionGate(registry, {
        model: M,
        version: 2,
        policy: relaxed(true),
        promoter: "alice",
      });
      const bias = gate.conditions.find((c) => c.name === "bias")!;
      expect(bias.status).toBe("pass");
      expect(bias.detail).toMatch(
        /flag\(s\) on backtest \d+: .*amount_band=50k\+:false_positive_rate \d+\.\d\dx/,
      );
      expect(bias.detail).toContain("needs the bias_flags approval (bsa_officer)");
      expect(gate.biasFlags!.length).toBeGreaterThan(0);
      expect(gate.changeKinds).toEqual(["fraud_model_promotion", "bias_flags"]);
      expect(gate.conditions.find((c) => c.name === "approval:bsa_officer")).toMatchObject({
        status: "fail",
      });
      expect(gate.passed).toBe(false);

      // The policy may turn it off: the flags are then shown only.
      const off = await checkPromotionGate(registry, {
        model: M,
        version: 2,
        policy: relaxed(false),
        promoter: "alice",
      });
      expect(off.changeKinds).toEqual(["fraud_model_promotion"]);
      expect(off.conditions.find((c) => c.name === "bias")?.detail).toContain("shown only");
      expect(off.passed).toBe(true);

      // The BSA officer signs off; the promotion goes through on the same flags.
      await recordApproval(registry, {
        model: M,
        version: 2,
        role: "bsa_officer",
        by: "gina",
        note: "bands reviewed",
      });
      const ready = await checkPromotionGate(registry, {
        model: M,
        version: 2,
        policy: relaxed(true),
        promoter: "alice",
      });
      expect(ready.passed).toBe(true);
      const rec = await promoteToProduction(registry, {
        model: M,
        version: 2,
        by: "alice",
        loader,
        policy: relaxed(true),
      });
      expect(rec.success).toBe(true);
    });
  });
}
