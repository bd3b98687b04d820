import { createHash } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { readPaysim } from "../data/index.js";
import { BadInputError } from "../errors/index.js";
import { buildFeatures } from "../features/index.js";
import { sha256File, type ModelVersion, type Registry } from "../registry/index.js";
import { biasAudit } from "./bias-audit.js";
import { parseBiasAuditConfig, type BiasAuditConfig } from "./bias-audit-config.js";
import { biasReport, type BiasReport, type ThresholdSource } from "./bias-report.js";
import { segmentRows } from "./bias-segments.js";
import { loadRegisteredVersion } from "./model-loader.js";
import { scoreFeatureMatrix } from "./score-features.js";

export interface VersionBiasAuditOptions {
  model: string;
  version: number;
  /** A labeled PaySim CSV (with `isFraud`). */
  dataset: string;
  /** Overrides the version's own decision threshold. */
  threshold?: number;
  config?: BiasAuditConfig;
  /** Who ran it, for the audit entry. */
  actor: string;
  /** Store the report with the version and audit it (default true); false only prints it. */
  record?: boolean;
  threads?: number;
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

export interface RecordedBiasReport extends BiasReport {
  /** The report's path among the version's run artifacts; null when not recorded or the version has no run. */
  artifact: string | null;
  /** SHA-256 of the stored report file, also in the audit entry; null when not recorded. */
  report_sha256: string | null;
}

/** Used when neither the option nor the version's training run gives a threshold. */
const DEFAULT_THRESHOLD = 0.5;

/**
 * `lakay bias-audit` as a library call: scores a labeled dataset with a registered version (the one
 * model loader, checksums verified; the same point-in-time features as training and serving), audits
 * it per segment, and keeps the report with the version: an artifact of its run under `bias_audits/`
 * (retained with the run) and an audit entry `model_version.bias_audit` holding the flags and the
 * report's SHA-256 (so `lakay audit export` carries it and a changed artifact is detectable).
 */
export async function auditVersionBias(
  registry: Registry,
  opts: VersionBiasAuditOptions,
): Promise<RecordedBiasReport> {
  const config = opts.config ?? parseBiasAuditConfig();
  const version = await registry.getVersion(opts.model, opts.version);
  const { threshold, source } = await decisionThreshold(registry, version, opts.threshold);
  const loaded = await loadRegisteredVersion(registry, opts.model, opts.version);

  const hashing = sha256File(opts.dataset, { offMainThread: true });
  hashing.catch(() => {});
  const read = await readPaysim(opts.dataset, { onBadRows: "fail", onProgress: opts.onProgress });
  const datasetSha = await hashing;
  const labels = read.tx.isFraud;
  if (!labels)
    throw new BadInputError("the dataset has no isFraud column: a bias audit needs labeled transactions", {
      file: opts.dataset,
    });
  const scores = await scoreFeatureMatrix(loaded, buildFeatures(read.tx), opts.threads);
  const result = biasAudit({
    scores,
    labels,
    threshold,
    segmentations: segmentRows(read.tx, config),
    config,
  });
  const report = biasReport(
    {
      model: opts.model,
      version: opts.version,
      dataset: path.resolve(opts.dataset),
      dataset_sha256: datasetSha,
      rows_scored: "all",
      threshold_source: source,
    },
    result,
  );
  if (opts.record === false) return { ...report, artifact: null, report_sha256: null };
  return recordBiasReport(registry, version, report, opts.actor);
}

/**
 * The threshold the version decides at: the option, else the `decision_threshold` its training run
 * recorded (what its metrics and classification report were computed at), else 0.5.
 */
async function decisionThreshold(
  registry: Registry,
  version: ModelVersion,
  given: number | undefined,
): Promise<{ threshold: number; source: ThresholdSource }> {
  if (given !== undefined) {
    if (!(given > 0 && given < 1))
      throw new BadInputError(`threshold must be between 0 and 1, got ${given}`, { field: "threshold" });
    return { threshold: given, source: "option" };
  }
  if (version.runId) {
    const run = await registry.getRun(version.runId);
    const t = Number(run.params.decision_threshold);
    if (run.params.decision_threshold !== undefined && t > 0 && t < 1)
      return { threshold: t, source: "training_run" };
  }
  return { threshold: DEFAULT_THRESHOLD, source: "default" };
}

/** Stores the report under the version's run (when it has one) and audits it, in that order. */
export async function recordBiasReport(
  registry: Registry,
  version: ModelVersion,
  report: BiasReport,
  actor: string,
  context: Record<string, unknown> = {},
): Promise<RecordedBiasReport> {
  const text = JSON.stringify(report, null, 2) + "\n";
  const reportSha = createHash("sha256").update(text).digest("hex");
  let artifact: string | null = null;
  if (version.runId) {
    const dir = await mkdtemp(path.join(tmpdir(), "lakay-bias-"));
    try {
      const name = `bias-audit-v${version.version}-${new Date().toISOString().replace(/[:.]/g, "-")}.json`;
      await writeFile(path.join(dir, name), text);
      const files = await registry.logArtifacts(version.runId, dir, "bias_audits");
      artifact = files.find((f) => f.path.endsWith(name))?.path ?? `bias_audits/${name}`;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  await registry.appendAudit({
    actor,
    action: "model_version.bias_audit",
    model: version.name,
    version: version.version,
    details: {
      ...context,
      dataset: report.dataset,
      dataset_sha256: report.dataset_sha256,
      threshold: report.threshold,
      bounds: report.bounds,
      rows: report.overall.count,
      fraud: report.overall.fraud,
      flags: report.flags.map(({ dimension, segment, metric, value, overall, ratio, bound }) => ({
        dimension,
        segment,
        metric,
        value,
        overall,
        ratio,
        bound,
      })),
      too_small: report.segments
        .filter((s) => s.status === "too_small")
        .map((s) => `${s.dimension}=${s.segment}`),
      artifact,
      report_sha256: reportSha,
    },
  });
  return { ...report, artifact, report_sha256: reportSha };
}
