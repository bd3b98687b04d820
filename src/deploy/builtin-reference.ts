import type { FeatureHistogram } from "./validation-vectors.js";

/**
 * Feature ranges calibrated by hand from PaySim, used only for versions that carry no
 * `reference.json` (a model trained elsewhere and registered with `lakay models register`).
 * The validation report says which source its vectors came from.
 */
export const BUILTIN_PAYSIM_REFERENCE: Record<string, FeatureHistogram> = {
  amount: {
    edges: [1_000, 10_000, 50_000, 200_000, 1_000_000],
    proportions: [0.1, 0.25, 0.25, 0.25, 0.13, 0.02],
    min: 1,
    max: 10_000_000,
  },
  amount_zscore: { edges: [-1, 0, 1, 3], proportions: [0.05, 0.5, 0.3, 0.1, 0.05], min: -3, max: 10 },
  hour_of_day: { edges: [6, 12, 18], proportions: [0.1, 0.35, 0.35, 0.2], min: 0, max: 23 },
  day_of_week: { edges: [2, 4, 6], proportions: [0.3, 0.3, 0.3, 0.1], min: 0, max: 6 },
  tx_type_encoded: { edges: [1, 2, 3, 4], proportions: [0.35, 0.22, 0.34, 0.08, 0.01], min: 0, max: 4 },
  balance_delta_sender: {
    edges: [-100_000, -10_000, 0],
    proportions: [0.1, 0.3, 0.3, 0.3],
    min: -5_000_000,
    max: 100_000,
  },
  balance_delta_receiver: {
    edges: [0, 10_000, 100_000],
    proportions: [0.2, 0.3, 0.3, 0.2],
    min: -1_000_000,
    max: 5_000_000,
  },
  velocity_count_1h: { edges: [1, 2, 4], proportions: [0.1, 0.7, 0.15, 0.05], min: 0, max: 10 },
  velocity_count_24h: { edges: [1, 2, 5], proportions: [0.05, 0.6, 0.25, 0.1], min: 0, max: 30 },
  velocity_amount_1h: {
    edges: [10_000, 100_000, 1_000_000],
    proportions: [0.3, 0.4, 0.25, 0.05],
    min: 0,
    max: 5_000_000,
  },
  velocity_amount_24h: {
    edges: [10_000, 100_000, 1_000_000],
    proportions: [0.25, 0.4, 0.28, 0.07],
    min: 0,
    max: 10_000_000,
  },
};
