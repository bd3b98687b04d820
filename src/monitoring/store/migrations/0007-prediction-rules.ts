import type { Migration } from "../../../registry/index.js";

/**
 * The rules each logged prediction triggered, with the weights they carried (JSON text:
 * `[{"id":"account_drained","weight":0.3}, …]`), so `GET /api/v1/fraud/explain/{id}` can answer
 * for a past decision as it was made: the rules read balances the log does not keep, and a rule's
 * weight may have changed since. Nullable: rows logged before this step say nothing of rules.
 */
export const predictionRules: Migration = {
  version: 7,
  name: "prediction-rules",
  async up({ db }) {
    await db.schema.alterTable("prediction_log").addColumn("rules_triggered", "text").execute();
  },
};
