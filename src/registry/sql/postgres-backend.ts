import { Kysely, PostgresDialect, sql } from "kysely";
import { ServiceUnavailableError } from "../../errors/index.js";
import type { SqlBackend } from "./backend.js";
import type { RegistryDatabase } from "./database.js";

/** Key of the transaction-scoped advisory lock every registry writer takes ("LAKAY" in ASCII). */
const WRITE_LOCK_KEY = 0x4c414b4159;

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
    isUniqueViolation(err) {
      return (err as { code?: string })?.code === "23505";
    },
    async close() {
      await db.destroy();
    },
  };
}
