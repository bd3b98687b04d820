import type { Kysely } from "kysely";
import type { Registry } from "../../registry/index.js";
import { labelsInForce } from "./label-store.js";
import type { MonitoringDatabase } from "./monitoring-tables.js";

type Db = Kysely<MonitoringDatabase>;

/** Labeled legitimate transactions a version scored, and how many of them it flagged. */
export interface FalsePositiveCounts {
  negatives: number;
  falsePositives: number;
}

/**
 * The champion's false positives since `since`, counted in the database: its logged predictions
 * (`variant` champion, this `version`) whose label in force (the latest per transaction) says not
 * fraud, flagged when the model's own score (`ml_score`, what a backtest measures; null while ML was
 * off) reaches `threshold`.
 */
export async function championFalsePositives(
  registry: Registry,
  where: { model: string; version: number; since: string; threshold: number },
): Promise<FalsePositiveCounts> {
  return registry.read(async (db: Db) => {
    const latest = labelsInForce(db);
    const r = await db
      .selectFrom("prediction_log as p")
      .innerJoin(latest, "latest.transaction_id", "p.transaction_id")
      .innerJoin("outcome_labels as l", "l.id", "latest.id")
      .select((eb) => [
        eb.fn.countAll().as("negatives"),
        eb.fn
          .sum(eb.case().when("p.ml_score", ">=", where.threshold).then(1).else(0).end())
          .as("false_positives"),
      ])
      .where("p.model", "=", where.model)
      .where("p.model_version", "=", where.version)
      .where("p.variant", "=", "champion")
      .where("p.ts", ">=", where.since)
      .where("p.ml_score", "is not", null)
      .where("l.is_fraud", "=", 0)
      .executeTakeFirst();
    return { negatives: Number(r?.negatives ?? 0), falsePositives: Number(r?.false_positives ?? 0) };
  });
}

/** The newest label's id: it moves whenever labels arrive, from any process. */
export async function latestLabelId(registry: Registry): Promise<number> {
  return registry.read(async (db: Db) => {
    const r = await db
      .selectFrom("outcome_labels")
      .select((eb) => eb.fn.max("id").as("id"))
      .executeTakeFirst();
    return Number(r?.id ?? 0);
  });
}
