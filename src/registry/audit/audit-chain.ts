import type { Kysely, Selectable } from "kysely";
import { BadInputError } from "../../errors/index.js";
import type { RegistryDatabase } from "../sql/database.js";
import type { AuditEntry, AuditEntryInput, AuditVerifyResult } from "../types.js";
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

/**
 * Walks the whole chain in order, recomputing every hash. Reports the first entry whose stored hash
 * does not match its contents, whose `prev_hash` is not its predecessor's hash, or that is missing.
 */
export async function verifyAuditChain(
  db: Kysely<RegistryDatabase>,
  pageSize = 2000,
): Promise<AuditVerifyResult> {
  let expectedSeq = 1;
  let prevHash = GENESIS_HASH;
  let checked = 0;
  let lastSeq = 0;
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
