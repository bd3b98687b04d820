import type { ApprovalEvaluation } from "./approval-evaluation.js";
import type { ValidationReport } from "./validation-checks.js";

/**
 * What a deployment record says happened: the procedure's three actions, and `break_glass` — a stage
 * change into or out of Production outside them, allowed only when the policy enables it.
 */
export const DEPLOYMENT_ACTIONS = ["promote", "rollback", "archive", "break_glass"] as const;
export type DeploymentAction = (typeof DEPLOYMENT_ACTIONS)[number];

/**
 * One promotion, rollback or archive attempt — successful or not. Blocked and failed attempts are
 * recorded too (`success: false`, `error` says why), so the history shows every decision.
 */
export interface DeploymentRecord {
  id: number;
  timestamp: string;
  model: string;
  /** The version being deployed (the rollback target for a rollback); null if none could be chosen. */
  version: number | null;
  /** The version that was in Production before; null if there was none. */
  previousVersion: number | null;
  action: DeploymentAction;
  triggeredBy: string;
  reason: string | null;
  success: boolean;
  error: string | null;
  /** The validation run for this attempt, or null when validation was skipped or not reached. */
  validation: ValidationReport | null;
  /** The approval evaluation the attempt was held to, or null when not reached. */
  approvals: ApprovalEvaluation | null;
  /** Extra facts: skipped validation, policy source and digest, artifact digest. */
  details: Record<string, unknown>;
}

/** A validation report as stored with the version. */
export interface StoredValidation {
  id: number;
  timestamp: string;
  model: string;
  version: number;
  artifactDigest: string;
  actor: string;
  passed: boolean;
  report: ValidationReport;
}
