import type { Generated } from "kysely";

/**
 * The registry's tables as Kysely sees them. Timestamps are ISO-8601 UTC text (`2026-03-01T02:00:00.000Z`)
 * in both dialects, so they sort as text, compare exactly and hash identically everywhere.
 * JSON columns are text holding canonical JSON.
 */
export interface RegistryDatabase {
  lakay_schema_migrations: { version: number; name: string; applied_at: string };
  experiments: { id: Generated<number>; name: string; created_at: string; tags: string };
  runs: {
    id: string;
    experiment_id: number;
    name: string | null;
    status: string;
    start_time: string;
    end_time: string | null;
    artifact_uri: string;
  };
  run_params: { run_id: string; key: string; value: string };
  run_metrics: {
    id: Generated<number>;
    run_id: string;
    key: string;
    value: number;
    step: number;
    ts: string;
  };
  run_tags: { run_id: string; key: string; value: string };
  run_artifacts: { run_id: string; path: string; sha256: string; size: number };
  registered_models: {
    name: string;
    description: string | null;
    tags: string;
    created_at: string;
    updated_at: string;
  };
  model_versions: {
    name: string;
    version: number;
    run_id: string | null;
    source: string;
    files: string;
    status: string;
    stage: string;
    description: string | null;
    tags: string;
    created_at: string;
    updated_at: string;
  };
  model_aliases: { name: string; alias: string; version: number; updated_at: string };
  model_history: {
    id: Generated<number>;
    ts: string;
    model: string;
    kind: string;
    version: number | null;
    alias: string | null;
    from_value: string | null;
    to_value: string | null;
    actor: string;
    reason: string | null;
  };
  audit_checkpoints: {
    id: Generated<number>;
    ts: string;
    seq: number;
    hash: string;
    actor: string;
    purged_before: string;
  };
  audit_log: {
    seq: number;
    ts: string;
    actor: string;
    action: string;
    model: string | null;
    version: number | null;
    details: string;
    prev_hash: string;
    hash: string;
  };
}
