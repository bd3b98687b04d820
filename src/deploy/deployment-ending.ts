import type { LakayError } from "../errors/index.js";
import type { RegistryTx } from "../registry/index.js";
import { withDeploymentRecord } from "./deployment-error.js";
import type { DeploymentAction, DeploymentRecord } from "./deployment-record.js";
import { insertDeploymentRecord, type NewDeploymentRecord } from "./store/deploy-store.js";

/** The audit action of each deployment action, done and refused. */
const AUDIT_ACTIONS: Record<DeploymentAction, { done: string; refused: string }> = {
  promote: { done: "deploy.promote", refused: "deploy.promote_refused" },
  rollback: { done: "deploy.rollback", refused: "deploy.rollback_failed" },
  archive: { done: "deploy.archive", refused: "deploy.archive_failed" },
  break_glass: { done: "deploy.break_glass", refused: "deploy.break_glass_refused" },
};

/** How a deployment action ended, inside its transaction: the record, and the refusal if any. */
export interface DeploymentEnding {
  record: DeploymentRecord;
  refusal: LakayError | null;
}

/**
 * The one ending of every deployment action: writes the deployment record and its audit entry through
 * the action's transaction — as done, or (with `refusal`) as refused with the error's message.
 * `audit` adds the action's own facts to the entry; the record id, reason and error are always there.
 */
export async function endDeployment(
  tx: RegistryTx,
  base: Omit<NewDeploymentRecord, "success" | "error">,
  opts: { refusal?: LakayError | null; auditVersion?: number | null; audit?: Record<string, unknown> } = {},
): Promise<DeploymentEnding> {
  const refusal = opts.refusal ?? null;
  const record = await insertDeploymentRecord(tx.db, {
    ...base,
    success: refusal === null,
    error: refusal?.message ?? null,
  });
  const names = AUDIT_ACTIONS[base.action];
  await tx.appendAudit({
    actor: base.triggeredBy,
    action: refusal ? names.refused : names.done,
    model: base.model,
    version: opts.auditVersion === undefined ? base.version : opts.auditVersion,
    details: {
      deployment_id: record.id,
      previous_version: base.previousVersion,
      reason: base.reason,
      ...(refusal ? { error: refusal.message } : {}),
      ...base.details,
      ...opts.audit,
    },
  });
  return { record, refusal };
}

/** After the transaction committed: the record, or the refusal thrown with its record attached. */
export function settleDeployment(ending: DeploymentEnding): DeploymentRecord {
  if (ending.refusal) throw withDeploymentRecord(ending.refusal, ending.record);
  return ending.record;
}
