import { BadInputError, ConflictError } from "../errors/index.js";
import { parseStage, type ModelVersion, type Registry, type Stage } from "../registry/index.js";
import { aliasesFollowStages } from "./aliases-follow.js";
import { loadApprovalPolicy, type ApprovalPolicy } from "./approval-policy.js";
import { endDeployment, settleDeployment } from "./deployment-ending.js";

export interface StageTransitionOptions {
  model: string;
  version: number;
  stage: Stage | string;
  by: string;
  reason?: string;
  /** Archive the version(s) currently in the target stage (Staging) instead of failing. */
  archiveExisting?: boolean;
  /** The escape hatch for a stage change into or out of Production; only if the policy enables it. */
  breakGlass?: boolean;
  policy?: ApprovalPolicy;
}

/** What a break-glass transition or a refusal is told to use instead. */
const USE_INSTEAD =
  "use `lakay promote` (into Production, through the gate), `lakay rollback` or `lakay archive` (out of it)";

/**
 * A stage change outside the deployment pipeline (`lakay models transition`). Changes into or out of
 * Production go only through promote, rollback and archive: they are refused here, naming the
 * command to use, unless `breakGlass` is given with a reason and the policy enables it — then the
 * change is recorded as a `break_glass` deployment action, loud in history, the audit and the gate.
 * Aliases follow in the same transaction (`champion` = Production; `challenger` leaves with Staging).
 */
export async function transitionStage(
  registry: Registry,
  opts: StageTransitionOptions,
): Promise<ModelVersion> {
  const stage = parseStage(opts.stage);
  const by = opts.by?.trim();
  if (!by)
    throw new BadInputError(
      `cannot move model ${opts.model} version ${opts.version}: --by (who) is required`,
      { field: "by" },
    );
  const what = `model ${opts.model} version ${opts.version}`;
  const before = await registry.getVersion(opts.model, opts.version);
  const touchesProduction = stage === "Production" || before.stage === "Production";
  const reason = opts.reason?.trim() || undefined;
  if (!touchesProduction) {
    return registry.transaction(async (tx) => {
      const v = await tx.transitionStage({
        name: opts.model,
        version: opts.version,
        stage,
        archiveExisting: opts.archiveExisting,
        actor: opts.by,
        reason,
      });
      await aliasesFollowStages(tx, opts.model, opts.by, `version ${opts.version} moved to ${stage}`);
      return tx.getVersion(v.name, v.version);
    });
  }
  const move = `${before.stage} -> ${stage}`;
  if (!opts.breakGlass) {
    throw new ConflictError(`cannot move ${what} ${move} with a stage transition: ${USE_INSTEAD}`);
  }
  const policy = opts.policy ?? loadApprovalPolicy();
  if (!policy.gate.breakGlass) {
    throw new ConflictError(
      `cannot move ${what} ${move}: break-glass is not enabled by the approval policy (${policy.source}); ${USE_INSTEAD}`,
    );
  }
  if (!reason)
    throw new BadInputError(`cannot move ${what} ${move}: --break-glass requires --reason`, {
      field: "reason",
    });

  const ending = await registry.transaction(async (tx) => {
    const current = await tx.getLatestVersion(opts.model, "Production");
    const from = (await tx.getVersion(opts.model, opts.version)).stage;
    await tx.transitionStage({
      name: opts.model,
      version: opts.version,
      stage,
      archiveExisting: true,
      actor: opts.by,
      reason: `BREAK-GLASS: ${reason}`,
    });
    await aliasesFollowStages(
      tx,
      opts.model,
      opts.by,
      `break-glass: version ${opts.version} moved to ${stage}`,
    );
    return endDeployment(tx, {
      model: opts.model,
      version: opts.version,
      previousVersion: current?.version ?? null,
      action: "break_glass",
      triggeredBy: opts.by,
      reason,
      validation: null,
      approvals: null,
      details: {
        from,
        to: stage,
        policy: { source: policy.source, digest: policy.digest },
        gate_bypassed: true,
      },
    });
  });
  settleDeployment(ending);
  return registry.getVersion(opts.model, opts.version);
}

/**
 * `champion` is not set by hand: it follows the Production version (promote, rollback, archive).
 * Throws naming the commands to use.
 */
export function checkManualAlias(model: string, alias: string): void {
  if (alias === "champion")
    throw new ConflictError(
      `cannot set or delete alias champion of model ${model} by hand: it always names the Production version; ${USE_INSTEAD}`,
    );
}
