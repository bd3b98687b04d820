import type { Kysely } from "kysely";
import type { PackedRows } from "./sql/packed-rows.js";
import type {
  ArtifactFile,
  AuditEntry,
  AuditEntryInput,
  AuditPurgeResult,
  AuditVerifyResult,
  Experiment,
  HistoryEvent,
  MetricPoint,
  ModelStateAt,
  ModelVersion,
  RegisteredModel,
  Run,
  RunStatus,
  Stage,
  Tags,
} from "./types.js";

/**
 * A handle on the registry database for the layers that keep their own tables in it (deploy,
 * serving, monitoring; each adds them with its own migrations). It knows no tables, since the
 * registry does not know other layers': a layer views it through its own `Database` type
 * (`tx.db as Kysely<DeployDatabase>`), the one place it names the tables it owns.
 */
export type LayerDb = Kysely<object>;

/** Which SQL dialect a registry database speaks; migrations and raw SQL branch on it. */
export type RegistryDialect = "sqlite" | "postgresql";

export interface CreateRunInput {
  experimentId: string;
  name?: string;
  tags?: Tags;
  /** Defaults to now. */
  startTime?: string;
}

export interface MetricInput {
  key: string;
  value: number;
  step?: number;
  timestamp?: string;
}

export interface SearchRunsInput {
  experimentId?: string;
  status?: RunStatus;
  /** Every tag given must match exactly. */
  tags?: Tags;
  /** Keep runs whose latest value of `metric.key` passes `op value`. */
  metric?: { key: string; op: ">" | ">=" | "<" | "<=" | "="; value: number };
  /** Order by the latest value of this metric, descending (best first); default newest run first. */
  orderByMetric?: string;
  limit?: number;
}

export interface CreateModelVersionInput {
  name: string;
  runId: string;
  /** Sub-folder of the run's artifacts holding the model; default the whole artifact folder. */
  artifactPath?: string;
  description?: string;
  tags?: Tags;
  actor?: string;
}

export interface TransitionStageInput {
  name: string;
  version: number;
  stage: Stage;
  /** When moving to Production (or Staging), archive the version(s) currently in that stage, in the same transaction. */
  archiveExisting?: boolean;
  actor?: string;
  reason?: string;
}

export interface SetAliasInput {
  name: string;
  alias: string;
  version: number;
  actor?: string;
  reason?: string;
}

export interface DeleteAliasInput {
  name: string;
  alias: string;
  actor?: string;
  reason?: string;
}

/** A model version together with a local folder holding its artifacts, every file checksum-verified. */
export interface ResolvedModel {
  version: ModelVersion;
  localDir: string;
}

/**
 * The model-registry writes that must be atomic with other writes (a deployment record, an approval)
 * and with their audit entry. Obtained from {@link Registry.transaction}; everything done through one
 * `RegistryTx` commits together or not at all, and the audit chain cannot fork while it is open.
 */
export interface RegistryTx {
  readonly dialect: RegistryDialect;
  /** The transaction's handle, for the layers that keep their own tables in the database. */
  readonly db: LayerDb;
  /** Appends one audit entry chained to the previous one. */
  appendAudit(entry: AuditEntryInput): Promise<AuditEntry>;
  getVersion(name: string, version: number): Promise<ModelVersion>;
  /** The version currently in `stage` with the highest number, or null. */
  getLatestVersion(name: string, stage: Stage): Promise<ModelVersion | null>;
  /** Moves a version to a stage, records history and an audit entry. See {@link Registry.transitionStage}. */
  transitionStage(input: TransitionStageInput): Promise<ModelVersion>;
  setAlias(input: SetAliasInput): Promise<void>;
  deleteAlias(input: DeleteAliasInput): Promise<void>;
  /** The model's aliases: alias -> version. */
  aliases(name: string): Promise<Record<string, number>>;
  /** A run's params and tags (what a version was trained with), read inside the transaction. */
  getRun(runId: string): Promise<Run>;
}

/**
 * Lakay's model registry: experiments, runs, registered models, versions, stages, aliases, their
 * history and the tamper-evident audit log — one interface whatever the backend (SQLite, PostgreSQL)
 * and artifact store (folder, S3). Open one with `openRegistry()`.
 *
 * Errors: unknown names throw `NotFoundError` (exit 2), bad values `BadInputError` (exit 2),
 * a checksum mismatch `ValidationFailedError`, an unreachable database `ServiceUnavailableError`.
 */
export interface Registry {
  readonly dialect: RegistryDialect;
  /** The registry URI with its password masked. */
  readonly uri: string;
  /** The artifact root URI new runs upload to. */
  readonly artifactRoot: string;

  // ── Tracking ────────────────────────────────────────────────────────────────
  /** Get-or-create by name (idempotent), so pipelines can call it on every run. */
  createExperiment(name: string, tags?: Tags): Promise<Experiment>;
  getExperiment(idOrName: string): Promise<Experiment>;
  listExperiments(): Promise<Experiment[]>;

  createRun(input: CreateRunInput): Promise<Run>;
  getRun(runId: string): Promise<Run>;
  logParams(runId: string, params: Record<string, string | number | boolean>): Promise<void>;
  logMetrics(runId: string, metrics: MetricInput[] | Record<string, number>): Promise<void>;
  getMetricHistory(runId: string, key: string): Promise<MetricPoint[]>;
  setTags(runId: string, tags: Tags): Promise<void>;
  /**
   * Uploads every file under `localDir` to the run's artifact folder (under `subPath` if given), each
   * atomically and with its SHA-256 recorded, then a `manifest.json` listing them. Returns the files.
   */
  logArtifacts(runId: string, localDir: string, subPath?: string): Promise<ArtifactFile[]>;
  listArtifacts(runId: string): Promise<ArtifactFile[]>;
  endRun(runId: string, status?: Exclude<RunStatus, "RUNNING">): Promise<Run>;
  searchRuns(input?: SearchRunsInput): Promise<Run[]>;

  // ── Model registry ──────────────────────────────────────────────────────────
  /** Get-or-create by name (idempotent). */
  createRegisteredModel(name: string, opts?: { description?: string; tags?: Tags }): Promise<RegisteredModel>;
  getRegisteredModel(name: string): Promise<RegisteredModel>;
  listRegisteredModels(): Promise<RegisteredModel[]>;
  /**
   * Registers the run's artifacts (or a sub-folder) as the model's next version, copying their
   * checksums. Creates the registered model if needed. Version numbers are race-safe.
   */
  createModelVersion(input: CreateModelVersionInput): Promise<ModelVersion>;
  getVersion(name: string, version: number): Promise<ModelVersion>;
  /** Every version of the model, oldest first. */
  listVersions(name: string): Promise<ModelVersion[]>;
  getLatestVersion(name: string, stage: Stage): Promise<ModelVersion | null>;
  /**
   * Moves a version to a stage. With `archiveExisting`, versions currently in the target stage are
   * archived in the same transaction. Moving to Production while another version is in Production
   * without `archiveExisting` is a `ConflictError`: the database holds at most one Production version.
   */
  transitionStage(input: TransitionStageInput): Promise<ModelVersion>;
  /** Points an alias at a version (creating or moving it) atomically. */
  setAlias(input: SetAliasInput): Promise<void>;
  deleteAlias(input: DeleteAliasInput): Promise<void>;
  /** `models:/name/Production`, `models:/name/3`, `models:/name@champion` → the version (no download). */
  resolveVersion(modelUri: string): Promise<ModelVersion>;
  /** Resolves a model URI and returns a local copy of its artifacts, every file's SHA-256 verified. */
  resolveModelUri(modelUri: string, opts?: { cacheDir?: string }): Promise<ResolvedModel>;
  /** Downloads a version's artifacts into `outDir`, refusing (and naming the file) on a checksum mismatch. */
  downloadVersion(name: string, version: number, outDir: string): Promise<ArtifactFile[]>;
  /** The full stage and alias timeline of a model, oldest first. */
  history(name: string): Promise<HistoryEvent[]>;
  /** The stage of every version and the alias map as they were at instant `at`. */
  stateAt(name: string, at: string | Date): Promise<ModelStateAt>;

  // ── Atomic writes and audit ─────────────────────────────────────────────────
  /**
   * Runs `fn` in one serialized write transaction: all its writes and audit entries commit together,
   * or none do if it throws. Keep it short: it holds the registry's write lock. Inside `fn`, read and
   * write only through `tx` (on SQLite the registry's own connection is held by the transaction).
   */
  transaction<T>(fn: (tx: RegistryTx) => Promise<T>): Promise<T>;
  /**
   * Reads a layer's own tables without taking the write lock (use {@link transaction} to write). The
   * callback types its handle with its layer's tables (`async (db: Kysely<ServingDatabase>) => …`).
   * `db` is the registry's own handle: do not call it from inside a `transaction` callback.
   */
  read<T, Tables extends object = object>(fn: (db: Kysely<Tables>) => Promise<T>): Promise<T>;
  /**
   * Appends rows to one of a layer's own high-volume tables (the prediction log) without the
   * write lock and without an audit entry: such rows change no registry state, and taking the lock
   * (or building each statement anew) for every batch made a busy server's log its main cost. A row
   * whose `skipDuplicatesOf` columns match a stored row is skipped, so a replay never doubles one.
   * Not atomic: on SQLite the rows commit in transactions of up to 1,000 (128 for an in-memory
   * database; the event loop runs between them), on PostgreSQL in statements of up to 1,000 rows;
   * after a failure no later piece of the call is written, and a retry skips what landed. Rows are
   * objects keyed by column name, or packed by position (`PackedRows`, columns in `columns` order).
   */
  appendRows(
    table: string,
    columns: readonly string[],
    rows: readonly object[] | PackedRows,
    opts?: { skipDuplicatesOf?: readonly string[] },
  ): Promise<void>;
  /** Appends one audit entry in its own transaction. */
  appendAudit(entry: AuditEntryInput): Promise<AuditEntry>;
  listAudit(opts?: { since?: string | Date; model?: string; limit?: number }): Promise<AuditEntry[]>;
  /**
   * Recomputes the hash chain (from the latest retention checkpoint, if entries were purged); names
   * the first entry that does not match.
   */
  verifyAudit(): Promise<AuditVerifyResult>;
  /**
   * Retention purge: removes audit entries older than `before` and than the 5-year retention period,
   * keeping a checkpoint (last removed entry's sequence number and hash) so the rest still verifies.
   */
  purgeAudit(opts: { before: string | Date; actor?: string }): Promise<AuditPurgeResult>;

  close(): Promise<void>;
}
