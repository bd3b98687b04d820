import type { Migration } from "../../../registry/index.js";

/**
 * Deploy's part of schema step 3, "gate" (the promotion gate, issue 13; the registry's part, in
 * src/registry/migrations/0003-gate.ts, adds retention of the training record and audit
 * checkpoints). A backtest row names the exact artifacts it compared (candidate and Production
 * digests) and the dataset's size and time window, so the gate can tell whether a backtest still counts.
 */
export const gateBacktests: Migration = {
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
  },
};
