import { FLOAT, makeAppendOnly, type Migration, withAutoId } from "../../../registry/index.js";

/** The 11 serving features, one column each (kept literal: a shipped migration never changes). */
const FEATURE_COLUMNS = [
  "amount",
  "amount_zscore",
  "hour_of_day",
  "day_of_week",
  "tx_type_encoded",
  "balance_delta_sender",
  "balance_delta_receiver",
  "velocity_count_1h",
  "velocity_count_24h",
  "velocity_amount_1h",
  "velocity_amount_24h",
] as const;

/**
 * Monitoring and experiments (schema step 5, owned by src/monitoring, typed in ../monitoring-tables.ts):
 * - `prediction_log`: every scored transaction (both variants) with its features and scores;
 *   append-only; one row per (model, transaction_id) so a replayed spill never doubles a row;
 *   DELETE refused for rows younger than a year (the configured retention purges older ones);
 * - `outcome_labels`: investigation outcomes, append-only for 5 years: a relabel is a new row, the
 *   latest per transaction is the label in force; labels for unknown ids are kept;
 * - `monitoring_alerts`: one row per (model, kind, feature) while open; last_seen and resolved_at
 *   are updated in place;
 * - `experiment_results`: an ended experiment's configuration and results (seed §7.3, 5 years);
 * - `webhooks` and `webhook_deliveries`: subscriptions and every delivery attempt.
 */
export const monitoring: Migration = {
  version: 5,
  name: "monitoring",
  async up(ctx) {
    const { db } = ctx;
    let log = withAutoId(ctx, db.schema.createTable("prediction_log"))
      .addColumn("ts", "text", (c) => c.notNull())
      .addColumn("model", "text", (c) => c.notNull())
      .addColumn("transaction_id", "text", (c) => c.notNull())
      .addColumn("user_id", "text", (c) => c.notNull())
      .addColumn("variant", "text", (c) => c.notNull())
      .addColumn("model_version", "integer")
      .addColumn("experiment_id", "text");
    for (const f of FEATURE_COLUMNS) log = log.addColumn(f, FLOAT, (c) => c.notNull());
    await log
      .addColumn("ml_score", FLOAT)
      .addColumn("rule_score", FLOAT, (c) => c.notNull())
      .addColumn("score", FLOAT, (c) => c.notNull())
      .addColumn("risk_tier", "text", (c) => c.notNull())
      .addColumn("latency_ms", FLOAT, (c) => c.notNull())
      .addUniqueConstraint("prediction_log_one_per_tx", ["model", "transaction_id"])
      .execute();
    await db.schema
      .createIndex("prediction_log_by_time")
      .on("prediction_log")
      .columns(["model", "ts"])
      .execute();
    await db.schema
      .createIndex("prediction_log_by_experiment")
      .on("prediction_log")
      .columns(["experiment_id", "variant"])
      .execute();
    await makeAppendOnly(ctx, "prediction_log", { retentionYears: 1 });

    await withAutoId(ctx, db.schema.createTable("outcome_labels"))
      .addColumn("ts", "text", (c) => c.notNull())
      .addColumn("transaction_id", "text", (c) => c.notNull())
      .addColumn("is_fraud", "integer", (c) => c.notNull())
      .addColumn("source", "text", (c) => c.notNull())
      .addColumn("labeled_at", "text")
      .addColumn("actor", "text", (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex("outcome_labels_by_tx")
      .on("outcome_labels")
      .columns(["transaction_id", "id"])
      .execute();
    await makeAppendOnly(ctx, "outcome_labels", { retentionYears: 5 });

    await withAutoId(ctx, db.schema.createTable("monitoring_alerts"))
      .addColumn("model", "text", (c) => c.notNull())
      .addColumn("kind", "text", (c) => c.notNull())
      .addColumn("feature", "text", (c) => c.notNull())
      .addColumn("severity", "text", (c) => c.notNull())
      .addColumn("value", FLOAT)
      .addColumn("threshold", FLOAT)
      .addColumn("model_version", "integer")
      .addColumn("message", "text", (c) => c.notNull())
      .addColumn("first_seen", "text", (c) => c.notNull())
      .addColumn("last_seen", "text", (c) => c.notNull())
      .addColumn("resolved_at", "text")
      .execute();
    await db.schema
      .createIndex("monitoring_alerts_open")
      .on("monitoring_alerts")
      .columns(["model", "kind", "feature", "resolved_at"])
      .execute();

    await db.schema
      .createTable("experiment_results")
      .addColumn("experiment_id", "text", (c) => c.primaryKey())
      .addColumn("ts", "text", (c) => c.notNull())
      .addColumn("model", "text", (c) => c.notNull())
      .addColumn("ended_by", "text", (c) => c.notNull())
      .addColumn("reason", "text")
      .addColumn("config", "text", (c) => c.notNull())
      .addColumn("results", "text", (c) => c.notNull())
      .execute();
    await makeAppendOnly(ctx, "experiment_results", { retentionYears: 5 });

    await withAutoId(ctx, db.schema.createTable("webhooks"))
      .addColumn("url", "text", (c) => c.notNull())
      .addColumn("events", "text", (c) => c.notNull())
      .addColumn("secret", "text", (c) => c.notNull())
      .addColumn("created_at", "text", (c) => c.notNull())
      .addColumn("created_by", "text", (c) => c.notNull())
      .addColumn("removed_at", "text")
      .execute();
    await withAutoId(ctx, db.schema.createTable("webhook_deliveries"))
      .addColumn("ts", "text", (c) => c.notNull())
      .addColumn("webhook_id", "integer", (c) => c.notNull())
      .addColumn("delivery_id", "text", (c) => c.notNull())
      .addColumn("event", "text", (c) => c.notNull())
      .addColumn("attempt", "integer", (c) => c.notNull())
      .addColumn("status_code", "integer")
      .addColumn("ok", "integer", (c) => c.notNull())
      .addColumn("error", "text")
      .addColumn("duration_ms", FLOAT, (c) => c.notNull())
      .execute();
    await makeAppendOnly(ctx, "webhook_deliveries", { retentionYears: 1 });
  },
};
