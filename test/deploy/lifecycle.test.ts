import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { FEATURE_NAMES } from "../../src/features/names.js";
import {
  ApprovalMissingError,
  BadInputError,
  ConflictError,
  NotFoundError,
  ValidationFailedError,
} from "../../src/errors/index.js";
import type { Registry } from "../../src/registry/index.js";
import {
  archiveProduction,
  assertApproved,
  deploymentHistory,
  deploymentRecordOf,
  policyFromConfig,
  promoteToProduction,
  recordApproval,
  rollback,
  validateModel,
  type VersionLoader,
} from "../../src/deploy/index.js";
import {
  BACKENDS,
  createTestRegistryHome,
  openTestRegistry,
  registerPlaceholderVersion,
  type TestRegistryHome,
} from "./helpers.js";

/** Versions whose number is in `broken` score NaN; the others a proper probability. */
const broken = new Set<number>();
const loader: VersionLoader = async (_registry, _model, version) => ({
  predictor: { predictRow: (v) => (broken.has(version) ? Number.NaN : 1 / (1 + Math.exp(-v[0] / 1e5))) },
  featureNames: [...FEATURE_NAMES],
  reference: null,
  verifiedFiles: ["model.json"],
});

async function caught(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a rejection");
}

for (const backend of BACKENDS) {
  describe(`deployment lifecycle (${backend})`, () => {
    let home: TestRegistryHome;
    let registry: Registry;
    const M = "fraud-detector";
    const stageOf = async (v: number) => (await registry.getVersion(M, v)).stage;
    const approveBoth = async (v: number) => {
      await recordApproval(registry, { model: M, version: v, role: "ml_engineer", by: "alice" });
      await recordApproval(registry, {
        model: M,
        version: v,
        role: "team_lead",
        by: "bob",
        note: "reviewed",
      });
    };

    beforeAll(async () => {
      home = await createTestRegistryHome(backend);
      registry = await openTestRegistry(home);
    });
    afterAll(async () => {
      await registry?.close();
      await home?.drop();
    });

    it("validates a version, storing the report and an audit entry", async () => {
      await registerPlaceholderVersion(registry, M);
      const v = await validateModel(registry, {
        model: M,
        version: 1,
        actor: "ci",
        loader,
        latencySlaMs: 200,
      });
      expect(v.passed).toBe(true);
      expect(v.report.details.n_tested).toBe(100);
      expect(v.report.details.vector_source).toContain("builtin");
      const audit = await registry.listAudit({ model: M });
      expect(audit.at(-1)).toMatchObject({ action: "deploy.validate", version: 1, actor: "ci" });
    });

    it("reports a model whose features the reference does not know as unscorable, not as unloadable", async () => {
      const odd: VersionLoader = async (...args) => ({
        ...(await loader(...args)),
        featureNames: ["mystery"],
      });
      const v = await validateModel(registry, { model: M, version: 1, actor: "ci", loader: odd });
      expect(v.report.checks).toMatchObject({ model_loads: true, scores_valid: false });
      expect(v.report.details.vector_source).toContain("no histogram for feature mystery");
      const withEvents = await validateModel(registry, {
        model: M,
        version: 1,
        actor: "ci",
        loader: odd,
        callerVectors: [Float64Array.of(1)],
      });
      expect(withEvents.passed).toBe(true);
    });

    it("refuses a promotion without approvals, records it, and changes nothing", async () => {
      const err = await caught(promoteToProduction(registry, { model: M, version: 1, by: "carol", loader }));
      expect(err).toBeInstanceOf(ApprovalMissingError);
      expect(err.message).toContain(`model ${M} version 1`);
      expect(err.message).toContain("ml_engineer has not approved");
      expect(err.message).toContain("team_lead has not approved");
      expect(deploymentRecordOf(err)).toMatchObject({ success: false, action: "promote", version: 1 });
      expect(await stageOf(1)).toBe("None");
    });

    it("enforces separation of duties when recording approvals", async () => {
      await recordApproval(registry, { model: M, version: 1, role: "ml_engineer", by: "alice" });
      const err = await caught(
        recordApproval(registry, { model: M, version: 1, role: "team_lead", by: "alice" }),
      );
      expect(err).toBeInstanceOf(ApprovalMissingError);
      expect(err.message).toContain("separation of duties");
      expect((await registry.listAudit({ model: M })).at(-1)?.action).toBe("deploy.approval_refused");
      await expect(
        recordApproval(registry, { model: M, version: 1, role: "cfo", by: "zed" }),
      ).rejects.toThrow(BadInputError);
    });

    it("promotes v1 once approved", async () => {
      const { evaluation } = await recordApproval(registry, {
        model: M,
        version: 1,
        role: "team_lead",
        by: "bob",
      });
      expect(evaluation.satisfied).toBe(true);
      const rec = await promoteToProduction(registry, { model: M, version: 1, by: "alice", loader });
      expect(rec).toMatchObject({
        success: true,
        version: 1,
        previousVersion: null,
        action: "promote",
        triggeredBy: "alice",
      });
      expect(rec.validation?.passed).toBe(true);
      expect(rec.approvals?.filledBy).toEqual({ ml_engineer: "alice", team_lead: "bob" });
      expect(await stageOf(1)).toBe("Production");
      await expect(
        promoteToProduction(registry, { model: M, version: 1, by: "alice", loader }),
      ).rejects.toThrow(ConflictError);
    });

    it("blocks a version on a rejection until the same role approves later", async () => {
      await registerPlaceholderVersion(registry, M);
      await approveBoth(2);
      await recordApproval(registry, {
        model: M,
        version: 2,
        role: "bsa_officer",
        by: "gina",
        decision: "reject",
        note: "wait for Q3 data",
      });
      const err = await caught(promoteToProduction(registry, { model: M, version: 2, by: "alice", loader }));
      expect(err).toBeInstanceOf(ApprovalMissingError);
      expect(err.message).toContain("rejected by gina (bsa_officer): wait for Q3 data");
      expect(await stageOf(2)).toBe("None");
      await expect(
        recordApproval(registry, {
          model: M,
          version: 2,
          role: "bsa_officer",
          by: "gina",
          decision: "reject",
        }),
      ).rejects.toThrow(/needs --note/);
      await recordApproval(registry, {
        model: M,
        version: 2,
        role: "bsa_officer",
        by: "gina",
        note: "Q3 data reviewed",
      });
    });

    it("refuses a version that fails validation, and skipping needs a reason", async () => {
      broken.add(2);
      onTestFinished(() => void broken.delete(2));
      const err = await caught(promoteToProduction(registry, { model: M, version: 2, by: "alice", loader }));
      expect(err).toBeInstanceOf(ValidationFailedError);
      expect(err.message).toMatch(
        /model fraud-detector version 2: validation failed: scores_valid \(0\/100 predictions finite\)/,
      );
      expect(deploymentRecordOf(err)?.validation?.checks.scores_valid).toBe(false);
      expect(await stageOf(1)).toBe("Production");
      await expect(
        promoteToProduction(registry, { model: M, version: 2, by: "alice", skipValidation: true }),
      ).rejects.toThrow(BadInputError);
    });

    it("promotes v2 and archives v1 in one step", async () => {
      const rec = await promoteToProduction(registry, { model: M, version: 2, by: "alice", loader });
      expect(rec).toMatchObject({ success: true, version: 2, previousVersion: 1 });
      expect(await stageOf(1)).toBe("Archived");
      expect(await stageOf(2)).toBe("Production");
    });

    it("rolls back to the previous Production version, and forward again", async () => {
      const back = await rollback(registry, { model: M, by: "oncall", reason: "FPR spike" });
      expect(back).toMatchObject({
        success: true,
        action: "rollback",
        version: 1,
        previousVersion: 2,
        reason: "FPR spike",
      });
      expect(await stageOf(1)).toBe("Production");
      expect(await stageOf(2)).toBe("Archived");
      await expect(rollback(registry, { model: M, by: "oncall", to: 1 })).rejects.toThrow(
        /current Production version/,
      );
      const forward = await rollback(registry, { model: M, by: "oncall", to: 2 });
      expect(forward).toMatchObject({ version: 2, previousVersion: 1 });
      await rollback(registry, { model: M, by: "oncall" });
      expect(await stageOf(1)).toBe("Production");
    });

    it("a skipped validation is recorded with its reason", async () => {
      await registerPlaceholderVersion(registry, M);
      await approveBoth(3);
      const rec = await promoteToProduction(registry, {
        model: M,
        version: 3,
        by: "bob",
        skipValidation: true,
        reason: "hotfix INC-42",
      });
      expect(rec).toMatchObject({
        success: true,
        validation: null,
        reason: "hotfix INC-42",
        previousVersion: 1,
      });
      expect(rec.details.validation_skipped).toBe(true);
      await rollback(registry, { model: M, by: "oncall" });
      expect(await stageOf(1)).toBe("Production");
    });

    it("fails clearly, and records it, when there is nothing to roll back to", async () => {
      const other = "solo-model";
      await registerPlaceholderVersion(registry, other);
      const none = await caught(rollback(registry, { model: other, by: "oncall" }));
      expect(none).toBeInstanceOf(ConflictError);
      expect(none.message).toContain(`model ${other} has no version in Production: nothing to roll back`);
      await recordApproval(registry, { model: other, version: 1, role: "ml_engineer", by: "alice" });
      await recordApproval(registry, { model: other, version: 1, role: "team_lead", by: "bob" });
      await promoteToProduction(registry, { model: other, version: 1, by: "alice", loader });
      const nothing = await caught(rollback(registry, { model: other, by: "oncall" }));
      expect(nothing.message).toContain(`cannot roll back model ${other} from version 1`);
      expect(await registry.getVersion(other, 1)).toMatchObject({ stage: "Production" });
      const hist = await deploymentHistory(registry, { model: other });
      expect(hist.map((r) => [r.action, r.success])).toEqual([
        ["rollback", false],
        ["promote", true],
        ["rollback", false],
      ]);
      await expect(rollback(registry, { model: "nope", by: "x" })).rejects.toThrow(NotFoundError);
    });

    it("archives Production in an emergency, and restores with rollback --to", async () => {
      const other = "solo-model";
      await expect(archiveProduction(registry, { model: other, by: "oncall", reason: "" })).rejects.toThrow(
        BadInputError,
      );
      const rec = await archiveProduction(registry, {
        model: other,
        by: "oncall",
        reason: "NaN scores, INC-7",
      });
      expect(rec).toMatchObject({
        action: "archive",
        version: 1,
        success: true,
        reason: "NaN scores, INC-7",
      });
      expect(await registry.getLatestVersion(other, "Production")).toBeNull();
      const again = await caught(
        archiveProduction(registry, { model: other, by: "oncall", reason: "again" }),
      );
      expect(again).toBeInstanceOf(ConflictError);
      expect(again.message).toBe(`cannot archive model ${other}: it has no version in Production`);
      await expect(rollback(registry, { model: other, by: "oncall" })).rejects.toThrow(/use --to/);
      const restored = await rollback(registry, {
        model: other,
        by: "oncall",
        to: 1,
        reason: "fixed upstream",
      });
      expect(restored).toMatchObject({
        action: "rollback",
        version: 1,
        previousVersion: null,
        success: true,
      });
      expect((await registry.getVersion(other, 1)).stage).toBe("Production");
      expect((await registry.listAudit({ model: other })).map((e) => e.action)).toEqual(
        expect.arrayContaining(["deploy.archive", "deploy.archive_failed", "deploy.rollback"]),
      );
    });

    it("falls back to the highest Archived version when no deployment record names the previous one", async () => {
      const manual = "moved-by-hand";
      for (let i = 0; i < 3; i++) await registerPlaceholderVersion(registry, manual);
      for (const version of [1, 2, 3]) {
        await registry.transitionStage({
          name: manual,
          version,
          stage: "Production",
          archiveExisting: true,
          actor: "ops",
        });
      }
      const rec = await rollback(registry, { model: manual, by: "oncall" });
      expect(rec).toMatchObject({
        version: 2,
        previousVersion: 3,
        details: { target_source: "highest Archived version" },
      });
      // Now the history names version 3 as the one before version 2.
      const again = await rollback(registry, { model: manual, by: "oncall" });
      expect(again).toMatchObject({ version: 3, previousVersion: 2 });
      expect(again.details.target_source).toMatch(/^deployment record \d+$/);
    });

    it("holds a promotion to the policy and change kind given", async () => {
      const strict = policyFromConfig(
        {
          changes: { fraud_model_promotion: { required_roles: ["ml_engineer", "team_lead", "bsa_officer"] } },
        },
        "strict.yaml",
      );
      const name = "strict-model";
      await registerPlaceholderVersion(registry, name);
      await recordApproval(registry, {
        model: name,
        version: 1,
        role: "ml_engineer",
        by: "alice",
        policy: strict,
      });
      await recordApproval(registry, {
        model: name,
        version: 1,
        role: "team_lead",
        by: "bob",
        policy: strict,
      });
      const err = await caught(
        promoteToProduction(registry, { model: name, version: 1, by: "alice", policy: strict, loader }),
      );
      expect(err.message).toContain("role bsa_officer has not approved");
      // The same approvals do not count for another kind of change.
      const compliance = await caught(
        promoteToProduction(registry, {
          model: name,
          version: 1,
          by: "alice",
          changeKind: "compliance_model_change",
          loader,
        }),
      );
      expect(compliance.message).toContain("approvals missing for compliance_model_change");
      await recordApproval(registry, {
        model: name,
        version: 1,
        role: "bsa_officer",
        by: "gina",
        policy: strict,
      });
      const rec = await promoteToProduction(registry, {
        model: name,
        version: 1,
        by: "alice",
        policy: strict,
        loader,
      });
      expect(rec.details.policy).toEqual({ source: "strict.yaml", digest: strict.digest });
      expect(rec.approvals?.filledBy).toEqual({
        ml_engineer: "alice",
        team_lead: "bob",
        bsa_officer: "gina",
      });
      await expect(
        promoteToProduction(registry, {
          model: name,
          version: 1,
          by: "alice",
          changeKind: "model_promotoin",
        }),
      ).rejects.toThrow(BadInputError);
    });

    it("gates a threshold change on approvals bound to the proposed configuration", async () => {
      const proposal = createHash("sha256").update("threshold: 0.62").digest("hex");
      const other = createHash("sha256").update("threshold: 0.40").digest("hex");
      const gate = { model: M, version: 1, changeKind: "scoring_threshold_change", subjectDigest: proposal };
      await expect(assertApproved(registry, { ...gate, promoter: "alice" })).rejects.toThrow(
        /model fraud-detector version 1: approvals missing for scoring_threshold_change: role ml_engineer has not approved; role bsa_officer has not approved/,
      );
      await recordApproval(registry, { ...gate, role: "ml_engineer", by: "alice" });
      await recordApproval(registry, {
        ...gate,
        role: "bsa_officer",
        by: "gina",
        note: "CTR impact reviewed",
      });
      expect((await assertApproved(registry, { ...gate, promoter: "alice" })).filledBy).toEqual({
        ml_engineer: "alice",
        bsa_officer: "gina",
      });
      // Another threshold is another change: the same sign-offs do not carry over.
      await expect(assertApproved(registry, { ...gate, subjectDigest: other })).rejects.toThrow(
        ApprovalMissingError,
      );
      await expect(
        recordApproval(registry, { ...gate, subjectDigest: "0.62", role: "ml_engineer", by: "x" }),
      ).rejects.toThrow(BadInputError);
    });

    it("keeps a complete history and a verifiable audit chain", async () => {
      const hist = await deploymentHistory(registry, { model: M });
      expect(hist.filter((r) => r.success).map((r) => [r.action, r.version, r.previousVersion])).toEqual([
        ["rollback", 1, 3],
        ["promote", 3, 1],
        ["rollback", 1, 2],
        ["rollback", 2, 1],
        ["rollback", 1, 2],
        ["promote", 2, 1],
        ["promote", 1, null],
      ]);
      // No approvals, already in Production, rejected, failed validation, rollback to the current version.
      expect(hist.filter((r) => !r.success)).toHaveLength(5);
      const verify = await registry.verifyAudit();
      expect(verify.ok).toBe(true);
      const actions = (await registry.listAudit({ model: M })).map((e) => e.action);
      for (const a of [
        "deploy.validate",
        "deploy.approve",
        "deploy.reject",
        "deploy.promote",
        "deploy.promote_refused",
        "deploy.rollback",
      ]) {
        expect(actions).toContain(a);
      }
    });

    it("refuses to edit or delete deployment records at the database", async () => {
      await expect(
        registry.transaction((tx) => tx.db.updateTable("deploy_records").set({ success: 1 }).execute()),
      ).rejects.toThrow(/append-only/);
      await expect(
        registry.transaction((tx) => tx.db.deleteFrom("deploy_approvals").execute()),
      ).rejects.toThrow(/cannot be deleted/);
    });
  });
}
