import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { BadInputError } from "../../src/errors/index.js";
import { defaultApprovalPolicy, knownRoles, loadApprovalPolicy } from "../../src/deploy/approval-policy.js";

function policyFile(text: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), "lakay-policy-"));
  const file = path.join(dir, "policy.yaml");
  writeFileSync(file, text);
  return file;
}

describe("approval policy", () => {
  it("defaults to the stricter reading of the procedure (§4.3 table and bullets)", () => {
    const p = defaultApprovalPolicy();
    expect(p.changes.fraud_model_promotion.requiredRoles).toEqual([
      "ml_engineer",
      "team_lead",
      "bsa_officer",
    ]);
    expect(p.changes.compliance_model_change.requiredRoles).toEqual(["ml_engineer", "bsa_officer"]);
    expect(p.changes.scoring_threshold_change.requiredRoles).toEqual(["ml_engineer", "bsa_officer"]);
    expect(p.changes.hybrid_weight_change.requiredRoles).toEqual(["ml_engineer", "team_lead", "bsa_officer"]);
    expect(p.changes.override.requiredRoles).toEqual(["team_lead", "bsa_officer"]);
    expect(p.changes.bias_flags.requiredRoles).toEqual(["bsa_officer"]);
    expect(p.gate).toEqual({ backtestMaxAgeDays: 30, breakGlass: false, biasFlagsNeedApproval: true });
    expect(knownRoles(p)).toEqual(["bsa_officer", "ml_engineer", "team_lead"]);
    expect(p.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it("loads a file, keeping defaults for kinds it omits", () => {
    const file = policyFile(
      "version: 1\ngate:\n  backtest_max_age_days: 7\n  break_glass: true\n  bias_flags_need_approval: false\nchanges:\n  fraud_model_promotion:\n    required_roles: [ml_engineer, team_lead]\n",
    );
    const p = loadApprovalPolicy(file, {});
    expect(p.source).toBe(file);
    expect(p.changes.fraud_model_promotion.requiredRoles).toEqual(["ml_engineer", "team_lead"]);
    expect(p.changes.hybrid_weight_change.requiredRoles).toEqual(["ml_engineer", "team_lead", "bsa_officer"]);
    expect(p.gate).toEqual({ backtestMaxAgeDays: 7, breakGlass: true, biasFlagsNeedApproval: false });
    expect(p.digest).not.toBe(defaultApprovalPolicy().digest);
  });

  it("refuses unknown keys, unknown change kinds, duplicate and empty role lists", () => {
    const bad = [
      "changes:\n  fraud_model_promotion:\n    required_roles: [ml_engineer]\n    extra: 1\n",
      "changes:\n  model_promotoin:\n    required_roles: [ml_engineer]\n",
      "changes:\n  fraud_model_promotion:\n    required_roles: [ml_engineer, ml_engineer]\n",
      "changes:\n  fraud_model_promotion:\n    required_roles: []\n",
      "changes:\n  fraud_model_promotion:\n    required_roles: [Team Lead]\n",
      "colour: blue\n",
    ];
    for (const text of bad) {
      const file = policyFile(text);
      expect(() => loadApprovalPolicy(file, {}), text).toThrow(BadInputError);
    }
  });

  it("uses LAKAY_APPROVAL_POLICY, then the home file, then the default", () => {
    const file = policyFile("changes:\n  scoring_threshold_change:\n    required_roles: [bsa_officer]\n");
    expect(loadApprovalPolicy(undefined, { LAKAY_APPROVAL_POLICY: file }).source).toBe(file);
    const home = mkdtempSync(path.join(tmpdir(), "lakay-home-"));
    expect(loadApprovalPolicy(undefined, { LAKAY_HOME: home }).source).toBe("default");
    writeFileSync(path.join(home, "approval-policy.yaml"), "changes: {}\n");
    expect(loadApprovalPolicy(undefined, { LAKAY_HOME: home }).source).toBe(
      path.join(home, "approval-policy.yaml"),
    );
  });
});
