import type { Kysely } from "kysely";
import type { Registry } from "../registry/index.js";
import type { WebhookEvent } from "./webhooks.js";

/** Audit actions that are webhook events: whoever made the change (CLI, API, guard), one source. */
export const AUDIT_EVENTS: Readonly<Record<string, WebhookEvent>> = {
  "deploy.promote": "promote",
  "deploy.rollback": "rollback",
  "deploy.archive": "archive",
  "serving.routing_changed": "routing",
  "serving.ml_enabled": "ml_switch",
  "serving.ml_disabled": "ml_switch",
};

interface AuditRow {
  seq: number;
  ts: string;
  actor: string;
  action: string;
  model: string | null;
  version: number | null;
  details: string;
}

/**
 * Follows the audit log from a sequence number and hands each entry that is a webhook event to
 * `emit`, so promotions and rollbacks made by the CLI in another process are announced too.
 */
export class AuditEventFollower {
  private lastSeq: number | null = null;

  constructor(
    private readonly registry: Registry,
    private readonly model: string,
    private readonly emit: (event: WebhookEvent, data: unknown) => void,
  ) {}

  async poll(): Promise<void> {
    const rows = await this.registry.read(async (db: Kysely<{ audit_log: AuditRow }>) => {
      if (this.lastSeq === null) {
        const r = await db
          .selectFrom("audit_log")
          .select((eb) => eb.fn.max("seq").as("seq"))
          .executeTakeFirst();
        this.lastSeq = Number(r?.seq ?? 0);
        return [];
      }
      return db
        .selectFrom("audit_log")
        .selectAll()
        .where("seq", ">", this.lastSeq)
        .where("action", "in", Object.keys(AUDIT_EVENTS))
        .orderBy("seq")
        .limit(1000)
        .execute();
    });
    for (const r of rows) {
      this.lastSeq = Math.max(this.lastSeq ?? 0, Number(r.seq));
      if (r.model !== null && r.model !== this.model) continue;
      this.emit(AUDIT_EVENTS[r.action], {
        action: r.action,
        actor: r.actor,
        model: r.model,
        version: r.version === null ? null : Number(r.version),
        at: r.ts,
        details: JSON.parse(r.details) as unknown,
      });
    }
  }
}
