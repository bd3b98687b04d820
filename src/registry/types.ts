/**
 * Domain objects of the registry. Database rows become these at the store boundary and never leak:
 * callers see camelCase fields, ISO-8601 UTC timestamps and parsed JSON, whatever the backend.
 */

/** Model stages, in MLflow's vocabulary. At most one version per model is `Production` at any instant. */
export const STAGES = ["None", "Staging", "Production", "Archived"] as const;
export type Stage = (typeof STAGES)[number];

/** True when `value` is exactly one of {@link STAGES} (case-sensitive, as stored). */
export function isStage(value: string): value is Stage {
  return (STAGES as readonly string[]).includes(value);
}

export const RUN_STATUSES = ["RUNNING", "FINISHED", "FAILED", "KILLED"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export function isRunStatus(value: string): value is RunStatus {
  return (RUN_STATUSES as readonly string[]).includes(value);
}

export type Tags = Record<string, string>;

export interface Experiment {
  id: string;
  name: string;
  createdAt: string;
  tags: Tags;
}

/** One logged value of a metric; `step` orders values of the same key (epochs, trees, folds). */
export interface MetricPoint {
  key: string;
  value: number;
  step: number;
  timestamp: string;
}

/** A file stored under a run's artifact folder, with the SHA-256 recorded at upload time. */
export interface ArtifactFile {
  path: string;
  sha256: string;
  size: number;
}

export interface Run {
  id: string;
  experimentId: string;
  name: string | null;
  status: RunStatus;
  startTime: string;
  endTime: string | null;
  /** Full URI of the run's artifact folder (`file:///...` or `s3://bucket/prefix/...`). */
  artifactUri: string;
  params: Record<string, string>;
  /** Latest value per metric key (the full series is in {@link Registry.getMetricHistory}). */
  metrics: Record<string, number>;
  tags: Tags;
}

export interface RegisteredModel {
  name: string;
  description: string | null;
  tags: Tags;
  createdAt: string;
  updatedAt: string;
}

export interface ModelVersion {
  name: string;
  version: number;
  runId: string | null;
  /** Full URI of the version's artifact folder. */
  source: string;
  /** SHA-256 of every file in the artifact folder, by path relative to `source`. */
  files: ArtifactFile[];
  status: "READY";
  stage: Stage;
  aliases: string[];
  description: string | null;
  tags: Tags;
  createdAt: string;
  updatedAt: string;
}

/** One row of stage or alias history. Rows are only ever appended. */
export interface HistoryEvent {
  id: number;
  timestamp: string;
  model: string;
  kind: "stage" | "alias";
  /** For `stage`: the version whose stage changed. For `alias`: the version the alias now points at (null when deleted). */
  version: number | null;
  alias: string | null;
  from: string | null;
  to: string | null;
  actor: string;
  reason: string | null;
}

/** The registry's state of one model at an instant, rebuilt from history. */
export interface ModelStateAt {
  model: string;
  at: string;
  stages: { version: number; stage: Stage }[];
  aliases: Record<string, number>;
}

/** What callers pass to append an audit entry; seq, timestamp and hashes are assigned by the registry. */
export interface AuditEntryInput {
  actor: string;
  action: string;
  model?: string | null;
  version?: number | null;
  details?: Record<string, unknown>;
}

export interface AuditEntry {
  seq: number;
  timestamp: string;
  actor: string;
  action: string;
  model: string | null;
  version: number | null;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
}

export interface AuditVerifyResult {
  ok: boolean;
  checked: number;
  /** Hash of the last entry: record it elsewhere to detect a rewrite of the whole chain. */
  headHash: string | null;
  firstBroken?: { seq: number; reason: string };
  /**
   * When entries older than the retention period were purged: the last purged entry, whose hash the
   * remaining chain was verified from.
   */
  checkpoint?: AuditCheckpoint;
}

/** The last entry removed by a retention purge; the chain after it is verified from its hash. */
export interface AuditCheckpoint {
  seq: number;
  hash: string;
  /** When the purge ran, who ran it, and the instant before which entries were purged. */
  timestamp: string;
  actor: string;
  purgedBefore: string;
}

/** What a retention purge of the audit log removed. */
export interface AuditPurgeResult {
  purged: number;
  checkpoint: AuditCheckpoint | null;
}
