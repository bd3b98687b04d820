import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { FEATURE_NAMES } from "../../src/features/names.js";
import {
  ApprovalMissingError,
  BadInputError,
  ConflictError,
  NotFoundError,
  ValidationFailedError,
} from "../../src/errors/index.js";
import type { Kysely } from "kysely";
import type { DeployDatabase } from "../../src/deploy/index.js";
import type { Registry, RegistryTx } from "../../src/registry/index.js";
import {
  archiveProduction,
  assertApproved,
  deploymentHistory,
  deploymentRecordOf,
  policyFromConfig,
  gateReportOf,
  promoteToProduction,
  recordApproval,
  rollback,
  runBacktest,
  validateModel,
  type VersionLoader,
} from "../../src/deploy/index.js";
import { writePaysimSampleHead } from "../helpers/cli.js";
import {
  BACKENDS,
  createTestRegistryHome,
  openTestRegistry,
  registerPlaceholderVersion,
  type TestRegistryHome,
} from "./helpers.js";

/** Deploy's tables, viewed through a registry transaction (as src/deploy/store does). */
const deployDb = (tx: RegistryTx) => tx.db as Kysely<DeployDatabase>;

/** Versions whose number is in `broken` score NaN; the others a proper probability. */
const broken = new Set<number>();
const loader: VersionLoader = async (_registry, _model, version) => ({
  predictor: { predictRow: (v) => (broken.has(version) ? Number.NaN : 1 / (1 + Math.exp(-v[0] / 1e5))) },
  featureNames: [...FEATURE_NAMES],
  reference: null,
  verifiedFiles: ["model.json"],
});

/** 2,000 rows of the real PaySim sample: the labeled set the backtests score. */
let dataDir: string;
let dataset: string;
beforeAll(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), "lakay-deploy-data-"));
  dataset = path.join(dataDir, "labeled.csv");
  writePaysimSampleHead(dataset, 2000);
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

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
    /** The default policy's three sign-offs for a fraud model promotion. */
    const approveAll = async (v: number, model = M) => {
      await recordApproval(registry, { model, version: v, role: "ml_engineer", by: "alice" });
      await recordApproval(registry, { model, version: v, role: "team_lead", by: "bob", note: "reviewed" });
      await recordApproval(registry, { model, version: v, role: "bsa_officer", by: "gina", note: "SAR ok" });
    };
    const backtest = (v: number, model = M) =>
      runBacktest(registry, { model, candidate: v, dataset, actor: "ci", loader });

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

    it("refuses a promotion of a version not in Staging and without approvals, records it, and changes nothing", async () => {
      const err = await caught(promoteToProduction(registry, { model: M, version: 1, by: "carol", loader }));
      expect(err).toBeInstanceOf(ConflictError);
      expect(err.message).toContain(`cannot promote model ${M} version 1: stage: in None, not Staging`);
      expect(err.message).toContain("ml_engineer has not approved");
      expect(err.message).toContain("team_lead has not approved");
      expect(err.message).toContain("bsa_officer has not approved");
      expect(deploymentRecordOf(err)).toMatchObject({ success: false, action: "promote", version: 1 });
      expect(gateReportOf(err)?.conditions.map((c) => [c.name, c.status])).toEqual([
        ["stage", "fail"],
        ["validation", "pass"],
        ["backtest", "not_required"],
        ["bias", "not_required"],
        ["approval:ml_engineer", "fail"],
        ["approval:team_lead", "fail"],
        ["approval:bsa_officer", "fail"],
      ]);
      expect(await stageOf(1)).toBe("None");
      await registry.transitionStage({ name: M, version: 1, stage: "Staging", actor: "trainer" });
    });

    it("enforces separation of duties when recording approvals", async () => {
      await recordApproval(registry, { model: M, version: 1, role: "ml_engineer", by: "alice" });
      const err = await caught(
        recordApproval(registry, { model: M, version: 1, role: "team_lead", by: "alice" }),
      );
      expect(err).toBeInstanceOf(ApprovalMissingError);
      expect(err.message).toContain("separation of duties");
      expect((await registry.listAudit({ model: M })).at(-1)?.action).toBe("deploy.approval_refused");
      // The same person under another spelling is the same person.
      const folded = await caught(
        recordApproval(registry, { model: M, version: 1, role: "team_lead", by: " ALICE " }),
      );
      expect(folded.message).toContain("separation of duties");
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
      expect(evaluation.satisfied).toBe(false);
      await recordApproval(registry, { model: M, version: 1, role: "bsa_officer", by: "gina" });
      const rec = await promoteToProduction(registry, { model: M, version: 1, by: "alice", loader });
      expect(rec).toMatchObject({
        success: true,
        version: 1,
        previousVersion: null,
        action: "promote",
        triggeredBy: "alice",
      });
      expect(rec.validation?.passed).toBe(true);
      expect(rec.approvals?.filledBy).toEqual({
        ml_engineer: "alice",
        team_lead: "bob",
        bsa_officer: "gina",
      });
      expect(await stageOf(1)).toBe("Production");
      expect((await registry.getVersion(M, 1)).aliases).toEqual(["champion"]);
      await expect(
        promoteToProduction(registry, { model: M, version: 1, by: "alice", loader }),
      ).rejects.toThrow(ConflictError);
    });

    it("blocks a version on a rejection until the same role approves later", async () => {
      await registerPlaceholderVersion(registry, M, { stage: "Staging" });
      await approveAll(2);
      await backtest(2);
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
      expect(err.message).toContain("rejected by gina: wait for Q3 data");
      expect(await stageOf(2)).toBe("Staging");
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
        /model fraud-detector version 2: validation: validation failed: scores_valid \(0\/100 predictions finite\)/,
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
      expect((await registry.getVersion(M, 2)).aliases).toEqual(["champion"]);
      expect(rec.details.backtest_id).toEqual(expect.any(Number));
    });

    it("counts only a passing backtest against the current Production version, on the same files, young enough", async () => {
      const v = await registerPlaceholderVersion(registry, M, { stage: "Staging" });
      await approveAll(v.version);
      const none = await caught(
        promoteToProduction(registry, { model: M, version: v.version, by: "alice", loader }),
      );
      expect(none).toBeInstanceOf(ValidationFailedError);
      expect(none.message).toContain("backtest: no backtest against Production version 2 counts (none run)");
      broken.add(v.version);
      onTestFinished(() => void broken.delete(v.version));
      await backtest(v.version);
      broken.delete(v.version);
      const failing = await caught(
        promoteToProduction(registry, { model: M, version: v.version, by: "alice", loader }),
      );
      expect(failing.message).toMatch(/backtest: backtest \d+ against version 2 failed: AUC-ROC/);
      await backtest(v.version);
      const later = new Date(Date.now() + 31 * 86_400_000);
      const stale = await caught(
        promoteToProduction(registry, { model: M, version: v.version, by: "alice", loader, now: later }),
      );
      expect(stale.message).toMatch(/days old \(maximum 30\)/);
      // Not promoted: kept in Staging for the tests below, which archive it.
      await registry.transitionStage({ name: M, version: v.version, stage: "Archived", actor: "ci" });
    });

    it("rolls back to the previous Production version, and forward again", async () => {
      const back = await rollback(registry, { model: M, by: "oncall", reason: "FPR spike", loader });
      expect(back).toMatchObject({
        success: true,
        action: "rollback",
        version: 1,
        previousVersion: 2,
        reason: "FPR spike",
      });
      expect(await stageOf(1)).toBe("Production");
      expect(await stageOf(2)).toBe("Archived");
      expect((await registry.getVersion(M, 1)).aliases).toEqual(["champion"]);
      await expect(rollback(registry, { model: M, by: "oncall", to: 1, loader })).rejects.toThrow(
        /current Production version/,
      );
      const forward = await rollback(registry, { model: M, by: "oncall", to: 2, loader });
      expect(forward).toMatchObject({ version: 2, previousVersion: 1 });
      // A target that fails its verification is refused, and nothing moves.
      broken.add(1);
      onTestFinished(() => void broken.delete(1));
      const refused = await caught(rollback(registry, { model: M, by: "oncall", loader }));
      expect(refused).toBeInstanceOf(ValidationFailedError);
      expect(refused.message).toContain(
        `cannot roll back model ${M} to version 1: verification failed: scores_valid`,
      );
      expect(await stageOf(2)).toBe("Production");
      broken.delete(1);
      await rollback(registry, { model: M, by: "oncall", loader });
      expect(await stageOf(1)).toBe("Production");
    });

    it("a skipped validation needs a reason and the override approvals, and is recorded as an override", async () => {
      const v = (await registerPlaceholderVersion(registry, M, { stage: "Staging" })).version;
      await approveAll(v);
      await backtest(v);
      const skip = { model: M, version: v, by: "bob", skipValidation: true, reason: "hotfix INC-42" };
      const err = await caught(promoteToProduction(registry, skip));
      expect(err).toBeInstanceOf(ApprovalMissingError);
      expect(err.message).toContain("override:team_lead: role team_lead has not approved (override)");
      await recordApproval(registry, {
        model: M,
        version: v,
        role: "team_lead",
        by: "bob",
        changeKind: "override",
      });
      await recordApproval(registry, {
        model: M,
        version: v,
        role: "bsa_officer",
        by: "gina",
        changeKind: "override",
      });
      const rec = await promoteToProduction(registry, skip);
      expect(rec).toMatchObject({
        success: true,
        validation: null,
        reason: "hotfix INC-42",
        previousVersion: 1,
      });
      expect(rec.details.overrides).toEqual({ validation: true, backtest: false, reason: "hotfix INC-42" });
      await rollback(registry, { model: M, by: "oncall", loader });
      expect(await stageOf(1)).toBe("Production");
    });

    it("fails clearly, and records it, when there is nothing to roll back to", async () => {
      const other = "solo-model";
      await registerPlaceholderVersion(registry, other, { stage: "Staging" });
      const none = await caught(rollback(registry, { model: other, by: "oncall" }));
      expect(none).toBeInstanceOf(ConflictError);
      expect(none.message).toContain(`model ${other} has no version in Production: nothing to roll back`);
      await approveAll(1, other);
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
      expect((await registry.getVersion(other, 1)).aliases).toEqual([]);
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
        loader,
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
      const rec = await rollback(registry, { model: manual, by: "oncall", loader });
      expect(rec).toMatchObject({
        version: 2,
        previousVersion: 3,
        details: { target_source: "highest Archived version" },
      });
      // Now the history names version 3 as the one before version 2.
      const again = await rollback(registry, { model: manual, by: "oncall", loader });
      expect(again).toMatchObject({ version: 3, previousVersion: 2 });
      expect(again.details.target_source).toMatch(/^deployment record \d+$/);
    });

    it("holds a promotion to the policy, the declared change kind and the detected ones", async () => {
      const relaxed = policyFromConfig(
        { changes: { fraud_model_promotion: { required_roles: ["ml_engineer", "team_lead"] } } },
        "relaxed.yaml",
      );
      const name = "policy-model";
      await registerPlaceholderVersion(registry, name, { stage: "Staging" });
      await recordApproval(registry, {
        model: name,
        version: 1,
        role: "ml_engineer",
        by: "alice",
        policy: relaxed,
      });
      await recordApproval(registry, {
        model: name,
        version: 1,
        role: "team_lead",
        by: "bob",
        policy: relaxed,
      });
      const compliance = await caught(
        promoteToProduction(registry, {
          model: name,
          version: 1,
          by: "alice",
          changeKind: "compliance_model_change",
          policy: relaxed,
          loader,
        }),
      );
      expect(compliance.message).toContain("approval:bsa_officer: role bsa_officer has not approved");
      const rec = await promoteToProduction(registry, {
        model: name,
        version: 1,
        by: "alice",
        policy: relaxed,
        loader,
      });
      expect(rec.details.policy).toEqual({ source: "relaxed.yaml", digest: relaxed.digest });
      expect(rec.approvals?.filledBy).toEqual({ ml_engineer: "alice", team_lead: "bob" });

      // Version 2 was trained with another decision threshold: a threshold change, detected.
      await registerPlaceholderVersion(registry, name, {
        stage: "Staging",
        tags: { decision_threshold: "0.3" },
      });
      await recordApproval(registry, {
        model: name,
        version: 2,
        role: "ml_engineer",
        by: "alice",
        policy: relaxed,
      });
      await recordApproval(registry, {
        model: name,
        version: 2,
        role: "team_lead",
        by: "bob",
        policy: relaxed,
      });
      await backtest(2, name);
      const detected = await caught(
        promoteToProduction(registry, { model: name, version: 2, by: "alice", policy: relaxed, loader }),
      );
      expect(detected).toBeInstanceOf(ApprovalMissingError);
      expect(gateReportOf(detected)?.detectedChanges).toEqual([
        { kind: "scoring_threshold_change", detail: "decision threshold 0.5 -> 0.3" },
      ]);
      expect(detected.message).toContain("approval:bsa_officer: role bsa_officer has not approved");
      await recordApproval(registry, {
        model: name,
        version: 2,
        role: "bsa_officer",
        by: "gina",
        policy: relaxed,
      });
      const ok = await promoteToProduction(registry, {
        model: name,
        version: 2,
        by: "alice",
        policy: relaxed,
        loader,
      });
      expect(ok.details.change_kinds).toEqual(["fraud_model_promotion", "scoring_threshold_change"]);
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
        ["rollback", 1, 4],
        ["promote", 4, 1],
        ["rollback", 1, 2],
        ["rollback", 2, 1],
        ["rollback", 1, 2],
        ["promote", 2, 1],
        ["promote", 1, null],
      ]);
      // Stage None, already in Production, rejected, failed validation, backtest none/failing/stale,
      // rollback to the current version, rollback to a failing target, override not approved.
      expect(hist.filter((r) => !r.success)).toHaveLength(10);
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
        registry.transaction((tx) =>
          deployDb(tx).updateTable("deploy_records").set({ success: 1 }).execute(),
        ),
      ).rejects.toThrow(/append-only/);
      await expect(
        registry.transaction((tx) => deployDb(tx).deleteFrom("deploy_approvals").execute()),
      ).rejects.toThrow(/cannot be deleted/);
    });
  });
}
