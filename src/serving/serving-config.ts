import { createHash } from "node:crypto";
import { z } from "zod";
import { checkFeatureStoreUri, loadYamlConfig, parseWithSchema } from "../config/index.js";
import { canonicalJson } from "../registry/index.js";
import { monitoringConfigSchema } from "../monitoring/index.js";
import { rulesConfigSchema } from "../rules/index.js";

/** How the rule score and the ML score combine into the one score a transaction gets. */
export const HYBRID_STRATEGIES = ["weighted_average", "max", "ml_only", "rules_only"] as const;
export type HybridStrategy = (typeof HYBRID_STRATEGIES)[number];

/** Risk tiers, lowest first; a score falls in the highest tier whose threshold it reaches. */
export const RISK_TIERS = ["low", "medium", "high", "critical"] as const;
export type RiskTier = (typeof RISK_TIERS)[number];

/** What the platform should do with a transaction of each tier. */
export const RECOMMENDATIONS = ["allow", "review", "hold", "block"] as const;
export type Recommendation = (typeof RECOMMENDATIONS)[number];

const unit = z.number().min(0).max(1);

/**
 * The part of the serving configuration that decides a transaction's fate: hybrid weights
 * (a `hybrid_weight_change`) and tier thresholds with their recommendations (a
 * `scoring_threshold_change`). Changing it at run time needs approvals; see `PUT /config`.
 */
export const scoringConfigSchema = z
  .object({
    hybrid: z
      .object({
        strategy: z.enum(HYBRID_STRATEGIES).default("weighted_average"),
        rule_weight: unit.default(0.6),
        ml_weight: unit.default(0.4),
      })
      .strict()
      .prefault({})
      .refine((h) => Math.abs(h.rule_weight + h.ml_weight - 1) < 1e-9, {
        message: "rule_weight + ml_weight must be 1",
        path: ["ml_weight"],
      }),
    risk_tiers: z
      .object({ medium: unit.default(0.3), high: unit.default(0.6), critical: unit.default(0.8) })
      .strict()
      .prefault({})
      .refine((t) => t.medium < t.high && t.high < t.critical, {
        message: "thresholds must rise: medium < high < critical",
        path: ["high"],
      }),
    recommendations: z
      .object({
        low: z.enum(RECOMMENDATIONS).default("allow"),
        medium: z.enum(RECOMMENDATIONS).default("review"),
        high: z.enum(RECOMMENDATIONS).default("hold"),
        critical: z.enum(RECOMMENDATIONS).default("block"),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type ScoringConfig = z.infer<typeof scoringConfigSchema>;

/** `serving.yaml`: every key optional, unknown keys are errors. Defaults live here and nowhere else. */
export const servingConfigSchema = z
  .object({
    /** The registered model to serve. */
    model: z.string().min(1).default("fraud-detector"),
    scoring: scoringConfigSchema.prefault({}),
    /** ML scoring on at first start; afterwards the persisted switch (`POST /ml`) wins. */
    ml_enabled: z.boolean().default(true),
    features: z
      .object({
        /** Customers whose history is kept in memory (least recently seen forgotten first). */
        max_customers: z.number().int().min(1).default(1_000_000),
        /** `timestamp` requests are mapped to PaySim steps (hours) counted from this instant. */
        timestamp_epoch: z.iso.datetime({ offset: true }).default("1970-01-01T00:00:00Z"),
      })
      .strict()
      .prefault({}),
    idempotency: z
      .object({
        /**
         * Answers remembered by transaction_id (least recent forgotten first): about 0.4 KB each,
         * so the default holds ~75 MB; a retry older than that many transactions is scored anew.
         */
        max_entries: z.number().int().min(1).default(200_000),
      })
      .strict()
      .prefault({}),
    /**
     * Online feature state and idempotency answers shared by every replica (docs/scaling.md).
     * `url` null: in-process, per replica. `--feature-store` and LAKAY_FEATURE_STORE override it.
     */
    feature_store: z
      .object({
        url: z
          .string()
          .nullable()
          .default(null)
          .superRefine((v, ctx) => {
            try {
              if (v !== null) checkFeatureStoreUri(v);
            } catch (err) {
              ctx.addIssue({ code: "custom", message: (err as Error).message });
            }
          }),
        /** A customer idle this long is forgotten (their next transaction is scored as a first one). */
        customer_ttl_seconds: z
          .number()
          .int()
          .min(60)
          .default(30 * 86_400),
        /** How long a transaction id's answer is kept for retries, fleet-wide. */
        answer_ttl_seconds: z.number().int().min(60).default(86_400),
        /** A Redis command slower than this counts as Redis unreachable (degraded scoring). */
        timeout_ms: z.number().int().min(10).default(250),
        /** Prefix of every key, so several deployments can share one Redis. */
        key_prefix: z.string().min(1).default("lakay:"),
      })
      .strict()
      .prefault({}),
    batch: z
      .object({ max_transactions: z.number().int().min(1).max(100_000).default(1000) })
      .strict()
      .prefault({}),
    reload: z
      .object({
        /** Seconds between polls of the registry's change counter; 0 turns polling off. */
        poll_seconds: z.number().min(0).default(2),
      })
      .strict()
      .prefault({}),
    /** The latency SLA monitoring reports against (seed: p95 200 ms, p99 500 ms). */
    latency_sla_ms: z
      .object({ p95: z.number().positive().default(200), p99: z.number().positive().default(500) })
      .strict()
      .prefault({}),
    /** Explanations in score answers and `GET /fraud/explain/{id}` (docs/explain.md). */
    explain: z
      .object({
        /** Explain every score answer unless the request says `"explain": false`. */
        by_default: z.boolean().default(false),
        /** Feature contributions listed per explanation (largest |contribution| first). */
        top_features: z.number().int().min(1).max(64).default(5),
        /** Explainers kept for versions no longer served (each holds its model's flattened trees). */
        cached_versions: z.number().int().min(1).max(64).default(4),
      })
      .strict()
      .prefault({}),
    /** Prediction log, drift, alerts, auto-promotion, guard (src/monitoring, docs/monitoring.md). */
    monitoring: monitoringConfigSchema.prefault({}),
    /** The rules engine's configuration (see src/rules); defaults when left out. */
    rules: rulesConfigSchema.optional(),
  })
  .strict();

export type ServingConfig = z.infer<typeof servingConfigSchema>;

/** Reads `serving.yaml` (or the defaults when no file is given). */
export function loadServingConfig(file?: string): ServingConfig {
  return file
    ? loadYamlConfig(file, servingConfigSchema)
    : parseWithSchema({}, servingConfigSchema, "defaults");
}

/** Validates a scoring configuration (from the config endpoint or the registry). */
export function parseScoringConfig(raw: unknown, source: string): ScoringConfig {
  return parseWithSchema(raw, scoringConfigSchema, source);
}

/** SHA-256 of the canonical JSON of a scoring configuration: what an approver signs off. */
export function scoringConfigDigest(config: ScoringConfig): string {
  return createHash("sha256").update(canonicalJson(config)).digest("hex");
}
