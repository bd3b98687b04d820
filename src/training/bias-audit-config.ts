import { z } from "zod";
import { loadYamlConfig, parseWithSchema } from "../config/index.js";

/** The segmentations the bias audit knows: what each row is cut by. */
export const BIAS_DIMENSIONS = ["type", "amount_band", "customer_history"] as const;
export type BiasDimension = (typeof BIAS_DIMENSIONS)[number];

/**
 * Defaults when no config is given: one place, read by the schema below and by docs/bias-audit.md.
 * The amount edges are the CTR-relevant ones (cash over $10,000 is reported; structuring sits just
 * under it). A segment is judged only with at least `min_positives` frauds and `min_rows` rows: below
 * that a 95 % interval on recall spans most of [0, 1] and a flag would be noise.
 */
export const BIAS_AUDIT_DEFAULTS = {
  dimensions: [...BIAS_DIMENSIONS] as BiasDimension[],
  amount_band_edges: [1_000, 3_000, 10_000, 50_000],
  /** Flag a segment whose false-positive rate is more than this times the overall one. */
  max_fpr_ratio: 1.25,
  /** Flag a segment whose recall is under this times the overall one (the four-fifths convention). */
  min_recall_ratio: 0.8,
  min_positives: 30,
  min_rows: 300,
} as const;

const D = BIAS_AUDIT_DEFAULTS;

/** `bias.yaml` (or the `bias_audit:` key of a training config): every key optional, unknown keys are errors. */
export const biasAuditConfigSchema = z
  .object({
    dimensions: z
      .array(z.enum(BIAS_DIMENSIONS))
      .min(1)
      .refine((d) => new Set(d).size === d.length, "a dimension is listed twice")
      .default([...D.dimensions]),
    amount_band_edges: z
      .array(z.number().positive().finite())
      .min(1)
      .max(50)
      .refine((e) => e.every((x, i) => i === 0 || x > e[i - 1]), "edges must rise strictly")
      .default([...D.amount_band_edges]),
    max_fpr_ratio: z.number().gt(1).finite().default(D.max_fpr_ratio),
    min_recall_ratio: z.number().gt(0).lt(1).default(D.min_recall_ratio),
    min_positives: z.number().int().min(1).default(D.min_positives),
    min_rows: z.number().int().min(1).default(D.min_rows),
  })
  .strict();

export type BiasAuditConfig = z.infer<typeof biasAuditConfigSchema>;

/** Validates a bias audit config object; missing keys take their defaults. */
export function parseBiasAuditConfig(raw: unknown = {}, source = "bias audit config"): BiasAuditConfig {
  return parseWithSchema(raw ?? {}, biasAuditConfigSchema, source);
}

/** Reads and validates a YAML bias audit config; errors name the file and the key. */
export function loadBiasAuditConfig(file: string): BiasAuditConfig {
  return loadYamlConfig(file, biasAuditConfigSchema);
}
