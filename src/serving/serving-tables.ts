import type { Generated } from "kysely";

/**
 * Serving's tables, created by schema step 4 (./migrations/0004-serving.ts; same conventions as the
 * registry's own). `audit_log` is the registry's, read for its last sequence number only.
 */
export interface ServingDatabase {
  serving_experiments: {
    id: string;
    ts: string;
    model: string;
    salt: string;
    champion_version: number | null;
    challenger_version: number;
    started_by: string;
    reason: string | null;
  };
  serving_changes: {
    id: Generated<number>;
    ts: string;
    model: string;
    kind: string;
    actor: string;
    reason: string | null;
    body: string;
  };
  api_tokens: {
    id: Generated<number>;
    name: string;
    role: string;
    token_sha256: string;
    created_at: string;
    created_by: string;
    revoked_at: string | null;
    revoked_by: string | null;
  };
  audit_log: { seq: number };
}
