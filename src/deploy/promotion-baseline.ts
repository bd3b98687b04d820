import type { Registry } from "../registry/index.js";
import { listBacktests, listDeploymentRecords, type StoredBacktest } from "./store/deploy-store.js";

/**
 * What a Production version was expected to do when it was let in: the candidate-side metrics of
 * the backtest its promotion rested on. Monitoring compares live figures (the false-positive rate,
 * seed §6.1 "FPR up > 20 % over the backtest baseline") against it.
 */
export interface PromotionBaseline {
  model: string;
  version: number;
  backtestId: number;
  /** `promotion`: the backtest the promotion record names; `latest_backtest`: the version's newest. */
  source: "promotion" | "latest_backtest";
  /** The decision threshold the backtest measured at (0.5 when not stored: runBacktest's default). */
  threshold: number;
  falsePositiveRate: number;
  precision: number | null;
  recall: number | null;
  backtestAt: string;
}

/**
 * The baseline of `version`: the backtest named by its latest successful promotion (the gate's
 * counting backtest); for a first deployment, which needs none, the version's newest backtest if it
 * has one (its rows still carry the candidate's own metrics). Null when it was never backtested.
 */
export async function promotionBaseline(
  registry: Registry,
  model: string,
  version: number,
): Promise<PromotionBaseline | null> {
  return registry.read(async (db) => {
    const promotion = (await listDeploymentRecords(db, { model, successOnly: true })).find(
      (r) => r.action === "promote" && r.version === version,
    );
    const backtests = await listBacktests(db, model, version);
    const named = promotion?.details.backtest_id;
    const byPromotion = typeof named === "number" ? backtests.find((b) => b.id === named) : undefined;
    const chosen = byPromotion ?? backtests[0];
    if (!chosen) return null;
    const metric = (m: string) => metricOf(chosen, m);
    const fpr = metric("false_positive_rate");
    if (fpr === null) return null;
    return {
      model,
      version,
      backtestId: chosen.id,
      source: byPromotion ? "promotion" : "latest_backtest",
      threshold: chosen.threshold ?? 0.5,
      falsePositiveRate: fpr,
      precision: metric("precision"),
      recall: metric("recall"),
      backtestAt: chosen.timestamp,
    };
  });
}

function metricOf(b: StoredBacktest, metric: string): number | null {
  const v = b.rows.find((r) => r.metric === metric)?.candidate;
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}
