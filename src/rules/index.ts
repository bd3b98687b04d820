/**
 * The rules engine: fraud rules computable from a PaySim transaction and its features, weighted and
 * capped per category into a composite score. Shared by training (ML vs rules) and serving (hybrid).
 */
export { RulesEngine, type FiredRule, type RulesResult } from "./rules-engine.js";
export { RULE_DEFINITIONS, type RuleDefinition } from "./definitions.js";
export {
  DEFAULT_RULES_CONFIG,
  RULE_CATEGORIES,
  parseRulesConfig,
  rulesConfigSchema,
  type RuleCategory,
  type RuleId,
  type RulesConfig,
} from "./config.js";
export {
  TX_TYPE_CODE,
  FEATURE_INDEX,
  txTypeCode,
  type RuleBatch,
  type RuleTransaction,
} from "./rule-input.js";
