import { BadInputError, ConflictError, ValidationFailedError, type LakayError } from "../errors/index.js";
import type { Registry } from "../registry/index.js";
import { aliasesFollowStages } from "./aliases-follow.js";
import { endDeployment, settleDeployment } from "./deployment-ending.js";
import type { DeploymentRecord, StoredValidation } from "./deployment-record.js";
import type { GateReader } from "./promotion-gate.js";
import { withReader } from "./registry-reader.js";
import { listDeploymentRecords } from "./store/deploy-store.js";
import { validateModel } from "./validate-model.js";
import type { VersionLoader } from "./version-loader.js";
import { versionDigest } from "./version-digest.js";

export interface RollbackOptions {
  model: string;
  by: string;
  reason?: string;
  /** Restore this Archived version instead of the one the history names. */
  to?: number;
  latencySlaMs?: number;
  loader?: VersionLoader;
  /** Called inside the transaction after the stage change, before the record is written (tests). */
  onSwapped?: () => Promise<void>;
}

interface TargetChoice {
  target: number | null;
  source: string;
  error?: string;
}

/**
 * Rolls a model back: restores the version that was in Production before the current one (from the
 * deployment history, else the highest-numbered Archived version) and archives the current one.
 * No approvals are needed — rollback is the emergency path — but the target is verified first: its
 * artifacts are downloaded with every checksum checked and the validation checks run, and a tampered
 * or failing target is refused and recorded. The swap, `champion` following it, the deployment record
 * and the audit entry commit in one transaction; with nothing to roll back to, the attempt is recorded
 * and a `ConflictError` names the model and why.
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

  // Verify the target before taking the write lock: downloading and scoring take a moment.
  const planned = await withReader(registry, (reader) => chooseTarget(reader, opts.model, opts.to));
  let verification: StoredValidation | null = null;
  if (planned.choice.target !== null) {
    verification = await validateModel(registry, {
      model: opts.model,
      version: planned.choice.target,
      actor: opts.by,
      latencySlaMs: opts.latencySlaMs,
      loader: opts.loader,
    });
  }

  const ending = await registry.transaction(async (tx) => {
    const { current, choice } = await chooseTarget(tx, opts.model, opts.to);
    const base = {
      model: opts.model,
      version: choice.target,
      previousVersion: current,
      action: "rollback" as const,
      triggeredBy: opts.by,
      reason,
      validation: verification?.report ?? null,
      approvals: null,
      details: { target_source: choice.source, verification_id: verification?.id ?? null },
    };
    const refusal = await refusalOf(tx, opts.model, choice, planned.choice.target, verification);
    if (refusal) return endDeployment(tx, base, { refusal, auditVersion: current });
    await tx.transitionStage({
      name: opts.model,
      version: choice.target!,
      stage: "Production",
      archiveExisting: true,
      actor: opts.by,
      reason: reason ?? (current ? `rollback from version ${current}` : "restore after archive"),
    });
    await aliasesFollowStages(tx, opts.model, opts.by, `rollback to version ${choice.target}`);
    await opts.onSwapped?.();
    return endDeployment(tx, base);
  });
  return settleDeployment(ending);
}

/** Why the chosen target may not go back into Production, or null when it may. */
async function refusalOf(
  tx: GateReader,
  model: string,
  choice: TargetChoice,
  verified: number | null,
  verification: StoredValidation | null,
): Promise<LakayError | null> {
  if (choice.target === null) return new ConflictError(choice.error ?? `cannot roll back model ${model}`);
  const what = `cannot roll back model ${model} to version ${choice.target}`;
  if (choice.target !== verified || !verification)
    return new ConflictError(`${what}: the target changed while it was being verified; run rollback again`);
  const target = await tx.getVersion(model, choice.target);
  if (versionDigest(target.files) !== verification.artifactDigest)
    return new ValidationFailedError(`${what}: its artifacts changed while it was being verified`);
  if (!verification.passed) {
    const failed = verification.report.steps.filter((s) => !s.passed).map((s) => `${s.name} (${s.detail})`);
    return new ValidationFailedError(`${what}: verification failed: ${failed.join("; ")}`);
  }
  return null;
}

async function chooseTarget(
  reader: GateReader,
  model: string,
  requested: number | undefined,
): Promise<{ current: number | null; choice: TargetChoice }> {
  const current = (await reader.getLatestVersion(model, "Production"))?.version ?? null;
  // With nothing in Production (after an emergency archive), only an explicit --to restores.
  if (current === null && requested === undefined) {
    return {
      current,
      choice: {
        target: null,
        source: "none",
        error: `model ${model} has no version in Production: nothing to roll back (use --to to restore an Archived version)`,
      },
    };
  }
  if (requested !== undefined) {
    if (requested === current) {
      return {
        current,
        choice: {
          target: null,
          source: "requested",
          error: `cannot roll back model ${model} to version ${requested}: it is the current Production version`,
        },
      };
    }
    const v = await reader.getVersion(model, requested);
    if (v.stage !== "Archived") {
      return {
        current,
        choice: {
          target: null,
          source: "requested",
          error: `cannot roll back model ${model} to version ${requested}: it is ${v.stage}, not Archived (promote it instead)`,
        },
      };
    }
    return { current, choice: { target: requested, source: "requested" } };
  }
  // The successful deployment that put the current version in Production names its predecessor.
  const records = await listDeploymentRecords(reader.db, { model, successOnly: true });
  const lastIn = records.find(
    (r) => r.version === current && (r.action === "promote" || r.action === "rollback"),
  );
  if (lastIn?.previousVersion != null && lastIn.previousVersion !== current) {
    const prev = await reader.getVersion(model, lastIn.previousVersion);
    if (prev.stage === "Archived")
      return { current, choice: { target: prev.version, source: `deployment record ${lastIn.id}` } };
  }
  const archived = await reader.getLatestVersion(model, "Archived");
  if (archived && archived.version !== current)
    return { current, choice: { target: archived.version, source: "highest Archived version" } };
  return {
    current,
    choice: {
      target: null,
      source: "none",
      error: `cannot roll back model ${model} from version ${current}: no earlier Production version in the deployment history and no Archived version`,
    },
  };
}
