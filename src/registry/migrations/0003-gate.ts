import type { Migration } from "./migration.js";
import { makeAppendOnly, protectYoungRows, withAutoId } from "./helpers.js";

/**
 * The promotion gate (issue 13):
 * - a backtest row names the exact artifacts it compared (candidate and Production digests) and the
 *   dataset's size and time window, so the gate can tell whether a backtest still counts;
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
    const columns: [string, "text" | "integer"][] = [
      ["candidate_digest", "text"],
      ["current_digest", "text"],
      ["dataset_rows", "integer"],
      ["dataset_frauds", "integer"],
      ["window_start_step", "integer"],
      ["window_end_step", "integer"],
    ];
    for (const [name, type] of columns) {
      await db.schema.alterTable("deploy_backtests").addColumn(name, type).execute();
    }
    await db.schema
      .createIndex("deploy_backtests_by_candidate")
      .on("deploy_backtests")
      .columns(["model", "candidate_version", "id"])
      .execute();

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
