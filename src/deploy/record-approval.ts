import { ApprovalMissingError, BadInputError } from "../errors/index.js";
import type { Registry } from "../registry/index.js";
import {
  evaluateApprovals,
  type Approval,
  type ApprovalDecision,
  type ApprovalEvaluation,
} from "./approval-evaluation.js";
import {
  CHANGE_KINDS,
  isChangeKind,
  knownRoles,
  loadApprovalPolicy,
  type ApprovalPolicy,
  type ChangeKind,
} from "./approval-policy.js";
import { sameIdentity } from "./identity.js";
import { insertApproval, listApprovals } from "./store/deploy-store.js";
import { versionDigest } from "./version-digest.js";

export interface RecordApprovalOptions {
  model: string;
  version: number;
  role: string;
  by: string;
  decision?: ApprovalDecision;
  note?: string;
  /** Default: fraud model promotion. */
  changeKind?: ChangeKind | string;
  policy?: ApprovalPolicy;
  /**
   * What exactly is approved, for a change that is not a new model version (a scoring threshold or
   * hybrid weight change): the SHA-256 of the proposed configuration. Default: the version's
   * artifact digest.
   */
  subjectDigest?: string;
}

export interface ApprovalOutcome {
  approval: Approval;
  /** Where the change stands after this decision (promoter unknown yet). */
  evaluation: ApprovalEvaluation;
}

/**
 * Records one approval or rejection, tied to the version's artifact digest, with its audit entry in
 * the same transaction. Refused (and the refusal audited) when the person already fills another
 * role the change requires: separation of duties. A rejection needs a note saying why.
 */
export async function recordApproval(
  registry: Registry,
  opts: RecordApprovalOptions,
): Promise<ApprovalOutcome> {
  const policy = opts.policy ?? loadApprovalPolicy();
  const decision = opts.decision ?? "approve";
  const changeKind = opts.changeKind ?? "fraud_model_promotion";
  const what = `model ${opts.model} version ${opts.version}`;
  if (!isChangeKind(changeKind)) {
    throw new BadInputError(`unknown change kind "${changeKind}" (known: ${CHANGE_KINDS.join(", ")})`, {
      field: "change",
    });
  }
  if (!opts.by?.trim())
    throw new BadInputError(`${what}: an approval needs --by (who approves)`, { field: "by" });
  const roles = knownRoles(policy);
  if (!roles.includes(opts.role)) {
    throw new BadInputError(
      `${what}: unknown role "${opts.role}" (policy ${policy.source} knows: ${roles.join(", ")})`,
      {
        field: "role",
      },
    );
  }
  if (decision === "reject" && !opts.note?.trim()) {
    throw new BadInputError(`${what}: a rejection needs --note saying why`, { field: "note" });
  }
  const digest = await subjectDigestOf(registry, opts.model, opts.version, opts.subjectDigest);
  const subject = { model: opts.model, version: opts.version, artifactDigest: digest, changeKind };

  const outcome = await registry.transaction(async (tx) => {
    const existing = await listApprovals(tx.db, opts.model, opts.version);
    if (decision === "approve") {
      // Across every change kind: the same person (folded) may not fill two roles on one version.
      const before = evaluateApprovals(policy, { ...subject, changeKinds: CHANGE_KINDS }, existing);
      const otherRole = Object.entries(before.filledBy).find(
        ([role, who]) => sameIdentity(who, opts.by) && role !== opts.role,
      );
      if (otherRole) {
        const error = `${what}: ${opts.by} already approved as ${otherRole[0]} and cannot also approve as ${opts.role} (separation of duties)`;
        await tx.appendAudit({
          actor: opts.by,
          action: "deploy.approval_refused",
          model: opts.model,
          version: opts.version,
          details: { role: opts.role, change_kind: changeKind, reason: error, artifact_digest: digest },
        });
        return { refused: error, approval: undefined, evaluation: undefined };
      }
    }
    const approval = await insertApproval(tx.db, {
      ...subject,
      role: opts.role,
      approver: opts.by,
      decision,
      note: opts.note?.trim() || null,
    });
    const evaluation = evaluateApprovals(policy, subject, [...existing, approval]);
    await tx.appendAudit({
      actor: opts.by,
      action: decision === "approve" ? "deploy.approve" : "deploy.reject",
      model: opts.model,
      version: opts.version,
      details: {
        approval_id: approval.id,
        role: opts.role,
        change_kind: changeKind,
        note: approval.note,
        artifact_digest: digest,
        policy: { source: policy.source, digest: policy.digest },
        satisfied: evaluation.satisfied,
        missing_roles: evaluation.missingRoles,
      },
    });
    return { refused: undefined, approval, evaluation };
  });
  if (outcome.refused !== undefined) throw new ApprovalMissingError(outcome.refused);
  return { approval: outcome.approval, evaluation: outcome.evaluation };
}

export interface ApprovalStatusOptions {
  model: string;
  version: number;
  changeKind?: ChangeKind | string;
  /** The person about to make the change (they cannot be the only approver). */
  promoter?: string;
  policy?: ApprovalPolicy;
  /** See {@link RecordApprovalOptions.subjectDigest}. */
  subjectDigest?: string;
}

/** Where a version (or a change to it) stands against the policy, and every decision on record; records nothing. */
export async function approvalStatus(
  registry: Registry,
  opts: ApprovalStatusOptions,
): Promise<ApprovalEvaluation & { approvals: Approval[] }> {
  const policy = opts.policy ?? loadApprovalPolicy();
  const changeKind = opts.changeKind ?? "fraud_model_promotion";
  if (!isChangeKind(changeKind)) {
    throw new BadInputError(`unknown change kind "${changeKind}" (known: ${CHANGE_KINDS.join(", ")})`, {
      field: "change",
    });
  }
  const digest = await subjectDigestOf(registry, opts.model, opts.version, opts.subjectDigest);
  const approvals = await registry.read((db) => listApprovals(db, opts.model, opts.version));
  const evaluation = evaluateApprovals(
    policy,
    { model: opts.model, version: opts.version, artifactDigest: digest, changeKind, promoter: opts.promoter },
    approvals,
  );
  return { ...evaluation, approvals: approvals.filter((a) => a.changeKind === changeKind) };
}

/**
 * For callers gating a change of their own (the serving layer before a threshold or hybrid-weight
 * change): throws `ApprovalMissingError` naming the model, version and what is missing, unless
 * the policy is satisfied for that change and subject.
 */
export async function assertApproved(
  registry: Registry,
  opts: ApprovalStatusOptions,
): Promise<ApprovalEvaluation> {
  const status = await approvalStatus(registry, opts);
  if (!status.satisfied) {
    throw new ApprovalMissingError(
      `model ${opts.model} version ${opts.version}: approvals missing for ${status.changeKind}: ${status.reasons.join("; ")}`,
    );
  }
  return status;
}

async function subjectDigestOf(
  registry: Registry,
  model: string,
  version: number,
  given: string | undefined,
): Promise<string> {
  const v = await registry.getVersion(model, version); // NotFoundError for an unknown model or version
  if (given === undefined) return versionDigest(v.files);
  if (!/^[0-9a-f]{64}$/.test(given)) {
    throw new BadInputError(
      `model ${model} version ${version}: the subject digest must be a SHA-256 in hex (64 characters)`,
    );
  }
  return given;
}
