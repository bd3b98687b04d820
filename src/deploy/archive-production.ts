import { BadInputError, ConflictError } from "../errors/index.js";
import type { Registry } from "../registry/index.js";
import { withDeploymentRecord } from "./deployment-error.js";
import type { DeploymentRecord } from "./deployment-record.js";
import { insertDeploymentRecord } from "./store/deploy-store.js";

export interface ArchiveOptions {
  model: string;
  by: string;
  /** Required: taking the model out of service is an incident decision. */
  reason: string;
}

/**
 * The emergency stop: archives the Production version with nothing replacing it, so serving falls
 * back to rules-only scoring. For when the live model misbehaves and there is no version worth
 * rolling back to. One transaction with its deployment record (`action = archive`) and audit entry;
 * with no Production version the attempt is recorded and refused.
 */
export async function archiveProduction(registry: Registry, opts: ArchiveOptions): Promise<DeploymentRecord> {
  if (!opts.by?.trim())
    throw new BadInputError(`cannot archive model ${opts.model}: --by (who) is required`, { field: "by" });
  const reason = opts.reason?.trim();
  if (!reason)
    throw new BadInputError(`cannot archive model ${opts.model}: --reason is required`, { field: "reason" });
  await registry.getRegisteredModel(opts.model);
  const outcome = await registry.transaction(async (tx) => {
    const current = await tx.getLatestVersion(opts.model, "Production");
    const base = {
      model: opts.model,
      version: current?.version ?? null,
      previousVersion: current?.version ?? null,
      action: "archive" as const,
      triggeredBy: opts.by,
      reason,
      validation: null,
      approvals: null,
      details: {},
    };
    if (!current) {
      const refusal = new ConflictError(
        `cannot archive model ${opts.model}: it has no version in Production`,
      );
      const record = await insertDeploymentRecord(tx.db, { ...base, success: false, error: refusal.message });
      await tx.appendAudit({
        actor: opts.by,
        action: "deploy.archive_failed",
        model: opts.model,
        details: { deployment_id: record.id, error: refusal.message, reason },
      });
      return { record, refusal };
    }
    await tx.transitionStage({
      name: opts.model,
      version: current.version,
      stage: "Archived",
      actor: opts.by,
      reason,
    });
    const record = await insertDeploymentRecord(tx.db, { ...base, success: true, error: null });
    await tx.appendAudit({
      actor: opts.by,
      action: "deploy.archive",
      model: opts.model,
      version: current.version,
      details: {
        deployment_id: record.id,
        reason,
        note: "no version left in Production: serving falls back to rules",
      },
    });
    return { record, refusal: null };
  });
  if (outcome.refusal) throw withDeploymentRecord(outcome.refusal, outcome.record);
  return outcome.record;
}
