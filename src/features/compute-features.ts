import type { CustomerHistory } from "./customer-history.js";

/** Velocity windows in steps (1 step = 1 hour). */
export const SHORT_WINDOW = 1;
export const LONG_WINDOW = 24;

/**
 * The 11 features of one transaction, written into `out` in FEATURE_NAMES order, given the
 * customer's history before it. The single definition that batch and online building share;
 * docs/features.md states each one in words.
 */
export function computeFeatures(
  history: CustomerHistory,
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
  out[1] = history.amountZscore(amount);
  out[2] = step % 24;
  out[3] = Math.floor(step / 24) % 7;
  out[4] = typeCode;
  out[5] = oldbalanceOrg - newbalanceOrig;
  out[6] = newbalanceDest - oldbalanceDest;
  out[7] = history.velocityCount(step, SHORT_WINDOW);
  out[8] = history.velocityCount(step, LONG_WINDOW);
  out[9] = history.velocityAmount(step, SHORT_WINDOW);
  out[10] = history.velocityAmount(step, LONG_WINDOW);
}
