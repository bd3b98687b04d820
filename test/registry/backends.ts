import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { sqliteUri } from "../../src/config/index.js";
// @ts-expect-error s3rver ships no types
import S3rver from "s3rver";

/** The PostgreSQL every development and CI machine runs (trust auth). */
export const PG_ADMIN_URI = process.env.LAKAY_TEST_PG_URI ?? "postgresql://postgres@127.0.0.1:5432/postgres";

/** A registry database for one test file: a temporary SQLite file or a fresh PostgreSQL database. */
export interface TestDatabase {
  uri: string;
  drop(): Promise<void>;
}

export type BackendName = "sqlite" | "postgresql";
export const BACKENDS: BackendName[] = ["sqlite", "postgresql"];

export async function createTestDatabase(backend: BackendName): Promise<TestDatabase> {
  if (backend === "sqlite") {
    const dir = mkdtempSync(path.join(os.tmpdir(), "lakay-reg-"));
    return {
      uri: sqliteUri(path.join(dir, "lakay.db")),
      drop: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const name = `lakay_test_${randomBytes(6).toString("hex")}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URI });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const uri = PG_ADMIN_URI.replace(/\/[^/]*$/, `/${name}`);
  return {
    uri,
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URI });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

/** An artifact root for one test file: a temporary folder, or a bucket on a loopback s3rver. */
export interface TestArtifactRoot {
  uri: string;
  env: NodeJS.ProcessEnv;
  /** Local folder where the object data lives (to tamper with it in tests). */
  dataDir: string;
  close(): Promise<void>;
}

export type StoreName = "file" | "s3";

export async function createTestArtifactRoot(store: StoreName): Promise<TestArtifactRoot> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `lakay-art-${store}-`));
  if (store === "file") {
    return {
      uri: path.join(dir, "artifacts"),
      env: {},
      dataDir: dir,
      close: async () => rmSync(dir, { recursive: true, force: true }),
    };
  }
  const server = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory: dir,
    configureBuckets: [{ name: "lakay" }],
  });
  const { port } = await server.run();
  const env = {
    AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${port}`,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "S3RVER",
    AWS_SECRET_ACCESS_KEY: "S3RVER",
  };
  return {
    uri: "s3://lakay/team-a",
    env,
    dataDir: dir,
    close: async () => {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Sets the AWS variables the S3 store reads from the process environment; returns a restore function. */
export function withEnv(vars: NodeJS.ProcessEnv): () => void {
  const saved: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(vars)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}
