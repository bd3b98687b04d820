import { BadInputError, ConflictError } from "../errors/index.js";
import type { Registry } from "../registry/index.js";
import { aliasesFollowStages } from "./aliases-follow.js";
import { endDeployment, settleDeployment } from "./deployment-ending.js";
import type { DeploymentRecord } from "./deployment-record.js";

export interface ArchiveOptions {
  model: string;
  by: string;
  /** Required: taking the model out of service is an incident decision. */
  reason: string;
}

/**
 * The emergency stop: archives the Production version with nothing replacing it, so serving falls
 * back to rules-only scoring. For when the live model misbehaves and there is no version worth
 * rolling back to. One transaction with its deployment record (`action = archive`), `champion`
 * removed, and the audit entry; with no Production version the attempt is recorded and refused.
 */
export async function archiveProduction(registry: Registry, opts: ArchiveOptions): Promise<DeploymentRecord> {
  if (!opts.by?.trim())
    throw new BadInputError(`cannot archive model ${opts.model}: --by (who) is required`, { field: "by" });
  const reason = opts.reason?.trim();
  if (!reason)
    throw new BadInputError(`cannot archive model ${opts.model}: --reason is required`, { field: "reason" });
  await registry.getRegisteredModel(opts.model);
  const ending = await registry.transaction(async (tx) => {
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
      return endDeployment(tx, base, { refusal });
    }
    await tx.transitionStage({
      name: opts.model,
      version: current.version,
      stage: "Archived",
      actor: opts.by,
      reason,
    });
    await aliasesFollowStages(tx, opts.model, opts.by, `archive of version ${current.version}`);
    return endDeployment(tx, base, {
      audit: { note: "no version left in Production: serving falls back to rules" },
    });
  });
  return settleDeployment(ending);
}
