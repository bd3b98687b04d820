import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import { BadInputError, ConflictError, NotFoundError } from "../../errors/index.js";
import { nowIso } from "../actor.js";
import { planUpload, uploadPlanned } from "../artifacts/artifact-transfer.js";
import { openArtifactStore } from "../artifacts/open-artifact-store.js";
import { joinKey } from "../artifacts/artifact-store.js";
import { canonicalJson } from "../audit/canonical-json.js";
import type { CreateRunInput, MetricInput, SearchRunsInput } from "../registry.js";
import {
  isRunStatus,
  type ArtifactFile,
  type Experiment,
  type MetricPoint,
  type Run,
  type RunStatus,
  type Tags,
} from "../types.js";
import type { SqlBackend } from "./backend.js";
import type { RegistryDatabase } from "./database.js";
import { parseJson } from "./queries.js";

/**
 * Experiments and runs: params, metric series, tags and artifacts. The model registry builds on it.
 */
export class TrackingStore {
  protected readonly db: Kysely<RegistryDatabase>;

  constructor(
    protected readonly backend: SqlBackend,
    readonly artifactRoot: string,
  ) {
    this.db = backend.db;
  }

  async createExperiment(name: string, tags: Tags = {}): Promise<Experiment> {
    if (!name.trim()) throw new BadInputError("an experiment needs a name");
    const found = await this.db
      .selectFrom("experiments")
      .selectAll()
      .where("name", "=", name)
      .executeTakeFirst();
    if (found) return toExperiment(found);
    return this.backend.writeTransaction(async (trx) => {
      const again = await trx
        .selectFrom("experiments")
        .selectAll()
        .where("name", "=", name)
        .executeTakeFirst();
      if (again) return toExperiment(again);
      await trx
        .insertInto("experiments")
        .values({ name, created_at: nowIso(), tags: canonicalJson(tags) })
        .execute();
      return toExperiment(
        await trx.selectFrom("experiments").selectAll().where("name", "=", name).executeTakeFirstOrThrow(),
      );
    });
  }

  async getExperiment(idOrName: string): Promise<Experiment> {
    let q = this.db.selectFrom("experiments").selectAll();
    q = /^\d+$/.test(idOrName)
      ? q.where((eb) => eb.or([eb("id", "=", Number(idOrName)), eb("name", "=", idOrName)]))
      : q.where("name", "=", idOrName);
    const row = await q.orderBy("id").executeTakeFirst();
    if (!row) throw new NotFoundError(`experiment ${idOrName} not found`);
    return toExperiment(row);
  }

  async listExperiments(): Promise<Experiment[]> {
    return (await this.db.selectFrom("experiments").selectAll().orderBy("id").execute()).map(toExperiment);
  }

  async createRun(input: CreateRunInput): Promise<Run> {
    const exp = await this.getExperiment(input.experimentId);
    const id = randomUUID().replace(/-/g, "");
    const artifactUri = `${this.artifactRoot.replace(/\/+$/, "")}/${exp.id}/${id}/artifacts`;
    await this.backend.writeTransaction(async (trx) => {
      await trx
        .insertInto("runs")
        .values({
          id,
          experiment_id: Number(exp.id),
          name: input.name ?? null,
          status: "RUNNING",
          start_time: input.startTime ?? nowIso(),
          end_time: null,
          artifact_uri: artifactUri,
        })
        .execute();
      const tags = Object.entries(input.tags ?? {});
      if (tags.length)
        await trx
          .insertInto("run_tags")
          .values(tags.map(([key, value]) => ({ run_id: id, key, value: String(value) })))
          .execute();
    });
    return this.getRun(id);
  }

  async getRun(runId: string): Promise<Run> {
    const [run] = await this.loadRuns([runId]);
    if (!run) throw new NotFoundError(`run ${runId} not found`);
    return run;
  }

  async logParams(runId: string, params: Record<string, string | number | boolean>): Promise<void> {
    await this.requireRun(runId);
    const rows = Object.entries(params).map(([key, value]) => ({ run_id: runId, key, value: String(value) }));
    if (!rows.length) return;
    await this.backend.writeTransaction(async (trx) => {
      await trx
        .insertInto("run_params")
        .values(rows)
        .onConflict((oc) =>
          oc.columns(["run_id", "key"]).doUpdateSet((eb) => ({ value: eb.ref("excluded.value") })),
        )
        .execute();
    });
  }

  async logMetrics(runId: string, metrics: MetricInput[] | Record<string, number>): Promise<void> {
    await this.requireRun(runId);
    const list: MetricInput[] = Array.isArray(metrics)
      ? metrics
      : Object.entries(metrics).map(([key, value]) => ({ key, value }));
    const ts = nowIso();
    const rows = list.map((m) => {
      if (!m.key) throw new BadInputError("a metric needs a key");
      if (typeof m.value !== "number" || Number.isNaN(m.value))
        throw new BadInputError(`metric ${m.key}: value must be a number`);
      return { run_id: runId, key: m.key, value: m.value, step: m.step ?? 0, ts: m.timestamp ?? ts };
    });
    if (!rows.length) return;
    await this.backend.writeTransaction(async (trx) => {
      for (let i = 0; i < rows.length; i += 500)
        await trx
          .insertInto("run_metrics")
          .values(rows.slice(i, i + 500))
          .execute();
    });
  }

  async getMetricHistory(runId: string, key: string): Promise<MetricPoint[]> {
    await this.requireRun(runId);
    const rows = await this.db
      .selectFrom("run_metrics")
      .selectAll()
      .where("run_id", "=", runId)
      .where("key", "=", key)
      .orderBy("step")
      .orderBy("id")
      .execute();
    return rows.map((r) => ({ key: r.key, value: Number(r.value), step: Number(r.step), timestamp: r.ts }));
  }

  async setTags(runId: string, tags: Tags): Promise<void> {
    await this.requireRun(runId);
    const rows = Object.entries(tags).map(([key, value]) => ({ run_id: runId, key, value: String(value) }));
    if (!rows.length) return;
    await this.backend.writeTransaction(async (trx) => {
      await trx
        .insertInto("run_tags")
        .values(rows)
        .onConflict((oc) =>
          oc.columns(["run_id", "key"]).doUpdateSet((eb) => ({ value: eb.ref("excluded.value") })),
        )
        .execute();
    });
  }

  async logArtifacts(runId: string, localDir: string, subPath?: string): Promise<ArtifactFile[]> {
    const run = await this.getRun(runId);
    const store = openArtifactStore(run.artifactUri);
    const before = new Map((await this.listArtifacts(runId)).map((f) => [f.path, f]));
    const planned = await planUpload(localDir, subPath ? joinKey(subPath) : "");
    // Artifacts are immutable once logged: a model version registered from them must stay loadable.
    for (const p of planned) {
      const old = before.get(p.file.path);
      if (old && old.sha256 !== p.file.sha256) {
        throw new ConflictError(
          `run ${runId} already has artifact ${p.file.path} with different contents; artifacts cannot be replaced`,
        );
      }
    }
    const fresh = planned.filter((p) => !before.has(p.file.path));
    // Files first, rows after: a row never points at an object that is not fully there.
    await uploadPlanned(store, fresh);
    if (fresh.length) {
      await this.backend.writeTransaction(async (trx) => {
        for (let i = 0; i < fresh.length; i += 200) {
          await trx
            .insertInto("run_artifacts")
            .values(
              fresh
                .slice(i, i + 200)
                .map(({ file: f }) => ({ run_id: runId, path: f.path, sha256: f.sha256, size: f.size })),
            )
            .execute();
        }
      });
    }
    return planned.map((p) => p.file);
  }

  async listArtifacts(runId: string): Promise<ArtifactFile[]> {
    const rows = await this.db
      .selectFrom("run_artifacts")
      .selectAll()
      .where("run_id", "=", runId)
      .orderBy("path")
      .execute();
    return rows.map((r) => ({ path: r.path, sha256: r.sha256, size: Number(r.size) }));
  }

  async endRun(runId: string, status: Exclude<RunStatus, "RUNNING"> = "FINISHED"): Promise<Run> {
    if (!isRunStatus(status) || (status as RunStatus) === "RUNNING")
      throw new BadInputError(`invalid final run status ${JSON.stringify(status)}`);
    await this.requireRun(runId);
    await this.backend.writeTransaction(async (trx) => {
      await trx.updateTable("runs").set({ status, end_time: nowIso() }).where("id", "=", runId).execute();
    });
    return this.getRun(runId);
  }

  async searchRuns(input: SearchRunsInput = {}): Promise<Run[]> {
    let q = this.db.selectFrom("runs").select("id").orderBy("start_time", "desc").orderBy("id", "desc");
    if (input.experimentId !== undefined)
      q = q.where("experiment_id", "=", Number((await this.getExperiment(input.experimentId)).id));
    if (input.status) q = q.where("status", "=", input.status);
    for (const [key, value] of Object.entries(input.tags ?? {})) {
      q = q.where((eb) =>
        eb.exists(
          eb
            .selectFrom("run_tags")
            .select("run_tags.run_id")
            .whereRef("run_tags.run_id", "=", "runs.id")
            .where("run_tags.key", "=", key)
            .where("run_tags.value", "=", value),
        ),
      );
    }
    const ids = (await q.execute()).map((r) => r.id);
    let runs = await this.loadRuns(ids);
    const m = input.metric;
    if (m) {
      runs = runs.filter((r) => {
        const v = r.metrics[m.key];
        if (v === undefined) return false;
        return m.op === ">"
          ? v > m.value
          : m.op === ">="
            ? v >= m.value
            : m.op === "<"
              ? v < m.value
              : m.op === "<="
                ? v <= m.value
                : v === m.value;
      });
    }
    const key = input.orderByMetric;
    if (key) runs.sort((a, b) => (b.metrics[key] ?? -Infinity) - (a.metrics[key] ?? -Infinity));
    return input.limit ? runs.slice(0, input.limit) : runs;
  }

  private async requireRun(runId: string): Promise<void> {
    const row = await this.db.selectFrom("runs").select("id").where("id", "=", runId).executeTakeFirst();
    if (!row) throw new NotFoundError(`run ${runId} not found`);
  }

  /** Loads runs with params, latest metrics and tags, in the order of `ids`. */
  private loadRuns(ids: string[]): Promise<Run[]> {
    return loadRuns(this.db, ids);
  }
}

function toExperiment(row: { id: number; name: string; created_at: string; tags: string }): Experiment {
  return {
    id: String(row.id),
    name: row.name,
    createdAt: row.created_at,
    tags: parseJson<Tags>(row.tags, {}),
  };
}

/** Runs with their params, tags and latest metrics, through any handle (a transaction's too). */
export async function loadRuns(db: Kysely<RegistryDatabase>, ids: string[]): Promise<Run[]> {
  if (ids.length === 0) return [];
  const out: Run[] = [];
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const [runs, params, tags, metrics] = await Promise.all([
      db.selectFrom("runs").selectAll().where("id", "in", chunk).execute(),
      db.selectFrom("run_params").selectAll().where("run_id", "in", chunk).execute(),
      db.selectFrom("run_tags").selectAll().where("run_id", "in", chunk).execute(),
      db
        .selectFrom("run_metrics")
        .selectAll()
        .where("run_id", "in", chunk)
        .orderBy("step")
        .orderBy("id")
        .execute(),
    ]);
    const byId = new Map<string, Run>();
    for (const r of runs) {
      byId.set(r.id, {
        id: r.id,
        experimentId: String(r.experiment_id),
        name: r.name,
        status: r.status as RunStatus,
        startTime: r.start_time,
        endTime: r.end_time,
        artifactUri: r.artifact_uri,
        params: {},
        metrics: {},
        tags: {},
      });
    }
    for (const p of params) byId.get(p.run_id)!.params[p.key] = p.value;
    for (const t of tags) byId.get(t.run_id)!.tags[t.key] = t.value;
    // Ordered by step then insertion: the last one seen is the latest value.
    for (const m of metrics) byId.get(m.run_id)!.metrics[m.key] = Number(m.value);
    for (const id of chunk) {
      const run = byId.get(id);
      if (run) out.push(run);
    }
  }
  return out;
}
