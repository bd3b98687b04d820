import type { Logger } from "pino";
import { promotionBaseline, type PromotionBaseline } from "../deploy/index.js";
import type { Registry } from "../registry/index.js";
import { wilsonInterval } from "../training/index.js";
import type { AlertBook } from "./alert-book.js";
import {
  championFalsePositives,
  latestLabelId,
  type FalsePositiveCounts,
} from "./store/false-positive-store.js";

/** What the FPR-increase check reads from `monitoring:` in serving.yaml. */
export interface FprIncreaseConfig {
  /** Allowed relative increase over the baseline (0.2 = 20 %). */
  fpr_increase: number;
  fpr_window_hours: number;
  fpr_min_negatives: number;
}

/** The champion's live false-positive rate against the backtest baseline of its promotion. */
export interface FprIncrease {
  status: "ok" | "increased" | "insufficient_data" | "no_baseline" | "no_champion";
  model_version: number | null;
  window_hours: number;
  /** Labeled legitimate transactions the champion scored in the window, and those it flagged. */
  negatives: number;
  false_positives: number;
  live_fpr: number | null;
  live_fpr_ci95: { lower: number; upper: number } | null;
  baseline: {
    backtest_id: number;
    source: PromotionBaseline["source"];
    fpr: number;
    threshold: number;
    backtest_at: string;
  } | null;
  /** baseline × (1 + fpr_increase): the live rate above it raises the alert. */
  bound: number | null;
  /** (live − baseline) / baseline; null without both, or with a zero baseline. */
  relative_increase: number | null;
  min_negatives: number;
}

/**
 * Judges the live rate (pure): `insufficient_data` below `fpr_min_negatives` labeled legitimate
 * transactions, `increased` when the rate exceeds baseline × (1 + fpr_increase), `ok` otherwise.
 * Flagged means the model's own score reached the backtest's threshold, so live and baseline are
 * the same measurement.
 */
export function fprIncreaseOf(
  version: number | null,
  baseline: PromotionBaseline | null,
  counts: FalsePositiveCounts,
  config: FprIncreaseConfig,
): FprIncrease {
  const live = counts.negatives ? counts.falsePositives / counts.negatives : null;
  const ci = wilsonInterval(counts.falsePositives, counts.negatives);
  const bound = baseline ? baseline.falsePositiveRate * (1 + config.fpr_increase) : null;
  const status: FprIncrease["status"] =
    version === null
      ? "no_champion"
      : !baseline
        ? "no_baseline"
        : counts.negatives < config.fpr_min_negatives || live === null
          ? "insufficient_data"
          : live > bound!
            ? "increased"
            : "ok";
  return {
    status,
    model_version: version,
    window_hours: config.fpr_window_hours,
    negatives: counts.negatives,
    false_positives: counts.falsePositives,
    live_fpr: live,
    live_fpr_ci95: ci ? { lower: ci[0], upper: ci[1] } : null,
    baseline: baseline
      ? {
          backtest_id: baseline.backtestId,
          source: baseline.source,
          fpr: baseline.falsePositiveRate,
          threshold: baseline.threshold,
          backtest_at: baseline.backtestAt,
        }
      : null,
    bound,
    relative_increase:
      baseline && live !== null && baseline.falsePositiveRate > 0
        ? (live - baseline.falsePositiveRate) / baseline.falsePositiveRate
        : null,
    min_negatives: config.fpr_min_negatives,
  };
}

/** Re-reads the rate when labels arrived or the champion changed, and at least this often. */
const RECHECK_MS = 5 * 60_000;

/**
 * The `fpr_increase` alert (seed §6.1: "false positive rate up > 20 % over the backtest baseline"):
 * a high alert while the champion's rate over the window is above the bound, resolved when it is
 * back under it (or the champion changes). Labels may come from any process (`lakay feedback
 * import` too), so the check follows the labels table rather than the feedback route.
 */
export class FprIncreaseWatch {
  private last: FprIncrease | null = null;
  private checkedAt = 0;
  private checkedLabelId = -1;
  private checkedVersion: number | null = null;
  private baseline: { version: number; value: PromotionBaseline | null } | null = null;

  constructor(
    private readonly registry: Registry,
    private readonly model: string,
    private readonly config: FprIncreaseConfig,
    private readonly alerts: AlertBook,
    private readonly logger: Logger,
  ) {}

  /** The last figures computed (null before the first check). */
  get current(): FprIncrease | null {
    return this.last;
  }

  /** Re-checks when something changed (or `force`), raising or resolving the alert. */
  async check(version: number | null, now = Date.now(), force = false): Promise<FprIncrease | null> {
    const labelId = await latestLabelId(this.registry);
    if (
      !force &&
      labelId === this.checkedLabelId &&
      version === this.checkedVersion &&
      now - this.checkedAt < RECHECK_MS
    )
      return this.last;
    this.checkedLabelId = labelId;
    this.checkedVersion = version;
    this.checkedAt = now;
    const result = await this.evaluate(version, now);
    this.last = result;
    if (result.status === "increased")
      await this.alerts.raise({
        kind: "fpr_increase",
        feature: "",
        severity: "high",
        value: result.live_fpr,
        threshold: result.bound,
        modelVersion: version,
        message: `false-positive rate ${pct(result.live_fpr)} over ${result.negatives} labeled legitimate transactions (${result.window_hours} h) is above ${pct(result.bound)}: the backtest baseline ${pct(result.baseline!.fpr)} (backtest ${result.baseline!.backtest_id}) + ${Math.round(100 * this.config.fpr_increase)} %`,
      });
    else if (
      result.status !== "insufficient_data" ||
      this.alerts.openAlerts().some((a) => a.kind === "fpr_increase" && a.modelVersion !== version)
    )
      await this.alerts.resolveExcept("fpr_increase");
    return result;
  }

  private async evaluate(version: number | null, now: number): Promise<FprIncrease> {
    if (version === null) return fprIncreaseOf(null, null, { negatives: 0, falsePositives: 0 }, this.config);
    if (this.baseline?.version !== version || this.baseline.value === null) {
      // A version without a baseline may get one later (a backtest recorded after the promotion).
      this.baseline = { version, value: await promotionBaseline(this.registry, this.model, version) };
      if (!this.baseline.value)
        this.logger.info({ version }, "no backtest baseline: false-positive rate not judged");
    }
    const baseline = this.baseline.value;
    const counts = baseline
      ? await championFalsePositives(this.registry, {
          model: this.model,
          version,
          since: new Date(now - this.config.fpr_window_hours * 3_600_000).toISOString(),
          threshold: baseline.threshold,
        })
      : { negatives: 0, falsePositives: 0 };
    return fprIncreaseOf(version, baseline, counts, this.config);
  }
}

function pct(x: number | null): string {
  return x === null ? "-" : `${(100 * x).toFixed(2)} %`;
}
