import type { Kysely } from "kysely";
import { ConflictError, NotFoundError } from "../../errors/index.js";
import { defaultActor, nowIso } from "../actor.js";
import { appendAuditEntry } from "../audit/audit-chain.js";
import { checkAliasName, parseStage, parseVersionNumber } from "../model-uri.js";
import type {
  DeleteAliasInput,
  LayerDb,
  RegistryDialect,
  RegistryTx,
  SetAliasInput,
  TransitionStageInput,
} from "../registry.js";
import type { AuditEntry, AuditEntryInput, ModelVersion, Run, Stage } from "../types.js";
import type { RegistryDatabase } from "./database.js";
import { getVersion, latestInStage, requireModel, requireVersionRow } from "./queries.js";
import { loadRuns } from "./tracking-store.js";

/**
 * The registry's state-changing operations, bound to one write transaction. Each change writes its
 * history row and its audit entry through the same handle, so they commit or vanish together.
 */
export class SqlRegistryTx implements RegistryTx {
  constructor(
    readonly trx: Kysely<RegistryDatabase>,
    readonly dialect: RegistryDialect,
  ) {}

  /** The same transaction, for the other layers' tables (see `LayerDb`). */
  get db(): LayerDb {
    return this.trx as unknown as LayerDb;
  }

  appendAudit(entry: AuditEntryInput): Promise<AuditEntry> {
    return appendAuditEntry(this.trx, entry);
  }

  getVersion(name: string, version: number): Promise<ModelVersion> {
    return getVersion(this.trx, name, version);
  }

  getLatestVersion(name: string, stage: Stage): Promise<ModelVersion | null> {
    return latestInStage(this.trx, name, parseStage(stage));
  }

  async transitionStage(input: TransitionStageInput): Promise<ModelVersion> {
    const { name } = input;
    const version = parseVersionNumber(input.version);
    const stage = parseStage(input.stage);
    const actor = input.actor || defaultActor();
    const reason = input.reason ?? null;
    const row = await requireVersionRow(this.trx, name, version);
    const from = row.stage as Stage;
    if (from === stage) return getVersion(this.trx, name, version);

    const holders = await this.trx
      .selectFrom("model_versions")
      .select("version")
      .where("name", "=", name)
      .where("stage", "=", stage)
      .where("version", "!=", version)
      .orderBy("version")
      .execute();
    const archived: number[] = [];
    if (input.archiveExisting && (stage === "Production" || stage === "Staging")) {
      for (const h of holders) {
        const v = Number(h.version);
        await this.setStage(
          name,
          v,
          stage,
          "Archived",
          actor,
          `archived: version ${version} moved to ${stage}`,
        );
        archived.push(v);
      }
    } else if (stage === "Production" && holders.length > 0) {
      throw new ConflictError(
        `model ${name} already has version ${holders[0].version} in Production; archive it first or pass archiveExisting (--archive-existing)`,
      );
    }
    await this.setStage(name, version, from, stage, actor, reason);
    await this.appendAudit({
      actor,
      action: "stage.transition",
      model: name,
      version,
      details: { from, to: stage, archived, reason },
    });
    await this.touchModel(name);
    return getVersion(this.trx, name, version);
  }

  async setAlias(input: SetAliasInput): Promise<void> {
    const { name } = input;
    const alias = checkAliasName(input.alias);
    const version = parseVersionNumber(input.version);
    const actor = input.actor || defaultActor();
    await requireVersionRow(this.trx, name, version);
    const prev = await this.aliasRow(name, alias);
    if (prev && Number(prev.version) === version) return;
    const now = nowIso();
    if (prev) {
      await this.trx
        .updateTable("model_aliases")
        .set({ version, updated_at: now })
        .where("name", "=", name)
        .where("alias", "=", alias)
        .execute();
    } else {
      await this.trx.insertInto("model_aliases").values({ name, alias, version, updated_at: now }).execute();
    }
    const from = prev ? String(prev.version) : null;
    await this.history({
      model: name,
      kind: "alias",
      version,
      alias,
      from,
      to: String(version),
      actor,
      reason: input.reason,
    });
    await this.appendAudit({
      actor,
      action: "alias.set",
      model: name,
      version,
      details: { alias, from: prev ? Number(prev.version) : null, to: version, reason: input.reason ?? null },
    });
    await this.touchModel(name);
  }

  async deleteAlias(input: DeleteAliasInput): Promise<void> {
    const { name } = input;
    const alias = checkAliasName(input.alias);
    const actor = input.actor || defaultActor();
    const prev = await this.aliasRow(name, alias);
    if (!prev) {
      await requireModel(this.trx, name);
      throw new NotFoundError(`model ${name} has no alias ${alias}`);
    }
    await this.trx.deleteFrom("model_aliases").where("name", "=", name).where("alias", "=", alias).execute();
    const from = String(prev.version);
    await this.history({
      model: name,
      kind: "alias",
      version: null,
      alias,
      from,
      to: null,
      actor,
      reason: input.reason,
    });
    await this.appendAudit({
      actor,
      action: "alias.delete",
      model: name,
      version: Number(prev.version),
      details: { alias, from: Number(prev.version), to: null, reason: input.reason ?? null },
    });
    await this.touchModel(name);
  }

  async aliases(name: string): Promise<Record<string, number>> {
    const rows = await this.trx
      .selectFrom("model_aliases")
      .select(["alias", "version"])
      .where("name", "=", name)
      .orderBy("alias")
      .execute();
    return Object.fromEntries(rows.map((r) => [r.alias, Number(r.version)]));
  }

  async getRun(runId: string): Promise<Run> {
    const [run] = await loadRuns(this.trx, [runId]);
    if (!run) throw new NotFoundError(`run ${runId} not found`);
    return run;
  }

  private aliasRow(name: string, alias: string) {
    return this.trx
      .selectFrom("model_aliases")
      .select("version")
      .where("name", "=", name)
      .where("alias", "=", alias)
      .executeTakeFirst();
  }

  private async setStage(
    name: string,
    version: number,
    from: Stage,
    to: Stage,
    actor: string,
    reason: string | null,
  ) {
    await this.trx
      .updateTable("model_versions")
      .set({ stage: to, updated_at: nowIso() })
      .where("name", "=", name)
      .where("version", "=", version)
      .execute();
    await this.history({ model: name, kind: "stage", version, alias: null, from, to, actor, reason });
  }

  private async history(e: {
    model: string;
    kind: "stage" | "alias";
    version: number | null;
    alias: string | null;
    from: string | null;
    to: string | null;
    actor: string;
    reason?: string | null;
  }): Promise<void> {
    await this.trx
      .insertInto("model_history")
      .values({
        ts: nowIso(),
        model: e.model,
        kind: e.kind,
        version: e.version,
        alias: e.alias,
        from_value: e.from,
        to_value: e.to,
        actor: e.actor,
        reason: e.reason ?? null,
      })
      .execute();
  }

  private async touchModel(name: string): Promise<void> {
    await this.trx
      .updateTable("registered_models")
      .set({ updated_at: nowIso() })
      .where("name", "=", name)
      .execute();
  }
}
