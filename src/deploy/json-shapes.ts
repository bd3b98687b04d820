import type { ApprovalEvaluation, Approval } from "./approval-evaluation.js";
import type { BacktestReport } from "./run-backtest.js";
import type { DeploymentRecord, StoredValidation } from "./deployment-record.js";
import type { GateReport } from "./promotion-gate.js";

/*
 * The JSON shapes of the deployment pipeline's results: snake_case, stable keys. The CLI's --json
 * prints them and the HTTP API should answer with the same, so scripts work against either.
 */

/**
 * A deployment record, with the field names of the deployment procedure's `DeploymentRecord`
 * (`model_name`, `model_version`, `previous_version`, `action`, `triggered_by`,
 * `validation_result`, `timestamp`, `success`), plus what Lakay adds: id, reason, error, approvals.
 */
export function deploymentRecordJson(r: DeploymentRecord) {
  return {
    id: r.id,
    model_name: r.model,
    model_version: r.version,
    previous_version: r.previousVersion,
    action: r.action,
    triggered_by: r.triggeredBy,
    validation_result: r.validation,
    timestamp: r.timestamp,
    success: r.success,
    reason: r.reason,
    error: r.error,
    approvals: r.approvals ? approvalStatusJson(r.approvals) : null,
    details: r.details,
  };
}

/** A stored validation report. */
export function validationJson(v: StoredValidation) {
  return {
    id: v.id,
    timestamp: v.timestamp,
    model_name: v.model,
    model_version: v.version,
    actor: v.actor,
    artifact_digest: v.artifactDigest,
    passed: v.passed,
    checks: v.report.checks,
    steps: v.report.steps,
    details: v.report.details,
  };
}

/** A backtest report. */
export function backtestJson(r: BacktestReport) {
  return {
    id: r.id,
    timestamp: r.timestamp,
    model_name: r.model,
    candidate_version: r.candidateVersion,
    current_version: r.currentVersion,
    candidate_digest: r.candidateDigest,
    current_digest: r.currentDigest,
    dataset: r.dataset,
    threshold: r.threshold,
    passed: r.comparison.passed,
    compared: r.comparison.compared,
    summary: r.comparison.summary,
    rows: r.comparison.rows,
    bias: { candidate: r.bias.candidate, current: r.bias.current, new_flags: r.bias.newFlags },
    artifact: r.artifact,
  };
}

/** One recorded approval or rejection. */
export function approvalJson(a: Approval) {
  return {
    id: a.id,
    model_name: a.model,
    model_version: a.version,
    role: a.role,
    approver: a.approver,
    decision: a.decision,
    note: a.note,
    change_kind: a.changeKind,
    artifact_digest: a.artifactDigest,
    created_at: a.createdAt,
  };
}

/** Where a change stands against the approval policy. */
export function approvalStatusJson(e: ApprovalEvaluation) {
  return {
    satisfied: e.satisfied,
    change_kind: e.changeKind,
    change_kinds: e.changeKinds,
    required_roles: e.requiredRoles,
    filled_by: e.filledBy,
    missing_roles: e.missingRoles,
    rejections: e.rejections,
    reasons: e.reasons,
  };
}

/** The promotion checklist (`lakay gate --json`, and a refused `lakay promote --json` under `gate`). */
export function gateJson(g: GateReport) {
  return {
    model_name: g.model,
    model_version: g.version,
    stage: g.stage,
    passed: g.passed,
    artifact_digest: g.artifactDigest,
    production_version: g.production?.version ?? null,
    change_kinds: g.changeKinds,
    detected_changes: g.detectedChanges,
    conditions: g.conditions,
    bias_flags: g.biasFlags,
    overrides: g.overrides,
    warnings: g.warnings,
  };
}
