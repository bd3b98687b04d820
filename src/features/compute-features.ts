import type { CustomerHistory } from "./customer-history.js";

/** Velocity windows in steps (1 step = 1 hour). */
export const SHORT_WINDOW = 1;
export const LONG_WINDOW = 24;

/** Positions in FEATURE_NAMES of the features that need the customer's history. */
export const HISTORY_FEATURES = [1, 7, 8, 9, 10] as const;

/**
 * The 6 features that depend only on the row itself, written into `out` at their FEATURE_NAMES
 * positions (0, 2, 3, 4, 5, 6). Shared by batch and online building; docs/features.md states them.
 */
export function rowFeatures(
  step: number,
  typeCode: number,
  amount: number,
  oldbalanceOrg: number,
  newbalanceOrig: number,
  oldbalanceDest: number,
  newbalanceDest: number,
  out: Float64Array,
): void {
  out[0] = amount;
  out[2] = step % 24;
  out[3] = Math.floor(step / 24) % 7;
  out[4] = typeCode;
  out[5] = oldbalanceOrg - newbalanceOrig;
  out[6] = newbalanceDest - oldbalanceDest;
}

/**
 * The 5 features that depend on the customer's history before this row, written into `out`
 * at their FEATURE_NAMES positions (1, 7, 8, 9, 10). Shared by batch and online building.
 */
export function historyFeatures(
  history: CustomerHistory,
  step: number,
  amount: number,
  out: Float64Array,
): void {
  out[1] = history.amountZscore(amount);
  out[7] = history.velocityCount(step, SHORT_WINDOW);
  out[8] = history.velocityCount(step, LONG_WINDOW);
  out[9] = history.velocityAmount(step, SHORT_WINDOW);
  out[10] = history.velocityAmount(step, LONG_WINDOW);
}
