import { sql, type CreateTableBuilder } from "kysely";
import type { MigrationContext } from "./migration.js";

/**
 * Adds an auto-incrementing integer primary key: `integer primary key autoincrement` on SQLite,
 * `serial primary key` on PostgreSQL (Kysely's `autoIncrement()` does not exist there).
 */
export function withAutoId<T extends string>(
  ctx: MigrationContext,
  table: CreateTableBuilder<T, never>,
  column = "id",
): CreateTableBuilder<T, never> {
  return ctx.dialect === "postgresql"
    ? table.addColumn(column, "serial", (c) => c.primaryKey())
    : table.addColumn(column, "integer", (c) => c.primaryKey().autoIncrement());
}

/** The column type for 64-bit floats in both dialects (`double precision` has REAL affinity in SQLite). */
export const FLOAT = "double precision" as const;

/**
 * Makes `table` append-only in the database itself: UPDATE is refused, and DELETE is refused entirely
 * or, with `retentionYears`, for rows whose `ts` column is younger than that. PostgreSQL also refuses
 * TRUNCATE. Use it for every history or audit-like table; the table must have a text `ts` column
 * holding an ISO-8601 UTC timestamp when `retentionYears` is given.
 */
export async function makeAppendOnly(
  ctx: MigrationContext,
  table: string,
  opts: { retentionYears?: number } = {},
): Promise<void> {
  const { db } = ctx;
  const years = opts.retentionYears;
  if (years !== undefined && (!Number.isInteger(years) || years <= 0))
    throw new Error("retentionYears must be a positive integer");
  if (ctx.dialect === "sqlite") {
    await sql
      .raw(
        `CREATE TRIGGER ${table}_no_update BEFORE UPDATE ON ${table} BEGIN SELECT RAISE(ABORT, '${table} is append-only: UPDATE refused'); END`,
      )
      .execute(db);
    const when =
      years === undefined ? "" : `WHEN OLD.ts > strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-${years} years') `;
    const message =
      years === undefined
        ? `${table} is append-only: DELETE refused`
        : `${table} rows younger than ${years} years cannot be deleted`;
    await sql
      .raw(
        `CREATE TRIGGER ${table}_no_delete BEFORE DELETE ON ${table} ${when}BEGIN SELECT RAISE(ABORT, '${message}'); END`,
      )
      .execute(db);
    return;
  }
  await ensurePostgresFunctions(ctx);
  await sql
    .raw(
      `CREATE TRIGGER ${table}_no_update BEFORE UPDATE ON ${table} FOR EACH ROW EXECUTE FUNCTION lakay_refuse_change()`,
    )
    .execute(db);
  await sql
    .raw(
      `CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION lakay_refuse_change()`,
    )
    .execute(db);
  const deleteFn = years === undefined ? "lakay_refuse_change()" : `lakay_refuse_young_delete('${years}')`;
  await sql
    .raw(
      `CREATE TRIGGER ${table}_no_delete BEFORE DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION ${deleteFn}`,
    )
    .execute(db);
}

/**
 * Retention for tables whose rows are still updated in place (runs end, versions change stage): only
 * DELETE of a row younger than `years` is refused (and TRUNCATE on PostgreSQL). `age` is an SQL
 * expression over `OLD` giving the row's ISO-8601 UTC timestamp, e.g. `OLD.created_at`, or a parent's
 * via a subquery. Older rows may be deleted: that is the retention purge.
 */
export async function protectYoungRows(
  ctx: MigrationContext,
  table: string,
  opts: { years: number; age: string },
): Promise<void> {
  const { db } = ctx;
  const { years, age } = opts;
  if (!Number.isInteger(years) || years <= 0) throw new Error("years must be a positive integer");
  const message = `${table} rows younger than ${years} years cannot be deleted (retention)`;
  if (ctx.dialect === "sqlite") {
    await sql
      .raw(
        `CREATE TRIGGER ${table}_retention BEFORE DELETE ON ${table} ` +
          `WHEN ${age} > strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-${years} years') ` +
          `BEGIN SELECT RAISE(ABORT, '${message}'); END`,
      )
      .execute(db);
    return;
  }
  await ensurePostgresFunctions(ctx);
  await sql
    .raw(
      `CREATE OR REPLACE FUNCTION ${table}_retention() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (${age})::timestamptz > now() - make_interval(years => ${years}) THEN
    RAISE EXCEPTION '${message}';
  END IF;
  RETURN OLD;
END $$`,
    )
    .execute(db);
  await sql
    .raw(
      `CREATE TRIGGER ${table}_retention BEFORE DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION ${table}_retention()`,
    )
    .execute(db);
  await sql
    .raw(
      `CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION lakay_refuse_change()`,
    )
    .execute(db);
}

async function ensurePostgresFunctions(ctx: MigrationContext): Promise<void> {
  await sql
    .raw(
      `CREATE OR REPLACE FUNCTION lakay_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP;
END $$`,
    )
    .execute(ctx.db);
  await sql
    .raw(
      `CREATE OR REPLACE FUNCTION lakay_refuse_young_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.ts::timestamptz > now() - make_interval(years => TG_ARGV[0]::int) THEN
    RAISE EXCEPTION '% rows younger than % years cannot be deleted', TG_TABLE_NAME, TG_ARGV[0];
  END IF;
  RETURN OLD;
END $$`,
    )
    .execute(ctx.db);
}
