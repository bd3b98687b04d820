import { BadInputError } from "../errors/index.js";
import type { Registry } from "../registry/index.js";
import { BUILTIN_PAYSIM_REFERENCE } from "./builtin-reference.js";
import type { StoredValidation } from "./deployment-record.js";
import { insertValidation } from "./store/deploy-store.js";
import { runValidationChecks, type LoadOutcome } from "./validation-checks.js";
import { drawValidationVectors, SYNTHETIC_VECTOR_COUNT, VALIDATION_SEED } from "./validation-vectors.js";
import type { LoadedVersion, VersionLoader } from "./version-loader.js";
import { versionDigest } from "./version-digest.js";

export interface ValidateModelOptions {
  model: string;
  version: number;
  /** Who asked; recorded with the result. */
  actor: string;
  /** P95 single-prediction latency limit; default 200 ms. */
  latencySlaMs?: number;
  /** Extra feature vectors (model feature order) to score besides the synthetic set, e.g. real events. */
  callerVectors?: Float64Array[];
  /** Number of synthetic vectors; default 100. */
  syntheticCount?: number;
  loader?: VersionLoader;
}

/**
 * The validation gate: loads the version (checksums verified), scores 100 seeded synthetic vectors
 * drawn from its own training histograms (plus the caller's), and checks scores and latency. The
 * report — every check, pass or fail — is stored with the version and in the audit trail in one
 * transaction. A failing model is a result, not an exception; only a missing version throws.
 */
export async function validateModel(
  registry: Registry,
  opts: ValidateModelOptions,
): Promise<StoredValidation> {
  if (opts.latencySlaMs !== undefined && !(opts.latencySlaMs > 0)) {
    throw new BadInputError(
      `latency SLA must be a positive number of milliseconds, got ${opts.latencySlaMs}`,
      {
        field: "latency-sla-ms",
      },
    );
  }
  const version = await registry.getVersion(opts.model, opts.version);
  const digest = versionDigest(version.files);
  // The gbdt engine loads only when a real model is scored.
  const loader = opts.loader ?? (await import("./version-loader.js")).loadRegisteredVersion;

  let load: LoadOutcome;
  let synthetic: Float64Array[] = [];
  let vectorSource = "none";
  let loaded: LoadedVersion | undefined;
  try {
    loaded = await loader(registry, opts.model, opts.version);
    load = {
      ok: true,
      predictor: loaded.predictor,
      detail: `loaded; ${loaded.verifiedFiles.length} artifact checksums verified`,
    };
  } catch (err) {
    load = { ok: false, error: (err as Error)?.message ?? String(err) };
  }
  if (loaded) {
    // A model whose features the reference does not describe still loaded: the validation set is
    // what failed, and the report says so (scores_valid then fails on "no vectors to score").
    try {
      synthetic = drawValidationVectors(
        loaded.reference ?? BUILTIN_PAYSIM_REFERENCE,
        loaded.featureNames,
        opts.syntheticCount ?? SYNTHETIC_VECTOR_COUNT,
        VALIDATION_SEED + opts.version,
      );
      vectorSource = loaded.reference ? "reference.json" : "builtin-paysim (version has no reference.json)";
    } catch (err) {
      vectorSource = `none: cannot draw synthetic vectors (${(err as Error).message})`;
    }
  }
  const report = runValidationChecks({
    load,
    synthetic,
    callerVectors: opts.callerVectors,
    latencySlaMs: opts.latencySlaMs,
  });
  report.details.vector_source = vectorSource;

  return registry.transaction(async (tx) => {
    const stored = await insertValidation(tx.db, {
      model: opts.model,
      version: opts.version,
      artifactDigest: digest,
      actor: opts.actor,
      report,
    });
    await tx.appendAudit({
      actor: opts.actor,
      action: "deploy.validate",
      model: opts.model,
      version: opts.version,
      details: {
        validation_id: stored.id,
        passed: report.passed,
        checks: report.checks,
        details: report.details,
        artifact_digest: digest,
      },
    });
    return stored;
  });
}
