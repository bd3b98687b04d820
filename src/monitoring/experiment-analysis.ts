import type { Kysely } from "kysely";
import type { Registry } from "../registry/index.js";
import { abReport, addPrediction, emptyAggregate, type AbReport } from "./ab-statistics.js";
import type { MonitoringDatabase } from "./store/monitoring-tables.js";
import { labeledPredictions } from "./store/prediction-log-store.js";

type Db = Kysely<MonitoringDatabase>;

/** The A/B report of one experiment (or of all traffic since `since`) from the prediction log and labels. */
export async function experimentReport(
  registry: Registry,
  where: { model: string; experimentId?: string; since?: string },
  threshold: number,
): Promise<AbReport> {
  const rows = await labeledPredictions(registry, where);
  const agg = { champion: emptyAggregate(), challenger: emptyAggregate() };
  const lat: Record<string, number[]> = { champion: [], challenger: [] };
  for (const r of rows) {
    const v = r.variant === "challenger" ? "challenger" : "champion";
    addPrediction(agg[v], r.score, threshold, r.is_fraud === null ? null : r.is_fraud === 1);
    lat[v].push(r.latency_ms);
  }
  for (const v of ["champion", "challenger"] as const) {
    const xs = lat[v].sort((a, b) => a - b);
    agg[v].p95LatencyMs = xs.length ? xs[Math.min(xs.length - 1, Math.ceil(0.95 * xs.length) - 1)] : null;
  }
  return abReport(agg.champion, agg.challenger, threshold);
}

/**
 * Stores an ended experiment's configuration and results (seed §7.3: A/B configurations and results
 * kept 5 years). Once per experiment: a second call (another replica, a restart) changes nothing.
 */
export async function storeExperimentResults(
  registry: Registry,
  r: {
    experimentId: string;
    model: string;
    endedBy: string;
    reason: string | null;
    config: unknown;
    results: unknown;
  },
): Promise<boolean> {
  return registry.transaction(async (tx) => {
    const db = tx.db as Db;
    const seen = await db
      .selectFrom("experiment_results")
      .select("experiment_id")
      .where("experiment_id", "=", r.experimentId)
      .executeTakeFirst();
    if (seen) return false;
    await db
      .insertInto("experiment_results")
      .values({
        experiment_id: r.experimentId,
        ts: new Date().toISOString(),
        model: r.model,
        ended_by: r.endedBy,
        reason: r.reason,
        config: JSON.stringify(r.config),
        results: JSON.stringify(r.results),
      })
      .execute();
    await tx.appendAudit({
      actor: r.endedBy,
      action: "monitoring.experiment_results",
      model: r.model,
      version: null,
      details: { experiment_id: r.experimentId, reason: r.reason },
    });
    return true;
  });
}

export async function experimentResults(registry: Registry, model: string) {
  const rows = await registry.read(async (db: Db) =>
    db
      .selectFrom("experiment_results")
      .selectAll()
      .where("model", "=", model)
      .orderBy("ts", "desc")
      .execute(),
  );
  return rows.map((r) => ({
    ...r,
    config: JSON.parse(r.config) as unknown,
    results: JSON.parse(r.results) as unknown,
  }));
}
