import type { Kysely } from "kysely";
import type { Registry } from "../../registry/index.js";
import type { MonitoringDatabase } from "./monitoring-tables.js";

type Db = Kysely<MonitoringDatabase>;

/** One investigation outcome (seed §5.3: "requires investigation outcome data"). */
export interface OutcomeLabel {
  transactionId: string;
  isFraud: boolean;
  source: string;
  labeledAt: string | null;
}

export interface LabelImportReport {
  received: number;
  /** Labels whose transaction is in the prediction log. */
  known: number;
  /** Labels for ids the log does not hold: kept, and counted here. */
  unknown: number;
  /** Labels that replaced an earlier label of the same transaction (the earlier stays in history). */
  relabeled: number;
  unknown_ids_sample: string[];
}

const CHUNK = 500;

/** Stores labels in one transaction with one audit entry; nothing is dropped. */
export async function recordLabels(
  registry: Registry,
  labels: readonly OutcomeLabel[],
  actor: string,
  model: string | null,
): Promise<LabelImportReport> {
  const ids = [...new Set(labels.map((l) => l.transactionId))];
  return registry.transaction(async (tx) => {
    const db = tx.db as Db;
    const known = new Set<string>();
    const labeled = new Set<string>();
    for (let i = 0; i < ids.length; i += CHUNK) {
      const chunk = ids.slice(i, i + CHUNK);
      for (const r of await db
        .selectFrom("prediction_log")
        .select("transaction_id")
        .where("transaction_id", "in", chunk)
        .execute())
        known.add(r.transaction_id);
      for (const r of await db
        .selectFrom("outcome_labels")
        .select("transaction_id")
        .where("transaction_id", "in", chunk)
        .execute())
        labeled.add(r.transaction_id);
    }
    const ts = new Date().toISOString();
    const rows = labels.map((l) => ({
      ts,
      transaction_id: l.transactionId,
      is_fraud: l.isFraud ? 1 : 0,
      source: l.source,
      labeled_at: l.labeledAt,
      actor,
    }));
    for (let i = 0; i < rows.length; i += CHUNK)
      await db
        .insertInto("outcome_labels")
        .values(rows.slice(i, i + CHUNK))
        .execute();
    let relabeled = 0;
    const seen = new Set<string>();
    for (const l of labels) {
      if (labeled.has(l.transactionId) || seen.has(l.transactionId)) relabeled++;
      seen.add(l.transactionId);
    }
    const unknownIds = labels.filter((l) => !known.has(l.transactionId)).map((l) => l.transactionId);
    const report: LabelImportReport = {
      received: labels.length,
      known: labels.length - unknownIds.length,
      unknown: unknownIds.length,
      relabeled,
      unknown_ids_sample: unknownIds.slice(0, 10),
    };
    await tx.appendAudit({
      actor,
      action: "monitoring.labels_recorded",
      model,
      version: null,
      details: { ...report, sources: [...new Set(labels.map((l) => l.source))] },
    });
    return report;
  });
}

/** Totals of stored labels: all rows, distinct transactions, and those the log does not know. */
export async function labelTotals(
  registry: Registry,
): Promise<{ rows: number; transactions: number; unknown_transactions: number }> {
  return registry.read(async (db: Db) => {
    const all = await db
      .selectFrom("outcome_labels")
      .select((eb) => [eb.fn.countAll().as("rows"), eb.fn.count("transaction_id").distinct().as("tx")])
      .executeTakeFirst();
    const unknown = await db
      .selectFrom("outcome_labels as l")
      .leftJoin("prediction_log as p", "p.transaction_id", "l.transaction_id")
      .select((eb) => eb.fn.count("l.transaction_id").distinct().as("n"))
      .where("p.id", "is", null)
      .executeTakeFirst();
    return {
      rows: Number(all?.rows ?? 0),
      transactions: Number(all?.tx ?? 0),
      unknown_transactions: Number(unknown?.n ?? 0),
    };
  });
}

/** A transaction's labels, oldest first (the relabel history). */
export async function labelHistory(registry: Registry, transactionId: string) {
  return registry.read(async (db: Db) =>
    db
      .selectFrom("outcome_labels")
      .selectAll()
      .where("transaction_id", "=", transactionId)
      .orderBy("id")
      .execute(),
  );
}

/**
 * The label in force per transaction: the highest id (a relabel appends a row, the earlier one
 * stays as history). Join `latest.transaction_id` to the log, then `outcome_labels` on `latest.id`.
 */
export function labelsInForce(db: Db) {
  return db
    .selectFrom("outcome_labels")
    .select((eb) => ["transaction_id", eb.fn.max("id").as("id")])
    .groupBy("transaction_id")
    .as("latest");
}
