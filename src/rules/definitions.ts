import type { RuleCategory, RuleId, RulesConfig } from "./config.js";
import { FEATURE_INDEX as F, TX_TYPE_CODE as T, type RuleBatch } from "./rule-input.js";

/** One rule: what it means, where it counts, and the single predicate both forms of the engine call. */
export interface RuleDefinition {
  id: RuleId;
  category: RuleCategory;
  /** One sentence an investigator reads next to an alert. */
  description: string;
  /** Does the rule fire for row `i` of `b`? Must not allocate: it runs over millions of rows. */
  fires(b: RuleBatch, i: number, cfg: RulesConfig["rules"]): boolean;
}

const isOutflow = (code: number) =>
  code === T.CASH_OUT || code === T.TRANSFER || code === T.PAYMENT || code === T.DEBIT;
const isCashLike = (code: number) => code === T.CASH_IN || code === T.CASH_OUT || code === T.TRANSFER;

/**
 * Every rule the engine knows, in reporting order. The bit a rule sets in the batch form's fired mask
 * is its index here, so append new rules; never reorder.
 */
export const RULE_DEFINITIONS: readonly RuleDefinition[] = [
  {
    id: "large_amount",
    category: "amount",
    description: "Amount at or above the large-transaction threshold",
    fires: (b, i, c) => b.amount[i] >= c.large_amount.threshold,
  },
  {
    id: "very_large_amount",
    category: "amount",
    description: "Amount at or above the very-large-transaction threshold",
    fires: (b, i, c) => b.amount[i] >= c.very_large_amount.threshold,
  },
  {
    id: "account_drained",
    category: "behaviour",
    description: "An outgoing transaction empties (almost all of) the sender's balance",
    fires: (b, i, c) => {
      const before = b.oldBalanceOrig[i];
      return (
        isOutflow(b.typeCode[i]) &&
        before >= c.account_drained.min_balance &&
        before > 0 &&
        b.newBalanceOrig[i] <= before * (1 - c.account_drained.drained_fraction)
      );
    },
  },
  {
    id: "dest_balance_unchanged",
    category: "behaviour",
    description: "Money sent to a non-merchant account whose balance shows nothing arriving",
    fires: (b, i) =>
      (b.typeCode[i] === T.TRANSFER || b.typeCode[i] === T.CASH_OUT) &&
      b.amount[i] > 0 &&
      b.oldBalanceDest[i] === 0 &&
      b.newBalanceDest[i] === 0,
  },
  {
    id: "velocity_count_1h",
    category: "velocity",
    description: "More transactions by this customer in the last hour than the limit",
    fires: (b, i, c) => b.features[F.velocity_count_1h][i] >= c.velocity_count_1h.max_count,
  },
  {
    id: "velocity_count_24h",
    category: "velocity",
    description: "More transactions by this customer in the last 24 hours than the limit",
    fires: (b, i, c) => b.features[F.velocity_count_24h][i] >= c.velocity_count_24h.max_count,
  },
  {
    id: "velocity_amount_24h",
    category: "velocity",
    description: "The customer's 24-hour total including this transaction exceeds the limit",
    fires: (b, i, c) =>
      b.features[F.velocity_amount_24h][i] + b.amount[i] >= c.velocity_amount_24h.max_amount,
  },
  {
    id: "amount_far_above_history",
    category: "behaviour",
    description: "Amount far above this customer's own history (z-score)",
    fires: (b, i, c) => b.features[F.amount_zscore][i] >= c.amount_far_above_history.min_zscore,
  },
  {
    id: "night_transfer",
    category: "behaviour",
    description: "Transfer or cash-out at night",
    fires: (b, i, c) => {
      const code = b.typeCode[i];
      const h = b.features[F.hour_of_day][i];
      return (
        (code === T.TRANSFER || code === T.CASH_OUT) &&
        h >= c.night_transfer.start_hour &&
        h < c.night_transfer.end_hour
      );
    },
  },
  {
    id: "structuring_just_under_ctr",
    category: "compliance",
    description: "Cash-like amount just under the currency-transaction-report threshold",
    fires: (b, i, c) => {
      const r = c.structuring_just_under_ctr;
      const a = b.amount[i];
      return isCashLike(b.typeCode[i]) && a < r.ctr_threshold && a >= r.ctr_threshold * (1 - r.margin);
    },
  },
  {
    id: "structuring_split_over_day",
    category: "compliance",
    description:
      "Cash-like amounts each under the reporting threshold that together cross it within 24 hours",
    fires: (b, i, c) => {
      const ctr = c.structuring_split_over_day.ctr_threshold;
      const a = b.amount[i];
      return (
        isCashLike(b.typeCode[i]) &&
        a < ctr &&
        b.features[F.velocity_count_24h][i] >= 1 &&
        b.features[F.velocity_amount_24h][i] < ctr &&
        b.features[F.velocity_amount_24h][i] + a >= ctr
      );
    },
  },
];
