import type { Kysely } from "kysely";
import type { LayerDb } from "../../registry/index.js";
import type { Approval, ApprovalDecision } from "../approval-evaluation.js";
import type { ChangeKind } from "../approval-policy.js";
import type { DeploymentAction, DeploymentRecord, StoredValidation } from "../deployment-record.js";
import { candidateFlagsOf, type BiasFlagSummary } from "../backtest-bias.js";
import type { ValidationReport } from "../validation-checks.js";
import type { DeployDatabase } from "./deploy-tables.js";

/** A handle on the registry database (usually a registry transaction's `tx.db`). */
type Db = LayerDb;

/** The handle viewed through deploy's own tables (created by ./migrations, typed in ./deploy-tables.ts). */
function deployDb(db: Db): Kysely<DeployDatabase> {
  return db as Kysely<DeployDatabase>;
}

/** Canonical JSON for storage: drops undefined, keeps key order as given. */
function json(value: unknown): string {
  return JSON.stringify(value ?? null);
}

function now(): string {
  return new Date().toISOString();
}

export type NewDeploymentRecord = Omit<DeploymentRecord, "id" | "timestamp">;

export async function insertDeploymentRecord(db: Db, rec: NewDeploymentRecord): Promise<DeploymentRecord> {
  const ts = now();
  const row = await deployDb(db)
    .insertInto("deploy_records")
    .values({
      ts,
      model: rec.model,
      version: rec.version,
      previous_version: rec.previousVersion,
      action: rec.action,
      triggered_by: rec.triggeredBy,
      reason: rec.reason,
      success: rec.success ? 1 : 0,
      error: rec.error,
      validation: rec.validation ? json(rec.validation) : null,
      approvals: rec.approvals ? json(rec.approvals) : null,
      details: json(rec.details),
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return { ...rec, id: Number(row.id), timestamp: ts };
}

/** Deployment records, newest first. */
export async function listDeploymentRecords(
  db: Db,
  opts: { model?: string; limit?: number; successOnly?: boolean } = {},
): Promise<DeploymentRecord[]> {
  let q = deployDb(db).selectFrom("deploy_records").selectAll().orderBy("id", "desc");
  if (opts.model !== undefined) q = q.where("model", "=", opts.model);
  if (opts.successOnly) q = q.where("success", "=", 1);
  if (opts.limit !== undefined) q = q.limit(opts.limit);
  const rows = await q.execute();
  return rows.map((r) => ({
    id: Number(r.id),
    timestamp: r.ts,
    model: r.model,
    version: r.version === null ? null : Number(r.version),
    previousVersion: r.previous_version === null ? null : Number(r.previous_version),
    action: r.action as DeploymentAction,
    triggeredBy: r.triggered_by,
    reason: r.reason,
    success: Number(r.success) === 1,
    error: r.error,
    validation: r.validation ? JSON.parse(r.validation) : null,
    approvals: r.approvals ? JSON.parse(r.approvals) : null,
    details: JSON.parse(r.details),
  }));
}

/** An approval as the caller gives it; the store assigns `id` and `createdAt`. */
export type NewApproval = Omit<Approval, "id" | "createdAt">;

export async function insertApproval(db: Db, a: NewApproval): Promise<Approval> {
  const ts = now();
  const row = await deployDb(db)
    .insertInto("deploy_approvals")
    .values({
      ts,
      model: a.model,
      version: a.version,
      artifact_digest: a.artifactDigest,
      change_kind: a.changeKind,
      role: a.role,
      approver: a.approver,
      decision: a.decision,
      note: a.note,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return { ...a, id: Number(row.id), createdAt: ts };
}

/** Every approval and rejection recorded for a version, oldest first. */
export async function listApprovals(db: Db, model: string, version: number): Promise<Approval[]> {
  const rows = await deployDb(db)
    .selectFrom("deploy_approvals")
    .selectAll()
    .where("model", "=", model)
    .where("version", "=", version)
    .orderBy("id", "asc")
    .execute();
  return rows.map((r) => ({
    id: Number(r.id),
    model: r.model,
    version: Number(r.version),
    artifactDigest: r.artifact_digest,
    changeKind: r.change_kind as ChangeKind,
    role: r.role,
    approver: r.approver,
    decision: r.decision as ApprovalDecision,
    note: r.note,
    createdAt: r.ts,
  }));
}

export async function insertValidation(
  db: Db,
  v: { model: string; version: number; artifactDigest: string; actor: string; report: ValidationReport },
): Promise<StoredValidation> {
  const ts = now();
  const row = await deployDb(db)
    .insertInto("deploy_validations")
    .values({
      ts,
      model: v.model,
      version: v.version,
      artifact_digest: v.artifactDigest,
      actor: v.actor,
      passed: v.report.passed ? 1 : 0,
      report: json(v.report),
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return { ...v, id: Number(row.id), timestamp: ts, passed: v.report.passed };
}

/** Validation reports stored for a version, newest first. */
export async function listValidations(db: Db, model: string, version: number): Promise<StoredValidation[]> {
  const rows = await deployDb(db)
    .selectFrom("deploy_validations")
    .selectAll()
    .where("model", "=", model)
    .where("version", "=", version)
    .orderBy("id", "desc")
    .execute();
  return rows.map((r) => ({
    id: Number(r.id),
    timestamp: r.ts,
    model: r.model,
    version: Number(r.version),
    artifactDigest: r.artifact_digest,
    actor: r.actor,
    passed: Number(r.passed) === 1,
    report: JSON.parse(r.report),
  }));
}

export interface NewBacktest {
  model: string;
  candidateVersion: number;
  currentVersion: number | null;
  /** `versionDigest` of the artifacts compared: the gate counts a backtest only for these exact files. */
  candidateDigest: string;
  currentDigest: string | null;
  dataset: string;
  datasetSha256: string;
  datasetRows: number;
  datasetFrauds: number;
  /** PaySim `step` range (hours) the dataset covers. */
  window: { startStep: number; endStep: number } | null;
  actor: string;
  passed: boolean;
  compared: boolean;
  report: unknown;
}

export async function insertBacktest(db: Db, b: NewBacktest): Promise<{ id: number; timestamp: string }> {
  const ts = now();
  const row = await deployDb(db)
    .insertInto("deploy_backtests")
    .values({
      ts,
      model: b.model,
      candidate_version: b.candidateVersion,
      current_version: b.currentVersion,
      candidate_digest: b.candidateDigest,
      current_digest: b.currentDigest,
      dataset_rows: b.datasetRows,
      dataset_frauds: b.datasetFrauds,
      window_start_step: b.window?.startStep ?? null,
      window_end_step: b.window?.endStep ?? null,
      dataset: b.dataset,
      dataset_sha256: b.datasetSha256,
      actor: b.actor,
      passed: b.passed ? 1 : 0,
      compared: b.compared ? 1 : 0,
      report: json(b.report),
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return { id: Number(row.id), timestamp: ts };
}

/** A stored backtest as the gate reads it. */
export interface StoredBacktest {
  id: number;
  timestamp: string;
  model: string;
  candidateVersion: number;
  currentVersion: number | null;
  candidateDigest: string | null;
  currentDigest: string | null;
  datasetSha256: string;
  datasetRows: number | null;
  datasetFrauds: number | null;
  actor: string;
  passed: boolean;
  compared: boolean;
  /** The tolerance table's rows as stored (metric, candidate, current, requirement, passed). */
  rows: {
    metric: string;
    label: string;
    candidate: number;
    current: number | null;
    requirement: string;
    passed: boolean | null;
  }[];
  /** The candidate's bias flags on the backtest data; null for a backtest older than the bias audit. */
  biasFlags: BiasFlagSummary[] | null;
  /** The decision threshold its precision, recall and FPR were measured at (null if not stored). */
  threshold: number | null;
}

/** Backtests of a candidate version, newest first. */
export async function listBacktests(
  db: Db,
  model: string,
  candidateVersion: number,
): Promise<StoredBacktest[]> {
  const rows = await deployDb(db)
    .selectFrom("deploy_backtests")
    .selectAll()
    .where("model", "=", model)
    .where("candidate_version", "=", candidateVersion)
    .orderBy("id", "desc")
    .execute();
  return rows.map((r) => {
    const report = JSON.parse(r.report) as {
      comparison?: { rows?: StoredBacktest["rows"] };
      threshold?: number;
    };
    return {
      id: Number(r.id),
      timestamp: r.ts,
      model: r.model,
      candidateVersion: Number(r.candidate_version),
      currentVersion: r.current_version === null ? null : Number(r.current_version),
      candidateDigest: r.candidate_digest ?? null,
      currentDigest: r.current_digest ?? null,
      datasetSha256: r.dataset_sha256,
      datasetRows: r.dataset_rows === null || r.dataset_rows === undefined ? null : Number(r.dataset_rows),
      datasetFrauds:
        r.dataset_frauds === null || r.dataset_frauds === undefined ? null : Number(r.dataset_frauds),
      actor: r.actor,
      passed: Number(r.passed) === 1,
      compared: Number(r.compared) === 1,
      rows: report.comparison?.rows ?? [],
      biasFlags: candidateFlagsOf(report),
      threshold: typeof report.threshold === "number" ? report.threshold : null,
    };
  });
}
