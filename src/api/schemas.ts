import { TX_TYPES } from "../data/index.js";
import { FEATURE_NAMES } from "../features/index.js";
import { HYBRID_STRATEGIES, RECOMMENDATIONS, RISK_TIERS } from "../serving/index.js";

/**
 * JSON schemas of every request and response. Fastify validates bodies against them (unknown
 * fields and wrong types are 400s naming the field), serializes answers with them, and
 * @fastify/swagger builds /openapi.json from them: one definition, three uses.
 */
const money = { type: "number", minimum: -1e15, maximum: 1e15 } as const;
const name = { type: "string", minLength: 1, maxLength: 128 } as const;
const reason = { type: "string", minLength: 1, maxLength: 2000 } as const;

export const errorSchema = {
  $id: "Error",
  type: "object",
  properties: {
    error: {
      type: "object",
      properties: {
        code: { type: "string" },
        message: { type: "string" },
        field: { type: ["string", "null"] },
      },
      required: ["code", "message", "field"],
    },
  },
  required: ["error"],
  // A failed reload adds its report (`reload`) beside the error.
  additionalProperties: true,
} as const;

export const transactionSchema = {
  type: "object",
  description:
    "One transaction in PaySim's fields. Give `step` (PaySim hour) or `timestamp` (ISO-8601), not both.",
  additionalProperties: false,
  required: [
    "transaction_id",
    "type",
    "amount",
    "nameOrig",
    "oldbalanceOrg",
    "newbalanceOrig",
    "oldbalanceDest",
    "newbalanceDest",
  ],
  properties: {
    transaction_id: {
      ...name,
      description: "Idempotency key: a retry with the same id gets the same answer",
    },
    user_id: { ...name, description: "Routing key; defaults to nameOrig" },
    step: { type: "integer", minimum: 0, maximum: 100_000_000 },
    timestamp: { type: "string", minLength: 1, maxLength: 64 },
    type: { type: "string", enum: [...TX_TYPES] },
    amount: { type: "number", minimum: 0, maximum: 1e15 },
    nameOrig: name,
    oldbalanceOrg: money,
    newbalanceOrig: money,
    nameDest: { type: "string", maxLength: 128 },
    oldbalanceDest: money,
    newbalanceDest: money,
  },
  examples: [
    {
      transaction_id: "t-1",
      user_id: "C1305486145",
      step: 1,
      type: "TRANSFER",
      amount: 181.0,
      nameOrig: "C1305486145",
      oldbalanceOrg: 181.0,
      newbalanceOrig: 0.0,
      nameDest: "C553264065",
      oldbalanceDest: 0.0,
      newbalanceDest: 0.0,
    },
  ],
} as const;

const nullableNumber = { type: ["number", "null"] } as const;

/** `"explain": true` on one transaction: the answer carries `explanation`. */
export const scoreRequestSchema = {
  ...transactionSchema,
  properties: {
    ...transactionSchema.properties,
    explain: {
      type: "boolean",
      description:
        "Add `explanation` (top feature contributions, rules triggered, a summary sentence); default: serving.yaml explain.by_default",
    },
  },
  examples: [{ ...transactionSchema.examples[0], explain: true }],
} as const;

const firedRuleSchema = {
  type: "object",
  properties: {
    id: { type: "string" },
    category: { type: "string" },
    weight: { type: "number" },
    description: { type: "string" },
  },
} as const;

const modelRefSchema = {
  type: ["object", "null"],
  properties: { name: { type: "string" }, version: { type: "integer" } },
} as const;

export const explanationSchema = {
  type: "object",
  description:
    "Why the transaction got its score: the model's TreeSHAP contributions in log-odds (bias + every contribution = log(ml_score / (1 − ml_score))) and the rules that fired (docs/explain.md)",
  properties: {
    model: { ...modelRefSchema, description: "The version explained; null for a rules-only decision" },
    bias: { ...nullableNumber, description: "The model's expected margin before this transaction's values" },
    margin: { ...nullableNumber, description: "bias + every feature's contribution" },
    contributions: {
      type: "array",
      description: "The largest contributions, largest |contribution| first",
      items: {
        type: "object",
        properties: {
          feature: { type: "string" },
          value: { ...nullableNumber, description: "The transaction's value (null: missing)" },
          contribution: { type: "number", description: "Log-odds; > 0 toward fraud" },
          direction: { type: "string", enum: ["raises", "lowers"] },
        },
      },
    },
    other_contribution: {
      ...nullableNumber,
      description: "Sum of the contributions not listed (bias + listed + this = margin)",
    },
    rules_triggered: { type: "array", items: firedRuleSchema },
    summary: { type: "string", description: "One sentence for the investigator" },
  },
} as const;

export const scoreResponseSchema = {
  type: "object",
  properties: {
    transaction_id: { type: "string" },
    score: { type: "number" },
    risk_tier: { type: "string", enum: [...RISK_TIERS] },
    recommendation: { type: "string", enum: [...RECOMMENDATIONS] },
    ml_score: nullableNumber,
    rule_score: { type: "number" },
    rules_triggered: { type: "array", items: firedRuleSchema },
    variant: { type: "string", enum: ["champion", "challenger"] },
    model: modelRefSchema,
    mode: { type: "string", enum: ["hybrid", "rules_only"] },
    latency_ms: { type: "number" },
    features_degraded: {
      type: "boolean",
      description:
        "Only with a shared feature store (--feature-store): true when it was unreachable and the features came from this replica's own state",
    },
    features: {
      type: "object",
      description: "Only with ?features=true: the feature values the answer was computed from",
      properties: Object.fromEntries(FEATURE_NAMES.map((f) => [f, { type: "number" }])),
    },
    explanation: { ...explanationSchema, description: 'Only with "explain": true (or explain.by_default)' },
  },
} as const;

export const explainParamsSchema = {
  type: "object",
  required: ["transaction_id"],
  properties: { transaction_id: name },
} as const;

export const explainedDecisionSchema = {
  type: "object",
  properties: {
    transaction_id: { type: "string" },
    scored_at: { type: "string" },
    variant: { type: "string" },
    model: modelRefSchema,
    score: { type: "number" },
    risk_tier: { type: "string", enum: [...RISK_TIERS] },
    ml_score: nullableNumber,
    rule_score: { type: "number" },
    explanation: explanationSchema,
  },
} as const;

export const featuresQuerySchema = {
  type: "object",
  additionalProperties: false,
  properties: { features: { type: "string", enum: ["true", "false"] } },
} as const;

export function batchRequestSchema(maxTransactions: number) {
  return {
    type: "object",
    additionalProperties: false,
    required: ["transactions"],
    properties: {
      transactions: { type: "array", minItems: 1, maxItems: maxTransactions, items: transactionSchema },
      explain: { type: "boolean", description: "Explain every answer (default: explain.by_default)" },
    },
  } as const;
}

export const batchResponseSchema = {
  type: "object",
  properties: { results: { type: "array", items: scoreResponseSchema } },
} as const;

export const predictRequestSchema = {
  type: "object",
  additionalProperties: false,
  required: ["features"],
  properties: {
    features: {
      type: "object",
      description: "Feature values by name (the champion's features.json names)",
      additionalProperties: false,
      properties: Object.fromEntries(
        FEATURE_NAMES.map((f) => [f, { type: "number", minimum: -1e300, maximum: 1e300 }]),
      ),
    },
  },
} as const;

export const reloadRequestSchema = {
  type: "object",
  additionalProperties: false,
  properties: { reason },
} as const;

export const predictResponseSchema = {
  type: "object",
  properties: {
    score: { type: "number" },
    model: { type: "object", properties: { name: { type: "string" }, version: { type: "integer" } } },
  },
} as const;

export const routingRequestSchema = {
  type: "object",
  additionalProperties: false,
  required: ["champion_pct", "challenger_pct"],
  properties: {
    champion_pct: { type: "number", minimum: 0, maximum: 100 },
    challenger_pct: { type: "number", minimum: 0, maximum: 100 },
    shadow: { type: "boolean", description: "Challenger scores every transaction off the response path" },
    reason: reason,
  },
  examples: [{ champion_pct: 90.0, challenger_pct: 10.0, reason: "canary for version 3" }],
} as const;

export const mlSwitchRequestSchema = {
  type: "object",
  additionalProperties: false,
  required: ["enabled", "reason"],
  properties: { enabled: { type: "boolean" }, reason },
  examples: [{ enabled: false, reason: "version 3 scores NaN; rollback failed" }],
} as const;

const unit = { type: "number", minimum: 0, maximum: 1 } as const;
const recommendation = { type: "string", enum: [...RECOMMENDATIONS] } as const;

export const configChangeRequestSchema = {
  type: "object",
  additionalProperties: false,
  required: ["reason"],
  properties: {
    hybrid: {
      type: "object",
      additionalProperties: false,
      properties: {
        strategy: { type: "string", enum: [...HYBRID_STRATEGIES] },
        rule_weight: unit,
        ml_weight: unit,
      },
    },
    risk_tiers: {
      type: "object",
      additionalProperties: false,
      properties: { medium: unit, high: unit, critical: unit },
    },
    recommendations: {
      type: "object",
      additionalProperties: false,
      properties: {
        low: recommendation,
        medium: recommendation,
        high: recommendation,
        critical: recommendation,
      },
    },
    reason,
  },
  examples: [{ risk_tiers: { critical: 0.85 }, reason: "fewer blocks after Q3 review" }],
} as const;

const label = {
  type: "object",
  additionalProperties: false,
  required: ["transaction_id", "is_fraud"],
  properties: {
    transaction_id: name,
    is_fraud: { type: "boolean" },
    source: { type: "string", minLength: 1, maxLength: 128 },
    labeled_at: { type: "string", minLength: 1, maxLength: 64 },
  },
} as const;

/** One label, or `{labels: [...]}` (at most 10,000). */
export const feedbackRequestSchema = {
  oneOf: [
    label,
    {
      type: "object",
      additionalProperties: false,
      required: ["labels"],
      properties: { labels: { type: "array", minItems: 1, maxItems: 10_000, items: label } },
    },
  ],
  examples: [
    { transaction_id: "t-1", is_fraud: true, source: "investigation", labeled_at: "2026-03-01T10:00:00Z" },
  ],
} as const;

export const monitoringQuerySchema = {
  type: "object",
  additionalProperties: false,
  properties: { window: { type: "string", enum: ["1h", "24h", "7d"] } },
} as const;
