import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openLakay } from "../../src/app/index.js";
import type { Kysely } from "kysely";
import { type Registry } from "../../src/registry/index.js";
import type { RegistryDatabase } from "../../src/registry/sql/database.js";
import {
  createTestArtifactRoot,
  createTestDatabase,
  withEnv,
  type BackendName,
  type StoreName,
  type TestArtifactRoot,
  type TestDatabase,
} from "./backends.js";

/** One behavioural suite, every backend and artifact store. */
const MATRIX: [BackendName, StoreName][] = [
  ["sqlite", "file"],
  ["postgresql", "file"],
  ["sqlite", "s3"],
  ["postgresql", "s3"],
];

function modelFolder(root: string, seed: string): string {
  const dir = path.join(root, `model-${seed}`);
  mkdirSync(path.join(dir, "extra"), { recursive: true });
  writeFileSync(path.join(dir, "model.json"), JSON.stringify({ learner: { seed } }));
  writeFileSync(path.join(dir, "features.json"), JSON.stringify({ names: ["amount"] }));
  writeFileSync(path.join(dir, "extra", "notes.txt"), `notes ${seed}\n`);
  return dir;
}

for (const [backend, store] of MATRIX) {
  describe(`registry on ${backend} with ${store} artifacts`, () => {
    let db: TestDatabase;
    let art: TestArtifactRoot;
    let reg: Registry;
    let tmp: string;
    let restoreEnv: () => void;

    beforeAll(async () => {
      db = await createTestDatabase(backend);
      art = await createTestArtifactRoot(store);
      restoreEnv = withEnv(art.env);
      tmp = mkdtempSync(path.join(os.tmpdir(), "lakay-contract-"));
      reg = await openLakay({
        registryUri: db.uri,
        artifactRoot: art.uri,
        cacheDir: path.join(tmp, "cache"),
      });
    });

    afterAll(async () => {
      await reg?.close();
      await db?.drop();
      await art?.close();
      restoreEnv?.();
      rmSync(tmp, { recursive: true, force: true });
    });

    async function newVersion(name: string, seed: string) {
      const exp = await reg.createExperiment("fraud");
      const run = await reg.createRun({ experimentId: exp.id, name: `train-${seed}` });
      await reg.logArtifacts(run.id, modelFolder(tmp, seed), "model");
      await reg.endRun(run.id);
      return reg.createModelVersion({ name, runId: run.id, artifactPath: "model", actor: "ci" });
    }

    it("tracks experiments and runs with params, metric series, tags and search", async () => {
      const exp = await reg.createExperiment("tracking");
      expect((await reg.createExperiment("tracking")).id).toBe(exp.id);
      const a = await reg.createRun({ experimentId: exp.id, tags: { team: "risk" } });
      const b = await reg.createRun({ experimentId: "tracking" });
      await reg.logParams(a.id, { max_depth: 8, eta: 0.05 });
      await reg.logMetrics(a.id, [
        { key: "auc_pr", value: 0.7, step: 0 },
        { key: "auc_pr", value: 0.9, step: 1 },
      ]);
      await reg.logMetrics(b.id, { auc_pr: 0.8 });
      await reg.setTags(b.id, { team: "ops" });
      const ended = await reg.endRun(a.id, "FINISHED");
      expect(ended.status).toBe("FINISHED");
      expect(ended.endTime).not.toBeNull();
      expect(ended.params).toEqual({ max_depth: "8", eta: "0.05" });
      expect(ended.metrics.auc_pr).toBe(0.9);
      expect((await reg.getMetricHistory(a.id, "auc_pr")).map((m) => m.value)).toEqual([0.7, 0.9]);
      expect(
        (await reg.searchRuns({ experimentId: exp.id, tags: { team: "risk" } })).map((r) => r.id),
      ).toEqual([a.id]);
      expect(
        (await reg.searchRuns({ experimentId: exp.id, metric: { key: "auc_pr", op: ">", value: 0.85 } })).map(
          (r) => r.id,
        ),
      ).toEqual([a.id]);
      expect(
        (await reg.searchRuns({ experimentId: exp.id, orderByMetric: "auc_pr" })).map((r) => r.id),
      ).toEqual([a.id, b.id]);
      expect((await reg.listExperiments()).map((e) => e.name)).toContain("tracking");
      await expect(reg.getRun("nope")).rejects.toMatchObject({ code: "NOT_FOUND" });
    });

    it("uploads artifacts with their SHA-256 and refuses to replace one with other contents", async () => {
      const exp = await reg.createExperiment("artifacts");
      const run = await reg.createRun({ experimentId: exp.id });
      const files = await reg.logArtifacts(run.id, modelFolder(tmp, "art"));
      expect(files.map((f) => f.path)).toEqual(["extra/notes.txt", "features.json", "model.json"]);
      expect(files.every((f) => /^[0-9a-f]{64}$/.test(f.sha256))).toBe(true);
      expect(run.artifactUri.startsWith(store === "s3" ? "s3://lakay/team-a/" : "file:///")).toBe(true);
      const other = path.join(tmp, "other");
      mkdirSync(other, { recursive: true });
      writeFileSync(path.join(other, "model.json"), "{}");
      await expect(reg.logArtifacts(run.id, other)).rejects.toMatchObject({ code: "CONFLICT" });
    });

    it("numbers versions per model, keeps checksums, and resolves every URI form", async () => {
      const v1 = await newVersion("fraud-detector", "a");
      const v2 = await newVersion("fraud-detector", "b");
      expect([v1.version, v2.version]).toEqual([1, 2]);
      expect(v1.stage).toBe("None");
      expect(v1.files.map((f) => f.path).sort()).toEqual(["extra/notes.txt", "features.json", "model.json"]);
      await reg.transitionStage({
        name: "fraud-detector",
        version: 1,
        stage: "Production",
        actor: "alice",
        reason: "first",
      });
      await reg.setAlias({ name: "fraud-detector", alias: "champion", version: 1, actor: "alice" });
      await reg.setAlias({ name: "fraud-detector", alias: "challenger", version: 2, actor: "alice" });
      expect((await reg.resolveVersion("models:/fraud-detector/Production")).version).toBe(1);
      expect((await reg.resolveVersion("models:/fraud-detector/production")).version).toBe(1);
      expect((await reg.resolveVersion("models:/fraud-detector/2")).version).toBe(2);
      expect((await reg.resolveVersion("models:/fraud-detector@challenger")).version).toBe(2);
      expect((await reg.resolveVersion("models:/fraud-detector/latest")).version).toBe(2);
      const versions = await reg.listVersions("fraud-detector");
      expect(versions.map((v) => [v.version, v.stage, v.aliases])).toEqual([
        [1, "Production", ["champion"]],
        [2, "None", ["challenger"]],
      ]);
      const resolved = await reg.resolveModelUri("models:/fraud-detector@champion");
      expect(JSON.parse(readFileSync(path.join(resolved.localDir, "model.json"), "utf8"))).toEqual({
        learner: { seed: "a" },
      });
      expect(
        JSON.parse(readFileSync(path.join(resolved.localDir, "manifest.json"), "utf8")).files,
      ).toHaveLength(3);
      // second resolution reuses the verified cache
      expect((await reg.resolveModelUri("models:/fraud-detector@champion")).localDir).toBe(resolved.localDir);
    });

    it("archives the current Production version in the same transaction, and refuses two without archiveExisting", async () => {
      await newVersion("promo", "p1");
      await newVersion("promo", "p2");
      await newVersion("promo", "p3");
      await reg.transitionStage({ name: "promo", version: 1, stage: "Production" });
      await expect(
        reg.transitionStage({ name: "promo", version: 2, stage: "Production" }),
      ).rejects.toMatchObject({ code: "CONFLICT" });
      expect((await reg.getVersion("promo", 2)).stage).toBe("None");
      await reg.transitionStage({
        name: "promo",
        version: 2,
        stage: "Production",
        archiveExisting: true,
        actor: "bob",
        reason: "better",
      });
      expect((await reg.listVersions("promo")).map((v) => v.stage)).toEqual([
        "Archived",
        "Production",
        "None",
      ]);
      await reg.transitionStage({ name: "promo", version: 3, stage: "Staging" });
      expect((await reg.getLatestVersion("promo", "Staging"))?.version).toBe(3);
    });

    it("holds the one-Production rule in the database itself, not only in code", async () => {
      await newVersion("guarded", "g1");
      await newVersion("guarded", "g2");
      await reg.transitionStage({ name: "guarded", version: 1, stage: "Production" });
      const raw = (reg as unknown as { backend: { db: import("kysely").Kysely<any> } }).backend.db; // eslint-disable-line @typescript-eslint/no-explicit-any
      await expect(
        raw
          .updateTable("model_versions")
          .set({ stage: "Production" })
          .where("name", "=", "guarded")
          .where("version", "=", 2)
          .execute(),
      ).rejects.toThrow(/unique|UNIQUE/);
      await expect(
        raw
          .updateTable("model_versions")
          .set({ stage: "Live" })
          .where("name", "=", "guarded")
          .where("version", "=", 2)
          .execute(),
      ).rejects.toThrow(/check|CHECK/);
    });

    it("keeps every stage and alias change as history, and answers what was true at an instant", async () => {
      await newVersion("hist", "h1");
      await newVersion("hist", "h2");
      await reg.transitionStage({
        name: "hist",
        version: 1,
        stage: "Production",
        actor: "alice",
        reason: "launch",
      });
      await reg.setAlias({ name: "hist", alias: "champion", version: 1, actor: "alice" });
      await new Promise((r) => setTimeout(r, 15));
      const night = new Date();
      await new Promise((r) => setTimeout(r, 15));
      await reg.transitionStage({
        name: "hist",
        version: 2,
        stage: "Production",
        archiveExisting: true,
        actor: "bob",
        reason: "v2",
      });
      await reg.setAlias({ name: "hist", alias: "champion", version: 2, actor: "bob" });
      await reg.deleteAlias({ name: "hist", alias: "champion", actor: "bob", reason: "cleanup" });
      const events = await reg.history("hist");
      expect(events.map((e) => [e.kind, e.version, e.alias, e.from, e.to, e.actor])).toEqual([
        ["stage", 1, null, "None", "Production", "alice"],
        ["alias", 1, "champion", null, "1", "alice"],
        ["stage", 1, null, "Production", "Archived", "bob"],
        ["stage", 2, null, "None", "Production", "bob"],
        ["alias", 2, "champion", "1", "2", "bob"],
        ["alias", null, "champion", "2", null, "bob"],
      ]);
      const then = await reg.stateAt("hist", night);
      expect(then.stages).toEqual([
        { version: 1, stage: "Production" },
        { version: 2, stage: "None" },
      ]);
      expect(then.aliases).toEqual({ champion: 1 });
      const now = await reg.stateAt("hist", new Date());
      expect(now.stages.find((s) => s.stage === "Production")?.version).toBe(2);
      expect(now.aliases).toEqual({});
    });

    it("writes a hash-chained audit entry with every change, and verifies the chain", async () => {
      await newVersion("audited", "x");
      const before = (await reg.listAudit()).length;
      await reg.transitionStage({
        name: "audited",
        version: 1,
        stage: "Staging",
        actor: "carol",
        reason: "try",
      });
      await reg.setAlias({ name: "audited", alias: "challenger", version: 1, actor: "carol" });
      const entry = await reg.appendAudit({
        actor: "dave",
        action: "approval.record",
        model: "audited",
        version: 1,
        details: { role: "bsa" },
      });
      const all = await reg.listAudit();
      expect(all.length).toBe(before + 3);
      expect(all.slice(-3).map((e) => e.action)).toEqual([
        "stage.transition",
        "alias.set",
        "approval.record",
      ]);
      expect(entry.prevHash).toBe(all[all.length - 2].hash);
      expect((await reg.listAudit({ model: "audited" })).every((e) => e.model === "audited")).toBe(true);
      const verdict = await reg.verifyAudit();
      expect(verdict).toMatchObject({ ok: true, checked: all.length, headHash: entry.hash });
    });

    it("runs other modules' writes and the audit append atomically, rolling both back on failure", async () => {
      await newVersion("atomic", "y");
      const before = await reg.listAudit();
      await expect(
        reg.transaction(async (tx) => {
          await tx.transitionStage({ name: "atomic", version: 1, stage: "Production", actor: "erin" });
          await tx.appendAudit({ actor: "erin", action: "deploy.promote", model: "atomic", version: 1 });
          throw new Error("validation gate failed after the writes");
        }),
      ).rejects.toThrow("validation gate failed");
      expect((await reg.getVersion("atomic", 1)).stage).toBe("None");
      expect(await reg.listAudit()).toEqual(before);
      expect(await reg.history("atomic")).toEqual([]);
      const out = await reg.transaction(async (tx) => {
        const v = await tx.transitionStage({
          name: "atomic",
          version: 1,
          stage: "Production",
          actor: "erin",
        });
        await tx.appendAudit({
          actor: "erin",
          action: "deploy.promote",
          model: "atomic",
          version: v.version,
        });
        return v.stage;
      });
      expect(out).toBe("Production");
      expect((await reg.verifyAudit()).ok).toBe(true);
      const seqs = await reg.read((db: Kysely<RegistryDatabase>) =>
        db.selectFrom("audit_log").select("seq").where("model", "=", "atomic").execute(),
      );
      expect(seqs.length).toBe(4); // model.create, model_version.create, stage.transition, deploy.promote
    });

    it("refuses in the database to update audit or history rows, or delete young ones", async () => {
      const raw = (reg as unknown as { backend: { db: import("kysely").Kysely<any> } }).backend.db; // eslint-disable-line @typescript-eslint/no-explicit-any
      await reg.appendAudit({ actor: "x", action: "probe" });
      await expect(raw.updateTable("audit_log").set({ actor: "mallory" }).execute()).rejects.toThrow(
        /append-only/,
      );
      await expect(raw.deleteFrom("audit_log").execute()).rejects.toThrow(/younger than 5 years/);
      await expect(raw.updateTable("model_history").set({ actor: "mallory" }).execute()).rejects.toThrow(
        /append-only/,
      );
      await expect(raw.deleteFrom("model_history").execute()).rejects.toThrow(/append-only/);
      expect((await reg.verifyAudit()).ok).toBe(true);
    });

    it("says which artifact fails its checksum and refuses to load the version", async () => {
      const v = await newVersion("tampered", "t");
      // Corrupt the stored model.json behind the registry's back.
      const { corruptArtifact } = await import("./tamper.js");
      const size = v.files.find((f) => f.path === "model.json")!.size;
      await corruptArtifact(store, art, v.source, "model.json", size);
      await expect(
        reg.resolveModelUri("models:/tampered/1", { cacheDir: path.join(tmp, "cache2") }),
      ).rejects.toThrow(/artifact model\.json fails its checksum/);
      await expect(reg.downloadVersion("tampered", 1, path.join(tmp, "dl-tampered"))).rejects.toMatchObject({
        code: "VALIDATION_FAILED",
      });
    });

    it("raises typed errors for unknown models, versions, aliases and stages", async () => {
      await newVersion("errs", "e");
      await expect(reg.resolveVersion("models:/ghost/Production")).rejects.toMatchObject({
        code: "NOT_FOUND",
        message: "model ghost not found",
      });
      await expect(reg.getVersion("errs", 9)).rejects.toMatchObject({
        code: "NOT_FOUND",
        message: "model errs has no version 9",
      });
      await expect(reg.resolveVersion("models:/errs@nobody")).rejects.toMatchObject({ code: "NOT_FOUND" });
      await expect(reg.resolveVersion("models:/errs/Production")).rejects.toThrow(
        "model errs has no version in Production",
      );
      await expect(
        reg.transitionStage({ name: "errs", version: 1, stage: "Prod" as never }),
      ).rejects.toMatchObject({ code: "BAD_INPUT" });
      await expect(reg.deleteAlias({ name: "errs", alias: "nobody" })).rejects.toMatchObject({
        code: "NOT_FOUND",
      });
      await expect(reg.deleteAlias({ name: "ghost", alias: "champion" })).rejects.toMatchObject({
        code: "NOT_FOUND",
        message: "model ghost not found",
      });
      await expect(reg.resolveVersion("runs:/abc")).rejects.toMatchObject({ code: "BAD_INPUT" });
    });
  });
}
