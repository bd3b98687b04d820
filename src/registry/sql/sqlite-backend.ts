import { mkdirSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { Kysely, SqliteDialect, sql } from "kysely";
import { ServiceUnavailableError } from "../../errors/index.js";
import { appendRowsSql } from "./append-rows.js";
import type { SqlBackend } from "./backend.js";
import type { RegistryDatabase } from "./database.js";
import { forEachPackedRow, rowChunks, type PackedRows } from "./packed-rows.js";
import { SqliteAppendWorker } from "./sqlite-append-worker.js";

/** How long a writer waits for another process's write lock before giving up. */
const BUSY_TIMEOUT_MS = 30_000;

/** Rows per appendRows transaction: a few milliseconds of synchronous work at most. */
const APPEND_CHUNK_ROWS = 128;

/**
 * Rows per message and per transaction of the append worker. Its synchronous slice of the serving
 * thread is packing and posting them (~0.5 µs a row), not SQLite's work: 1,000 rows is about half a
 * millisecond. 128 (the in-thread chunk) paced the log at one chunk per turn of the event loop, and
 * under 1,000-transaction batch requests a turn is one request: the log wrote 3-6k rows/s while the
 * server produced 60-100k, and everything past the full queue went to the spill file.
 */
const WORKER_CHUNK_ROWS = 1000;

/**
 * The embedded backend: one SQLite file in WAL mode (readers never block the writer). Writers take
 * the database lock up front with `BEGIN IMMEDIATE`, so two processes never both read the audit head
 * and append after it.
 */
export function openSqliteBackend(file: string, uri: string): SqlBackend {
  let database: Database.Database;
  try {
    if (file !== ":memory:") mkdirSync(path.dirname(file), { recursive: true });
    database = new Database(file);
    database.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    database.pragma("journal_mode = WAL");
    database.pragma("foreign_keys = ON");
    // WAL + NORMAL is durable against process crashes (kill -9); only a power loss can drop the last commit.
    database.pragma("synchronous = NORMAL");
  } catch (err) {
    throw new ServiceUnavailableError(`cannot open registry ${uri}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const db = new Kysely<RegistryDatabase>({ dialect: new SqliteDialect({ database }) });
  // A file's appendRows run in a worker thread with its own connection, off the serving thread;
  // an in-memory database cannot be shared with a second connection and keeps the in-thread path.
  const appendWorker =
    file === ":memory:"
      ? null
      : new SqliteAppendWorker({
          file: path.resolve(file),
          busyTimeoutMs: BUSY_TIMEOUT_MS,
          chunkRows: WORKER_CHUNK_ROWS,
        });
  /** appendRows' statements, prepared once: preparing a many-row INSERT per batch cost more than the rows. */
  const appenders = new Map<string, (rows: readonly object[] | PackedRows) => void>();
  return {
    dialect: "sqlite",
    db,
    uri,
    async writeTransaction(fn) {
      return db.connection().execute(async (conn) => {
        await sql`BEGIN IMMEDIATE`.execute(conn);
        try {
          const result = await fn(conn);
          await sql`COMMIT`.execute(conn);
          return result;
        } catch (err) {
          if (database.inTransaction) await sql`ROLLBACK`.execute(conn);
          throw err;
        }
      });
    },
    async appendRows(table, columns, rows, skipDuplicatesOf) {
      if (appendWorker) return appendWorker.append(table, columns, rows, skipDuplicatesOf);
      const packed = Array.isArray(rows) ? null : (rows as PackedRows);
      const key = `${table}\u0000${columns.join(",")}\u0000${skipDuplicatesOf.join(",")}\u0000${packed ? "?" : "@"}`;
      let append = appenders.get(key);
      if (!append) {
        const insert = database.prepare(
          appendRowsSql(table, columns, 1, skipDuplicatesOf, (_, c) => (packed ? "?" : `@${columns[c]}`)),
        );
        append = database.transaction((chunk: readonly object[] | PackedRows) => {
          if (Array.isArray(chunk)) for (const r of chunk) insert.run(r);
          else forEachPackedRow(chunk as PackedRows, (params) => insert.run(params));
        }).immediate;
        appenders.set(key, append);
      }
      const run = append;
      // Through Kysely's one connection, so the rows never land inside another caller's open
      // transaction. The work is synchronous (better-sqlite3): one transaction per chunk, and the
      // event loop runs between chunks, so a server's 1,000-row log batch never holds its requests
      // for the whole batch (that was its p99 with the log on).
      let first = true;
      for (const chunk of rowChunks(rows, APPEND_CHUNK_ROWS)) {
        if (!first) await new Promise((resolve) => setImmediate(resolve));
        first = false;
        await db.connection().execute(async () => run(chunk));
      }
    },
    isUniqueViolation(err) {
      const code = (err as { code?: string })?.code;
      return code === "SQLITE_CONSTRAINT_UNIQUE" || code === "SQLITE_CONSTRAINT_PRIMARYKEY";
    },
    async close() {
      await appendWorker?.close();
      await db.destroy();
    },
  };
}
