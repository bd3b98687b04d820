import type { Kysely } from "kysely";
import type { RegistryDialect } from "../registry.js";
import type { RegistryDatabase } from "./database.js";
import type { PackedRows } from "./packed-rows.js";

/**
 * What a SQL dialect must provide to carry the registry. Everything else (queries, history, audit)
 * is written once against Kysely in `SqlRegistry`.
 */
export interface SqlBackend {
  readonly dialect: RegistryDialect;
  readonly db: Kysely<RegistryDatabase>;
  /** The URI, password masked, for messages. */
  readonly uri: string;
  /**
   * Runs `fn` in a transaction that holds the registry's write lock from its first statement
   * (SQLite `BEGIN IMMEDIATE`, PostgreSQL a transaction-scoped advisory lock), so writers serialize
   * and the audit chain cannot fork.
   */
  writeTransaction<T>(fn: (trx: Kysely<RegistryDatabase>) => Promise<T>): Promise<T>;
  /**
   * Appends rows to a table outside the write lock, with no audit entry (see
   * {@link Registry.appendRows}); rows are objects keyed by column name, or packed by position.
   */
  appendRows(
    table: string,
    columns: readonly string[],
    rows: readonly object[] | PackedRows,
    skipDuplicatesOf: readonly string[],
  ): Promise<void>;
  /** True when `err` is a unique / primary-key violation. */
  isUniqueViolation(err: unknown): boolean;
  close(): Promise<void>;
}
