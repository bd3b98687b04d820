import { CompiledQuery, Kysely, PostgresDialect, sql } from "kysely";
import { ServiceUnavailableError } from "../../errors/index.js";
import { appendRowsSql } from "./append-rows.js";
import type { SqlBackend } from "./backend.js";
import type { RegistryDatabase } from "./database.js";
import { forEachPackedRow, rowChunks, rowCount, type PackedRows } from "./packed-rows.js";

/** Key of the transaction-scoped advisory lock every registry writer takes ("LAKAY" in ASCII). */
const WRITE_LOCK_KEY = 0x4c414b4159;
/** Rows per appendRows statement (PostgreSQL allows 65,535 parameters a statement). */
const APPEND_ROWS_PER_STATEMENT = 1000;

/**
 * The team backend: PostgreSQL through a `pg` pool, loaded only when a `postgresql://` URI is opened.
 * Writers serialize on one advisory lock taken as the first statement of their transaction.
 */
export async function openPostgresBackend(connectionString: string, uri: string): Promise<SqlBackend> {
  const pg = await import("pg");
  const Pool = pg.default?.Pool ?? pg.Pool;
  const pool = new Pool({ connectionString, max: 4, connectionTimeoutMillis: 10_000 });
  // A pool emits errors of idle clients (server restart); without a listener they crash the process.
  pool.on("error", () => {});
  // ...and so do clients checked out of the pool when their connection drops between two queries
  // (the next query on them fails and reaches its caller, e.g. the prediction log, which spills).
  pool.on("connect", (client) => client.on("error", () => {}));
  try {
    const client = await pool.connect();
    client.release();
  } catch (err) {
    await pool.end().catch(() => {});
    throw new ServiceUnavailableError(
      `cannot open registry ${uri}: ${(err as Error).message || String(err)}`,
      {
        cause: err,
      },
    );
  }
  const db = new Kysely<RegistryDatabase>({ dialect: new PostgresDialect({ pool }) });
  /** appendRows' full-size statement texts, built once (a shorter last statement is built each time). */
  const appendSql = new Map<string, string>();
  return {
    dialect: "postgresql",
    db,
    uri,
    async writeTransaction(fn) {
      return db.transaction().execute(async (trx) => {
        await sql`SELECT pg_advisory_xact_lock(${sql.lit(WRITE_LOCK_KEY)})`.execute(trx);
        return fn(trx);
      });
    },
    async appendRows(table, columns, rows, skipDuplicatesOf) {
      const per = Math.min(APPEND_ROWS_PER_STATEMENT, Math.floor(65_535 / columns.length));
      // No transaction and no advisory lock: each statement is atomic on its own, and a statement
      // whose rows are already there (a replay) skips them, so a half-written batch is safe to retry.
      for (const chunk of rowChunks(rows, per)) {
        const n = rowCount(chunk);
        const key = `${table}\u0000${columns.join(",")}\u0000${skipDuplicatesOf.join(",")}\u0000${n}`;
        let text = appendSql.get(key);
        if (!text) {
          const width = columns.length;
          text = appendRowsSql(table, columns, n, skipDuplicatesOf, (r, c) => `$${r * width + c + 1}`);
          if (n === per) appendSql.set(key, text);
        }
        const params = new Array<unknown>(n * columns.length);
        let k = 0;
        if (Array.isArray(chunk))
          for (const row of chunk as readonly Record<string, unknown>[])
            for (const c of columns) params[k++] = row[c];
        else
          forEachPackedRow(chunk as PackedRows, (values) => {
            for (const v of values) params[k++] = v;
          });
        await db.executeQuery(CompiledQuery.raw(text, params));
      }
    },
    isUniqueViolation(err) {
      return (err as { code?: string })?.code === "23505";
    },
    async close() {
      await db.destroy();
    },
  };
}
