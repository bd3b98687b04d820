import { makeAppendOnly, type Migration, withAutoId } from "../../../registry/index.js";

/**
 * The deployment pipeline's tables (schema step 2, owned by src/deploy, typed in ../deploy-tables.ts):
 * deployment records, approvals, validation results and backtest reports. All are evidence a
 * compliance review reads, so, like the audit log, they are append-only with 5-year retention.
 */
export const deployment: Migration = {
  version: 2,
  name: "deployment",
  async up(ctx) {
    const { db } = ctx;
    await withAutoId(ctx, db.schema.createTable("deploy_records"))
      .addColumn("ts", "text", (c) => c.notNull())
      .addColumn("model", "text", (c) => c.notNull())
      .addColumn("version", "integer")
      .addColumn("previous_version", "integer")
      .addColumn("action", "text", (c) => c.notNull())
      .addColumn("triggered_by", "text", (c) => c.notNull())
      .addColumn("reason", "text")
      .addColumn("success", "integer", (c) => c.notNull())
      .addColumn("error", "text")
      .addColumn("validation", "text")
      .addColumn("approvals", "text")
      .addColumn("details", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("deploy_records_by_model")
      .on("deploy_records")
      .columns(["model", "id"])
      .execute();

    await withAutoId(ctx, db.schema.createTable("deploy_approvals"))
      .addColumn("ts", "text", (c) => c.notNull())
      .addColumn("model", "text", (c) => c.notNull())
      .addColumn("version", "integer", (c) => c.notNull())
      .addColumn("artifact_digest", "text", (c) => c.notNull())
      .addColumn("change_kind", "text", (c) => c.notNull())
      .addColumn("role", "text", (c) => c.notNull())
      .addColumn("approver", "text", (c) => c.notNull())
      .addColumn("decision", "text", (c) => c.notNull())
      .addColumn("note", "text")
      .execute();
    await db.schema
      .createIndex("deploy_approvals_by_version")
      .on("deploy_approvals")
      .columns(["model", "version"])
      .execute();

    await withAutoId(ctx, db.schema.createTable("deploy_validations"))
      .addColumn("ts", "text", (c) => c.notNull())
      .addColumn("model", "text", (c) => c.notNull())
      .addColumn("version", "integer", (c) => c.notNull())
      .addColumn("artifact_digest", "text", (c) => c.notNull())
      .addColumn("actor", "text", (c) => c.notNull())
      .addColumn("passed", "integer", (c) => c.notNull())
      .addColumn("report", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("deploy_validations_by_version")
      .on("deploy_validations")
      .columns(["model", "version"])
      .execute();

    await withAutoId(ctx, db.schema.createTable("deploy_backtests"))
      .addColumn("ts", "text", (c) => c.notNull())
      .addColumn("model", "text", (c) => c.notNull())
      .addColumn("candidate_version", "integer", (c) => c.notNull())
      .addColumn("current_version", "integer")
      .addColumn("dataset", "text", (c) => c.notNull())
      .addColumn("dataset_sha256", "text", (c) => c.notNull())
      .addColumn("actor", "text", (c) => c.notNull())
      .addColumn("passed", "integer", (c) => c.notNull())
      .addColumn("compared", "integer", (c) => c.notNull())
      .addColumn("report", "text", (c) => c.notNull())
      .execute();

    for (const table of ["deploy_records", "deploy_approvals", "deploy_validations", "deploy_backtests"]) {
      await makeAppendOnly(ctx, table, { retentionYears: 5 });
    }
  },
};
