import type { Kysely } from "kysely";
import type { Registry } from "../../registry/index.js";
import { labelsInForce } from "./label-store.js";
import type { MonitoringDatabase, PredictionLogRow } from "./monitoring-tables.js";

type Db = Kysely<MonitoringDatabase>;

/** A logged prediction with its stored features and the label in force. */
export type LabeledLogRow = PredictionLogRow & { is_fraud: number };

/**
 * The newest `limit` labeled predictions of a model since `since`, returned oldest first (time
 * order, as a backtest replays them). The label in force is the latest per transaction.
 */
export async function labeledLogRows(
  registry: Registry,
  where: { model: string; since: string; limit: number },
): Promise<LabeledLogRow[]> {
  return registry.read(async (db: Db) => {
    const latest = labelsInForce(db);
    const rows = await db
      .selectFrom("prediction_log as p")
      .innerJoin(latest, "latest.transaction_id", "p.transaction_id")
      .innerJoin("outcome_labels as l", "l.id", "latest.id")
      .selectAll("p")
      .select("l.is_fraud")
      .where("p.model", "=", where.model)
      .where("p.ts", ">=", where.since)
      .orderBy("p.id", "desc")
      .limit(where.limit)
      .execute();
    return rows.reverse().map((r) => ({ ...r, is_fraud: Number(r.is_fraud) }) as LabeledLogRow);
  });
}
