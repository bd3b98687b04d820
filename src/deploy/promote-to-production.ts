import {
  ApprovalMissingError,
  BadInputError,
  ConflictError,
  ValidationFailedError,
  type LakayError,
} from "../errors/index.js";
import type { Registry } from "../registry/index.js";
import { aliasesFollowStages } from "./aliases-follow.js";
import {
  CHANGE_KINDS,
  isChangeKind,
  loadApprovalPolicy,
  type ApprovalPolicy,
  type ChangeKind,
} from "./approval-policy.js";
import { endDeployment, settleDeployment } from "./deployment-ending.js";
import type { DeploymentRecord, StoredValidation } from "./deployment-record.js";
import { evaluateGate, gateFailures, type GateReport } from "./promotion-gate.js";
import { validateModel } from "./validate-model.js";
import type { VersionLoader } from "./version-loader.js";

export interface PromoteOptions {
  model: string;
  version: number;
  /** Who promotes; they may have approved, but cannot be the only approver. */
  by: string;
  /** Why; required with `skipValidation` or `skipBacktest`. */
  reason?: string;
  /** Skip the validation condition: needs `reason` and the policy's `override` approvals. */
  skipValidation?: boolean;
  /** Skip the backtest condition: needs `reason` and the policy's `override` approvals. */
  skipBacktest?: boolean;
  latencySlaMs?: number;
  /** The change kind the promoter declares (default fraud_model_promotion); detected kinds are added. */
  changeKind?: ChangeKind | string;
  policy?: ApprovalPolicy;
  loader?: VersionLoader;
  /** The instant backtest ages are measured from; default now. */
  now?: Date;
  /**
   * Called inside the transaction after the stage change, before the record is written. Tests use
   * it to kill the process mid-transaction and prove nothing half-done survives.
   */
  onSwapped?: () => Promise<void>;
}

/** The gate checklist carried by a refused promotion's error, if any. */
export function gateReportOf(err: unknown): GateReport | undefined {
  return (err as { gate?: GateReport } | null)?.gate;
}

/**
 * Promotes a version to Production through the gate. Runs the validation checks first (unless
 * skipped), then in ONE registry transaction — which holds the registry's write lock, so concurrent
 * promotions of a model serialize — evaluates the gate on the candidate's exact artifacts (Staging,
 * passing validation, passing backtest against the current Production version, approvals for every
 * change kind, overrides), and either moves the version to Production (archiving the previous one,
 * `champion` following, `challenger` dropped) with its record and audit entry, or records the refusal
 * and throws the typed error of its first failing condition, naming model, version and every failure;
 * the error carries the record (`deploymentRecordOf`) and the checklist (`gateReportOf`).
 */
export async function promoteToProduction(
  registry: Registry,
  opts: PromoteOptions,
): Promise<DeploymentRecord> {
  const what = `model ${opts.model} version ${opts.version}`;
  const declared = opts.changeKind ?? "fraud_model_promotion";
  if (!isChangeKind(declared)) {
    throw new BadInputError(`unknown change kind "${declared}" (known: ${CHANGE_KINDS.join(", ")})`, {
      field: "change",
    });
  }
  if (declared === "override")
    throw new BadInputError(`cannot promote ${what}: "override" is not a change kind to declare`, {
      field: "change",
    });
  if (!opts.by?.trim())
    throw new BadInputError(`cannot promote ${what}: --by (who promotes) is required`, { field: "by" });
  const reason = opts.reason?.trim() || null;
  for (const [skip, flag] of [
    [opts.skipValidation, "validation"],
    [opts.skipBacktest, "the backtest"],
  ] as const) {
    if (skip && !reason)
      throw new BadInputError(`cannot promote ${what}: skipping ${flag} requires --reason`, {
        field: "reason",
      });
  }
  const policy = opts.policy ?? loadApprovalPolicy();
  await registry.getVersion(opts.model, opts.version); // NotFoundError before anything is recorded

  let validation: StoredValidation | null = null;
  if (!opts.skipValidation) {
    validation = await validateModel(registry, {
      model: opts.model,
      version: opts.version,
      actor: opts.by,
      latencySlaMs: opts.latencySlaMs,
      loader: opts.loader,
    });
  }

  let gate: GateReport | undefined;
  const ending = await registry.transaction(async (tx) => {
    gate = await evaluateGate(tx, {
      model: opts.model,
      version: opts.version,
      policy,
      declaredKinds: [declared],
      promoter: opts.by,
      overrides: { skipValidation: opts.skipValidation, skipBacktest: opts.skipBacktest, reason },
      now: opts.now,
    });
    const previousVersion = gate.production?.version ?? null;
    const base = {
      model: opts.model,
      version: opts.version,
      previousVersion,
      action: "promote" as const,
      triggeredBy: opts.by,
      reason,
      validation: validation?.report ?? null,
      approvals: gate.approvals,
      details: {
        change_kinds: gate.changeKinds,
        detected_changes: gate.detectedChanges,
        artifact_digest: gate.artifactDigest,
        policy: { source: policy.source, digest: policy.digest },
        validation_id: gate.validationId,
        backtest_id: gate.backtestId,
        overrides: gate.overrides.validation || gate.overrides.backtest ? gate.overrides : null,
        override_approved_by: gate.overrideApprovals?.filledBy ?? null,
        gate: gate.conditions.map((c) => ({ name: c.name, status: c.status, detail: c.detail })),
      },
    };
    if (!gate.passed) {
      return endDeployment(tx, base, { refusal: refusalOf(what, gate) });
    }
    await tx.transitionStage({
      name: opts.model,
      version: opts.version,
      stage: "Production",
      archiveExisting: true,
      actor: opts.by,
      reason: reason ?? "promotion (deployment pipeline)",
    });
    await aliasesFollowStages(tx, opts.model, opts.by, `promotion of version ${opts.version}`);
    await opts.onSwapped?.();
    return endDeployment(tx, base, { audit: { approved_by: gate.approvals.filledBy } });
  });
  try {
    return settleDeployment(ending);
  } catch (err) {
    throw Object.assign(err as LakayError, { gate });
  }
}

/** The typed error of the first failing condition; its message names every failing one. */
function refusalOf(what: string, gate: GateReport): LakayError {
  const message = `cannot promote ${what}: ${gateFailures(gate)}`;
  const first = gate.conditions.find((c) => c.status === "fail")!;
  if (first.name === "stage") return new ConflictError(message);
  if (first.name === "validation" || first.name === "backtest") return new ValidationFailedError(message);
  return new ApprovalMissingError(message);
}
