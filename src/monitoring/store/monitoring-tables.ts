import type { Generated } from "kysely";
import { FEATURE_NAMES } from "../../features/index.js";

/** One prediction_log row as written (the feature columns are named after FEATURE_NAMES). */
export interface PredictionLogRow {
  ts: string;
  model: string;
  transaction_id: string;
  user_id: string;
  variant: string;
  model_version: number | null;
  experiment_id: string | null;
  amount: number;
  amount_zscore: number;
  hour_of_day: number;
  day_of_week: number;
  tx_type_encoded: number;
  balance_delta_sender: number;
  balance_delta_receiver: number;
  velocity_count_1h: number;
  velocity_count_24h: number;
  velocity_amount_1h: number;
  velocity_amount_24h: number;
  ml_score: number | null;
  rule_score: number;
  score: number;
  risk_tier: string;
  latency_ms: number;
  /** JSON `[{id, weight}]` of the rules that fired (migration 0007); null in rows logged before it. */
  rules_triggered?: string | null;
}

/** Every column of a prediction_log row as written (the id is the database's). */
export const PREDICTION_LOG_COLUMNS = [
  "ts",
  "model",
  "transaction_id",
  "user_id",
  "variant",
  "model_version",
  "experiment_id",
  ...FEATURE_NAMES,
  "ml_score",
  "rule_score",
  "score",
  "risk_tier",
  "latency_ms",
  "rules_triggered",
] as const satisfies readonly (keyof PredictionLogRow)[];

// A column added to PredictionLogRow but not to the list above fails to compile here.
type Unlisted = Exclude<keyof PredictionLogRow, (typeof PREDICTION_LOG_COLUMNS)[number]>;
const allListed: [Unlisted] extends [never] ? true : Unlisted = true;
void allListed;

/** Monitoring's tables, created by schema step 5 (./migrations/0005-monitoring.ts). */
export interface MonitoringDatabase {
  prediction_log: PredictionLogRow & { id: Generated<number> };
  outcome_labels: {
    id: Generated<number>;
    ts: string;
    transaction_id: string;
    is_fraud: number;
    source: string;
    labeled_at: string | null;
    actor: string;
  };
  monitoring_alerts: {
    id: Generated<number>;
    model: string;
    kind: string;
    feature: string;
    severity: string;
    value: number | null;
    threshold: number | null;
    model_version: number | null;
    message: string;
    first_seen: string;
    last_seen: string;
    resolved_at: string | null;
  };
  experiment_results: {
    experiment_id: string;
    ts: string;
    model: string;
    ended_by: string;
    reason: string | null;
    config: string;
    results: string;
  };
  webhooks: {
    id: Generated<number>;
    url: string;
    events: string;
    secret: string;
    created_at: string;
    created_by: string;
    removed_at: string | null;
  };
  webhook_deliveries: {
    id: Generated<number>;
    ts: string;
    webhook_id: number;
    delivery_id: string;
    event: string;
    attempt: number;
    status_code: number | null;
    ok: number;
    error: string | null;
    duration_ms: number;
  };
}
