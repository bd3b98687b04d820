import type { Migration } from "./migration.js";
import { makeAppendOnly, protectYoungRows, withAutoId } from "./helpers.js";

/**
 * The registry's part of schema step 3, "gate" (the promotion gate, issue 13; deploy's part, in
 * src/deploy/store/migrations/0003-gate.ts, adds the backtests' digests and window):
 * - retention (§7.3 of the procedure, 5 years) for the training record — runs, their params, metrics
 *   and tags, and model versions — held by the database as it holds the audit log: a row younger than
 *   5 years cannot be deleted. These rows are still updated in place (a run ends, a version changes
 *   stage), so only DELETE (and TRUNCATE) is refused; the stage timeline is in append-only history;
 * - audit checkpoints: when audit entries older than the retention period are purged, the last purged
 *   entry's sequence number and hash are kept, so `audit verify` checks the rest of the chain from there.
 */
export const gate: Migration = {
  version: 3,
  name: "gate",
  async up(ctx) {
    const { db } = ctx;
    const years = 5;
    await protectYoungRows(ctx, "runs", { years, age: "OLD.start_time" });
    await protectYoungRows(ctx, "model_versions", { years, age: "OLD.created_at" });
    for (const table of ["run_params", "run_tags", "run_metrics"]) {
      await protectYoungRows(ctx, table, {
        years,
        age: "(SELECT start_time FROM runs WHERE runs.id = OLD.run_id)",
      });
    }

    await withAutoId(ctx, db.schema.createTable("audit_checkpoints"))
      .addColumn("ts", "text", (c) => c.notNull())
      .addColumn("seq", "integer", (c) => c.notNull().unique())
      .addColumn("hash", "text", (c) => c.notNull())
      .addColumn("actor", "text", (c) => c.notNull())
      .addColumn("purged_before", "text", (c) => c.notNull())
      .execute();
    await makeAppendOnly(ctx, "audit_checkpoints");
  },
};
