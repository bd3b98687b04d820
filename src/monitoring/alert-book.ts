import type { Kysely, Selectable } from "kysely";
import type { Logger } from "pino";
import type { Registry } from "../registry/index.js";
import type { MonitoringDatabase } from "./store/monitoring-tables.js";

type Db = Kysely<MonitoringDatabase>;

/** Alert kinds (seed §6.1's table) and severities. */
export const ALERT_KINDS = [
  "nan_score",
  "feature_drift",
  "multi_feature_drift",
  "score_shift",
  "fpr_increase",
  "latency_sla",
  "feature_store",
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];
export const ALERT_SEVERITIES = ["medium", "high", "critical"] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

export interface AlertCondition {
  kind: AlertKind;
  /** The feature (drift), variant (nan_score) or "" when the alert is about the model as a whole. */
  feature: string;
  severity: AlertSeverity;
  value: number | null;
  threshold: number | null;
  modelVersion: number | null;
  message: string;
}

export interface Alert extends AlertCondition {
  id: number;
  model: string;
  firstSeen: string;
  lastSeen: string;
  resolvedAt: string | null;
}

/**
 * Open alerts, one per (kind, feature) while its condition holds: raising an open one only moves its
 * `last_seen` (and value); when the condition clears it is resolved. Kept in the registry database
 * so a restart or another replica sees the same alerts. `onOpen` hears each newly opened alert
 * (log, metrics, webhooks).
 */
export class AlertBook {
  private readonly open = new Map<string, Alert>();
  private loaded = false;

  constructor(
    private readonly registry: Registry,
    private readonly model: string,
    private readonly logger: Logger,
    private readonly onOpen: (a: Alert) => void = () => undefined,
  ) {}

  private key = (kind: string, feature: string) => `${kind}\u0000${feature}`;

  private async load(): Promise<void> {
    if (this.loaded) return;
    const rows = await this.registry.read(async (db: Db) =>
      db
        .selectFrom("monitoring_alerts")
        .selectAll()
        .where("model", "=", this.model)
        .where("resolved_at", "is", null)
        .execute(),
    );
    for (const r of rows) this.open.set(this.key(r.kind, r.feature), alertOf(r));
    this.loaded = true;
  }

  /** Raises a condition: a new open alert, or `last_seen` moved on the one already open. */
  async raise(c: AlertCondition): Promise<Alert> {
    await this.load();
    const ts = new Date().toISOString();
    const k = this.key(c.kind, c.feature);
    const existing = this.open.get(k);
    if (existing) {
      await this.registry.transaction(async (tx) => {
        await (tx.db as Db)
          .updateTable("monitoring_alerts")
          .set({ last_seen: ts, value: c.value, severity: c.severity, message: c.message })
          .where("id", "=", existing.id)
          .execute();
      });
      Object.assign(existing, { lastSeen: ts, value: c.value, severity: c.severity, message: c.message });
      return existing;
    }
    const id = await this.registry.transaction(async (tx) => {
      const r = await (tx.db as Db)
        .insertInto("monitoring_alerts")
        .values({
          model: this.model,
          kind: c.kind,
          feature: c.feature,
          severity: c.severity,
          value: c.value,
          threshold: c.threshold,
          model_version: c.modelVersion,
          message: c.message,
          first_seen: ts,
          last_seen: ts,
          resolved_at: null,
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      await tx.appendAudit({
        actor: "monitoring",
        action: "monitoring.alert_opened",
        model: this.model,
        version: c.modelVersion,
        details: {
          kind: c.kind,
          feature: c.feature,
          severity: c.severity,
          value: c.value,
          threshold: c.threshold,
          message: c.message,
        },
      });
      return Number(r.id);
    });
    const alert: Alert = { ...c, id, model: this.model, firstSeen: ts, lastSeen: ts, resolvedAt: null };
    this.open.set(k, alert);
    this.logger.warn(
      { alert: { kind: c.kind, feature: c.feature, severity: c.severity, value: c.value } },
      `ALERT ${c.severity}: ${c.message}`,
    );
    this.onOpen(alert);
    return alert;
  }

  /** Resolves the open alerts of `kind` whose feature is not in `still` (their condition cleared). */
  async resolveExcept(kind: AlertKind, still: Iterable<string> = []): Promise<void> {
    await this.load();
    const keep = new Set(still);
    const done = [...this.open.values()].filter((a) => a.kind === kind && !keep.has(a.feature));
    if (!done.length) return;
    const ts = new Date().toISOString();
    await this.registry.transaction(async (tx) => {
      for (const a of done) {
        await (tx.db as Db)
          .updateTable("monitoring_alerts")
          .set({ resolved_at: ts })
          .where("id", "=", a.id)
          .execute();
        await tx.appendAudit({
          actor: "monitoring",
          action: "monitoring.alert_resolved",
          model: this.model,
          version: a.modelVersion,
          details: { kind: a.kind, feature: a.feature, first_seen: a.firstSeen },
        });
      }
    });
    for (const a of done) {
      this.open.delete(this.key(a.kind, a.feature));
      this.logger.info({ kind: a.kind, feature: a.feature }, "alert resolved");
    }
  }

  openAlerts(): Alert[] {
    return [...this.open.values()];
  }
}

/** Every alert of a model, newest first (`lakay monitor alerts`, tests). */
export async function listAlerts(
  registry: Registry,
  model: string,
  opts: { openOnly?: boolean } = {},
): Promise<Alert[]> {
  return registry.read(async (db: Db) => {
    let q = db.selectFrom("monitoring_alerts").selectAll().where("model", "=", model);
    if (opts.openOnly) q = q.where("resolved_at", "is", null);
    return (await q.orderBy("id", "desc").execute()).map(alertOf);
  });
}

function alertOf(r: Selectable<MonitoringDatabase["monitoring_alerts"]>): Alert {
  return {
    id: Number(r.id),
    model: r.model,
    kind: r.kind as AlertKind,
    feature: r.feature,
    severity: r.severity as AlertSeverity,
    value: r.value === null ? null : Number(r.value),
    threshold: r.threshold === null ? null : Number(r.threshold),
    modelVersion: r.model_version === null ? null : Number(r.model_version),
    message: r.message,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    resolvedAt: r.resolved_at,
  };
}

/** The JSON shape of an alert (monitoring endpoint, webhooks, CLI). */
export function alertJson(a: Alert) {
  return {
    id: a.id,
    kind: a.kind,
    feature: a.feature || null,
    severity: a.severity,
    value: a.value,
    threshold: a.threshold,
    model: a.model,
    model_version: a.modelVersion,
    message: a.message,
    first_seen: a.firstSeen,
    last_seen: a.lastSeen,
    resolved_at: a.resolvedAt,
  };
}
