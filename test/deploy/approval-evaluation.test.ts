import { describe, expect, it } from "vitest";
import { policyFromConfig } from "../../src/deploy/approval-policy.js";
import { evaluateApprovals, type Approval } from "../../src/deploy/approval-evaluation.js";

/** §4.3's table for fraud models (ML engineer + team lead): two roles keep these cases small. */
const policy = policyFromConfig(
  { changes: { fraud_model_promotion: { required_roles: ["ml_engineer", "team_lead"] } } },
  "table.yaml",
);
const subject = {
  model: "fraud",
  version: 2,
  artifactDigest: "d2",
  changeKind: "fraud_model_promotion" as const,
};
let nextId = 1;
function a(
  role: string,
  approver: string,
  decision: "approve" | "reject" = "approve",
  over: Partial<Approval> = {},
): Approval {
  return {
    id: nextId++,
    model: "fraud",
    version: 2,
    artifactDigest: "d2",
    changeKind: "fraud_model_promotion",
    role,
    approver,
    decision,
    note: decision === "reject" ? "not yet" : null,
    createdAt: new Date(1_700_000_000_000 + nextId).toISOString(),
    ...over,
  };
}

describe("evaluateApprovals", () => {
  it("is satisfied by two different people in the two required roles", () => {
    const e = evaluateApprovals(policy, { ...subject, promoter: "alice" }, [
      a("ml_engineer", "alice"),
      a("team_lead", "bob"),
    ]);
    expect(e.satisfied).toBe(true);
    expect(e.filledBy).toEqual({ ml_engineer: "alice", team_lead: "bob" });
    expect(e.reasons).toEqual([]);
  });

  it("names the missing role", () => {
    const e = evaluateApprovals(policy, subject, [a("ml_engineer", "alice")]);
    expect(e.satisfied).toBe(false);
    expect(e.missingRoles).toEqual(["team_lead"]);
    expect(e.reasons.join()).toContain("team_lead has not approved");
  });

  it("does not let one person fill two required roles", () => {
    const e = evaluateApprovals(policy, subject, [a("ml_engineer", "alice"), a("team_lead", "alice")]);
    expect(e.satisfied).toBe(false);
    expect(e.missingRoles).toHaveLength(1);
    expect(e.reasons.join()).toContain("separation of duties");
  });

  it("finds a valid assignment when one person approved in both roles and another in one", () => {
    const e = evaluateApprovals(policy, subject, [
      a("ml_engineer", "alice"),
      a("team_lead", "alice"),
      a("ml_engineer", "carol"),
    ]);
    expect(e.satisfied).toBe(true);
    expect(e.filledBy).toEqual({ ml_engineer: "carol", team_lead: "alice" });
  });

  it("does not let the promoter be the only approver", () => {
    const single = policyFromConfig(
      { changes: { fraud_model_promotion: { required_roles: ["team_lead"] } } },
      "test",
    );
    const own = evaluateApprovals(single, { ...subject, promoter: "bob" }, [a("team_lead", "bob")]);
    expect(own.satisfied).toBe(false);
    expect(own.reasons.join()).toContain("bob is promoting and cannot be the only approver");
    const other = evaluateApprovals(single, { ...subject, promoter: "bob" }, [
      a("team_lead", "bob"),
      a("team_lead", "dan"),
    ]);
    expect(other.satisfied).toBe(true);
    expect(other.filledBy).toEqual({ team_lead: "dan" });
  });

  it("ignores approvals given for another version or other artifacts", () => {
    const e = evaluateApprovals(policy, subject, [
      a("ml_engineer", "alice", "approve", { version: 1 }),
      a("team_lead", "bob", "approve", { artifactDigest: "old" }),
    ]);
    expect(e.satisfied).toBe(false);
    expect(e.missingRoles).toEqual(["ml_engineer", "team_lead"]);
    expect(e.ignored).toHaveLength(1);
    expect(e.ignored[0].reason).toContain("different artifacts");
  });

  it("blocks on a rejection until a later approval by the same role supersedes it", () => {
    const approvals = [a("ml_engineer", "alice"), a("team_lead", "bob"), a("team_lead", "erin", "reject")];
    const blocked = evaluateApprovals(policy, subject, approvals);
    expect(blocked.satisfied).toBe(false);
    expect(blocked.rejections).toEqual([
      expect.objectContaining({ role: "team_lead", approver: "erin", note: "not yet" }),
    ]);
    expect(blocked.reasons.join()).toContain("rejected by erin (team_lead): not yet");
    // bob's approval came before the rejection: it no longer counts.
    expect(blocked.missingRoles).toEqual(["team_lead"]);

    const stillBlocked = evaluateApprovals(policy, subject, [...approvals, a("ml_engineer", "frank")]);
    expect(stillBlocked.satisfied).toBe(false);

    const cleared = evaluateApprovals(policy, subject, [...approvals, a("team_lead", "erin")]);
    expect(cleared.satisfied).toBe(true);
    expect(cleared.rejections).toEqual([]);
  });

  it("blocks on a rejection from a role the change does not require", () => {
    const e = evaluateApprovals(policy, subject, [
      a("ml_engineer", "alice"),
      a("team_lead", "bob"),
      a("bsa_officer", "gina", "reject"),
    ]);
    expect(e.satisfied).toBe(false);
    expect(e.reasons.join()).toContain("rejected by gina (bsa_officer)");
  });

  it("keeps change kinds apart", () => {
    const e = evaluateApprovals(policy, subject, [
      a("ml_engineer", "alice", "approve", { changeKind: "compliance_model_change" }),
      a("team_lead", "bob"),
    ]);
    expect(e.missingRoles).toEqual(["ml_engineer"]);
  });

  it("folds people: trimmed and case-insensitive, for separation of duties and the sole approver", () => {
    const sod = evaluateApprovals(policy, subject, [a("ml_engineer", "alice"), a("team_lead", " ALICE ")]);
    expect(sod.satisfied).toBe(false);
    expect(sod.reasons.join("; ")).toContain("separation of duties");
    const single = policyFromConfig(
      { changes: { fraud_model_promotion: { required_roles: ["team_lead"] } } },
      "x",
    );
    const sole = evaluateApprovals(single, { ...subject, promoter: "Bob" }, [a("team_lead", "bob ")]);
    expect(sole.reasons).toEqual(["Bob is promoting and cannot be the only approver"]);
  });

  it("requires the union of roles over every change kind the change carries", () => {
    const e = evaluateApprovals(policy, { ...subject, changeKinds: ["scoring_threshold_change"] }, [
      a("ml_engineer", "alice"),
      a("team_lead", "bob"),
    ]);
    expect(e.requiredRoles).toEqual(["ml_engineer", "team_lead", "bsa_officer"]);
    expect(e.missingRoles).toEqual(["bsa_officer"]);
    const done = evaluateApprovals(policy, { ...subject, changeKinds: ["scoring_threshold_change"] }, [
      a("ml_engineer", "alice"),
      a("team_lead", "bob"),
      a("bsa_officer", "gina", "approve", { changeKind: "scoring_threshold_change" }),
    ]);
    expect(done.satisfied).toBe(true);
  });
});
