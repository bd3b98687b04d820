import { sql } from "kysely";
import type { Migration } from "./migration.js";
import { FLOAT, makeAppendOnly, withAutoId } from "./helpers.js";

/** Tracking, model registry, history and the audit log. */
export const initial: Migration = {
  version: 1,
  name: "initial",
  async up(ctx) {
    const { db } = ctx;
    await withAutoId(ctx, db.schema.createTable("experiments"))
      .addColumn("name", "text", (c) => c.notNull().unique())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("tags", "text", (c) => c.notNull())
      .execute();

    await db.schema
      .createTable("runs")
      .addColumn("id", "text", (c) => c.primaryKey())
      .addColumn("experiment_id", "integer", (c) => c.notNull().references("experiments.id"))
      .addColumn("name", "text")
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("start_time", "text", (c) => c.notNull())
      .addColumn("end_time", "text")
      .addColumn("artifact_uri", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("runs_by_experiment")
      .on("runs")
      .columns(["experiment_id", "start_time"])
      .execute();

    for (const table of ["run_params", "run_tags"]) {
      await db.schema
        .createTable(table)
        .addColumn("run_id", "text", (c) => c.notNull().references("runs.id"))
        .addColumn("key", "text", (c) => c.notNull())
        .addColumn("value", "text", (c) => c.notNull())
        .addPrimaryKeyConstraint(`${table}_pk`, ["run_id", "key"])
        .execute();
    }
    await db.schema.createIndex("run_tags_by_key").on("run_tags").columns(["key", "value"]).execute();

    await withAutoId(ctx, db.schema.createTable("run_metrics"))
      .addColumn("run_id", "text", (c) => c.notNull().references("runs.id"))
      .addColumn("key", "text", (c) => c.notNull())
      .addColumn("value", FLOAT, (c) => c.notNull())
      .addColumn("step", "integer", (c) => c.notNull())
      .addColumn("ts", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("run_metrics_by_key")
      .on("run_metrics")
      .columns(["run_id", "key", "step"])
      .execute();

    await db.schema
      .createTable("run_artifacts")
      .addColumn("run_id", "text", (c) => c.notNull().references("runs.id"))
      .addColumn("path", "text", (c) => c.notNull())
      .addColumn("sha256", "text", (c) => c.notNull())
      .addColumn("size", "integer", (c) => c.notNull())
      .addPrimaryKeyConstraint("run_artifacts_pk", ["run_id", "path"])
      .execute();

    await db.schema
      .createTable("registered_models")
      .addColumn("name", "text", (c) => c.primaryKey())
      .addColumn("description", "text")
      .addColumn("tags", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      .execute();

    await db.schema
      .createTable("model_versions")
      .addColumn("name", "text", (c) => c.notNull().references("registered_models.name"))
      .addColumn("version", "integer", (c) => c.notNull())
      .addColumn("run_id", "text", (c) => c.references("runs.id"))
      .addColumn("source", "text", (c) => c.notNull())
      .addColumn("files", "text", (c) => c.notNull())
      .addColumn("status", "text", (c) => c.notNull())
      .addColumn("stage", "text", (c) =>
        c.notNull().check(sql`stage IN ('None', 'Staging', 'Production', 'Archived')`),
      )
      .addColumn("description", "text")
      .addColumn("tags", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("model_versions_pk", ["name", "version"])
      .execute();
    // The one-Production invariant lives in the database: a partial unique index (both dialects).
    await sql`CREATE UNIQUE INDEX model_versions_one_production ON model_versions (name) WHERE stage = 'Production'`.execute(
      db,
    );
    await db.schema
      .createIndex("model_versions_by_stage")
      .on("model_versions")
      .columns(["name", "stage", "version"])
      .execute();

    await db.schema
      .createTable("model_aliases")
      .addColumn("name", "text", (c) => c.notNull().references("registered_models.name"))
      .addColumn("alias", "text", (c) => c.notNull())
      .addColumn("version", "integer", (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("model_aliases_pk", ["name", "alias"])
      .addForeignKeyConstraint("model_aliases_version_fk", ["name", "version"], "model_versions", [
        "name",
        "version",
      ])
      .execute();

    await withAutoId(ctx, db.schema.createTable("model_history"))
      .addColumn("ts", "text", (c) => c.notNull())
      .addColumn("model", "text", (c) => c.notNull())
      .addColumn("kind", "text", (c) => c.notNull().check(sql`kind IN ('stage', 'alias')`))
      .addColumn("version", "integer")
      .addColumn("alias", "text")
      .addColumn("from_value", "text")
      .addColumn("to_value", "text")
      .addColumn("actor", "text", (c) => c.notNull())
      .addColumn("reason", "text")
      .execute();
    await db.schema
      .createIndex("model_history_by_model")
      .on("model_history")
      .columns(["model", "ts"])
      .execute();
    await makeAppendOnly(ctx, "model_history");

    await db.schema
      .createTable("audit_log")
      .addColumn("seq", "integer", (c) => c.primaryKey())
      .addColumn("ts", "text", (c) => c.notNull())
      .addColumn("actor", "text", (c) => c.notNull())
      .addColumn("action", "text", (c) => c.notNull())
      .addColumn("model", "text")
      .addColumn("version", "integer")
      .addColumn("details", "text", (c) => c.notNull())
      .addColumn("prev_hash", "text", (c) => c.notNull())
      .addColumn("hash", "text", (c) => c.notNull().unique())
      .execute();
    await db.schema.createIndex("audit_log_by_ts").on("audit_log").column("ts").execute();
    await makeAppendOnly(ctx, "audit_log", { retentionYears: 5 });
  },
};
