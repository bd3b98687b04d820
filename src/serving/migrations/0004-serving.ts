import { makeAppendOnly, type Migration, withAutoId } from "../../registry/index.js";

/**
 * The serving layer's state (schema step 4, owned by src/serving, typed in ../serving-tables.ts), so a
 * restart or another replica serves as the last one left off:
 * - `serving_experiments`: every champion/challenger experiment with its routing salt, versions,
 *   who started it and why (seed §7.3: A/B configurations kept 5 years);
 * - `serving_changes`: every routing split, ML switch and scoring-config change, in order; the
 *   latest row of a kind is the current setting. Both are append-only with 5-year retention;
 * - `api_tokens`: bearer tokens, stored as SHA-256 only; revocation updates the row (the audit
 *   log keeps the history); a name may be reused once its token is revoked (rotation).
 */
export const serving: Migration = {
  version: 4,
  name: "serving",
  async up(ctx) {
    const { db } = ctx;
    await db.schema
      .createTable("serving_experiments")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("ts", "text", (c) => c.notNull())
      .addColumn("model", "text", (c) => c.notNull())
      .addColumn("salt", "text", (c) => c.notNull())
      .addColumn("champion_version", "integer")
      .addColumn("challenger_version", "integer", (c) => c.notNull())
      .addColumn("started_by", "text", (c) => c.notNull())
      .addColumn("reason", "text")
      .execute();

    await withAutoId(ctx, db.schema.createTable("serving_changes"))
      .addColumn("ts", "text", (c) => c.notNull())
      .addColumn("model", "text", (c) => c.notNull())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("actor", "text", (c) => c.notNull())
      .addColumn("reason", "text")
      .addColumn("body", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("serving_changes_by_kind")
      .on("serving_changes")
      .columns(["model", "kind", "id"])
      .execute();

    for (const table of ["serving_experiments", "serving_changes"]) {
      await makeAppendOnly(ctx, table, { retentionYears: 5 });
    }

    await withAutoId(ctx, db.schema.createTable("api_tokens"))
      .addColumn("name", "text", (c) => c.notNull())
      .addColumn("role", "text", (c) => c.notNull())
      .addColumn("token_sha256", "text", (c) => c.notNull().unique())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("created_by", "text", (c) => c.notNull())
      .addColumn("revoked_at", "text")
      .addColumn("revoked_by", "text")
      .execute();
  },
};
