import {
  ApprovalMissingError,
  BadInputError,
  ConflictError,
  ValidationFailedError,
  type LakayError,
} from "../errors/index.js";
import type { Registry } from "../registry/index.js";
import { evaluateApprovals } from "./approval-evaluation.js";
import {
  CHANGE_KINDS,
  isChangeKind,
  loadApprovalPolicy,
  type ApprovalPolicy,
  type ChangeKind,
} from "./approval-policy.js";
import { withDeploymentRecord } from "./deployment-error.js";
import type { DeploymentRecord, StoredValidation } from "./deployment-record.js";
import { pauseForFaultTest } from "./fault-injection.js";
import { insertDeploymentRecord, listApprovals } from "./store/deploy-store.js";
import { validateModel } from "./validate-model.js";
import type { VersionLoader } from "./version-loader.js";
import { versionDigest } from "./version-digest.js";

export interface PromoteOptions {
  model: string;
  version: number;
  /** Who promotes; they may have approved, but cannot be the only approver. */
  by: string;
  /** Why; required with `skipValidation`. */
  reason?: string;
  skipValidation?: boolean;
  latencySlaMs?: number;
  changeKind?: ChangeKind | string;
  policy?: ApprovalPolicy;
  loader?: VersionLoader;
}

/**
 * Promotes a version to Production: runs the validation gate (unless skipped, with a reason), then
 * in ONE registry transaction — which holds the registry's write lock, so concurrent promotions of
 * a model serialize — re-reads the current Production version, checks the approvals the policy
 * requires, moves the version to Production archiving the previous one, and writes the deployment
 * record and its audit entry. A refused promotion is recorded too (`success: false`) without any
 * stage change, then thrown as the typed error of its reason, naming model, version and reason.
 */
export async function promoteToProduction(
  registry: Registry,
  opts: PromoteOptions,
): Promise<DeploymentRecord> {
  const what = `model ${opts.model} version ${opts.version}`;
  const changeKind = opts.changeKind ?? "fraud_model_promotion";
  if (!isChangeKind(changeKind)) {
    throw new BadInputError(`unknown change kind "${changeKind}" (known: ${CHANGE_KINDS.join(", ")})`, {
      field: "change",
    });
  }
  if (!opts.by?.trim())
    throw new BadInputError(`cannot promote ${what}: --by (who promotes) is required`, { field: "by" });
  const reason = opts.reason?.trim() || null;
  if (opts.skipValidation && !reason) {
    throw new BadInputError(`cannot promote ${what}: skipping validation requires --reason`, {
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

  const outcome = await registry.transaction(async (tx) => {
    const version = await tx.getVersion(opts.model, opts.version);
    const current = await tx.getLatestVersion(opts.model, "Production");
    const previousVersion = current?.version ?? null;
    const digest = versionDigest(version.files);
    const approvals = evaluateApprovals(
      policy,
      { model: opts.model, version: opts.version, artifactDigest: digest, changeKind, promoter: opts.by },
      await listApprovals(tx.db, opts.model, opts.version),
    );
    const details = {
      change_kind: changeKind,
      artifact_digest: digest,
      policy: { source: policy.source, digest: policy.digest },
      validation_skipped: !!opts.skipValidation,
      validation_id: validation?.id ?? null,
    };
    const base = {
      model: opts.model,
      version: opts.version,
      previousVersion,
      action: "promote" as const,
      triggeredBy: opts.by,
      reason,
      validation: validation?.report ?? null,
      approvals,
      details,
    };

    let refusal: LakayError | null = null;
    if (current?.version === opts.version) {
      refusal = new ConflictError(`cannot promote ${what}: it is already in Production`);
    } else if (validation && validation.artifactDigest !== digest) {
      refusal = new ValidationFailedError(`cannot promote ${what}: its artifacts changed after validation`);
    } else if (validation && !validation.passed) {
      const failed = validation.report.steps.filter((s) => !s.passed).map((s) => `${s.name} (${s.detail})`);
      refusal = new ValidationFailedError(`cannot promote ${what}: validation failed: ${failed.join("; ")}`);
    } else if (!approvals.satisfied) {
      refusal = new ApprovalMissingError(
        `cannot promote ${what}: approvals missing for ${changeKind}: ${approvals.reasons.join("; ")}`,
      );
    }
    if (refusal) {
      const record = await insertDeploymentRecord(tx.db, { ...base, success: false, error: refusal.message });
      await tx.appendAudit({
        actor: opts.by,
        action: "deploy.promote_refused",
        model: opts.model,
        version: opts.version,
        details: {
          deployment_id: record.id,
          previous_version: previousVersion,
          error: refusal.message,
          reason,
          ...details,
        },
      });
      return { record, refusal };
    }

    await tx.transitionStage({
      name: opts.model,
      version: opts.version,
      stage: "Production",
      archiveExisting: true,
      actor: opts.by,
      reason: reason ?? `promotion (deployment pipeline)`,
    });
    await pauseForFaultTest();
    const record = await insertDeploymentRecord(tx.db, { ...base, success: true, error: null });
    await tx.appendAudit({
      actor: opts.by,
      action: "deploy.promote",
      model: opts.model,
      version: opts.version,
      details: {
        deployment_id: record.id,
        previous_version: previousVersion,
        reason,
        approved_by: approvals.filledBy,
        validation_passed: validation?.passed ?? null,
        ...details,
      },
    });
    return { record, refusal: null };
  });
  if (outcome.refusal) throw withDeploymentRecord(outcome.refusal, outcome.record);
  return outcome.record;
}
