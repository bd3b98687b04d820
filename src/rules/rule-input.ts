import { FEATURE_NAMES, type FeatureName } from "../features/names.js";

// The type codes are the data layer's (`tx_type_encoded` is that code); rules read them by name.
export { TX_TYPE_CODE, txTypeCode } from "../data/index.js";

/** Column index of each feature in a feature vector (FEATURE_NAMES order). */
export const FEATURE_INDEX = Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, i])) as Record<
  FeatureName,
  number
>;

/**
 * The transaction fields rules read that are not features. A deliberately small type of our own, so
 * serving can build it from a request and training from the columnar data layer.
 */
export interface RuleTransaction {
  /** PaySim type; `CASH-IN`/`CASH-OUT` spellings are accepted. */
  type: string;
  amount: number;
  step?: number;
  oldBalanceOrig: number;
  newBalanceOrig: number;
  oldBalanceDest: number;
  newBalanceDest: number;
}

/**
 * Many transactions as columns (one typed array per field, row `i` in each). This is what the rules
 * read in both forms: a single transaction is evaluated as a one-row batch, so there is exactly one
 * definition of every rule. `features[j]` is the column of `FEATURE_NAMES[j]`.
 */
export interface RuleBatch {
  rows: number;
  /** `TX_TYPE_CODE` values (the `tx_type_encoded` feature is the same thing). */
  typeCode: ArrayLike<number>;
  amount: ArrayLike<number>;
  oldBalanceOrig: ArrayLike<number>;
  newBalanceOrig: ArrayLike<number>;
  oldBalanceDest: ArrayLike<number>;
  newBalanceDest: ArrayLike<number>;
  features: ArrayLike<number>[];
}
