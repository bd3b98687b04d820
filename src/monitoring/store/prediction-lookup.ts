import type { Kysely } from "kysely";
import type { Registry } from "../../registry/index.js";
import type { MonitoringDatabase, PredictionLogRow } from "./monitoring-tables.js";

type Db = Kysely<MonitoringDatabase>;

/** The logged decision on one transaction of a model (the unique (model, transaction_id) row), or null. */
export async function loggedPrediction(
  registry: Registry,
  model: string,
  transactionId: string,
): Promise<PredictionLogRow | null> {
  return registry.read(async (db: Db) => {
    const row = await db
      .selectFrom("prediction_log")
      .selectAll()
      .where("model", "=", model)
      .where("transaction_id", "=", transactionId)
      .executeTakeFirst();
    return row ?? null;
  });
}
