import type { ApprovalPolicy, ChangeKind } from "./approval-policy.js";

export const APPROVAL_DECISIONS = ["approve", "reject"] as const;
export type ApprovalDecision = (typeof APPROVAL_DECISIONS)[number];

/** One recorded sign-off (or rejection), tied to the exact version and its artifact digest. */
export interface Approval {
  /** Increases with every recorded approval; orders decisions made within the same millisecond. */
  id: number;
  model: string;
  version: number;
  /** Digest of the version's model artifacts at the time of approval (see `versionDigest`). */
  artifactDigest: string;
  changeKind: ChangeKind;
  role: string;
  approver: string;
  decision: ApprovalDecision;
  note: string | null;
  createdAt: string;
}

/** What the policy still needs before a change may go ahead. */
export interface ApprovalEvaluation {
  satisfied: boolean;
  changeKind: ChangeKind;
  requiredRoles: string[];
  /** Role -> the person whose approval fills it (each person fills at most one role). */
  filledBy: Record<string, string>;
  /** Required roles nobody (eligible) has approved. */
  missingRoles: string[];
  /** Roles whose latest decision is a rejection, with who rejected and why. */
  rejections: { role: string; approver: string; note: string | null; createdAt: string }[];
  /** Approvals that do not count, with the reason (other checksums, duplicate person...). */
  ignored: { approvalId: number; reason: string }[];
  /** One sentence per unmet requirement, for errors and the audit trail. */
  reasons: string[];
}

export interface EvaluationSubject {
  model: string;
  version: number;
  artifactDigest: string;
  changeKind: ChangeKind;
  /** The person about to make the change; they may approve, but not be the only approver. */
  promoter?: string;
}

/**
 * Applies the policy to the approvals on record. Rules:
 * - only approvals for this exact version and artifact digest count (a new version, or a version
 *   whose files changed, needs new approvals);
 * - per role, the latest decision stands: a rejection blocks the change until a later approval
 *   in the same role supersedes it (a rejection in any role blocks, not only required roles);
 * - separation of duties: one person fills at most one required role;
 * - the promoter cannot be the only approver.
 */
export function evaluateApprovals(
  policy: ApprovalPolicy,
  subject: EvaluationSubject,
  approvals: readonly Approval[],
): ApprovalEvaluation {
  const requiredRoles = policy.changes[subject.changeKind].requiredRoles;
  const ignored: ApprovalEvaluation["ignored"] = [];
  const relevant: Approval[] = [];
  for (const a of [...approvals].sort((x, y) => x.id - y.id)) {
    if (a.model !== subject.model || a.version !== subject.version || a.changeKind !== subject.changeKind)
      continue;
    if (a.artifactDigest !== subject.artifactDigest) {
      ignored.push({
        approvalId: a.id,
        reason: `given for different artifacts (digest ${a.artifactDigest.slice(0, 12)})`,
      });
      continue;
    }
    relevant.push(a);
  }

  // Per role: the approvals since the role's latest rejection, or the standing rejection.
  const byRole = new Map<string, { approvals: Approval[]; rejection?: Approval }>();
  for (const a of relevant) {
    const entry = byRole.get(a.role) ?? { approvals: [] };
    if (a.decision === "reject") {
      for (const earlier of entry.approvals) {
        ignored.push({ approvalId: earlier.id, reason: `superseded by ${a.approver}'s later rejection` });
      }
      byRole.set(a.role, { approvals: [], rejection: a });
    } else {
      byRole.set(a.role, { approvals: [...entry.approvals, a] });
    }
  }
  const rejections = [...byRole.entries()]
    .filter(([, e]) => e.rejection)
    .map(([role, e]) => ({
      role,
      approver: e.rejection!.approver,
      note: e.rejection!.note,
      createdAt: e.rejection!.createdAt,
    }));

  const candidates = requiredRoles.map((role) => [
    ...new Set((byRole.get(role)?.approvals ?? []).map((a) => a.approver)),
  ]);
  let filledBy = assignDistinct(requiredRoles, candidates);
  const reasons: string[] = [];
  const people = new Set(Object.values(filledBy));
  if (subject.promoter && people.size === 1 && people.has(subject.promoter)) {
    // Try again without the promoter; if that fails the promoter's own approval cannot carry the change.
    const without = assignDistinct(
      requiredRoles,
      candidates.map((c) => c.filter((p) => p !== subject.promoter)),
    );
    if (Object.keys(without).length === requiredRoles.length) filledBy = without;
    else reasons.push(`${subject.promoter} is promoting and cannot be the only approver`);
  }
  const missingRoles = requiredRoles.filter((r) => !(r in filledBy));
  const takenElsewhere = missingRoles.filter((r) => candidates[requiredRoles.indexOf(r)].length > 0);
  for (const r of missingRoles) {
    if (takenElsewhere.includes(r)) {
      const who = candidates[requiredRoles.indexOf(r)].join(", ");
      reasons.push(`role ${r} is missing: ${who} already fills another required role (separation of duties)`);
    } else if (!byRole.get(r)?.rejection) {
      reasons.push(`role ${r} has not approved`);
    }
  }
  for (const rej of rejections) {
    reasons.push(`rejected by ${rej.approver} (${rej.role})${rej.note ? `: ${rej.note}` : ""}`);
  }
  return {
    satisfied: reasons.length === 0,
    changeKind: subject.changeKind,
    requiredRoles: [...requiredRoles],
    filledBy,
    missingRoles,
    rejections,
    ignored,
    reasons,
  };
}

/**
 * Assigns distinct people to roles (bipartite matching by augmenting paths). The policies are
 * tiny, but a greedy pass can wrongly report a role missing when one person approved twice.
 */
function assignDistinct(roles: readonly string[], candidates: readonly string[][]): Record<string, string> {
  const holder = new Map<string, number>(); // person -> role index
  const tryRole = (ri: number, seen: Set<string>): boolean => {
    for (const person of candidates[ri]) {
      if (seen.has(person)) continue;
      seen.add(person);
      const other = holder.get(person);
      if (other === undefined || tryRole(other, seen)) {
        holder.set(person, ri);
        return true;
      }
    }
    return false;
  };
  for (let ri = 0; ri < roles.length; ri++) tryRole(ri, new Set());
  const filled: Record<string, string> = {};
  for (const [person, ri] of holder) filled[roles[ri]] = person;
  return filled;
}
