import type { Kysely, Selectable } from "kysely";
import { BadInputError } from "../../errors/index.js";
import type { RegistryDatabase } from "../sql/database.js";
import type {
  AuditCheckpoint,
  AuditEntry,
  AuditEntryInput,
  AuditPurgeResult,
  AuditVerifyResult,
} from "../types.js";
import { auditEntryHash, GENESIS_HASH } from "./audit-hash.js";
import { canonicalJson } from "./canonical-json.js";

type AuditRow = Selectable<RegistryDatabase["audit_log"]>;

/**
 * Appends one entry after the current head. Must run inside the backend's write transaction, which
 * holds the registry write lock: that is what keeps two appenders from chaining onto the same head.
 */
export async function appendAuditEntry(
  trx: Kysely<RegistryDatabase>,
  input: AuditEntryInput,
): Promise<AuditEntry> {
  if (!input.actor || !input.actor.trim())
    throw new BadInputError("an audit entry needs an actor (who did it)");
  if (!input.action || !input.action.trim()) throw new BadInputError("an audit entry needs an action");
  const head = await trx
    .selectFrom("audit_log")
    .select(["seq", "hash"])
    .orderBy("seq", "desc")
    .limit(1)
    .executeTakeFirst();
  const row: AuditRow = {
    seq: head ? Number(head.seq) + 1 : 1,
    ts: new Date().toISOString(),
    actor: input.actor,
    action: input.action,
    model: input.model ?? null,
    version: input.version ?? null,
    details: canonicalJson(input.details ?? {}),
    prev_hash: head?.hash ?? GENESIS_HASH,
    hash: "",
  };
  row.hash = hashOfRow(row);
  await trx.insertInto("audit_log").values(row).execute();
  return toAuditEntry(row);
}

/** How long audit entries must be kept (§7.3 of the procedure); the database refuses younger deletes. */
export const AUDIT_RETENTION_YEARS = 5;

/**
 * The retention purge: removes the entries older than both `before` and the retention period, and
 * records the last removed entry (sequence number and hash) as a checkpoint, with an `audit.purge`
 * entry, in the write transaction `trx`. `audit verify` then checks the rest of the chain from the
 * checkpoint's hash. The database's retention trigger refuses a younger delete whatever the caller.
 */
export async function purgeAuditEntries(
  trx: Kysely<RegistryDatabase>,
  opts: { before: Date; actor: string; now?: Date },
): Promise<AuditPurgeResult> {
  const now = opts.now ?? new Date();
  const limit = new Date(now);
  limit.setUTCFullYear(limit.getUTCFullYear() - AUDIT_RETENTION_YEARS);
  const cutoff = (opts.before < limit ? opts.before : limit).toISOString();
  const last = await trx
    .selectFrom("audit_log")
    .select(["seq", "hash"])
    .where("ts", "<", cutoff)
    .orderBy("seq", "desc")
    .limit(1)
    .executeTakeFirst();
  if (!last) return { purged: 0, checkpoint: null };
  const checkpoint: AuditCheckpoint = {
    seq: Number(last.seq),
    hash: last.hash,
    timestamp: now.toISOString(),
    actor: opts.actor,
    purgedBefore: cutoff,
  };
  await trx
    .insertInto("audit_checkpoints")
    .values({
      ts: checkpoint.timestamp,
      seq: checkpoint.seq,
      hash: checkpoint.hash,
      actor: checkpoint.actor,
      purged_before: cutoff,
    })
    .execute();
  const removed = await trx.deleteFrom("audit_log").where("seq", "<=", checkpoint.seq).executeTakeFirst();
  const purged = Number(removed.numDeletedRows);
  await appendAuditEntry(trx, {
    actor: opts.actor,
    action: "audit.purge",
    details: { through_seq: checkpoint.seq, checkpoint_hash: checkpoint.hash, purged, purged_before: cutoff },
  });
  return { purged, checkpoint };
}

/** The latest retention checkpoint, or null when nothing was ever purged. */
export async function latestAuditCheckpoint(db: Kysely<RegistryDatabase>): Promise<AuditCheckpoint | null> {
  const row = await db
    .selectFrom("audit_checkpoints")
    .selectAll()
    .orderBy("seq", "desc")
    .limit(1)
    .executeTakeFirst();
  return row
    ? {
        seq: Number(row.seq),
        hash: row.hash,
        timestamp: row.ts,
        actor: row.actor,
        purgedBefore: row.purged_before,
      }
    : null;
}

/**
 * Walks the chain in order, recomputing every hash, from the start or — after a retention purge —
 * from the latest checkpoint's hash. Reports the first entry whose stored hash does not match its
 * contents, whose `prev_hash` is not its predecessor's hash, or that is missing.
 */
export async function verifyAuditChain(
  db: Kysely<RegistryDatabase>,
  pageSize = 2000,
): Promise<AuditVerifyResult> {
  const checkpoint = await latestAuditCheckpoint(db);
  const result = await verifyFrom(db, checkpoint, pageSize);
  return checkpoint ? { ...result, checkpoint } : result;
}

async function verifyFrom(
  db: Kysely<RegistryDatabase>,
  checkpoint: AuditCheckpoint | null,
  pageSize: number,
): Promise<AuditVerifyResult> {
  let expectedSeq = checkpoint ? checkpoint.seq + 1 : 1;
  let prevHash = checkpoint ? checkpoint.hash : GENESIS_HASH;
  let checked = 0;
  let lastSeq = checkpoint ? checkpoint.seq : 0;
  for (;;) {
    const rows = await db
      .selectFrom("audit_log")
      .selectAll()
      .where("seq", ">", lastSeq)
      .orderBy("seq")
      .limit(pageSize)
      .execute();
    for (const row of rows) {
      const seq = Number(row.seq);
      const broken = (reason: string): AuditVerifyResult => ({
        ok: false,
        checked,
        headHash: null,
        firstBroken: { seq, reason },
      });
      if (seq !== expectedSeq) {
        return {
          ok: false,
          checked,
          headHash: null,
          firstBroken: {
            seq: expectedSeq,
            reason: `entry ${expectedSeq} is missing (next entry found is ${seq}): deleted`,
          },
        };
      }
      if (row.prev_hash !== prevHash) return broken(`prev_hash does not match the hash of entry ${seq - 1}`);
      if (hashOfRow(row) !== row.hash) return broken("hash does not match the entry's contents: edited");
      prevHash = row.hash;
      expectedSeq++;
      checked++;
      lastSeq = seq;
    }
    if (rows.length < pageSize) break;
  }
  return { ok: true, checked, headHash: checked > 0 ? prevHash : null };
}

export function toAuditEntry(row: AuditRow): AuditEntry {
  let details: Record<string, unknown>;
  try {
    details = JSON.parse(row.details) as Record<string, unknown>;
  } catch {
    details = { unparseable: row.details };
  }
  return {
    seq: Number(row.seq),
    timestamp: row.ts,
    actor: row.actor,
    action: row.action,
    model: row.model,
    version: row.version === null ? null : Number(row.version),
    details,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

function hashOfRow(row: AuditRow): string {
  return auditEntryHash({
    seq: Number(row.seq),
    timestamp: row.ts,
    actor: row.actor,
    action: row.action,
    model: row.model,
    version: row.version === null ? null : Number(row.version),
    details: row.details,
    prevHash: row.prev_hash,
  });
}
