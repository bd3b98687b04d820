/**
 * The model's 11 features, in the order the model sees them. This order is part of the model
 * contract (features.json, XGBoost `feature_names`): append new features, never reorder.
 */
export const FEATURE_NAMES = [
  "amount",
  "amount_zscore",
  "hour_of_day",
  "day_of_week",
  "tx_type_encoded",
  "balance_delta_sender",
  "balance_delta_receiver",
  "velocity_count_1h",
  "velocity_count_24h",
  "velocity_amount_1h",
  "velocity_amount_24h",
] as const;

export type FeatureName = (typeof FEATURE_NAMES)[number];

/** Bumped whenever a feature definition changes; recorded with every trained model. */
export const FEATURE_SET_VERSION = "1";
