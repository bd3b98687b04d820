import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openLakay, replayCheck, type Registry } from "./invariants.js";
import { BACKENDS, createTestDatabase, type TestDatabase } from "./backends.js";

const WORKER = fileURLToPath(new URL("./fixtures/registry-worker.mjs", import.meta.url));
const DIST = fileURLToPath(new URL("../../dist/registry/index.js", import.meta.url));

interface WorkerResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function startWorker(job: Record<string, unknown>) {
  const child = spawn(process.execPath, [WORKER, JSON.stringify(job)], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const done = new Promise<WorkerResult>((resolve) =>
    child.on("exit", (code) => resolve({ code, stdout, stderr })),
  );
  return { child, done, output: () => stdout };
}

async function registerVersions(reg: Registry, model: string, n: number, tmp: string): Promise<void> {
  const exp = await reg.createExperiment("race");
  for (let i = 1; i <= n; i++) {
    const run = await reg.createRun({ experimentId: exp.id });
    const dir = path.join(tmp, `${model}-${i}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, "model.json"), JSON.stringify({ learner: { i } }));
    await reg.logArtifacts(run.id, dir);
    await reg.createModelVersion({ name: model, runId: run.id });
  }
}

for (const backend of BACKENDS) {
  describe(`separate processes against ${backend}`, () => {
    let db: TestDatabase;
    let tmp: string;
    let reg: Registry;

    beforeAll(async () => {
      if (!existsSync(DIST))
        throw new Error("dist/registry/index.js missing: run `npm run build` before these tests");
      db = await createTestDatabase(backend);
      tmp = mkdtempSync(path.join(os.tmpdir(), "lakay-race-"));
      reg = await openLakay({ registryUri: db.uri, artifactRoot: path.join(tmp, "artifacts") });
    });
    afterAll(async () => {
      await reg?.close();
      await db?.drop();
      rmSync(tmp, { recursive: true, force: true });
    });

    it("racing promotions never leave two Production versions, and the audit chain does not fork", async () => {
      const workers = 6;
      await registerVersions(reg, "raced", workers, tmp);
      const jobs = Array.from({ length: workers }, (_, i) =>
        startWorker({
          mode: "race",
          registryUri: db.uri,
          artifactRoot: path.join(tmp, "artifacts"),
          model: "raced",
          // Each worker promotes its own version and a neighbour's; half of them without archiveExisting.
          versions: [i + 1, ((i + 1) % workers) + 1],
          rounds: 4,
          archiveExisting: i % 2 === 0,
          alias: i % 3 === 0,
        }),
      );
      // Watch the live table while they race.
      let maxProduction = 0;
      let watching = true;
      const watcher = (async () => {
        while (watching) {
          const n = (await reg.listVersions("raced")).filter((v) => v.stage === "Production").length;
          maxProduction = Math.max(maxProduction, n);
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      const results = await Promise.all(jobs.map((j) => j.done));
      watching = false;
      await watcher;
      for (const r of results) expect(r.code, r.stderr).toBe(0);
      const summaries = results.map(
        (r) => JSON.parse(r.stdout.trim().split("\n").at(-1)!) as { promoted: number; conflicts: number },
      );
      const promoted = summaries.reduce((s, x) => s + x.promoted, 0);
      expect(promoted).toBeGreaterThan(0);

      expect(maxProduction).toBeLessThanOrEqual(1);
      const check = await replayCheck(reg, "raced");
      expect(check.maxProductionAtAnyEvent).toBe(1);
      expect(check.finalMatchesTables).toBe(true);
      const audit = await reg.verifyAudit();
      expect(audit.ok).toBe(true);
      const transitions = (await reg.listAudit({ model: "raced" })).filter(
        (e) => e.action === "stage.transition",
      );
      expect(transitions.filter((e) => e.details.to === "Production").length).toBe(
        (await reg.history("raced")).filter((e) => e.kind === "stage" && e.to === "Production").length,
      );
    });

    it("version numbers stay unique and gap-free when processes register at the same time", async () => {
      const dir = path.join(tmp, "shared-model");
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, "model.json"), "{}");
      const jobs = Array.from({ length: 4 }, () =>
        startWorker({
          mode: "register",
          registryUri: db.uri,
          artifactRoot: path.join(tmp, "artifacts"),
          model: "numbered",
          modelDir: dir,
          count: 5,
        }),
      );
      const results = await Promise.all(jobs.map((j) => j.done));
      for (const r of results) expect(r.code, r.stderr).toBe(0);
      const numbers = results
        .flatMap((r) => JSON.parse(r.stdout.trim()).numbers as number[])
        .sort((a, b) => a - b);
      expect(numbers).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      expect((await reg.listVersions("numbered")).map((v) => v.version)).toEqual(numbers);
      expect((await reg.verifyAudit()).ok).toBe(true);
    });

    it("kill -9 in the middle of a transition leaves the previous state intact", async () => {
      await registerVersions(reg, "killed", 2, tmp);
      await reg.transitionStage({ name: "killed", version: 1, stage: "Production", actor: "setup" });
      await reg.setAlias({ name: "killed", alias: "champion", version: 1, actor: "setup" });
      const auditBefore = await reg.listAudit();
      const historyBefore = await reg.history("killed");

      const w = startWorker({
        mode: "hang",
        registryUri: db.uri,
        artifactRoot: path.join(tmp, "artifacts"),
        model: "killed",
        version: 2,
      });
      for (let i = 0; i < 600 && !w.output().includes("in-transaction"); i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(w.output()).toContain("in-transaction");
      w.child.kill("SIGKILL");
      const r = await w.done;
      expect(r.code).toBeNull();

      // Reopen, as the next process would, and check the invariants.
      await reg.close();
      reg = await openLakay({ registryUri: db.uri, artifactRoot: path.join(tmp, "artifacts") });
      const versions = await reg.listVersions("killed");
      expect(versions.map((v) => [v.version, v.stage, v.aliases])).toEqual([
        [1, "Production", ["champion"]],
        [2, "None", []],
      ]);
      expect(await reg.history("killed")).toEqual(historyBefore);
      expect(await reg.listAudit()).toEqual(auditBefore);
      expect((await reg.verifyAudit()).ok).toBe(true);
      // The lock died with the process: the next promotion goes through.
      await reg.transitionStage({
        name: "killed",
        version: 2,
        stage: "Production",
        archiveExisting: true,
        actor: "next",
      });
      expect((await reg.resolveVersion("models:/killed/Production")).version).toBe(2);
      expect((await replayCheck(reg, "killed")).finalMatchesTables).toBe(true);
    });
  });
}
