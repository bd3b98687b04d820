import type { Kysely } from "kysely";
import type { Registry } from "../../registry/index.js";
import { labelsInForce } from "./label-store.js";
import { PredictionRecords } from "../prediction-records.js";
import {
  PREDICTION_LOG_COLUMNS,
  type MonitoringDatabase,
  type PredictionLogRow,
} from "./monitoring-tables.js";

type Db = Kysely<MonitoringDatabase>;

/**
 * Writes a batch of prediction records (rows, or the writer's columns). A row already there (same
 * model and transaction id: a replayed spill, or a retry scored again after a restart) is skipped,
 * so a replay never doubles a row. Outside the registry's write lock: the log changes no registry
 * state and has no audit entry.
 */
export async function insertPredictions(
  registry: Registry,
  records: readonly PredictionLogRow[] | PredictionRecords,
): Promise<void> {
  const packed = (
    records instanceof PredictionRecords ? records : PredictionRecords.fromRows(records)
  ).packed();
  await registry.appendRows("prediction_log", PREDICTION_LOG_COLUMNS, packed, {
    skipDuplicatesOf: ["model", "transaction_id"],
  });
}

export async function countPredictions(registry: Registry, model: string): Promise<number> {
  return registry.read(async (db: Db) => {
    const r = await db
      .selectFrom("prediction_log")
      .select((eb) => eb.fn.countAll().as("n"))
      .where("model", "=", model)
      .executeTakeFirst();
    return Number(r?.n ?? 0);
  });
}

/** A logged prediction with the label in force for its transaction (null when unlabeled). */
export interface LabeledPrediction {
  variant: string;
  score: number;
  latency_ms: number;
  is_fraud: number | null;
}

/**
 * Predictions of a model since `since` (or of one experiment), each with its latest label. The
 * label in force is the one with the highest id per transaction (a relabel appends a row).
 */
export async function labeledPredictions(
  registry: Registry,
  where: { model: string; since?: string; experimentId?: string },
): Promise<LabeledPrediction[]> {
  return registry.read(async (db: Db) => {
    const latest = labelsInForce(db);
    let q = db
      .selectFrom("prediction_log as p")
      .leftJoin(latest, "latest.transaction_id", "p.transaction_id")
      .leftJoin("outcome_labels as l", "l.id", "latest.id")
      .select(["p.variant", "p.score", "p.latency_ms", "l.is_fraud"])
      .where("p.model", "=", where.model);
    if (where.since) q = q.where("p.ts", ">=", where.since);
    if (where.experimentId) q = q.where("p.experiment_id", "=", where.experimentId);
    const rows = await q.execute();
    return rows.map((r) => ({
      variant: r.variant,
      score: Number(r.score),
      latency_ms: Number(r.latency_ms),
      is_fraud: r.is_fraud === null ? null : Number(r.is_fraud),
    }));
  });
}

/** Feature columns and scores of a model's predictions since `since`, for windowed drift. */
export async function predictionsSince(
  registry: Registry,
  model: string,
  since: string,
  limit: number,
): Promise<PredictionLogRow[]> {
  return registry.read(async (db: Db) =>
    db
      .selectFrom("prediction_log")
      .selectAll()
      .where("model", "=", model)
      .where("ts", ">=", since)
      .orderBy("id", "desc")
      .limit(limit)
      .execute(),
  );
}
