import type { Kysely, Selectable } from "kysely";
import { NotFoundError } from "../../errors/index.js";
import type { ArtifactFile, HistoryEvent, ModelVersion, RegisteredModel, Stage, Tags } from "../types.js";
import type { RegistryDatabase } from "./database.js";

type Db = Kysely<RegistryDatabase>;
type VersionRow = Selectable<RegistryDatabase["model_versions"]>;

/** Reads shared by the registry and its transactions; each takes the handle to read through. */

export function parseJson<T>(text: string | null, fallback: T): T {
  if (!text) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

export function toRegisteredModel(row: Selectable<RegistryDatabase["registered_models"]>): RegisteredModel {
  return {
    name: row.name,
    description: row.description,
    tags: parseJson<Tags>(row.tags, {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toModelVersion(row: VersionRow, aliases: string[]): ModelVersion {
  return {
    name: row.name,
    version: Number(row.version),
    runId: row.run_id,
    source: row.source,
    files: parseJson<ArtifactFile[]>(row.files, []),
    status: "READY",
    stage: row.stage as Stage,
    aliases: [...aliases].sort(),
    description: row.description,
    tags: parseJson<Tags>(row.tags, {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function toHistoryEvent(row: Selectable<RegistryDatabase["model_history"]>): HistoryEvent {
  return {
    id: Number(row.id),
    timestamp: row.ts,
    model: row.model,
    kind: row.kind as HistoryEvent["kind"],
    version: row.version === null ? null : Number(row.version),
    alias: row.alias,
    from: row.from_value,
    to: row.to_value,
    actor: row.actor,
    reason: row.reason,
  };
}

export async function requireModel(db: Db, name: string): Promise<RegisteredModel> {
  const row = await db
    .selectFrom("registered_models")
    .selectAll()
    .where("name", "=", name)
    .executeTakeFirst();
  if (!row) throw new NotFoundError(`model ${name} not found`);
  return toRegisteredModel(row);
}

/** Maps rows to versions with their aliases (one query for all aliases of the model). */
export async function withAliases(db: Db, rows: VersionRow[]): Promise<ModelVersion[]> {
  if (rows.length === 0) return [];
  const q = db.selectFrom("model_aliases").select(["alias", "version"]).where("name", "=", rows[0].name);
  const aliasRows =
    rows.length === 1 ? await q.where("version", "=", rows[0].version).execute() : await q.execute();
  const byVersion = new Map<number, string[]>();
  for (const a of aliasRows) {
    const list = byVersion.get(Number(a.version)) ?? [];
    list.push(a.alias);
    byVersion.set(Number(a.version), list);
  }
  return rows.map((r) => toModelVersion(r, byVersion.get(Number(r.version)) ?? []));
}

/** A version row, or `NotFoundError` naming whether the model or the version is missing. */
export async function requireVersionRow(db: Db, name: string, version: number): Promise<VersionRow> {
  const row = await db
    .selectFrom("model_versions")
    .selectAll()
    .where("name", "=", name)
    .where("version", "=", version)
    .executeTakeFirst();
  if (row) return row;
  await requireModel(db, name);
  throw new NotFoundError(`model ${name} has no version ${version}`);
}

export async function getVersion(db: Db, name: string, version: number): Promise<ModelVersion> {
  const v = await findVersion(db, name, { version });
  if (v) return v;
  await requireModel(db, name);
  throw new NotFoundError(`model ${name} has no version ${version}`);
}

export function latestInStage(db: Db, name: string, stage: Stage): Promise<ModelVersion | null> {
  return findVersion(db, name, { stage });
}

/**
 * One version with its aliases in a single round trip (a left join, one row per alias): model URIs
 * are resolved on every model load, so this is the registry's hot read.
 */
export async function findVersion(
  db: Db,
  name: string,
  sel: { version: number } | { stage: Stage } | { alias: string } | { latest: true },
): Promise<ModelVersion | null> {
  const rows = await db
    .selectFrom("model_versions as v")
    .leftJoin("model_aliases as a", (j) =>
      j.onRef("a.name", "=", "v.name").onRef("a.version", "=", "v.version"),
    )
    .selectAll("v")
    .select("a.alias as alias")
    .where("v.name", "=", name)
    .where((eb) => {
      if ("version" in sel) return eb("v.version", "=", sel.version);
      const sub = eb.selectFrom("model_versions as m").where("m.name", "=", name);
      if ("stage" in sel)
        return eb(
          "v.version",
          "=",
          sub.where("m.stage", "=", sel.stage).select((e) => e.fn.max("m.version").as("mv")),
        );
      if ("alias" in sel) {
        return eb(
          "v.version",
          "=",
          eb
            .selectFrom("model_aliases as x")
            .select("x.version")
            .where("x.name", "=", name)
            .where("x.alias", "=", sel.alias),
        );
      }
      return eb(
        "v.version",
        "=",
        sub.select((e) => e.fn.max("m.version").as("mv")),
      );
    })
    .execute();
  if (rows.length === 0) return null;
  const { alias: _alias, ...row } = rows[0];
  return toModelVersion(
    row,
    rows.map((r) => r.alias).filter((a): a is string => a !== null),
  );
}
