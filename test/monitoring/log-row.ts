import type { PredictionLogRow } from "../../src/monitoring/index.js";

/**
 * Prediction-log row `i` for tests that write the log directly: its own transaction id, one of a few
 * users, the champion's version 1, calendar fields from `i`, neutral features and scores; `overrides`
 * win (a test sets what it is about: model, time, variant, scores).
 */
export function logRow(i: number, overrides: Partial<PredictionLogRow> = {}): PredictionLogRow {
  return {
    ts: new Date().toISOString(),
    model: "m",
    transaction_id: `t-${i}`,
    user_id: `u-${i % 7}`,
    variant: "champion",
    model_version: 1,
    experiment_id: null,
    amount: i,
    amount_zscore: 0,
    hour_of_day: i % 24,
    day_of_week: i % 7,
    tx_type_encoded: 1,
    balance_delta_sender: 0,
    balance_delta_receiver: 0,
    velocity_count_1h: 0,
    velocity_count_24h: 0,
    velocity_amount_1h: 0,
    velocity_amount_24h: 0,
    ml_score: 0.1,
    rule_score: 0.2,
    score: 0.15,
    risk_tier: "low",
    latency_ms: 0.3,
    ...overrides,
  };
}
