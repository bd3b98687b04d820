import type { Kysely } from "kysely";
import type { RegistryDialect } from "../registry.js";

/**
 * What a migration gets: a Kysely handle inside the migration transaction, and the dialect. It knows
 * no tables: a migration builds schema (`db.schema`) and runs raw SQL, it does not query rows.
 */
export interface MigrationContext {
  db: Kysely<object>;
  dialect: RegistryDialect;
}

/**
 * One forward-only schema step, or one layer's part of it. The registry database has one schema
 * history shared by every layer that keeps tables in it (registry, deploy, serving, monitoring): its
 * steps are numbered 1, 2, 3, ... in the order they shipped, whichever layer wrote them, and each is
 * recorded by `version` and `name`. A step that touched the tables of two layers (3, "gate") is
 * written as one part per layer, with the same version and name; its parts run in one transaction.
 * A database records the highest version applied and is refused by code that knows fewer.
 */
export interface Migration {
  version: number;
  name: string;
  up(ctx: MigrationContext): Promise<void>;
}
