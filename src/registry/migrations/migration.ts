import type { Kysely } from "kysely";
import type { RegistryDialect } from "../registry.js";

/** What a migration gets: an untyped Kysely handle inside the migration transaction, and the dialect. */
export interface MigrationContext {
  db: Kysely<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  dialect: RegistryDialect;
}

/**
 * One forward-only schema step. `version` is its position in `MIGRATIONS` (1, 2, 3, ...): a database
 * records the highest version applied and is refused by code that knows fewer.
 */
export interface Migration {
  version: number;
  name: string;
  up(ctx: MigrationContext): Promise<void>;
}
