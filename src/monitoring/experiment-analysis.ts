import type { Kysely } from "kysely";
import type { Logger } from "pino";
import { checkPromotionGate, gateJson, promoteToProduction } from "../deploy/index.js";
import type { Registry } from "../registry/index.js";
import { abReport, addPrediction, emptyAggregate, type AbReport } from "./ab-statistics.js";
import {
  autoPromotionDecision,
  metricCounts,
  type AutoPromotionConfig,
  type AutoPromotionDecision,
} from "./auto-promotion.js";
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

export interface AutoPromotionOutcome {
  decision: AutoPromotionDecision;
  /** Set when the decision fired: the gate's checklist and whether the promotion went through. */
  request?: { gate: unknown; promoted: boolean; error: string | null };
}

/**
 * Checks auto-promotion for an experiment (seed §5.5). When the always-valid test fires, the decision
 * and its statistics are audited (`monitoring.auto_promotion`), and a promotion is requested through
 * the ordinary gate as actor `auto-promotion`: it goes through only if validation, backtest and
 * approvals are all there; otherwise the gate's missing items are recorded for the approvers.
 */
export async function checkAutoPromotion(
  registry: Registry,
  args: {
    model: string;
    experimentId: string;
    challengerVersion: number;
    config: AutoPromotionConfig;
    threshold: number;
    logger: Logger;
  },
): Promise<AutoPromotionOutcome> {
  const report = await experimentReport(
    registry,
    { model: args.model, experimentId: args.experimentId },
    args.threshold,
  );
  const counts = (v: "champion" | "challenger") => {
    const r = report[v];
    const tp = r.precision.successes;
    const fp = r.precision.trials - tp;
    const fn = r.recall.trials - tp;
    const tn = r.false_positive_rate.trials - fp;
    return metricCounts(args.config.metric, { tp, fp, fn, tn });
  };
  const decision = autoPromotionDecision(args.config, counts("champion"), counts("challenger"));
  if (!decision.promote) return { decision };
  const gate = await checkPromotionGate(registry, {
    model: args.model,
    version: args.challengerVersion,
    promoter: "auto-promotion",
  });
  let promoted = false;
  let error: string | null = null;
  if (gate.passed) {
    try {
      await promoteToProduction(registry, {
        model: args.model,
        version: args.challengerVersion,
        by: "auto-promotion",
        reason: `auto-promotion: experiment ${args.experimentId}`,
      });
      promoted = true;
    } catch (err) {
      error = (err as Error).message;
    }
  }
  await registry.appendAudit({
    actor: "auto-promotion",
    action: "monitoring.auto_promotion",
    model: args.model,
    version: args.challengerVersion,
    details: { experiment_id: args.experimentId, decision, gate: gateJson(gate), promoted, error },
  });
  args.logger.warn(
    { version: args.challengerVersion, promoted },
    promoted
      ? "auto-promotion: challenger promoted"
      : "auto-promotion fired: promotion awaits the gate (approvals)",
  );
  return { decision, request: { gate: gateJson(gate), promoted, error } };
}
