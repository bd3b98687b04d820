import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, trainReferenceXgboost, writePaysimSampleHead } from "../helpers/cli.js";
import { BACKENDS, createTestRegistryHome, type TestRegistryHome } from "../deploy/helpers.js";

/**
 * Issue 13's eight ways around the promotion gate, each tried through the CLI as a skeptical user
 * would, on SQLite and PostgreSQL: each now gets its refusal (exit 1, naming model, version and the
 * missing condition) or the corrected behaviour. Models are real XGBoost models (the repository's
 * reference pipeline), registered as bring-your-own versions.
 */
let work: string;

/** A real XGBoost model trained on labeled.csv (the reference pipeline), written into the work folder. */
function trainXgboost(out: string, trees: number, depth: number): void {
  trainReferenceXgboost("labeled.csv", out, { trees, depth, cwd: work });
}

beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), "lakay-cli-gate-"));
  // 5,000 rows of the real PaySim sample, 40 of them fraud.
  writePaysimSampleHead(path.join(work, "labeled.csv"), 5000);
  trainXgboost("good.json", 30, 4);
  trainXgboost("weak.json", 1, 1);
  writeFileSync(
    path.join(work, "relaxed.yaml"),
    "changes:\n  fraud_model_promotion:\n    required_roles: [ml_engineer, team_lead]\n",
  );
  writeFileSync(path.join(work, "break-glass.yaml"), "gate:\n  break_glass: true\n");
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

for (const backend of BACKENDS) {
  describe(`the promotion gate through the CLI (${backend})`, () => {
    let home: TestRegistryHome;
    let env: NodeJS.ProcessEnv;
    const M = "gate";
    const lakay = (...args: string[]) => runCli(args, { cwd: work, env });
    const json = (...args: string[]) => {
      const r = lakay(...args, "--json");
      if (r.status !== 0) throw new Error(`lakay ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
      return JSON.parse(r.stdout);
    };
    const auditOf = () =>
      JSON.parse(lakay("audit", "export", "--since", "2000-01-01", "--model", M).stdout) as {
        action: string;
        details: Record<string, unknown>;
      }[];
    /** Exit 0, or the failure's stderr in the assertion message. */
    const ok = (r: { status: number; stderr: string }) => expect(r.status, r.stderr).toBe(0);
    const versions = () =>
      Object.fromEntries(
        json("models", "versions", M).map((v: { version: number; stage: string; aliases: string[] }) => [
          v.version,
          [v.stage, ...v.aliases].join(" "),
        ]),
      );
    const register = (file: string, ...tags: string[]) =>
      json("models", "register", M, "--model-file", file, ...tags.flatMap((t) => ["--tag", t]))
        .version as number;
    const toStaging = (v: number) => json("models", "transition", M, String(v), "Staging", "--by", "alice");
    const approve = (v: number, role: string, by: string, ...more: string[]) =>
      lakay("approve", "--model", M, "--version", String(v), "--role", role, "--by", by, ...more);
    const approveAll = (v: number) => {
      for (const [role, by] of [
        ["ml_engineer", "alice"],
        ["team_lead", "bob"],
        ["bsa_officer", "gina"],
      ])
        ok(approve(v, role, by));
    };
    const promote = (v: number, ...more: string[]) =>
      lakay("promote", "--model", M, "--version", String(v), "--by", "carol", ...more);
    const backtest = (v: number) =>
      lakay("backtest", "--model", M, "--candidate", String(v), "--dataset", "labeled.csv");

    beforeAll(async () => {
      home = await createTestRegistryHome(backend);
      env = {
        LAKAY_HOME: path.join(home.dir, "home"),
        LAKAY_REGISTRY_URI: home.uri,
        LAKAY_ARTIFACT_ROOT: home.artifactRoot,
        LAKAY_ACTOR: "ci-bot",
        LAKAY_APPROVAL_POLICY: "",
      };
    });
    afterAll(async () => home?.drop());

    it("a first deployment: Staging, validation and three sign-offs; no backtest without Production; champion set", () => {
      const v = register("good.json");
      toStaging(v);
      approveAll(v);
      const before = lakay("gate", "--model", M, "--version", "1", "--promoter", "carol");
      expect(before.status).toBe(1);
      expect(before.stdout).toMatch(/validation\s+FAIL\s+not validated: run `lakay validate`/);
      ok(lakay("validate", "--model", M, "--version", "1"));
      const gate = json("gate", "--model", M, "--version", "1", "--promoter", "carol");
      expect(gate.passed).toBe(true);
      expect(gate.conditions.find((c: { name: string }) => c.name === "backtest")).toMatchObject({
        status: "not_required",
      });
      ok(promote(1));
      expect(versions()).toEqual({ 1: "Production champion" });
    });

    it("finding 7: a version in stage None is refused until it is in Staging", () => {
      const v = register("good.json");
      approveAll(v);
      ok(backtest(v));
      const r = promote(v);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`cannot promote model ${M} version ${v}: stage: in None, not Staging`);
      expect(versions()[v]).toBe("None");
    });

    it("finding 2: models transition refuses Production in and out, naming the command to use; break-glass is off by default", () => {
      const into = lakay("models", "transition", M, "2", "Production", "--by", "mallory");
      expect(into.status).toBe(1);
      expect(into.stderr).toContain(
        `cannot move model ${M} version 2 None -> Production with a stage transition`,
      );
      expect(into.stderr).toContain("lakay promote");
      const out = lakay("models", "transition", M, "1", "Archived", "--by", "mallory");
      expect(out.status).toBe(1);
      expect(out.stderr).toContain("lakay rollback");
      const glass = lakay(
        "models",
        "transition",
        M,
        "2",
        "Production",
        "--by",
        "mallory",
        "--break-glass",
        "--reason",
        "x",
      );
      expect(glass.status).toBe(1);
      expect(glass.stderr).toContain("break-glass is not enabled by the approval policy");
      const champion = lakay("models", "alias", M, "champion", "2");
      expect(champion.status).toBe(1);
      expect(champion.stderr).toContain("always names the Production version");
      expect(versions()).toEqual({ 1: "Production champion", 2: "None" });
    });

    it("finding 5: the same person under another spelling cannot fill a second role", () => {
      toStaging(2);
      const r = approve(2, "ml_engineer", " ALICE ");
      // alice already approved version 2 as ml_engineer: the same role again is fine...
      expect(r.status).toBe(0);
      // ...but not as another role, whatever the spelling.
      const sod = approve(2, "team_lead", "Alice");
      expect(sod.status).toBe(1);
      expect(sod.stderr).toContain("separation of duties");
    });

    it("finding 8: by default a fraud model promotion needs the BSA officer too", () => {
      const v = register("good.json");
      toStaging(v);
      ok(approve(v, "ml_engineer", "alice"));
      ok(approve(v, "team_lead", "bob"));
      ok(backtest(v));
      const r = promote(v);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(
        `cannot promote model ${M} version ${v}: approval:bsa_officer: role bsa_officer has not approved`,
      );
      // The checklist is printed with the refusal.
      expect(r.stderr).toMatch(/approval:bsa_officer\s+FAIL/);
      expect(r.stderr).toMatch(/approval:team_lead\s+pass\s+approved by bob/);
    });

    it("finding 1: no backtest, or a failing one, is refused with the failing rows", () => {
      const v = register("weak.json");
      toStaging(v);
      approveAll(v);
      const none = promote(v);
      expect(none.status).toBe(1);
      expect(none.stderr).toContain(
        `cannot promote model ${M} version ${v}: backtest: no backtest against Production version 1 counts (none run)`,
      );
      expect(backtest(v).status).toBe(1);
      const failing = promote(v, "--json");
      expect(failing.status).toBe(1);
      expect(failing.stderr).toMatch(
        new RegExp(
          `cannot promote model ${M} version ${v}: backtest: backtest \\d+ against version 1 failed: AUC-ROC`,
        ),
      );
      const record = JSON.parse(failing.stdout);
      expect(record).toMatchObject({ success: false, model_version: v, gate: { passed: false } });
      expect(versions()[v]).toBe("Staging");
    });

    it("finding 4: champion follows promote and rollback, challenger leaves with Staging", () => {
      // Versions 3 and 4 entering Staging archived version 2 (one version in Staging at a time).
      toStaging(2);
      approveAll(2);
      ok(backtest(2));
      expect(json("models", "alias", M, "challenger", "2").version).toBe(2);
      ok(promote(2));
      expect(versions()).toMatchObject({ 1: "Archived", 2: "Production champion" });
      const back = json("rollback", "--model", M, "--by", "oncall", "--reason", "drill");
      expect(back).toMatchObject({ model_version: 1, previous_version: 2, success: true });
      expect(versions()).toMatchObject({ 1: "Production champion", 2: "Archived" });
      const history = json("models", "history", M).filter((e: { kind: string }) => e.kind === "alias");
      expect(history.map((e: { alias: string; to: string | null }) => [e.alias, e.to])).toEqual([
        ["champion", "1"],
        ["challenger", "2"],
        ["champion", "2"],
        ["challenger", null],
        ["champion", "1"],
      ]);
    });

    it("finding 3: rollback to a tampered version is refused and recorded; Production stays", () => {
      const v2 = json("models", "versions", M).find((v: { version: number }) => v.version === 2);
      writeFileSync(path.join(fileURLToPath(v2.source), "model.json"), '{"learner": {}}');
      const r = lakay("rollback", "--model", M, "--by", "oncall", "--to", "2");
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(
        `cannot roll back model ${M} to version 2: verification failed: model_loads`,
      );
      expect(r.stderr).toContain("model.json");
      expect(versions()).toMatchObject({ 1: "Production champion", 2: "Archived" });
      expect(json("history", "--model", M)[0]).toMatchObject({
        action: "rollback",
        model_version: 2,
        success: false,
      });
    });

    it("finding 6: a different decision threshold is detected and needs the BSA officer, even under a relaxed policy", () => {
      const v = register("good.json", "decision_threshold=0.3");
      toStaging(v);
      const relaxed = ["--policy", "relaxed.yaml"];
      ok(approve(v, "ml_engineer", "alice", ...relaxed));
      ok(approve(v, "team_lead", "bob", ...relaxed));
      ok(backtest(v));
      const gate = lakay("gate", "--model", M, "--version", String(v), ...relaxed);
      expect(gate.status).toBe(1);
      expect(gate.stdout).toContain("detected: decision threshold 0.5 -> 0.3");
      const r = promote(v, ...relaxed);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`cannot promote model ${M} version ${v}: approval:bsa_officer`);
      expect(r.stderr).toContain("scoring_threshold_change");
      ok(approve(v, "bsa_officer", "gina", ...relaxed));
      const done = JSON.parse(promote(v, ...relaxed, "--json").stdout);
      expect(done.details.change_kinds).toEqual(
        expect.arrayContaining(["fraud_model_promotion", "scoring_threshold_change"]),
      );
      expect(versions()[v]).toBe("Production champion");
    });

    it("overrides: --skip-backtest needs a reason and the override sign-offs, and shows as an override", () => {
      const v = register("weak.json");
      toStaging(v);
      approveAll(v);
      expect(promote(v, "--skip-backtest").status).toBe(2);
      const r = promote(v, "--skip-backtest", "--reason", "INC-42 hotfix");
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("override:team_lead: role team_lead has not approved (override)");
      ok(approve(v, "team_lead", "bob", "--change", "override", "--note", "INC-42"));
      ok(approve(v, "bsa_officer", "gina", "--change", "override", "--note", "INC-42"));
      ok(promote(v, "--skip-backtest", "--reason", "INC-42 hotfix"));
      const text = lakay("history", "--model", M);
      expect(text.stdout).toContain("promote OVERRIDE (skipped backtest)");
      const promoted = auditOf()
        .filter((e) => e.action === "deploy.promote")
        .at(-1)!;
      expect(promoted.details.overrides).toEqual({
        validation: false,
        backtest: true,
        reason: "INC-42 hotfix",
      });
    });

    it("break-glass, when the policy enables it, is recorded loudly in history, audit and gate", () => {
      const r = lakay(
        "models",
        "transition",
        M,
        "1",
        "Production",
        "--by",
        "oncall",
        "--break-glass",
        "--reason",
        "INC-77",
        "--policy",
        "break-glass.yaml",
      );
      expect(r.status, r.stderr).toBe(0);
      expect(versions()[1]).toBe("Production champion");
      expect(lakay("history", "--model", M).stdout).toContain("BREAK-GLASS (Archived -> Production)");
      const gate = lakay("gate", "--model", M, "--version", "3");
      expect(gate.stdout).toContain(
        "BREAK-GLASS on record: version 1 moved Archived -> Production by oncall",
      );
      expect(auditOf().map((e) => e.action)).toContain("deploy.break_glass");
      expect(json("audit", "verify").ok).toBe(true);
    });
  });
}
