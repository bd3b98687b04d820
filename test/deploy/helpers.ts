import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { sqliteUri } from "../../src/config/index.js";
import { openLakay } from "../../src/app/index.js";
import { type ModelVersion, type Registry } from "../../src/registry/index.js";

export const PG_ADMIN_URI = process.env.LAKAY_TEST_PG_URI ?? "postgresql://postgres@127.0.0.1:5432/postgres";
export type BackendName = "sqlite" | "postgresql";
export const BACKENDS: BackendName[] = ["sqlite", "postgresql"];

/** A fresh registry database and artifact folder for one test file; `drop()` removes both. */
export interface TestRegistryHome {
  uri: string;
  artifactRoot: string;
  dir: string;
  drop(): Promise<void>;
}

export async function createTestRegistryHome(backend: BackendName): Promise<TestRegistryHome> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "lakay-deploy-"));
  const artifactRoot = path.join(dir, "artifacts");
  if (backend === "sqlite") {
    return {
      uri: sqliteUri(path.join(dir, "lakay.db")),
      artifactRoot,
      dir,
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `lakay_test_deploy_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URI });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return {
    uri: PG_ADMIN_URI.replace(/\/[^/]*$/, `/${name}`),
    artifactRoot,
    dir,
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URI });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function openTestRegistry(home: TestRegistryHome): Promise<Registry> {
  // LAKAY_HOME in the test home: the verified-model cache goes there, not into the checkout's .lakay.
  return openLakay({ registryUri: home.uri, artifactRoot: home.artifactRoot, env: { LAKAY_HOME: home.dir } });
}

/**
 * Registers a new version whose model.json is placeholder bytes (tests pair it with a fake loader),
 * in stage None, or in `stage` (e.g. Staging, where the promotion gate wants it).
 */
export async function registerPlaceholderVersion(
  registry: Registry,
  name: string,
  opts: { stage?: "Staging"; tags?: Record<string, string> } = {},
): Promise<ModelVersion> {
  const exp = await registry.createExperiment("deploy-tests");
  const run = await registry.createRun({ experimentId: exp.id });
  const dir = mkdtempSync(path.join(os.tmpdir(), "lakay-deploy-model-"));
  writeFileSync(
    path.join(dir, "model.json"),
    JSON.stringify({ placeholder: randomBytes(8).toString("hex") }),
  );
  await registry.logArtifacts(run.id, dir);
  await registry.endRun(run.id, "FINISHED");
  rmSync(dir, { recursive: true, force: true });
  const v = await registry.createModelVersion({ name, runId: run.id, actor: "trainer", tags: opts.tags });
  if (!opts.stage) return v;
  return registry.transitionStage({ name, version: v.version, stage: opts.stage, actor: "trainer" });
}
