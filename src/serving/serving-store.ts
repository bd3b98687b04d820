import { randomBytes, randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { Registry, RegistryTx } from "../registry/index.js";
import type { ScoringConfig } from "./serving-config.js";
import type { ServingDatabase } from "./serving-tables.js";

/** A champion/challenger experiment: its salt makes the user → variant mapping its own. */
export interface ExperimentRecord {
  id: string;
  startedAt: string;
  model: string;
  salt: string;
  championVersion: number | null;
  challengerVersion: number;
  startedBy: string;
  reason: string | null;
}

/** The current split. `experimentId` is null when the champion takes all traffic (no experiment). */
export interface RoutingSetting {
  championPct: number;
  challengerPct: number;
  shadow: boolean;
  experimentId: string | null;
  changedAt: string;
  changedBy: string;
  reason: string | null;
}

export interface MlSwitchSetting {
  enabled: boolean;
  changedAt: string;
  changedBy: string;
  reason: string | null;
}

export interface ScoringConfigSetting {
  config: ScoringConfig;
  digest: string;
  changedAt: string;
  changedBy: string;
  reason: string | null;
}

/** Everything the serving layer persists for one model; null where nothing was ever set. */
export interface PersistedServingState {
  routing: RoutingSetting | null;
  experiment: ExperimentRecord | null;
  ml: MlSwitchSetting | null;
  scoring: ScoringConfigSetting | null;
}

type Db = Kysely<ServingDatabase>;
/** What a `serving_changes` row records. */
type ChangeKind = "routing" | "ml_switch" | "scoring_config";

/**
 * A number that grows with every audited registry change (promotion, rollback, alias move,
 * serving change): the audit chain's last sequence number. Cheap to poll; when it moves, the
 * server re-reads what it serves.
 */
export async function registryChangeCounter(registry: Registry): Promise<number> {
  return registry.read(async (db: Db) => {
    const row = await db
      .selectFrom("audit_log")
      .select((eb) => eb.fn.max("seq").as("seq"))
      .executeTakeFirst();
    return Number(row?.seq ?? 0);
  });
}

export async function readServingState(registry: Registry, model: string): Promise<PersistedServingState> {
  return registry.read(async (db: Db) => {
    const latest = async (kind: ChangeKind) =>
      db
        .selectFrom("serving_changes")
        .selectAll()
        .where("model", "=", model)
        .where("kind", "=", kind)
        .orderBy("id", "desc")
        .limit(1)
        .executeTakeFirst();
    const [r, m, s] = await Promise.all([latest("routing"), latest("ml_switch"), latest("scoring_config")]);
    const routing = r ? routingOf(r) : null;
    const experiment = routing?.experimentId ? await experimentById(db, routing.experimentId) : null;
    const ml = m
      ? {
          enabled: Boolean(JSON.parse(m.body).enabled),
          changedAt: m.ts,
          changedBy: m.actor,
          reason: m.reason,
        }
      : null;
    const scoring = s
      ? {
          ...(JSON.parse(s.body) as { config: ScoringConfig; digest: string }),
          changedAt: s.ts,
          changedBy: s.actor,
          reason: s.reason,
        }
      : null;
    return { routing, experiment, ml, scoring };
  });
}

export interface RoutingChange {
  model: string;
  championPct: number;
  challengerPct: number;
  shadow: boolean;
  championVersion: number | null;
  /** The challenger the split sends traffic to; null only for 100/0 without shadow. */
  challengerVersion: number | null;
  actor: string;
  reason: string | null;
}

/**
 * Records a new split with its audit entry, in one transaction. The experiment (and its salt)
 * carries on while the challenger version stays the same, so 90/10 → 80/20 only moves users into
 * the challenger; a different challenger starts a new experiment; 100/0 ends it.
 */
export async function recordRoutingChange(
  registry: Registry,
  change: RoutingChange,
): Promise<{ routing: RoutingSetting; experiment: ExperimentRecord | null }> {
  return registry.transaction(async (tx) => {
    const db = tx.db as Db;
    const ts = new Date().toISOString();
    const before = await db
      .selectFrom("serving_changes")
      .selectAll()
      .where("model", "=", change.model)
      .where("kind", "=", "routing")
      .orderBy("id", "desc")
      .limit(1)
      .executeTakeFirst();
    const previous = before ? routingOf(before) : null;
    const current = previous?.experimentId ? await experimentById(db, previous.experimentId) : null;
    const active = change.challengerPct > 0 || change.shadow;
    let experiment: ExperimentRecord | null = null;
    if (active && change.challengerVersion !== null) {
      if (current && current.challengerVersion === change.challengerVersion) experiment = current;
      else {
        experiment = {
          id: randomUUID(),
          startedAt: ts,
          model: change.model,
          salt: randomBytes(16).toString("hex"),
          championVersion: change.championVersion,
          challengerVersion: change.challengerVersion,
          startedBy: change.actor,
          reason: change.reason,
        };
        await db
          .insertInto("serving_experiments")
          .values({
            id: experiment.id,
            ts,
            model: experiment.model,
            salt: experiment.salt,
            champion_version: experiment.championVersion,
            challenger_version: experiment.challengerVersion,
            started_by: experiment.startedBy,
            reason: experiment.reason,
          })
          .execute();
      }
    }
    const body = {
      champion_pct: change.championPct,
      challenger_pct: change.challengerPct,
      shadow: change.shadow,
      experiment_id: experiment?.id ?? null,
      champion_version: change.championVersion,
      challenger_version: experiment ? change.challengerVersion : null,
    };
    await insertChange(tx, change.model, "routing", change.actor, change.reason, body, ts);
    await tx.appendAudit({
      actor: change.actor,
      action: "serving.routing_changed",
      model: change.model,
      version: change.championVersion,
      details: {
        ...body,
        reason: change.reason,
        previous: previous
          ? {
              champion_pct: previous.championPct,
              challenger_pct: previous.challengerPct,
              shadow: previous.shadow,
              experiment_id: previous.experimentId,
            }
          : null,
        experiment_started: experiment !== null && experiment !== current,
        experiment_ended: current !== null && experiment?.id !== current.id ? current.id : null,
      },
    });
    const routing: RoutingSetting = {
      championPct: change.championPct,
      challengerPct: change.challengerPct,
      shadow: change.shadow,
      experimentId: experiment?.id ?? null,
      changedAt: ts,
      changedBy: change.actor,
      reason: change.reason,
    };
    return { routing, experiment };
  });
}

/** Records the ML switch (seed §6.3) with its audit entry. */
export async function recordMlSwitch(
  registry: Registry,
  change: { model: string; enabled: boolean; actor: string; reason: string | null; version: number | null },
): Promise<MlSwitchSetting> {
  return registry.transaction(async (tx) => {
    const ts = new Date().toISOString();
    await insertChange(
      tx,
      change.model,
      "ml_switch",
      change.actor,
      change.reason,
      { enabled: change.enabled },
      ts,
    );
    await tx.appendAudit({
      actor: change.actor,
      action: change.enabled ? "serving.ml_enabled" : "serving.ml_disabled",
      model: change.model,
      version: change.version,
      details: { enabled: change.enabled, reason: change.reason },
    });
    return { enabled: change.enabled, changedAt: ts, changedBy: change.actor, reason: change.reason };
  });
}

/** Records an approved scoring-config change with its audit entry (which lists the approvals). */
export async function recordScoringConfig(
  registry: Registry,
  change: {
    model: string;
    version: number | null;
    config: ScoringConfig;
    digest: string;
    previousDigest: string;
    changeKinds: string[];
    approvals: unknown;
    actor: string;
    reason: string | null;
  },
): Promise<ScoringConfigSetting> {
  return registry.transaction(async (tx) => {
    const ts = new Date().toISOString();
    await insertChange(
      tx,
      change.model,
      "scoring_config",
      change.actor,
      change.reason,
      { config: change.config, digest: change.digest },
      ts,
    );
    await tx.appendAudit({
      actor: change.actor,
      action: "serving.config_changed",
      model: change.model,
      version: change.version,
      details: {
        config: change.config,
        subject_sha256: change.digest,
        previous_sha256: change.previousDigest,
        change_kinds: change.changeKinds,
        approvals: change.approvals,
        reason: change.reason,
      },
    });
    return {
      config: change.config,
      digest: change.digest,
      changedAt: ts,
      changedBy: change.actor,
      reason: change.reason,
    };
  });
}

async function insertChange(
  tx: RegistryTx,
  model: string,
  kind: ChangeKind,
  actor: string,
  reason: string | null,
  body: unknown,
  ts: string,
): Promise<void> {
  await (tx.db as Db)
    .insertInto("serving_changes")
    .values({ ts, model, kind, actor, reason, body: JSON.stringify(body) })
    .execute();
}

function routingOf(row: { ts: string; actor: string; reason: string | null; body: string }): RoutingSetting {
  const b = JSON.parse(row.body) as {
    champion_pct: number;
    challenger_pct: number;
    shadow: boolean;
    experiment_id: string | null;
  };
  return {
    championPct: b.champion_pct,
    challengerPct: b.challenger_pct,
    shadow: b.shadow,
    experimentId: b.experiment_id,
    changedAt: row.ts,
    changedBy: row.actor,
    reason: row.reason,
  };
}

/** The latest experiment of a model (running or ended), or null when it never had one. */
export async function latestExperiment(registry: Registry, model: string): Promise<ExperimentRecord | null> {
  return registry.read(async (db: Db) => {
    const latest = await db
      .selectFrom("serving_experiments")
      .select("id")
      .where("model", "=", model)
      .orderBy("ts", "desc")
      .limit(1)
      .executeTakeFirst();
    return latest ? experimentById(db, latest.id) : null;
  });
}

async function experimentById(db: Db, id: string): Promise<ExperimentRecord | null> {
  const e = await db.selectFrom("serving_experiments").selectAll().where("id", "=", id).executeTakeFirst();
  if (!e) return null;
  return {
    id: e.id,
    startedAt: e.ts,
    model: e.model,
    salt: e.salt,
    championVersion: e.champion_version === null ? null : Number(e.champion_version),
    challengerVersion: Number(e.challenger_version),
    startedBy: e.started_by,
    reason: e.reason,
  };
}
