import { CHANGE_KINDS, type ApprovalPolicy, type ChangeKind } from "./approval-policy.js";
import { identityKey } from "./identity.js";

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
  /** The first (declared) change kind. */
  changeKind: ChangeKind;
  /** Every change kind the requirement covers; the required roles are the union over them. */
  changeKinds: ChangeKind[];
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
  /**
   * More kinds the change carries (e.g. detected by comparing with Production): the required roles
   * are then the union over all kinds, and an approval given for any of them counts.
   */
  changeKinds?: readonly ChangeKind[];
  /** The person about to make the change; they may approve, but not be the only approver. */
  promoter?: string;
}

/**
 * Applies the policy to the approvals on record. Rules:
 * - only approvals for this exact version and artifact digest count (a new version, or a version
 *   whose files changed, needs new approvals);
 * - the required roles are the union over the change kinds; an approval for any of them counts;
 * - per role, the latest decision stands: a rejection blocks the change until a later approval
 *   in the same role supersedes it (a rejection in any role blocks, not only required roles);
 * - people are compared trimmed and case-folded (`identityKey`): one person fills at most one
 *   required role (separation of duties), and the promoter cannot be the only approver.
 */
export function evaluateApprovals(
  policy: ApprovalPolicy,
  subject: EvaluationSubject,
  approvals: readonly Approval[],
): ApprovalEvaluation {
  const kinds = CHANGE_KINDS.filter(
    (k) => k === subject.changeKind || (subject.changeKinds ?? []).includes(k),
  );
  const requiredRoles = [...new Set(kinds.flatMap((k) => policy.changes[k].requiredRoles))];
  const ignored: ApprovalEvaluation["ignored"] = [];
  const relevant: Approval[] = [];
  for (const a of [...approvals].sort((x, y) => x.id - y.id)) {
    if (a.model !== subject.model || a.version !== subject.version || !kinds.includes(a.changeKind)) continue;
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

  // People as identity keys; the first spelling seen names them in messages and `filledBy`.
  const spelling = new Map<string, string>();
  for (const a of relevant)
    if (!spelling.has(identityKey(a.approver))) spelling.set(identityKey(a.approver), a.approver);
  const candidates = requiredRoles.map((role) => [
    ...new Set((byRole.get(role)?.approvals ?? []).map((a) => identityKey(a.approver))),
  ]);
  let filled = assignDistinct(requiredRoles, candidates);
  const reasons: string[] = [];
  const promoter = subject.promoter === undefined ? undefined : identityKey(subject.promoter);
  const people = new Set(Object.values(filled));
  if (promoter !== undefined && people.size === 1 && people.has(promoter)) {
    // Try again without the promoter; if that fails the promoter's own approval cannot carry the change.
    const without = assignDistinct(
      requiredRoles,
      candidates.map((c) => c.filter((p) => p !== promoter)),
    );
    if (Object.keys(without).length === requiredRoles.length) filled = without;
    else reasons.push(`${subject.promoter!.trim()} is promoting and cannot be the only approver`);
  }
  const missingRoles = requiredRoles.filter((r) => !(r in filled));
  const takenElsewhere = missingRoles.filter((r) => candidates[requiredRoles.indexOf(r)].length > 0);
  for (const r of missingRoles) {
    if (takenElsewhere.includes(r)) {
      const who = candidates[requiredRoles.indexOf(r)].map((k) => spelling.get(k) ?? k).join(", ");
      reasons.push(`role ${r} is missing: ${who} already fills another required role (separation of duties)`);
    } else if (!byRole.get(r)?.rejection) {
      reasons.push(`role ${r} has not approved`);
    }
  }
  for (const rej of rejections) {
    reasons.push(`rejected by ${rej.approver} (${rej.role})${rej.note ? `: ${rej.note}` : ""}`);
  }
  const filledBy = Object.fromEntries(
    requiredRoles.filter((r) => r in filled).map((r) => [r, spelling.get(filled[r]) ?? filled[r]]),
  );
  return {
    satisfied: reasons.length === 0,
    changeKind: subject.changeKind,
    changeKinds: kinds,
    requiredRoles,
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
