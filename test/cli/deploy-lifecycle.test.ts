import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, runCli, trainReferenceXgboost, writePaysimSampleHead } from "../helpers/cli.js";
import { BACKENDS, createTestRegistryHome, type TestRegistryHome } from "../deploy/helpers.js";

/**
 * The main lifecycle trains with `lakay train`; the other models are trained by the reference XGBoost
 * pipeline (bench/reference_pipeline.py) and registered as bring-your-own models.
 */
/** Promotes with a pause injected inside the transaction (the crash test kills it there). */
const PAUSED_PROMOTION = fileURLToPath(new URL("../deploy/fixtures/promote-paused.mjs", import.meta.url));

let work: string;
let dataset: string;

/** A real XGBoost model trained on the test's dataset (the reference pipeline). */
function trainXgboost(out: string, trees: number, depth: number): void {
  trainReferenceXgboost(dataset, out, { trees, depth });
}

beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), "lakay-cli-deploy-"));
  dataset = path.join(work, "labeled.csv");
  // 5,000 rows of the real PaySim sample, 40 of them fraud: enough for a meaningful backtest.
  writePaysimSampleHead(dataset, 5000);
  writeFileSync(path.join(work, "train-v1.yaml"), "hyperparams:\n  n_estimators: 10\n  max_depth: 3\n");
  writeFileSync(path.join(work, "train-v2.yaml"), "hyperparams:\n  n_estimators: 30\n  max_depth: 4\n");
  trainXgboost(path.join(work, "v1.json"), 10, 3);
  trainXgboost(path.join(work, "v2.json"), 30, 4);
  trainXgboost(path.join(work, "v3.json"), 20, 5);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs the CLI without blocking, so two can race; resolves with its exit code and output. */
function lakayAsync(args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ status: number; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: work, env: { ...process.env, ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ status: code ?? -1, stdout, stderr }));
  });
}

/** Edits one audit row behind the registry's back (dropping the database's guard first), as an attacker would. */
async function tamperAuditRow(home: TestRegistryHome, backend: string, seq: number): Promise<void> {
  if (backend === "sqlite") {
    const db = new Database(home.uri.replace(/^sqlite:\/\//, ""));
    db.exec("DROP TRIGGER audit_log_no_update");
    db.prepare("UPDATE audit_log SET actor = 'mallory' WHERE seq = ?").run(seq);
    db.close();
    return;
  }
  const c = new pg.Client({ connectionString: home.uri });
  await c.connect();
  await c.query("ALTER TABLE audit_log DISABLE TRIGGER USER");
  await c.query("UPDATE audit_log SET actor = 'mallory' WHERE seq = $1", [seq]);
  await c.end();
}

for (const backend of BACKENDS) {
  describe(`lakay deployment lifecycle through the CLI (${backend})`, () => {
    let home: TestRegistryHome;
    let env: NodeJS.ProcessEnv;
    const lakay = (...args: string[]) => runCli(args, { cwd: work, env });
    const json = (...args: string[]) => {
      const r = lakay(...args, "--json");
      if (r.status !== 0) throw new Error(`lakay ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
      return JSON.parse(r.stdout);
    };
    const stages = (model: string) =>
      Object.fromEntries(
        json("models", "versions", model).map((v: { version: number; stage: string }) => [
          v.version,
          v.stage,
        ]),
      );
    const approve = (model: string, v: number) => {
      json("approve", "--model", model, "--version", String(v), "--role", "ml_engineer", "--by", "alice");
      json("approve", "--model", model, "--version", String(v), "--role", "bsa_officer", "--by", "gina");
      return json(
        "approve",
        "--model",
        model,
        "--version",
        String(v),
        "--role",
        "team_lead",
        "--by",
        "bob",
        "--note",
        "reviewed",
      );
    };
    /** The two approvals an override needs (team lead and BSA officer) for a waived check. */
    const approveOverride = (model: string, v: number) => {
      for (const [role, by] of [
        ["team_lead", "bob"],
        ["bsa_officer", "gina"],
      ])
        json(
          "approve",
          "--model",
          model,
          "--version",
          String(v),
          "--role",
          role,
          "--by",
          by,
          "--change",
          "override",
        );
    };

    beforeAll(async () => {
      home = await createTestRegistryHome(backend);
      env = {
        LAKAY_HOME: path.join(home.dir, "home"),
        LAKAY_REGISTRY_URI: home.uri,
        LAKAY_ARTIFACT_ROOT: home.artifactRoot,
        LAKAY_ACTOR: "ci-bot",
      };
    });
    afterAll(async () => home?.drop());

    it("v1: train, validate, approve, promote", () => {
      const trained = json(
        "train",
        "--dataset",
        "labeled.csv",
        "--config",
        "train-v1.yaml",
        "--model-name",
        "fraud",
        "--threads",
        "1",
      );
      expect(trained).toMatchObject({ version: 1, stage: "Staging" });
      const v = json(
        "validate",
        "--model",
        "fraud",
        "--version",
        "1",
        "--latency-sla-ms",
        "200",
        "--events",
        "labeled.csv",
      );
      expect(v.passed).toBe(true);
      // The synthetic vectors come from the version's own training histograms.
      expect(v.details.vector_source).toBe("reference.json");
      expect(v.checks).toEqual({
        model_loads: true,
        scores_valid: true,
        scores_in_range: true,
        latency_within_sla: true,
      });
      expect(v.details).toMatchObject({
        n_tested: 5100,
        n_synthetic: 100,
        n_caller: 5000,
        valid_score_share: 1,
      });
      expect(approve("fraud", 1).status.satisfied).toBe(true);
      const rec = json("promote", "--model", "fraud", "--version", "1", "--by", "alice");
      expect(rec).toMatchObject({
        action: "promote",
        model_version: 1,
        previous_version: null,
        success: true,
        triggered_by: "alice",
      });
      expect(stages("fraud")).toEqual({ 1: "Production" });
    });

    const toStaging = (model: string, v: number) =>
      json("models", "transition", model, String(v), "Staging", "--by", "alice");

    it("v2: train, backtest against v1, approve, promote (v1 archived)", () => {
      json(
        "train",
        "--dataset",
        "labeled.csv",
        "--config",
        "train-v2.yaml",
        "--model-name",
        "fraud",
        "--threads",
        "1",
      );
      const bt = lakay(
        "backtest",
        "--model",
        "fraud",
        "--candidate",
        "2",
        "--dataset",
        "labeled.csv",
        "--json",
      );
      expect([0, 1]).toContain(bt.status); // pass or fail is the models' business; the report must be complete
      const report = JSON.parse(bt.stdout);
      expect(report).toMatchObject({
        candidate_version: 2,
        current_version: 1,
        dataset: { rows: 5000, frauds: 40 },
      });
      expect(report.rows.map((r: { metric: string }) => r.metric)).toEqual([
        "auc_roc",
        "precision",
        "recall",
        "f1",
        "false_positive_rate",
      ]);
      expect(report.rows.every((r: { passed: boolean | null }) => typeof r.passed === "boolean")).toBe(true);
      expect(typeof report.passed).toBe("boolean");
      expect(report.artifact).toMatch(/^backtests\/backtest-.*\.json$/);
      approve("fraud", 2);
      // The gate holds promotion to the backtest's verdict: a failing candidate is refused, and goes
      // ahead only as a recorded override with its own sign-offs.
      const first = lakay("promote", "--model", "fraud", "--version", "2", "--by", "bob");
      expect(first.status).toBe(report.passed ? 0 : 1);
      if (!report.passed) {
        expect(first.stderr).toContain("cannot promote model fraud version 2: backtest:");
        approveOverride("fraud", 2);
        expect(
          lakay(
            "promote",
            "--model",
            "fraud",
            "--version",
            "2",
            "--by",
            "bob",
            "--skip-backtest",
            "--reason",
            "drill",
          ).status,
        ).toBe(0);
      }
      const rec = json("history", "--model", "fraud")[0];
      expect(rec).toMatchObject({
        model_name: "fraud",
        model_version: 2,
        previous_version: 1,
        success: true,
      });
      expect(stages("fraud")).toEqual({ 1: "Archived", 2: "Production" });
    });

    it("rollback: v1 back in Production, v2 archived; history shows the three records", () => {
      const rec = json("rollback", "--model", "fraud", "--by", "oncall", "--reason", "FPR spike");
      expect(rec).toMatchObject({
        action: "rollback",
        model_version: 1,
        previous_version: 2,
        success: true,
        reason: "FPR spike",
      });
      expect(stages("fraud")).toEqual({ 1: "Production", 2: "Archived" });
      const history = json("history", "--model", "fraud");
      expect(
        history
          .filter((r: Record<string, unknown>) => r.success)
          .map((r: Record<string, unknown>) => [r.action, r.model_version, r.previous_version]),
      ).toEqual([
        ["rollback", 1, 2],
        ["promote", 2, 1],
        ["promote", 1, null],
      ]);
      const text = lakay("history", "--model", "fraud");
      expect(text.status).toBe(0);
      expect(text.stdout).toContain("rollback");
      expect(text.stdout).toContain("FPR spike");
    });

    it("a backtest with no Production version reports the candidate alone and says so", () => {
      json("models", "register", "fresh", "--model-file", "v1.json");
      const r = lakay("backtest", "--model", "fresh", "--candidate", "1", "--dataset", "labeled.csv");
      expect(r.status).toBe(0);
      expect(r.stdout).toContain("no Production version to compare against");
    });

    it("refusals exit 1, name model, version and reason, and are recorded", () => {
      json("models", "register", "fresh", "--model-file", "v2.json");
      toStaging("fresh", 2);
      const noApprovals = lakay("promote", "--model", "fresh", "--version", "2", "--by", "alice");
      expect(noApprovals.status).toBe(1);
      expect(noApprovals.stderr).toContain("cannot promote model fresh version 2: approval:ml_engineer");
      expect(noApprovals.stderr).toContain("role team_lead has not approved");

      const twice = lakay(
        "approve",
        "--model",
        "fresh",
        "--version",
        "2",
        "--role",
        "ml_engineer",
        "--by",
        "alice",
      );
      expect(twice.status).toBe(0);
      const sod = lakay(
        "approve",
        "--model",
        "fresh",
        "--version",
        "2",
        "--role",
        "team_lead",
        "--by",
        "alice",
      );
      expect(sod.status).toBe(1);
      expect(sod.stderr).toContain("separation of duties");

      json("approve", "--model", "fresh", "--version", "2", "--role", "team_lead", "--by", "bob");
      // A later rejection in the same role outweighs bob's earlier approval.
      const reject = lakay(
        "approve",
        "--model",
        "fresh",
        "--version",
        "2",
        "--role",
        "team_lead",
        "--by",
        "erin",
        "--reject",
        "--note",
        "too soon",
      );
      expect(reject.status).toBe(0);
      const blocked = lakay("promote", "--model", "fresh", "--version", "2", "--by", "alice", "--json");
      expect(blocked.status).toBe(1);
      expect(blocked.stderr).toContain("approval:team_lead: rejected by erin: too soon");
      expect(JSON.parse(blocked.stdout)).toMatchObject({ success: false, model_version: 2 });
      const pending = json("approvals", "--model", "fresh", "--version", "2", "--promoter", "alice");
      expect(
        pending.approvals.map((a: { approver: string; decision: string }) => [a.approver, a.decision]),
      ).toEqual([
        ["alice", "approve"],
        ["bob", "approve"],
        ["erin", "reject"],
      ]);
      expect(pending.status).toMatchObject({ satisfied: false, missing_roles: ["team_lead", "bsa_officer"] });
      json(
        "approve",
        "--model",
        "fresh",
        "--version",
        "2",
        "--role",
        "team_lead",
        "--by",
        "erin",
        "--note",
        "ok now",
      );
      json("approve", "--model", "fresh", "--version", "2", "--role", "bsa_officer", "--by", "gina");
      expect(json("approvals", "--model", "fresh", "--version", "2").status.satisfied).toBe(true);

      const skip = lakay(
        "promote",
        "--model",
        "fresh",
        "--version",
        "2",
        "--by",
        "alice",
        "--skip-validation",
      );
      expect(skip.status).toBe(2);
      expect(skip.stderr).toContain("skipping validation requires --reason");

      const nothing = lakay("rollback", "--model", "fresh", "--by", "oncall");
      expect(nothing.status).toBe(1);
      expect(nothing.stderr).toContain("model fresh has no version in Production: nothing to roll back");

      const archive = lakay("archive", "--model", "fresh", "--by", "oncall", "--reason", "drill");
      expect(archive.status).toBe(1);
      expect(archive.stderr).toContain("cannot archive model fresh: it has no version in Production");

      const unknown = lakay("validate", "--model", "nope", "--version", "1");
      expect(unknown.status).toBe(2);
      expect(unknown.stderr).toContain("nope");

      const history = json("history", "--model", "fresh");
      expect(history.map((r: Record<string, unknown>) => [r.action, r.success])).toEqual([
        ["archive", false],
        ["rollback", false],
        ["promote", false],
        ["promote", false],
      ]);
    });

    it("two concurrent promotions serialize: one wins, the other sees it and is refused; both recorded", async () => {
      // One version in Staging at a time, so the race is two people promoting the same candidate.
      json("models", "register", "race", "--model-file", "v1.json");
      toStaging("race", 1);
      approve("race", 1);
      const [a, b] = await Promise.all([
        lakayAsync(["promote", "--model", "race", "--version", "1", "--by", "alice", "--json"], env),
        lakayAsync(["promote", "--model", "race", "--version", "1", "--by", "bob", "--json"], env),
      ]);
      expect([a.status, b.status].sort()).toEqual([0, 1]);
      expect(stages("race")).toEqual({ 1: "Production" });
      const history = json("history", "--model", "race");
      expect(history).toHaveLength(2);
      const [second, first] = history;
      // Serialized: the later one saw the earlier one's version in Production and was refused.
      expect(first).toMatchObject({ success: true, previous_version: null });
      expect(second).toMatchObject({ success: false, previous_version: null, model_version: 1 });
      expect(second.error).toContain("cannot promote model race version 1: stage: already in Production");
    });

    it("a crash in the middle of a promotion leaves the previous Production version and no record", async () => {
      json("models", "register", "fraud", "--model-file", "v3.json");
      toStaging("fraud", 3);
      approve("fraud", 3);
      // v3 may or may not beat v1: the crash is the point here, so its backtest is waived as an override.
      approveOverride("fraud", 3);
      const before = json("history", "--model", "fraud").length;
      // The pause is injected by the test script (promoteToProduction's onSwapped), not read from the
      // environment by the product.
      const child = spawn(process.execPath, [PAUSED_PROMOTION, "fraud", "3", "alice"], {
        cwd: work,
        env: { ...process.env, ...env },
      });
      await new Promise<void>((resolve, reject) => {
        let err = "";
        child.stderr.on("data", (d) => {
          err += d;
          if (err.includes("lakay-deploy-paused")) resolve();
        });
        child.on("close", (code) => reject(new Error(`promotion exited (${code}) before pausing: ${err}`)));
      });
      const closed = new Promise((resolve) => child.on("close", resolve));
      child.kill("SIGKILL");
      await closed;
      expect(stages("fraud")).toEqual({ 1: "Production", 2: "Archived", 3: "Staging" });
      expect(json("history", "--model", "fraud")).toHaveLength(before);
      expect(json("audit", "verify").ok).toBe(true);
      // And the registry still works: the same promotion now goes through.
      expect(
        json(
          "promote",
          "--model",
          "fraud",
          "--version",
          "3",
          "--by",
          "alice",
          "--skip-backtest",
          "--reason",
          "drill",
        ),
      ).toMatchObject({ previous_version: 1 });
    });

    it("a version whose artifact was altered fails model_loads, naming the file, and cannot be promoted", () => {
      const v = json("models", "register", "tampered", "--model-file", "v1.json");
      writeFileSync(path.join(fileURLToPath(v.source), "model.json"), '{"learner": {}}');
      const r = lakay("validate", "--model", "tampered", "--version", "1", "--json");
      expect(r.status).toBe(1);
      const report = JSON.parse(r.stdout);
      expect(report.checks.model_loads).toBe(false);
      expect(report.steps[0].detail).toContain("model.json");
      expect(r.stderr).toContain("model tampered version 1 failed validation: model_loads");
      toStaging("tampered", 1);
      approve("tampered", 1);
      const p = lakay("promote", "--model", "tampered", "--version", "1", "--by", "alice");
      expect(p.status).toBe(1);
      expect(p.stderr).toContain(
        "cannot promote model tampered version 1: validation: validation failed: model_loads",
      );
    });

    it("audit verify passes, and fails naming the entry once an audit row is edited by hand", async () => {
      const ok = lakay("audit", "verify");
      expect(ok.status).toBe(0);
      const exported = lakay("audit", "export", "--since", "2000-01-01", "--format", "json");
      expect(exported.status).toBe(0);
      const entries = JSON.parse(exported.stdout) as { seq: number; action: string }[];
      for (const action of [
        "deploy.validate",
        "deploy.approve",
        "deploy.reject",
        "deploy.backtest",
        "deploy.promote",
        "deploy.promote_refused",
        "deploy.rollback",
        "deploy.rollback_failed",
        "deploy.approval_refused",
      ]) {
        expect(entries.map((e) => e.action)).toContain(action);
      }
      const target = entries.find((e) => e.action === "deploy.promote")!;
      await tamperAuditRow(home, backend, target.seq);
      const bad = lakay("audit", "verify");
      expect(bad.status).toBe(1);
      expect(bad.stderr + bad.stdout).toContain(String(target.seq));
    });
  });
}
