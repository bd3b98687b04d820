import { sql } from "kysely";
import { ConflictError } from "../../errors/index.js";
import type { SqlBackend } from "../sql/backend.js";
import type { Migration } from "./migration.js";

/** One applied step; the migrator reports every step rather than throwing halfway. */
export interface MigrationStep {
  version: number;
  name: string;
}

/**
 * Brings the database to the latest schema version, in one write transaction (so concurrent openers
 * serialize and a crash leaves the previous version intact). Refuses a database whose schema is newer
 * than `migrations` knows: old code must not write into a schema it does not understand.
 */
export async function migrateToLatest(
  backend: SqlBackend,
  migrations: readonly Migration[],
): Promise<MigrationStep[]> {
  checkNumbering(migrations);
  const latest = migrations.length;
  const current = await currentVersion(backend);
  if (current !== undefined) {
    refuseNewer(backend, current, latest);
    if (current === latest) return [];
  }
  return backend.writeTransaction(async (trx) => {
    await trx.schema
      .createTable("lakay_schema_migrations")
      .ifNotExists()
      .addColumn("version", "integer", (c) => c.primaryKey())
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("applied_at", "text", (c) => c.notNull())
      .execute();
    const row = await trx
      .selectFrom("lakay_schema_migrations")
      .select((eb) => eb.fn.max("version").as("v"))
      .executeTakeFirst();
    const now = Number(row?.v ?? 0);
    refuseNewer(backend, now, latest);
    const applied: MigrationStep[] = [];
    for (const m of migrations.slice(now)) {
      await m.up({ db: trx, dialect: backend.dialect });
      await trx
        .insertInto("lakay_schema_migrations")
        .values({ version: m.version, name: m.name, applied_at: new Date().toISOString() })
        .execute();
      applied.push({ version: m.version, name: m.name });
    }
    return applied;
  });
}

/** The applied schema version, or undefined when the migrations table does not exist yet. */
async function currentVersion(backend: SqlBackend): Promise<number | undefined> {
  try {
    const r = await sql<{
      v: number | string | null;
    }>`SELECT max(version) AS v FROM lakay_schema_migrations`.execute(backend.db);
    return Number(r.rows[0]?.v ?? 0);
  } catch {
    return undefined;
  }
}

function refuseNewer(backend: SqlBackend, current: number, latest: number): void {
  if (current > latest) {
    throw new ConflictError(
      `registry ${backend.uri} has schema version ${current}, newer than this Lakay understands (${latest}); upgrade Lakay`,
    );
  }
}

function checkNumbering(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(`migration ${m.name} has version ${m.version}, expected ${i + 1}`);
  });
}
