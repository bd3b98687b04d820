/**
 * The serving data plane (`lakay serve`): model server (champion/challenger, hot reload), router,
 * hybrid scorer, online features, persisted serving state and API tokens. No HTTP here: src/api
 * translates requests into these calls.
 */
export {
  FraudScoringService,
  type ScoreResponse,
  type FraudScoringServiceOptions,
} from "./scoring-service.js";
export type { ScoreRequest } from "./transaction-input.js";
export { ModelServer, ReloadFailedError, type ReloadReport, type ServedModels } from "./model-server.js";
export type { ServedModel } from "./served-model.js";
export {
  explainDecision,
  ServedExplainer,
  type Explanation,
  type ExplainedContribution,
  type DecisionFacts,
} from "./explanation.js";
export { ExplanationService, type ExplainedDecision } from "./explanation-service.js";
export {
  loadServingConfig,
  servingConfigSchema,
  scoringConfigSchema,
  scoringConfigDigest,
  HYBRID_STRATEGIES,
  RISK_TIERS,
  RECOMMENDATIONS,
  type ServingConfig,
  type ScoringConfig,
} from "./serving-config.js";
export { hybridVerdict, tierOf } from "./hybrid-scorer.js";
export { bucketOf, variantForBucket, BUCKETS, VARIANTS, type Variant } from "./variant-router.js";
export {
  createApiToken,
  listApiTokens,
  revokeApiToken,
  verifyApiToken,
  tokenDigest,
  TOKEN_ROLES,
  PERMISSIONS,
  type ApiToken,
  type Permission,
  type TokenRole,
} from "./api-tokens.js";
export { registryChangeCounter, readServingState, latestExperiment } from "./serving-store.js";
export { servedExperimentContext } from "./experiment-context.js";
export { ChangeListener, type ChangeListenerOptions, type OnRegistryChange } from "./change-listener.js";
export { SERVING_MIGRATIONS } from "./migrations/index.js";
export type { ServingDatabase } from "./serving-tables.js";
export {
  RedisFeatureStore,
  type RedisFeatureStoreOptions,
  type SharedAnswer,
} from "./redis-feature-store.js";
export { SharedFeatureScoring } from "./shared-feature-scoring.js";
export { ArrayHistogram, HistogramChild } from "./array-histogram.js";
