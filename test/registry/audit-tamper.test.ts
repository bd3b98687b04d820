import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql, type Kysely } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openLakay } from "../../src/app/index.js";
import { type Registry } from "../../src/registry/index.js";
import { BACKENDS, createTestDatabase, type TestDatabase } from "./backends.js";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyDb = Kysely<any>;

/** What someone with database access (and the will to drop a trigger first) could do. */
async function withoutGuards(reg: Registry, fn: (db: AnyDb) => Promise<void>): Promise<void> {
  const db = (reg as unknown as { backend: { db: AnyDb } }).backend.db;
  if (reg.dialect === "sqlite") {
    await sql`DROP TRIGGER audit_log_no_update`.execute(db);
    await sql`DROP TRIGGER audit_log_no_delete`.execute(db);
  } else {
    await sql`ALTER TABLE audit_log DISABLE TRIGGER USER`.execute(db);
  }
  await fn(db);
}

for (const backend of BACKENDS) {
  describe(`audit chain tamper detection on ${backend}`, () => {
    let db: TestDatabase;
    let reg: Registry;
    let art: string;

    beforeAll(async () => {
      art = mkdtempSync(path.join(os.tmpdir(), "lakay-audit-"));
    });
    afterAll(async () => {
      rmSync(art, { recursive: true, force: true });
    });

    async function fresh(): Promise<Registry> {
      db = await createTestDatabase(backend);
      reg = await openLakay({ registryUri: db.uri, artifactRoot: art });
      for (let i = 1; i <= 5; i++) await reg.appendAudit({ actor: "ops", action: "probe", details: { i } });
      expect((await reg.verifyAudit()).ok).toBe(true);
      return reg;
    }
    async function done(): Promise<void> {
      await reg.close();
      await db.drop();
    }

    it("names the first edited entry", async () => {
      await fresh();
      await withoutGuards(reg, (raw) =>
        raw
          .updateTable("audit_log")
          .set({ details: '{"i":99}' })
          .where("seq", "=", 3)
          .execute()
          .then(() => {}),
      );
      expect(await reg.verifyAudit()).toMatchObject({
        ok: false,
        checked: 2,
        firstBroken: { seq: 3, reason: expect.stringMatching(/edited/) },
      });
      await done();
    });

    it("names a deleted entry", async () => {
      await fresh();
      await withoutGuards(reg, (raw) =>
        raw
          .deleteFrom("audit_log")
          .where("seq", "=", 2)
          .execute()
          .then(() => {}),
      );
      expect(await reg.verifyAudit()).toMatchObject({
        ok: false,
        firstBroken: { seq: 2, reason: expect.stringMatching(/missing/) },
      });
      await done();
    });

    it("catches an edit whose own hash was recomputed, at the next entry", async () => {
      await fresh();
      const { auditEntryHash } = await import("../../src/registry/index.js");
      await withoutGuards(reg, async (raw) => {
        const row = await raw
          .selectFrom("audit_log")
          .selectAll()
          .where("seq", "=", 4)
          .executeTakeFirstOrThrow();
        const details = '{"i":40}';
        const hash = auditEntryHash({
          seq: 4,
          timestamp: row.ts,
          actor: row.actor,
          action: row.action,
          model: row.model,
          version: row.version,
          details,
          prevHash: row.prev_hash,
        });
        await raw.updateTable("audit_log").set({ details, hash }).where("seq", "=", 4).execute();
      });
      expect(await reg.verifyAudit()).toMatchObject({
        ok: false,
        firstBroken: { seq: 5, reason: expect.stringMatching(/prev_hash/) },
      });
      await done();
    });
  });
}
