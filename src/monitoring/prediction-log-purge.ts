import type { Kysely } from "kysely";
import { BadInputError } from "../errors/index.js";
import type { Registry } from "../registry/index.js";
import { experimentReport, storeExperimentResults } from "./experiment-analysis.js";
import type { MonitoringDatabase } from "./store/monitoring-tables.js";

type Db = Kysely<MonitoringDatabase>;

/**
 * The database itself refuses to delete prediction-log rows younger than this (migration 0005's
 * trigger): a purge cannot reach further back than a year whatever the caller asks.
 */
export const PREDICTION_LOG_MIN_RETENTION_DAYS = 365;

export interface PredictionPurgeOptions {
  /** Rows older than this many days go (at least PREDICTION_LOG_MIN_RETENTION_DAYS). */
  olderThanDays: number;
  /** One model's rows, or every model's. */
  model?: string;
  dryRun?: boolean;
  actor: string;
  /** Experiments whose rows stay whatever their age (the running one: its results are not final). */
  keepExperiments?: readonly string[];
  /** The operating threshold for the aggregates stored before an experiment's rows go. */
  threshold: number;
  now?: Date;
}

export interface PredictionPurgeReport {
  dry_run: boolean;
  cutoff: string;
  older_than_days: number;
  model: string | null;
  /** Rows deleted (or, in a dry run, that would be). */
  rows: number;
  by_model: { model: string; rows: number }[];
  /** Ended experiments whose aggregates were stored in experiment_results before their rows went. */
  experiments_aggregated: string[];
  /** Running experiments whose old rows were kept. */
  experiments_kept: string[];
}

/**
 * The prediction log's retention purge (seed §7.3; `lakay monitor purge-predictions`). Per-experiment
 * aggregates are always kept: an ended experiment whose results were never stored (a crash before
 * the server recorded them) has them computed from its rows and stored in `experiment_results`
 * (kept 5 years) before any of its rows go; the rows of a running experiment stay. The deletion and
 * its audit entry (`monitoring.predictions_purged`) commit in one transaction. A dry run only counts.
 */
export async function purgePredictions(
  registry: Registry,
  opts: PredictionPurgeOptions,
): Promise<PredictionPurgeReport> {
  if (!(Number.isFinite(opts.olderThanDays) && opts.olderThanDays >= PREDICTION_LOG_MIN_RETENTION_DAYS))
    throw new BadInputError(
      `prediction-log rows are kept at least ${PREDICTION_LOG_MIN_RETENTION_DAYS} days (the database refuses younger deletes): got ${opts.olderThanDays} days`,
      { field: "older-than" },
    );
  const now = opts.now ?? new Date();
  const cutoff = new Date(now.getTime() - opts.olderThanDays * 86_400_000).toISOString();
  const keep = [...new Set(opts.keepExperiments ?? [])];

  const old = await registry.read(async (db: Db) => {
    let q = db
      .selectFrom("prediction_log")
      .select((eb) => ["model", "experiment_id", eb.fn.countAll().as("n")])
      .where("ts", "<", cutoff)
      .groupBy(["model", "experiment_id"]);
    if (opts.model !== undefined) q = q.where("model", "=", opts.model);
    const groups = await q.execute();
    const ids = [...new Set(groups.map((g) => g.experiment_id).filter((e): e is string => e !== null))];
    const stored = ids.length
      ? await db
          .selectFrom("experiment_results")
          .select("experiment_id")
          .where("experiment_id", "in", ids)
          .execute()
      : [];
    return { groups, stored: new Set(stored.map((s) => s.experiment_id)) };
  });

  const kept = new Set<string>();
  const toAggregate = new Map<string, string>(); // experiment → model
  const byModel = new Map<string, number>();
  for (const g of old.groups) {
    const e = g.experiment_id;
    if (e !== null && keep.includes(e)) {
      kept.add(e);
      continue;
    }
    if (e !== null && !old.stored.has(e)) toAggregate.set(e, g.model);
    byModel.set(g.model, (byModel.get(g.model) ?? 0) + Number(g.n));
  }
  const report: PredictionPurgeReport = {
    dry_run: !!opts.dryRun,
    cutoff,
    older_than_days: opts.olderThanDays,
    model: opts.model ?? null,
    rows: [...byModel.values()].reduce((a, b) => a + b, 0),
    by_model: [...byModel].map(([model, rows]) => ({ model, rows })),
    experiments_aggregated: [...toAggregate.keys()],
    experiments_kept: [...kept],
  };
  if (opts.dryRun) return report;

  for (const [experimentId, model] of toAggregate) {
    const results = await experimentReport(registry, { model, experimentId }, opts.threshold);
    await storeExperimentResults(registry, {
      experimentId,
      model,
      endedBy: opts.actor,
      reason: "retention purge: aggregates kept before the experiment's prediction rows were deleted",
      config: { operating_threshold: opts.threshold, stored_by: "retention purge" },
      results,
    });
  }
  report.rows = await registry.transaction(async (tx) => {
    const db = tx.db as Db;
    let q = db.deleteFrom("prediction_log").where("ts", "<", cutoff);
    if (opts.model !== undefined) q = q.where("model", "=", opts.model);
    if (keep.length)
      q = q.where((eb) => eb.or([eb("experiment_id", "is", null), eb("experiment_id", "not in", keep)]));
    const r = await q.executeTakeFirst();
    const rows = Number(r.numDeletedRows);
    await tx.appendAudit({
      actor: opts.actor,
      action: "monitoring.predictions_purged",
      model: opts.model ?? null,
      version: null,
      details: {
        cutoff,
        older_than_days: opts.olderThanDays,
        rows,
        by_model: report.by_model,
        experiments_aggregated: report.experiments_aggregated,
        experiments_kept: report.experiments_kept,
      },
    });
    return rows;
  });
  return report;
}

/** The models the prediction log holds rows of. */
export async function loggedModels(registry: Registry): Promise<string[]> {
  return registry.read(async (db: Db) =>
    (await db.selectFrom("prediction_log").select("model").distinct().execute()).map((r) => r.model),
  );
}
