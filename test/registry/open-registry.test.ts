import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, describe, expect, it } from "vitest";
import { sqliteUri } from "../../src/config/index.js";
import { LAKAY_MIGRATIONS, openLakay } from "../../src/app/index.js";
import { openRegistry, schemaSteps, sqlitePath, type Migration } from "../../src/registry/index.js";
import { BACKENDS, createTestDatabase, type TestDatabase } from "./backends.js";

describe("openRegistry", () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "lakay-open-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("lists the known schemes when the URI has an unknown one", async () => {
    await expect(
      openLakay({ registryUri: "mysql://root:secret@db/lakay", artifactRoot: tmp }),
    ).rejects.toThrow(
      'invalid registry URI "mysql://root:****@db/lakay": expected sqlite://, postgresql://, postgres:// (unknown scheme "mysql")',
    );
  });

  it("names the URI, password masked, and the cause when PostgreSQL cannot be reached", async () => {
    const err = await openLakay({
      registryUri: "postgresql://lakay:hunter2@127.0.0.1:1/lakay",
      artifactRoot: tmp,
    }).catch((e) => e);
    expect(err.code).toBe("SERVICE_UNAVAILABLE");
    expect(err.message).toMatch(
      /^cannot open registry postgresql:\/\/lakay:\*\*\*\*@127\.0\.0\.1:1\/lakay: .*ECONNREFUSED/,
    );
    expect(err.message).not.toContain("hunter2");
  });

  it("reads sqlite URIs the way SQLAlchemy and MLflow do", () => {
    expect(sqlitePath("sqlite:////var/lakay/lakay.db")).toBe("/var/lakay/lakay.db");
    expect(sqlitePath("sqlite:///.lakay/lakay.db")).toBe(path.resolve(".lakay/lakay.db"));
    expect(sqlitePath("sqlite://rel/lakay.db")).toBe(path.resolve("rel/lakay.db"));
    expect(sqlitePath("sqlite:///:memory:")).toBe(":memory:");
    expect(sqliteUri("/var/lakay/lakay.db")).toBe("sqlite:////var/lakay/lakay.db");
    expect(sqlitePath(sqliteUri("rel/x.db"))).toBe(path.resolve("rel/x.db"));
  });

  it("refuses a three-slash URI that used to mean an existing absolute file", () => {
    const file = path.join(tmp, "old.db");
    writeFileSync(file, "");
    const old = `sqlite://${file}`; // sqlite:///tmp/...: now relative to the working folder
    expect(() => sqlitePath(old)).toThrow(`for the existing ${file} write sqlite:///${file}`);
  });

  it("rejects an artifact root with an unknown scheme", async () => {
    await expect(
      openLakay({ registryUri: sqliteUri(`${tmp}/a.db`), artifactRoot: "gs://bucket" }),
    ).rejects.toThrow(/unknown scheme "gs" \(known: file, s3/);
  });
});

/** The schema steps in the order they shipped; a database records each by version and name. */
const SHIPPED = [
  "initial",
  "deployment",
  "gate",
  "serving",
  "monitoring",
  "change-notify",
  "prediction-rules",
];

describe("schema steps from several layers", () => {
  const part = (version: number, name: string): Migration => ({ version, name, up: async () => {} });

  it("groups one step's parts from two layers, in the order given", () => {
    const steps = schemaSteps([part(1, "a"), part(3, "c"), part(2, "b"), part(3, "c")]);
    expect(steps.map((s) => [s.version, s.name, s.parts.length])).toEqual([
      [1, "a", 1],
      [2, "b", 1],
      [3, "c", 2],
    ]);
  });

  it("refuses a missing step, naming it, and two names for one step", () => {
    expect(() => schemaSteps([part(1, "a"), part(3, "c")])).toThrow(/schema step 2 is missing/);
    expect(() => schemaSteps([part(1, "a"), part(1, "b")])).toThrow(
      'schema step 1 is named both "a" and "b"',
    );
  });
});

for (const backend of BACKENDS) {
  describe(`migrations on ${backend}`, () => {
    const dbs: TestDatabase[] = [];
    afterAll(async () => {
      for (const d of dbs) await d.drop();
    });

    it("apply once, then open without changes; refuse a database newer than the code", async () => {
      const db = await createTestDatabase(backend);
      dbs.push(db);
      const art = mkdtempSync(path.join(os.tmpdir(), "lakay-mig-"));
      const reg = await openLakay({ registryUri: db.uri, artifactRoot: art });
      const raw = (reg as unknown as { backend: { db: import("kysely").Kysely<any> } }).backend.db; // eslint-disable-line @typescript-eslint/no-explicit-any
      const rows = await raw
        .selectFrom("lakay_schema_migrations")
        .select(["version", "name"])
        .orderBy("version")
        .execute();
      // The steps as they shipped, whichever layer now holds them: databases have recorded these.
      expect(rows.map((r) => [Number(r.version), r.name])).toEqual(SHIPPED.map((name, i) => [i + 1, name]));
      // Opening again (several at once) applies nothing and does not fail.
      const again = await Promise.all(
        [1, 2, 3].map(() => openLakay({ registryUri: db.uri, artifactRoot: art })),
      );
      for (const r of again) await r.close();
      // A newer Lakay migrated this database further: this code must refuse it.
      await sql`INSERT INTO lakay_schema_migrations (version, name, applied_at) VALUES (${SHIPPED.length + 1}, 'future', '2030-01-01T00:00:00.000Z')`.execute(
        raw,
      );
      await reg.close();
      await expect(openLakay({ registryUri: db.uri, artifactRoot: art })).rejects.toThrow(
        new RegExp(
          `has schema version ${SHIPPED.length + 1}, newer than this Lakay understands \\(${SHIPPED.length}\\)`,
        ),
      );
      rmSync(art, { recursive: true, force: true });
    });

    it("refuses to open without a layer's steps, and a database that recorded a step under another name", async () => {
      const db = await createTestDatabase(backend);
      dbs.push(db);
      const art = mkdtempSync(path.join(os.tmpdir(), "lakay-mig-"));
      const withoutServing = LAKAY_MIGRATIONS.filter((m) => m.name !== "serving");
      await expect(
        openRegistry({ registryUri: db.uri, artifactRoot: art, migrations: withoutServing }),
      ).rejects.toThrow(/schema step 4 is missing \(next known: 5 "monitoring"\)/);
      const reg = await openLakay({ registryUri: db.uri, artifactRoot: art });
      const raw = (reg as unknown as { backend: { db: import("kysely").Kysely<any> } }).backend.db; // eslint-disable-line @typescript-eslint/no-explicit-any
      await sql`UPDATE lakay_schema_migrations SET name = 'deploy' WHERE version = 2`.execute(raw);
      await reg.close();
      await expect(openLakay({ registryUri: db.uri, artifactRoot: art })).rejects.toThrow(
        'recorded schema step 2 as "deploy", which this Lakay calls "deployment"',
      );
      rmSync(art, { recursive: true, force: true });
    });
  });
}
