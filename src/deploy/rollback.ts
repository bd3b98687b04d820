import { BadInputError, ConflictError, type LakayError } from "../errors/index.js";
import type { Registry, RegistryTx } from "../registry/index.js";
import { withDeploymentRecord } from "./deployment-error.js";
import type { DeploymentRecord } from "./deployment-record.js";
import { pauseForFaultTest } from "./fault-injection.js";
import { insertDeploymentRecord, listDeploymentRecords } from "./store/deploy-store.js";

export interface RollbackOptions {
  model: string;
  by: string;
  reason?: string;
  /** Restore this Archived version instead of the one the history names. */
  to?: number;
}

/**
 * Rolls a model back: restores the version that was in Production before the current one (from the
 * deployment history, else the highest-numbered Archived version) and archives the current one, in
 * one transaction with its deployment record and audit entry. No approvals are needed: rollback is
 * the emergency path and only restores a version that was live before. With nothing to roll back
 * to, the failed attempt is recorded and a `ConflictError` names the model and why.
 */
export async function rollback(registry: Registry, opts: RollbackOptions): Promise<DeploymentRecord> {
  if (!opts.by?.trim())
    throw new BadInputError(`cannot roll back model ${opts.model}: --by (who) is required`, { field: "by" });
  if (opts.to !== undefined && !(Number.isInteger(opts.to) && opts.to > 0)) {
    throw new BadInputError(`cannot roll back model ${opts.model}: --to must be a version number`, {
      field: "to",
    });
  }
  await registry.getRegisteredModel(opts.model); // NotFoundError for an unknown model
  if (opts.to !== undefined) await registry.getVersion(opts.model, opts.to);
  const reason = opts.reason?.trim() || null;

  const outcome = await registry.transaction(async (tx) => {
    const current = await tx.getLatestVersion(opts.model, "Production");
    // With nothing in Production (after an emergency archive), only an explicit --to restores.
    const choice =
      current || opts.to !== undefined
        ? await chooseTarget(tx, opts.model, current?.version ?? null, opts.to)
        : {
            target: null,
            source: "none",
            error: `model ${opts.model} has no version in Production: nothing to roll back (use --to to restore an Archived version)`,
          };
    const base = {
      model: opts.model,
      version: choice.target,
      previousVersion: current?.version ?? null,
      action: "rollback" as const,
      triggeredBy: opts.by,
      reason,
      validation: null,
      approvals: null,
      details: { target_source: choice.source },
    };
    if (choice.target === null) {
      const refusal: LakayError = new ConflictError(choice.error ?? `cannot roll back model ${opts.model}`);
      const record = await insertDeploymentRecord(tx.db, { ...base, success: false, error: refusal.message });
      await tx.appendAudit({
        actor: opts.by,
        action: "deploy.rollback_failed",
        model: opts.model,
        version: current?.version ?? null,
        details: { deployment_id: record.id, error: refusal.message, reason },
      });
      return { record, refusal };
    }
    await tx.transitionStage({
      name: opts.model,
      version: choice.target,
      stage: "Production",
      archiveExisting: true,
      actor: opts.by,
      reason: reason ?? (current ? `rollback from version ${current.version}` : "restore after archive"),
    });
    await pauseForFaultTest();
    const record = await insertDeploymentRecord(tx.db, { ...base, success: true, error: null });
    await tx.appendAudit({
      actor: opts.by,
      action: "deploy.rollback",
      model: opts.model,
      version: choice.target,
      details: {
        deployment_id: record.id,
        previous_version: current?.version ?? null,
        reason,
        target_source: choice.source,
      },
    });
    return { record, refusal: null };
  });
  if (outcome.refusal) throw withDeploymentRecord(outcome.refusal, outcome.record);
  return outcome.record;
}

async function chooseTarget(
  tx: RegistryTx,
  model: string,
  current: number | null,
  requested: number | undefined,
): Promise<{ target: number | null; source: string; error?: string }> {
  if (requested !== undefined) {
    if (requested === current) {
      return {
        target: null,
        source: "requested",
        error: `cannot roll back model ${model} to version ${requested}: it is the current Production version`,
      };
    }
    const v = await tx.getVersion(model, requested);
    if (v.stage !== "Archived") {
      return {
        target: null,
        source: "requested",
        error: `cannot roll back model ${model} to version ${requested}: it is ${v.stage}, not Archived (promote it instead)`,
      };
    }
    return { target: requested, source: "requested" };
  }
  // The successful deployment that put the current version in Production names its predecessor.
  const records = await listDeploymentRecords(tx.db, { model, successOnly: true });
  const lastIn = records.find(
    (r) => r.version === current && (r.action === "promote" || r.action === "rollback"),
  );
  if (lastIn?.previousVersion != null && lastIn.previousVersion !== current) {
    const prev = await tx.getVersion(model, lastIn.previousVersion);
    if (prev.stage === "Archived") return { target: prev.version, source: `deployment record ${lastIn.id}` };
  }
  const archived = await tx.getLatestVersion(model, "Archived");
  if (archived && archived.version !== current)
    return { target: archived.version, source: "highest Archived version" };
  return {
    target: null,
    source: "none",
    error: `cannot roll back model ${model} from version ${current}: no earlier Production version in the deployment history and no Archived version`,
  };
}
