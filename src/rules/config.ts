import { z } from "zod";
import { parseWithSchema } from "../config/index.js";

/**
 * The rule categories. Each has a cap so that one noisy family of rules (say three velocity rules
 * firing together) cannot push the composite score to 1 on its own.
 */
export const RULE_CATEGORIES = ["amount", "velocity", "behaviour", "compliance"] as const;
export type RuleCategory = (typeof RULE_CATEGORIES)[number];

/**
 * Every threshold, weight and cap of the rules engine, in one place. Changing any of these changes
 * hybrid scoring, which needs a team-lead sign-off (rule weights) or a BSA officer (CTR threshold),
 * so they live in a validated config rather than in code.
 */
export const DEFAULT_RULES_CONFIG = {
  /** A composite score at or above this counts as "the rules flagged it". */
  flag_threshold: 0.5,
  category_caps: { amount: 0.4, velocity: 0.35, behaviour: 0.6, compliance: 0.4 },
  rules: {
    large_amount: { enabled: true, weight: 0.25, threshold: 200_000 },
    very_large_amount: { enabled: true, weight: 0.15, threshold: 1_000_000 },
    account_drained: { enabled: true, weight: 0.35, drained_fraction: 0.9, min_balance: 1 },
    dest_balance_unchanged: { enabled: true, weight: 0.15 },
    velocity_count_1h: { enabled: true, weight: 0.2, max_count: 3 },
    velocity_count_24h: { enabled: true, weight: 0.15, max_count: 10 },
    velocity_amount_24h: { enabled: true, weight: 0.15, max_amount: 1_000_000 },
    amount_far_above_history: { enabled: true, weight: 0.25, min_zscore: 3 },
    night_transfer: { enabled: true, weight: 0.1, start_hour: 0, end_hour: 6 },
    structuring_just_under_ctr: { enabled: true, weight: 0.3, ctr_threshold: 10_000, margin: 0.1 },
    structuring_split_over_day: { enabled: true, weight: 0.2, ctr_threshold: 10_000 },
  },
} as const;

const weight = (d: number) => z.number().min(0).max(1).default(d);
const positive = (d: number) => z.number().positive().default(d);
const nonNegative = (d: number) => z.number().min(0).default(d);
const enabled = z.boolean().default(true);
const R = DEFAULT_RULES_CONFIG.rules;
const C = DEFAULT_RULES_CONFIG.category_caps;

/** One object per rule: unknown keys are errors; any key left out takes its default. */
const rulesSchema = z
  .object({
    large_amount: z
      .object({
        enabled,
        weight: weight(R.large_amount.weight),
        threshold: positive(R.large_amount.threshold),
      })
      .strict()
      .prefault({}),
    very_large_amount: z
      .object({
        enabled,
        weight: weight(R.very_large_amount.weight),
        threshold: positive(R.very_large_amount.threshold),
      })
      .strict()
      .prefault({}),
    account_drained: z
      .object({
        enabled,
        weight: weight(R.account_drained.weight),
        drained_fraction: z.number().gt(0).max(1).default(R.account_drained.drained_fraction),
        min_balance: nonNegative(R.account_drained.min_balance),
      })
      .strict()
      .prefault({}),
    dest_balance_unchanged: z
      .object({ enabled, weight: weight(R.dest_balance_unchanged.weight) })
      .strict()
      .prefault({}),
    velocity_count_1h: z
      .object({
        enabled,
        weight: weight(R.velocity_count_1h.weight),
        max_count: z.number().int().min(0).default(R.velocity_count_1h.max_count),
      })
      .strict()
      .prefault({}),
    velocity_count_24h: z
      .object({
        enabled,
        weight: weight(R.velocity_count_24h.weight),
        max_count: z.number().int().min(0).default(R.velocity_count_24h.max_count),
      })
      .strict()
      .prefault({}),
    velocity_amount_24h: z
      .object({
        enabled,
        weight: weight(R.velocity_amount_24h.weight),
        max_amount: positive(R.velocity_amount_24h.max_amount),
      })
      .strict()
      .prefault({}),
    amount_far_above_history: z
      .object({
        enabled,
        weight: weight(R.amount_far_above_history.weight),
        min_zscore: positive(R.amount_far_above_history.min_zscore),
      })
      .strict()
      .prefault({}),
    night_transfer: z
      .object({
        enabled,
        weight: weight(R.night_transfer.weight),
        start_hour: z.number().int().min(0).max(23).default(R.night_transfer.start_hour),
        end_hour: z.number().int().min(1).max(24).default(R.night_transfer.end_hour),
      })
      .strict()
      .prefault({}),
    structuring_just_under_ctr: z
      .object({
        enabled,
        weight: weight(R.structuring_just_under_ctr.weight),
        ctr_threshold: positive(R.structuring_just_under_ctr.ctr_threshold),
        margin: z.number().gt(0).lt(1).default(R.structuring_just_under_ctr.margin),
      })
      .strict()
      .prefault({}),
    structuring_split_over_day: z
      .object({
        enabled,
        weight: weight(R.structuring_split_over_day.weight),
        ctr_threshold: positive(R.structuring_split_over_day.ctr_threshold),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

/** The rules config file schema (strict: a misspelt key is an error, not a silently ignored rule). */
export const rulesConfigSchema = z
  .object({
    flag_threshold: z.number().gt(0).max(1).default(DEFAULT_RULES_CONFIG.flag_threshold),
    category_caps: z
      .object({
        amount: z.number().min(0).max(1).default(C.amount),
        velocity: z.number().min(0).max(1).default(C.velocity),
        behaviour: z.number().min(0).max(1).default(C.behaviour),
        compliance: z.number().min(0).max(1).default(C.compliance),
      })
      .strict()
      .prefault({}),
    rules: rulesSchema,
  })
  .strict()
  .refine((c) => c.rules.night_transfer.start_hour < c.rules.night_transfer.end_hour, {
    message: "night_transfer.start_hour must be before end_hour",
    path: ["rules", "night_transfer", "start_hour"],
  });

export type RulesConfig = z.infer<typeof rulesConfigSchema>;
export type RuleId = keyof RulesConfig["rules"];

/** Validates a (partial) rules config and fills in every default. `source` names it in errors. */
export function parseRulesConfig(raw: unknown = {}, source = "rules config"): RulesConfig {
  return parseWithSchema(raw ?? {}, rulesConfigSchema, source);
}
