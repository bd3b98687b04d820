/** Point-in-time features: one definition for batch (training) and online (serving). */
export { FEATURE_NAMES, FEATURE_SET_VERSION } from "./names.js";
export type { FeatureName } from "./names.js";
export { buildFeatures, priorTransactionCounts } from "./batch-features.js";
export type { FeatureMatrix } from "./batch-features.js";
export { OnlineFeatureState, recordTransaction, transactionFeatures } from "./online-feature-state.js";
export { CustomerHistory } from "./customer-history.js";
export { RecencyIndex } from "./recency-index.js";
export type { OnlineFeatureOptions } from "./online-feature-state.js";
export { SHORT_WINDOW, LONG_WINDOW } from "./compute-features.js";
