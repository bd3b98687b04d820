import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Kysely } from "kysely";
import { BadInputError, NotFoundError } from "../../errors/index.js";
import { lakayHome } from "../../config/index.js";
import { defaultActor, nowIso } from "../actor.js";
import { joinKey } from "../artifacts/artifact-store.js";
import { downloadVerified, verifyLocalFolder } from "../artifacts/artifact-transfer.js";
import { openArtifactStore } from "../artifacts/open-artifact-store.js";
import { purgeAuditEntries, toAuditEntry, verifyAuditChain } from "../audit/audit-chain.js";
import { canonicalJson } from "../audit/canonical-json.js";
import { replayHistory } from "../history.js";
import { checkModelName, parseModelUri, parseStage, parseVersionNumber } from "../model-uri.js";
import type {
  CreateModelVersionInput,
  DeleteAliasInput,
  Registry,
  RegistryTx,
  ResolvedModel,
  SetAliasInput,
  TransitionStageInput,
} from "../registry.js";
import {
  type ArtifactFile,
  type AuditEntry,
  type AuditEntryInput,
  type AuditPurgeResult,
  type AuditVerifyResult,
  type HistoryEvent,
  type ModelStateAt,
  type ModelVersion,
  type RegisteredModel,
  type Stage,
  type Tags,
} from "../types.js";
import type { SqlBackend } from "./backend.js";
import { rowCount, type PackedRows } from "./packed-rows.js";
import {
  findVersion,
  getVersion,
  latestInStage,
  requireModel,
  toHistoryEvent,
  toRegisteredModel,
  withAliases,
} from "./queries.js";
import { SqlRegistryTx } from "./registry-tx.js";
import { TrackingStore } from "./tracking-store.js";

/**
 * The registry over any SQL backend. Dialect differences live in the backend (locking, error codes)
 * and the migrations; everything here is written once against Kysely.
 */
export class SqlRegistry extends TrackingStore implements Registry {
  constructor(
    backend: SqlBackend,
    artifactRoot: string,
    private readonly cacheDir = path.join(lakayHome(), "cache", "models"),
  ) {
    super(backend, artifactRoot);
  }

  get dialect() {
    return this.backend.dialect;
  }

  get uri() {
    return this.backend.uri;
  }

  // ── registered models and versions ─────────────────────────────────────────
  async createRegisteredModel(
    name: string,
    opts: { description?: string; tags?: Tags } = {},
  ): Promise<RegisteredModel> {
    checkModelName(name);
    const existing = await this.db
      .selectFrom("registered_models")
      .selectAll()
      .where("name", "=", name)
      .executeTakeFirst();
    if (existing) return toRegisteredModel(existing);
    return this.backend.writeTransaction(async (trx) => {
      await ensureModel(new SqlRegistryTx(trx, this.dialect), name, opts);
      return requireModel(trx, name);
    });
  }

  getRegisteredModel(name: string): Promise<RegisteredModel> {
    return requireModel(this.db, name);
  }

  async listRegisteredModels(): Promise<RegisteredModel[]> {
    const rows = await this.db.selectFrom("registered_models").selectAll().orderBy("name").execute();
    return rows.map(toRegisteredModel);
  }

  async createModelVersion(input: CreateModelVersionInput): Promise<ModelVersion> {
    const name = checkModelName(input.name);
    const run = await this.getRun(input.runId);
    const prefix = input.artifactPath ? joinKey(input.artifactPath) : "";
    const all = await this.listArtifacts(run.id);
    const files: ArtifactFile[] = all
      .filter((f) => !prefix || f.path.startsWith(`${prefix}/`))
      .map((f) => ({ ...f, path: prefix ? f.path.slice(prefix.length + 1) : f.path }));
    if (files.length === 0) {
      throw new BadInputError(
        `run ${run.id} has no artifacts${prefix ? ` under ${prefix}` : ""} to register as a model version`,
      );
    }
    const source = prefix ? `${run.artifactUri}/${prefix}` : run.artifactUri;
    const actor = input.actor || defaultActor();
    // The write lock makes collisions impossible here; the retry keeps version numbering race-safe
    // even if a future backend takes a weaker lock.
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.backend.writeTransaction(async (trx) => {
          const tx = new SqlRegistryTx(trx, this.dialect);
          await ensureModel(tx, name, {}, actor);
          const max = await trx
            .selectFrom("model_versions")
            .select((eb) => eb.fn.max("version").as("v"))
            .where("name", "=", name)
            .executeTakeFirst();
          const version = Number(max?.v ?? 0) + 1;
          const now = nowIso();
          await trx
            .insertInto("model_versions")
            .values({
              name,
              version,
              run_id: run.id,
              source,
              files: canonicalJson(files),
              status: "READY",
              stage: "None",
              description: input.description ?? null,
              tags: canonicalJson(input.tags ?? {}),
              created_at: now,
              updated_at: now,
            })
            .execute();
          await trx
            .updateTable("registered_models")
            .set({ updated_at: now })
            .where("name", "=", name)
            .execute();
          await tx.appendAudit({
            actor,
            action: "model_version.create",
            model: name,
            version,
            details: {
              run_id: run.id,
              source,
              files: files.map((f) => ({ path: f.path, sha256: f.sha256 })),
            },
          });
          return getVersion(trx, name, version);
        });
      } catch (err) {
        if (attempt < 5 && this.backend.isUniqueViolation(err)) continue;
        throw err;
      }
    }
  }

  getVersion(name: string, version: number): Promise<ModelVersion> {
    return getVersion(this.db, name, parseVersionNumber(version));
  }

  async listVersions(name: string): Promise<ModelVersion[]> {
    const rows = await this.db
      .selectFrom("model_versions")
      .selectAll()
      .where("name", "=", name)
      .orderBy("version")
      .execute();
    if (rows.length === 0) await requireModel(this.db, name);
    return withAliases(this.db, rows);
  }

  async getLatestVersion(name: string, stage: Stage): Promise<ModelVersion | null> {
    const s = parseStage(stage);
    const v = await latestInStage(this.db, name, s);
    if (!v) await requireModel(this.db, name);
    return v;
  }

  transitionStage(input: TransitionStageInput): Promise<ModelVersion> {
    return this.transaction((tx) => tx.transitionStage(input));
  }

  setAlias(input: SetAliasInput): Promise<void> {
    return this.transaction((tx) => tx.setAlias(input));
  }

  deleteAlias(input: DeleteAliasInput): Promise<void> {
    return this.transaction((tx) => tx.deleteAlias(input));
  }

  async resolveVersion(modelUri: string): Promise<ModelVersion> {
    const ref = parseModelUri(modelUri);
    const { name } = ref;
    const sel =
      ref.kind === "version"
        ? { version: ref.version }
        : ref.kind === "stage"
          ? { stage: ref.stage }
          : ref.kind === "alias"
            ? { alias: ref.alias }
            : { latest: true as const };
    const found = await findVersion(this.db, name, sel);
    if (found) return found;
    await requireModel(this.db, name);
    throw new NotFoundError(
      ref.kind === "version"
        ? `model ${name} has no version ${ref.version}`
        : ref.kind === "stage"
          ? `model ${name} has no version in ${ref.stage}`
          : ref.kind === "alias"
            ? `model ${name} has no alias ${ref.alias}`
            : `model ${name} has no versions`,
    );
  }

  async resolveModelUri(modelUri: string, opts: { cacheDir?: string } = {}): Promise<ResolvedModel> {
    const version = await this.resolveVersion(modelUri);
    const digest = createHash("sha256")
      .update(version.source)
      .update(canonicalJson(version.files))
      .digest("hex")
      .slice(0, 12);
    const localDir = path.join(opts.cacheDir ?? this.cacheDir, version.name, `${version.version}-${digest}`);
    const what = `model ${version.name} version ${version.version}`;
    if (existsSync(localDir) && (await verifyLocalFolder(localDir, version.files)) === null)
      return { version, localDir };
    await downloadVerified(openArtifactStore(version.source), version.files, localDir, what);
    await writeManifest(localDir, version);
    return { version, localDir };
  }

  async downloadVersion(name: string, version: number, outDir: string): Promise<ArtifactFile[]> {
    const v = await this.getVersion(name, version);
    if (existsSync(outDir) && (await readdir(outDir)).length > 0) {
      throw new BadInputError(`output folder ${outDir} is not empty; choose a new or empty folder`);
    }
    await downloadVerified(
      openArtifactStore(v.source),
      v.files,
      outDir,
      `model ${name} version ${v.version}`,
    );
    await writeManifest(outDir, v);
    return v.files;
  }

  async history(name: string): Promise<HistoryEvent[]> {
    await requireModel(this.db, name);
    const rows = await this.db
      .selectFrom("model_history")
      .selectAll()
      .where("model", "=", name)
      .orderBy("id")
      .execute();
    return rows.map(toHistoryEvent);
  }

  async stateAt(name: string, at: string | Date): Promise<ModelStateAt> {
    const instant = at instanceof Date ? at : new Date(at);
    if (Number.isNaN(instant.getTime()))
      throw new BadInputError(
        `invalid instant ${JSON.stringify(at)}: expected an ISO-8601 date/time such as 2026-03-01T02:00Z`,
      );
    const events = await this.history(name);
    const versions = await this.db
      .selectFrom("model_versions")
      .select(["version", "created_at"])
      .where("name", "=", name)
      .execute();
    return replayHistory(
      name,
      instant.toISOString(),
      versions.map((v) => ({ version: Number(v.version), createdAt: v.created_at })),
      events,
    );
  }

  // ── transactions and audit ─────────────────────────────────────────────────
  transaction<T>(fn: (tx: RegistryTx) => Promise<T>): Promise<T> {
    return this.backend.writeTransaction((trx) => fn(new SqlRegistryTx(trx, this.dialect)));
  }

  read<T, Tables extends object = object>(fn: (db: Kysely<Tables>) => Promise<T>): Promise<T> {
    // The caller's view of its own layer's tables (see `LayerDb`).
    return fn(this.db as unknown as Kysely<Tables>);
  }

  async appendRows(
    table: string,
    columns: readonly string[],
    rows: readonly object[] | PackedRows,
    opts: { skipDuplicatesOf?: readonly string[] } = {},
  ): Promise<void> {
    if (rowCount(rows) === 0) return;
    if (!Array.isArray(rows) && (rows as PackedRows).width !== columns.length)
      throw new BadInputError(
        `appendRows: rows packed ${(rows as PackedRows).width} values wide for ${columns.length} columns`,
      );
    for (const name of [table, ...columns, ...(opts.skipDuplicatesOf ?? [])])
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
        throw new BadInputError(`appendRows: ${JSON.stringify(name)} is not a plain SQL identifier`);
    await this.backend.appendRows(table, columns, rows, opts.skipDuplicatesOf ?? []);
  }

  appendAudit(entry: AuditEntryInput): Promise<AuditEntry> {
    return this.transaction((tx) => tx.appendAudit(entry));
  }

  async listAudit(
    opts: { since?: string | Date; model?: string; limit?: number } = {},
  ): Promise<AuditEntry[]> {
    let q = this.db.selectFrom("audit_log").selectAll().orderBy("seq");
    if (opts.since !== undefined) {
      const since = opts.since instanceof Date ? opts.since : new Date(opts.since);
      if (Number.isNaN(since.getTime()))
        throw new BadInputError(
          `invalid date ${JSON.stringify(opts.since)}: expected ISO-8601 such as 2026-01-01`,
        );
      q = q.where("ts", ">=", since.toISOString());
    }
    if (opts.model) q = q.where("model", "=", opts.model);
    if (opts.limit) q = q.limit(opts.limit);
    return (await q.execute()).map(toAuditEntry);
  }

  verifyAudit(): Promise<AuditVerifyResult> {
    return verifyAuditChain(this.db);
  }

  purgeAudit(opts: { before: string | Date; actor?: string }): Promise<AuditPurgeResult> {
    const before = opts.before instanceof Date ? opts.before : new Date(opts.before);
    if (Number.isNaN(before.getTime()))
      throw new BadInputError(
        `invalid date ${JSON.stringify(opts.before)}: expected ISO-8601 such as 2021-01-01`,
        { field: "before" },
      );
    const actor = opts.actor || defaultActor();
    return this.backend.writeTransaction((trx) => purgeAuditEntries(trx, { before, actor }));
  }

  async close(): Promise<void> {
    await this.backend.close();
  }
}

/** Creates the registered model if missing, with its audit entry. Runs inside a write transaction. */
async function ensureModel(
  tx: SqlRegistryTx,
  name: string,
  opts: { description?: string; tags?: Tags },
  actor = defaultActor(),
): Promise<void> {
  const found = await tx.trx
    .selectFrom("registered_models")
    .select("name")
    .where("name", "=", name)
    .executeTakeFirst();
  if (found) return;
  const now = nowIso();
  await tx.trx
    .insertInto("registered_models")
    .values({
      name,
      description: opts.description ?? null,
      tags: canonicalJson(opts.tags ?? {}),
      created_at: now,
      updated_at: now,
    })
    .execute();
  await tx.appendAudit({
    actor,
    action: "model.create",
    model: name,
    details: { description: opts.description ?? null },
  });
}

/** A manifest beside the verified files, unless the model ships its own `manifest.json`. */
async function writeManifest(dir: string, v: ModelVersion): Promise<void> {
  if (v.files.some((f) => f.path === "manifest.json")) return;
  const manifest = { model: v.name, version: v.version, source: v.source, files: v.files };
  await writeFile(path.join(dir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
}
