import type { Kysely } from "kysely";
import { FEATURE_NAMES } from "../../features/index.js";
import type { Registry } from "../../registry/index.js";
import { labelsInForce } from "./label-store.js";
import type { MonitoringDatabase, PredictionLogRow } from "./monitoring-tables.js";

type Db = Kysely<MonitoringDatabase>;

/** Every column of a prediction_log row as written (the id is the database's). */
const PREDICTION_LOG_COLUMNS = [
  "ts",
  "model",
  "transaction_id",
  "user_id",
  "variant",
  "model_version",
  "experiment_id",
  ...FEATURE_NAMES,
  "ml_score",
  "rule_score",
  "score",
  "risk_tier",
  "latency_ms",
  "rules_triggered",
] as const satisfies readonly (keyof PredictionLogRow)[];

// A column added to PredictionLogRow but not to the list above fails to compile here.
type Unlisted = Exclude<keyof PredictionLogRow, (typeof PREDICTION_LOG_COLUMNS)[number]>;
const allListed: [Unlisted] extends [never] ? true : Unlisted = true;
void allListed;

/**
 * Writes a batch of prediction records. A row already there (same model and transaction id: a
 * replayed spill, or a retry scored again after a restart) is skipped, so a replay never doubles a
 * row. Outside the registry's write lock: the log changes no registry state and has no audit entry.
 */
export async function insertPredictions(
  registry: Registry,
  rows: readonly PredictionLogRow[],
): Promise<void> {
  // A record spilled before schema step 7 has no rules_triggered; SQLite's named parameters need it.
  const complete = rows.some((r) => r.rules_triggered === undefined)
    ? rows.map((r) => (r.rules_triggered === undefined ? { ...r, rules_triggered: null } : r))
    : rows;
  await registry.appendRows("prediction_log", PREDICTION_LOG_COLUMNS, complete, {
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
