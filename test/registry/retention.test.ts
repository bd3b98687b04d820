import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql, type Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openLakay } from "../../src/app/index.js";
import { auditEntryHash, canonicalJson, GENESIS_HASH, type Registry } from "../../src/registry/index.js";
import { BACKENDS, createTestDatabase, type TestDatabase } from "./backends.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/** §7.3: five years of records, held by the database itself; and an audit chain that still verifies after a purge. */
for (const backend of BACKENDS) {
  describe(`retention on ${backend}`, () => {
    let db: TestDatabase;
    let reg: Registry;
    let dir: string;
    const raw = <T>(fn: (d: AnyDb) => Promise<T>) => reg.read(fn);

    beforeAll(async () => {
      db = await createTestDatabase(backend);
      dir = mkdtempSync(path.join(os.tmpdir(), "lakay-retention-"));
      reg = await openLakay({
        registryUri: db.uri,
        artifactRoot: path.join(dir, "artifacts"),
        env: { LAKAY_HOME: dir },
      });
      // Three audit entries from 2015, chained from the genesis hash: old enough to be purged.
      let prev = GENESIS_HASH;
      await raw(async (d) => {
        for (let seq = 1; seq <= 3; seq++) {
          const row = {
            seq,
            ts: `2015-0${seq}-01T00:00:00.000Z`,
            actor: "legacy",
            action: "legacy.event",
            model: null,
            version: null,
            details: canonicalJson({ n: seq }),
            prev_hash: prev,
          };
          const hash = auditEntryHash({ ...row, timestamp: row.ts, prevHash: prev });
          await d
            .insertInto("audit_log")
            .values({ ...row, hash })
            .execute();
          prev = hash;
        }
      });
    });
    afterAll(async () => {
      await reg?.close();
      await db?.drop();
      rmSync(dir, { recursive: true, force: true });
    });

    it("refuses to delete runs, their params, metrics and tags, and model versions younger than 5 years", async () => {
      const exp = await reg.createExperiment("retention");
      const run = await reg.createRun({ experimentId: exp.id });
      await reg.logParams(run.id, { max_depth: 6 });
      await reg.logMetrics(run.id, { auc_pr: 0.9 });
      await reg.setTags(run.id, { dataset: "paysim" });
      const model = mkdtempSync(path.join(dir, "model-"));
      writeFileSync(path.join(model, "model.json"), "{}");
      await reg.logArtifacts(run.id, model);
      await reg.createModelVersion({ name: "kept", runId: run.id });
      for (const table of ["run_params", "run_metrics", "run_tags", "model_versions", "runs"]) {
        await expect(
          raw((d) => d.deleteFrom(table).execute()),
          table,
        ).rejects.toThrow(new RegExp(`${table} rows younger than 5 years cannot be deleted`));
      }
      if (backend === "postgresql") {
        await expect(raw((d) => sql`TRUNCATE run_params`.execute(d))).rejects.toThrow(/TRUNCATE refused/);
      }
      expect((await reg.getRun(run.id)).params).toEqual({ max_depth: "6" });
    });

    it("lets a run older than 5 years go, params first", async () => {
      const exp = await reg.createExperiment("retention");
      await raw(async (d) => {
        await d
          .insertInto("runs")
          .values({
            id: "old-run",
            experiment_id: Number(exp.id),
            name: null,
            status: "FINISHED",
            start_time: "2015-01-01T00:00:00.000Z",
            end_time: "2015-01-01T01:00:00.000Z",
            artifact_uri: "file:///nowhere",
          })
          .execute();
        await d.insertInto("run_params").values({ run_id: "old-run", key: "k", value: "v" }).execute();
        await d.deleteFrom("run_params").where("run_id", "=", "old-run").execute();
        await d.deleteFrom("runs").where("id", "=", "old-run").execute();
      });
      await expect(reg.getRun("old-run")).rejects.toThrow(/not found/);
    });

    it("purges audit entries older than 5 years only, and verifies the rest from the checkpoint", async () => {
      await reg.appendAudit({ actor: "ops", action: "drill", details: { step: 1 } });
      const before = await reg.verifyAudit();
      expect(before.ok).toBe(true);
      const total = before.checked;
      expect(total).toBeGreaterThan(3);
      // Young entries stay whatever `before` says; the database would refuse them anyway.
      await expect(raw((d) => d.deleteFrom("audit_log").where("seq", "=", total).execute())).rejects.toThrow(
        /younger than 5 years/,
      );
      const purge = await reg.purgeAudit({ before: new Date(), actor: "records-officer" });
      expect(purge).toMatchObject({ purged: 3, checkpoint: { seq: 3, actor: "records-officer" } });
      const after = await reg.verifyAudit();
      expect(after).toMatchObject({ ok: true, checked: total - 3 + 1, checkpoint: { seq: 3 } });
      const entries = await reg.listAudit();
      expect(entries[0].seq).toBe(4);
      expect(entries.at(-1)).toMatchObject({ action: "audit.purge", actor: "records-officer" });
      expect(await reg.purgeAudit({ before: new Date() })).toEqual({ purged: 0, checkpoint: null });
      // The checkpoint itself cannot be rewritten or removed.
      await expect(raw((d) => d.deleteFrom("audit_checkpoints").execute())).rejects.toThrow(/append-only/);
    });

    it("still names an edited entry after the checkpoint", async () => {
      await raw(async (d) => {
        if (backend === "sqlite") await sql`DROP TRIGGER audit_log_no_update`.execute(d);
        else await sql`ALTER TABLE audit_log DISABLE TRIGGER USER`.execute(d);
        await sql`UPDATE audit_log SET actor = 'mallory' WHERE seq = 5`.execute(d);
      });
      const r = await reg.verifyAudit();
      expect(r).toMatchObject({ ok: false, firstBroken: { seq: 5 } });
    });
  });
}
