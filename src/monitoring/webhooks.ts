import { createHmac, randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import { BadInputError, NotFoundError } from "../errors/index.js";
import type { Registry } from "../registry/index.js";
import type { MonitoringDatabase } from "./store/monitoring-tables.js";

type Db = Kysely<MonitoringDatabase>;

/** What a webhook may subscribe to. */
export const WEBHOOK_EVENTS = [
  "promote",
  "rollback",
  "archive",
  "alert",
  "routing",
  "ml_switch",
  "auto_promotion",
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** Header names of a delivery; the signature is `sha256=` + hex HMAC-SHA256(secret, `${timestamp}.${body}`). */
export const SIGNATURE_HEADER = "x-lakay-signature";
export const TIMESTAMP_HEADER = "x-lakay-timestamp";
export const EVENT_HEADER = "x-lakay-event";
export const DELIVERY_HEADER = "x-lakay-delivery";

export function signPayload(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`;
}

export interface Webhook {
  id: number;
  url: string;
  events: WebhookEvent[];
  createdAt: string;
  createdBy: string;
}

export function parseWebhookEvents(list: string): WebhookEvent[] {
  const events = list
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean);
  if (!events.length)
    throw new BadInputError(`expected a comma-separated list of ${WEBHOOK_EVENTS.join(", ")}`, {
      field: "events",
    });
  for (const e of events)
    if (!(WEBHOOK_EVENTS as readonly string[]).includes(e))
      throw new BadInputError(
        `expected a comma-separated list of ${WEBHOOK_EVENTS.join(", ")} (unknown event "${e}")`,
        {
          field: "events",
        },
      );
  return [...new Set(events)] as WebhookEvent[];
}

export async function addWebhook(
  registry: Registry,
  w: { url: string; events: WebhookEvent[]; secret: string; actor: string },
): Promise<Webhook> {
  let url: URL;
  try {
    url = new URL(w.url);
  } catch {
    throw new BadInputError(`invalid URL "${w.url}": expected http(s)://HOST/PATH`, { field: "url" });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new BadInputError(`invalid URL "${w.url}": expected http(s)://HOST/PATH`, { field: "url" });
  if (w.secret.length < 16)
    throw new BadInputError("the webhook secret must be at least 16 characters", { field: "secret" });
  return registry.transaction(async (tx) => {
    const ts = new Date().toISOString();
    const r = await (tx.db as Db)
      .insertInto("webhooks")
      .values({
        url: url.toString(),
        events: w.events.join(","),
        secret: w.secret,
        created_at: ts,
        created_by: w.actor,
        removed_at: null,
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await tx.appendAudit({
      actor: w.actor,
      action: "webhook.add",
      model: null,
      version: null,
      details: { id: Number(r.id), url: url.toString(), events: w.events },
    });
    return { id: Number(r.id), url: url.toString(), events: w.events, createdAt: ts, createdBy: w.actor };
  });
}

export async function removeWebhook(registry: Registry, id: number, actor: string): Promise<void> {
  await registry.transaction(async (tx) => {
    const db = tx.db as Db;
    const row = await db
      .selectFrom("webhooks")
      .select("id")
      .where("id", "=", id)
      .where("removed_at", "is", null)
      .executeTakeFirst();
    if (!row) throw new NotFoundError(`no webhook ${id}`);
    await db
      .updateTable("webhooks")
      .set({ removed_at: new Date().toISOString() })
      .where("id", "=", id)
      .execute();
    await tx.appendAudit({ actor, action: "webhook.remove", model: null, version: null, details: { id } });
  });
}

async function activeWebhooks(registry: Registry): Promise<(Webhook & { secret: string })[]> {
  const rows = await registry.read(async (db: Db) =>
    db.selectFrom("webhooks").selectAll().where("removed_at", "is", null).orderBy("id").execute(),
  );
  return rows.map((r) => ({
    id: Number(r.id),
    url: r.url,
    events: r.events.split(",") as WebhookEvent[],
    createdAt: r.created_at,
    createdBy: r.created_by,
    secret: r.secret,
  }));
}

export async function listWebhooks(registry: Registry): Promise<Webhook[]> {
  return (await activeWebhooks(registry)).map(({ secret: _secret, ...w }) => w);
}

export async function listDeliveries(registry: Registry, opts: { webhookId?: number; limit?: number } = {}) {
  return registry.read(async (db: Db) => {
    let q = db.selectFrom("webhook_deliveries").selectAll();
    if (opts.webhookId !== undefined) q = q.where("webhook_id", "=", opts.webhookId);
    const rows = await q
      .orderBy("id", "desc")
      .limit(opts.limit ?? 100)
      .execute();
    return rows.map((r) => ({
      id: Number(r.id),
      ts: r.ts,
      webhook_id: Number(r.webhook_id),
      delivery_id: r.delivery_id,
      event: r.event,
      attempt: Number(r.attempt),
      status_code: r.status_code === null ? null : Number(r.status_code),
      ok: Boolean(Number(r.ok)),
      error: r.error,
      duration_ms: Number(r.duration_ms),
    }));
  });
}

export interface WebhookDispatcherOptions {
  registry: Registry;
  logger: Logger;
  /** Attempts per delivery (first try included). */
  attempts?: number;
  /** First retry delay; doubled each time. */
  backoffMs?: number;
  timeoutMs?: number;
}

/**
 * Sends events to the subscribed webhooks: a JSON body signed with HMAC-SHA256, retried with
 * exponential backoff on a network error or a non-2xx answer, every attempt recorded in
 * `webhook_deliveries`. Sending never blocks the caller.
 */
export class WebhookDispatcher {
  private readonly pending = new Set<Promise<void>>();
  constructor(private readonly opts: WebhookDispatcherOptions) {}

  emit(event: WebhookEvent, data: unknown): void {
    const p = this.deliverAll(event, data)
      .catch((err: unknown) =>
        this.opts.logger.warn({ err: (err as Error).message, event }, "webhook delivery failed"),
      )
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Waits for deliveries in flight (shutdown, tests). */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending]);
  }

  private async deliverAll(event: WebhookEvent, data: unknown): Promise<void> {
    const hooks = (await activeWebhooks(this.opts.registry)).filter((h) => h.events.includes(event));
    await Promise.all(hooks.map((h) => this.deliver(h, event, data)));
  }

  private async deliver(
    hook: Webhook & { secret: string },
    event: WebhookEvent,
    data: unknown,
  ): Promise<void> {
    const deliveryId = randomUUID();
    const body = JSON.stringify({ id: deliveryId, event, created_at: new Date().toISOString(), data });
    const attempts = this.opts.attempts ?? 5;
    let delay = this.opts.backoffMs ?? 500;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const timestamp = String(Math.floor(Date.now() / 1000));
      const t0 = performance.now();
      let status: number | null = null;
      let error: string | null = null;
      try {
        const res = await fetch(hook.url, {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "user-agent": "lakay-webhooks",
            [EVENT_HEADER]: event,
            [DELIVERY_HEADER]: deliveryId,
            [TIMESTAMP_HEADER]: timestamp,
            [SIGNATURE_HEADER]: signPayload(hook.secret, timestamp, body),
          },
          body,
          signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5000),
        });
        status = res.status;
        await res.arrayBuffer().catch(() => undefined);
        if (!res.ok) error = `HTTP ${res.status}`;
      } catch (err) {
        error = (err as Error).message;
      }
      const ok = error === null;
      await this.opts.registry
        .transaction(async (tx) => {
          await (tx.db as Db)
            .insertInto("webhook_deliveries")
            .values({
              ts: new Date().toISOString(),
              webhook_id: hook.id,
              delivery_id: deliveryId,
              event,
              attempt,
              status_code: status,
              ok: ok ? 1 : 0,
              error,
              duration_ms: performance.now() - t0,
            })
            .execute();
        })
        .catch((err: unknown) =>
          this.opts.logger.warn({ err: (err as Error).message }, "webhook delivery not recorded"),
        );
      if (ok) return;
      if (attempt < attempts) {
        await new Promise((r) => setTimeout(r, delay));
        delay *= 2;
      }
    }
    this.opts.logger.warn(
      { webhook: hook.id, event, deliveryId },
      `webhook ${hook.url}: gave up after ${attempts} attempts`,
    );
  }
}
