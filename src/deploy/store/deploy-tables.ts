import type { Generated } from "kysely";

/**
 * The deployment tables, added to the registry database by ./migrations (schema steps 2 and 3).
 * Same conventions as the registry: ISO-8601 UTC text timestamps, JSON as text, booleans as 0/1
 * integers so both dialects store them alike. Rows are only ever inserted: history is never rewritten.
 */
export interface DeployDatabase {
  deploy_records: {
    id: Generated<number>;
    ts: string;
    model: string;
    version: number | null;
    previous_version: number | null;
    action: string;
    triggered_by: string;
    reason: string | null;
    success: number;
    error: string | null;
    validation: string | null;
    approvals: string | null;
    details: string;
  };
  deploy_approvals: {
    id: Generated<number>;
    ts: string;
    model: string;
    version: number;
    artifact_digest: string;
    change_kind: string;
    role: string;
    approver: string;
    decision: string;
    note: string | null;
  };
  deploy_validations: {
    id: Generated<number>;
    ts: string;
    model: string;
    version: number;
    artifact_digest: string;
    actor: string;
    passed: number;
    report: string;
  };
  deploy_backtests: {
    id: Generated<number>;
    ts: string;
    model: string;
    candidate_version: number;
    current_version: number | null;
    dataset: string;
    dataset_sha256: string;
    actor: string;
    passed: number;
    compared: number;
    report: string;
    /** Added by migration 0003; null on backtests recorded before it. */
    candidate_digest: string | null;
    current_digest: string | null;
    dataset_rows: number | null;
    dataset_frauds: number | null;
    window_start_step: number | null;
    window_end_step: number | null;
  };
}
