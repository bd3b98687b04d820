import { createHash } from "node:crypto";
import { canonicalJson } from "./canonical-json.js";

/** `prev_hash` of the first entry. */
export const GENESIS_HASH = "0".repeat(64);

/** The fields an entry's hash covers: all of them except the hash itself. */
export interface HashedAuditFields {
  seq: number;
  timestamp: string;
  actor: string;
  action: string;
  model: string | null;
  version: number | null;
  /** Canonical JSON text, exactly as stored. */
  details: string;
  prevHash: string;
}

/**
 * SHA-256 over a canonical serialization of the entry, including the previous entry's hash: editing,
 * inserting or deleting any entry changes every hash after it.
 */
export function auditEntryHash(f: HashedAuditFields): string {
  const payload = canonicalJson({
    seq: f.seq,
    ts: f.timestamp,
    actor: f.actor,
    action: f.action,
    model: f.model,
    version: f.version,
    details: f.details,
    prev_hash: f.prevHash,
  });
  return createHash("sha256").update(payload, "utf8").digest("hex");
}
