import type { Kysely } from "kysely";
import type { Logger } from "pino";
import {
  checkPromotionGate,
  gateJson,
  promoteToProduction,
  runBacktestOnData,
  type VersionLoader,
} from "../deploy/index.js";
import type { Registry } from "../registry/index.js";
import {
  autoPromotionDecision,
  type AutoPromotionConfig,
  type AutoPromotionDecision,
} from "./auto-promotion.js";
import { experimentReport } from "./experiment-analysis.js";
import { labeledBacktestData } from "./labeled-backtest-data.js";

/** The actor of everything auto-promotion records (audit, backtest, promotion). */
export const AUTO_PROMOTION_ACTOR = "auto_promotion";

export interface AutoPromotionCheck {
  model: string;
  experimentId: string;
  challengerVersion: number;
  config: AutoPromotionConfig;
  /** Flagged = score ≥ this (the A/B statistics' operating threshold). */
  threshold: number;
  logger: Logger;
  /** Default: the deployment loader (tests substitute one). */
  loader?: VersionLoader;
  now?: Date;
}

/** What a fired decision led to: the backtest on recent labels, the gate, and whether it promoted. */
export interface PromotionRequest {
  backtest: {
    id: number;
    passed: boolean;
    compared: boolean;
    rows: number;
    frauds: number;
    summary: string;
  } | null;
  /** Why no backtest was run or it failed to run (no labeled rows, a model that would not load). */
  backtest_error: string | null;
  /** The checklist as the request found it; null when it could not be read (see `error`). */
  gate: ReturnType<typeof gateJson> | null;
  promoted: boolean;
  error: string | null;
}

export interface AutoPromotionOutcome {
  decision: AutoPromotionDecision;
  /** True when this experiment's decision had already fired (another replica, the CLI, earlier). */
  already_decided?: boolean;
  /** Set when the decision fired here. */
  request?: PromotionRequest;
}

interface AuditRow {
  action: string;
  model: string | null;
  details: string;
}

/**
 * Auto-promotion for one experiment (seed §5.5), called whenever labels arrive (feedback route and
 * `lakay feedback import`). The always-valid test decides; when it fires, once per experiment across
 * every process:
 * 1. the decision and its statistics are audited (`monitoring.auto_promotion`, actor
 *    `auto_promotion`) in the same transaction that checks it was not recorded before;
 * 2. the challenger is backtested against Production on the recent labeled predictions (the
 *    deploy module's backtest: stored, audited, counted by the gate like any other);
 * 3. a promotion is requested through the ordinary gate: promoted only if validation, that backtest
 *    and every approval are there; otherwise the checklist of what is missing is audited
 *    (`monitoring.promotion_requested`) for the approvers. Approvals are never bypassed.
 * The caller sends the `auto_promotion` webhook with the outcome.
 */
export async function checkAutoPromotion(
  registry: Registry,
  args: AutoPromotionCheck,
): Promise<AutoPromotionOutcome> {
  const report = await experimentReport(
    registry,
    { model: args.model, experimentId: args.experimentId },
    args.threshold,
  );
  const counts = (v: "champion" | "challenger") => {
    const m = report[v][args.config.metric];
    return { successes: m.successes, trials: m.trials };
  };
  const decision = autoPromotionDecision(args.config, counts("champion"), counts("challenger"));
  if (!decision.promote) return { decision };

  const claimed = await registry.transaction(async (tx) => {
    const earlier = await (tx.db as Kysely<{ audit_log: AuditRow }>)
      .selectFrom("audit_log")
      .select("details")
      .where("action", "=", "monitoring.auto_promotion")
      .where("model", "=", args.model)
      .execute();
    if (
      earlier.some(
        (r) => (JSON.parse(r.details) as { experiment_id?: string }).experiment_id === args.experimentId,
      )
    )
      return false;
    await tx.appendAudit({
      actor: AUTO_PROMOTION_ACTOR,
      action: "monitoring.auto_promotion",
      model: args.model,
      version: args.challengerVersion,
      details: { experiment_id: args.experimentId, operating_threshold: args.threshold, decision },
    });
    return true;
  });
  if (!claimed) return { decision, already_decided: true };

  const request = await requestPromotion(registry, args);
  await registry.appendAudit({
    actor: AUTO_PROMOTION_ACTOR,
    action: "monitoring.promotion_requested",
    model: args.model,
    version: args.challengerVersion,
    details: { experiment_id: args.experimentId, ...request },
  });
  args.logger.warn(
    { version: args.challengerVersion, promoted: request.promoted, backtest: request.backtest?.id ?? null },
    request.promoted
      ? "auto-promotion: challenger promoted through the gate"
      : "auto-promotion fired: the promotion request awaits the gate (approvals)",
  );
  return { decision, request };
}

async function requestPromotion(registry: Registry, args: AutoPromotionCheck): Promise<PromotionRequest> {
  const now = args.now ?? new Date();
  let backtest: PromotionRequest["backtest"] = null;
  let backtestError: string | null = null;
  try {
    const since = new Date(now.getTime() - args.config.backtest_days * 86_400_000).toISOString();
    const data = await labeledBacktestData(registry, { model: args.model, since });
    if (data.rows === 0) backtestError = `no labeled predictions since ${since}`;
    else {
      const r = await runBacktestOnData(
        registry,
        {
          model: args.model,
          candidate: args.challengerVersion,
          actor: AUTO_PROMOTION_ACTOR,
          loader: args.loader,
        },
        data,
      );
      backtest = {
        id: r.id,
        passed: r.comparison.passed,
        compared: r.comparison.compared,
        rows: data.rows,
        frauds: data.frauds,
        summary: r.comparison.summary,
      };
    }
  } catch (err) {
    backtestError = (err as Error).message;
  }
  let gate: PromotionRequest["gate"] = null;
  let promoted = false;
  let error: string | null = null;
  try {
    const g = await checkPromotionGate(registry, {
      model: args.model,
      version: args.challengerVersion,
      promoter: AUTO_PROMOTION_ACTOR,
    });
    gate = gateJson(g);
    if (g.passed) {
      await promoteToProduction(registry, {
        model: args.model,
        version: args.challengerVersion,
        by: AUTO_PROMOTION_ACTOR,
        reason: `auto-promotion: experiment ${args.experimentId}`,
        loader: args.loader,
      });
      promoted = true;
    }
  } catch (err) {
    // The decision is already on record: what stopped the request is recorded beside it.
    error = (err as Error).message;
  }
  return { backtest, backtest_error: backtestError, gate, promoted, error };
}
