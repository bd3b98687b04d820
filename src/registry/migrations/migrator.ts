import { sql, type Kysely } from "kysely";
import { ConflictError } from "../../errors/index.js";
import type { SqlBackend } from "../sql/backend.js";
import type { Migration } from "./migration.js";

/** One applied step; the migrator reports every step rather than throwing halfway. */
export interface MigrationStep {
  version: number;
  name: string;
}

/** One schema step: its recorded version and name, and the parts (one per layer that wrote one). */
interface SchemaStep extends MigrationStep {
  parts: Migration[];
}

/**
 * Brings the database to the latest schema version, in one write transaction (so concurrent openers
 * serialize and a crash leaves the previous version intact). `migrations` is every layer's parts, in
 * any order between layers; the parts of one step run in the order given. Refuses a database whose
 * schema is newer than `migrations` knows: old code must not write into a schema it does not understand.
 */
export async function migrateToLatest(
  backend: SqlBackend,
  migrations: readonly Migration[],
): Promise<MigrationStep[]> {
  const steps = schemaSteps(migrations);
  const latest = steps.length;
  const applied = await appliedSteps(backend);
  if (applied !== undefined) {
    const current = applied.reduce((max, a) => Math.max(max, a.version), 0);
    refuseNewer(backend, current, latest);
    refuseRenamed(backend, applied, steps);
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
    const done: MigrationStep[] = [];
    for (const m of steps.slice(now)) {
      // A migration builds schema and runs raw SQL: it gets a handle that knows no tables.
      const db = trx as unknown as Kysely<object>;
      for (const part of m.parts) await part.up({ db, dialect: backend.dialect });
      await trx
        .insertInto("lakay_schema_migrations")
        .values({ version: m.version, name: m.name, applied_at: new Date().toISOString() })
        .execute();
      done.push({ version: m.version, name: m.name });
    }
    return done;
  });
}

/** The steps the database recorded, or undefined when the migrations table does not exist yet. */
async function appliedSteps(backend: SqlBackend): Promise<MigrationStep[] | undefined> {
  try {
    const r = await sql<{
      version: number | string;
      name: string;
    }>`SELECT version, name FROM lakay_schema_migrations`.execute(backend.db);
    return r.rows.map((row) => ({ version: Number(row.version), name: row.name }));
  } catch {
    return undefined;
  }
}

/**
 * Refuses a database whose recorded history differs from the code's: a step moved between layers
 * keeps its version and name, so a mismatch means a renamed or reordered step, never a database
 * that only needs migrating.
 */
function refuseRenamed(backend: SqlBackend, applied: MigrationStep[], steps: SchemaStep[]): void {
  for (const a of applied) {
    const known = steps[a.version - 1];
    if (known && known.name !== a.name)
      throw new ConflictError(
        `registry ${backend.uri} recorded schema step ${a.version} as "${a.name}", which this Lakay calls "${known.name}"`,
      );
  }
}

function refuseNewer(backend: SqlBackend, current: number, latest: number): void {
  if (current > latest) {
    throw new ConflictError(
      `registry ${backend.uri} has schema version ${current}, newer than this Lakay understands (${latest}); upgrade Lakay`,
    );
  }
}

/**
 * Groups the parts into steps 1..N. A gap means a layer's migrations were not passed (the registry
 * opened outside the composition root); two names for one version mean two layers disagree about
 * the history. Both are programming errors, refused before the database is touched.
 */
export function schemaSteps(migrations: readonly Migration[]): SchemaStep[] {
  const byVersion = new Map<number, SchemaStep>();
  for (const m of migrations) {
    const step = byVersion.get(m.version);
    if (!step) byVersion.set(m.version, { version: m.version, name: m.name, parts: [m] });
    else if (step.name !== m.name)
      throw new Error(`schema step ${m.version} is named both "${step.name}" and "${m.name}"`);
    else step.parts.push(m);
  }
  const steps = [...byVersion.values()].sort((a, b) => a.version - b.version);
  steps.forEach((s, i) => {
    if (s.version !== i + 1)
      throw new Error(
        `schema step ${i + 1} is missing (next known: ${s.version} "${s.name}"): pass every layer's migrations (src/app/open-lakay.ts assembles them)`,
      );
  });
  return steps;
}
