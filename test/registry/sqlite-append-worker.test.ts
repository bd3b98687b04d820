import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countPredictions, insertPredictions } from "../../src/monitoring/index.js";
import type { Registry } from "../../src/registry/index.js";
import { packRows } from "../../src/registry/sql/packed-rows.js";
import { SqliteAppendWorker } from "../../src/registry/sql/sqlite-append-worker.js";
import { createTestRegistryHome, openTestRegistry, type TestRegistryHome } from "../deploy/helpers.js";
import { spawnChildSync } from "../helpers/cli.js";
import { logRow } from "../monitoring/log-row.js";

const row = (model: string, i: number) => logRow(i, { model, rules_triggered: null });
const rows = (model: string, n: number) => Array.from({ length: n }, (_, i) => row(model, i));

describe("SQLite appendRows in a worker thread", () => {
  let home: TestRegistryHome;
  let registry: Registry;
  beforeAll(async () => {
    home = await createTestRegistryHome("sqlite");
    registry = await openTestRegistry(home);
  });
  afterAll(async () => {
    await registry.close();
    await home.drop();
  });

  it("commits before it resolves: the main connection reads the rows right after", async () => {
    await insertPredictions(registry, rows("read-after", 1_000));
    expect(await countPredictions(registry, "read-after")).toBe(1_000);
    // Again, with 300 new ones: full chunks skip the rows already there, as row by row did.
    await insertPredictions(registry, rows("read-after", 1_300));
    expect(await countPredictions(registry, "read-after")).toBe(1_300);
    // Concurrent calls each resolve after their own rows.
    await Promise.all([
      insertPredictions(registry, rows("a", 300)),
      insertPredictions(registry, rows("b", 200)),
    ]);
    expect([await countPredictions(registry, "a"), await countPredictions(registry, "b")]).toEqual([
      300, 200,
    ]);
  });

  it("rejects with the SQLite error the insert met, and the next call works", async () => {
    const first = row("dup", 1);
    const columns = Object.keys(first);
    await registry.appendRows("prediction_log", columns, [first]);
    // Without skipDuplicatesOf, the same (model, transaction_id) breaks the unique constraint.
    await expect(registry.appendRows("prediction_log", columns, [first])).rejects.toMatchObject({
      code: "SQLITE_CONSTRAINT_UNIQUE",
    });
    // A NOT NULL column left null.
    await expect(
      registry.appendRows("prediction_log", columns, [{ ...first, model: null, transaction_id: "t-2" }]),
    ).rejects.toMatchObject({ code: "SQLITE_CONSTRAINT_NOTNULL" });
    await expect(registry.appendRows("no_such_table", ["x"], [{ x: 1 }])).rejects.toThrow(/no such table/);
    await insertPredictions(registry, rows("after-errors", 10));
    expect(await countPredictions(registry, "after-errors")).toBe(10);
  });

  it("close() commits the calls still under way", async () => {
    const h = await createTestRegistryHome("sqlite");
    try {
      const r = await openTestRegistry(h);
      await insertPredictions(r, rows("warm", 1)); // the worker is up
      const pending = [insertPredictions(r, rows("late", 1_000)), insertPredictions(r, rows("later", 500))];
      await r.close();
      await Promise.all(pending);
      await expect(insertPredictions(r, rows("closed", 1))).rejects.toThrow(/closed/);
      const again = await openTestRegistry(h);
      expect([await countPredictions(again, "late"), await countPredictions(again, "later")]).toEqual([
        1_000, 500,
      ]);
      await again.close();
    } finally {
      await h.drop();
    }
  });
});

describe("SqliteAppendWorker", () => {
  let dir: string;
  let file: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "lakay-append-"));
    file = path.join(dir, "t.db");
    const db = new Database(file);
    db.pragma("journal_mode = WAL");
    db.exec("CREATE TABLE t (x INTEGER NOT NULL)");
    // No column affinity: SQLite keeps each value as it was bound.
    db.exec("CREATE TABLE v (a, b, c)");
    db.exec("CREATE TABLE v_by_name (a, b, c)");
    db.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const count = () => {
    const db = new Database(file, { readonly: true });
    const n = (db.prepare("SELECT count(*) AS n FROM t").get() as { n: number }).n;
    db.close();
    return n;
  };

  const stored = (table: string) => {
    const db = new Database(file, { readonly: true });
    const rows = db
      .prepare(
        `SELECT a, b, c, typeof(a) AS ta, typeof(b) AS tb, typeof(c) AS tc FROM ${table} ORDER BY rowid`,
      )
      .all();
    db.close();
    return rows;
  };

  it("stores packed rows as the same rows bound by name would be", async () => {
    const rows = [
      { a: 1.5, b: "héllo ✓ \u0000 x", c: null },
      { a: -0, b: "", c: 2 ** 53 },
      { a: 3, b: "0", c: 1e-300 },
      { a: Number.MAX_VALUE, b: "🙂", c: -7 },
    ];
    expect(packRows(rows, ["a", "b", "c"])).not.toBeNull();
    const w = new SqliteAppendWorker({ file, busyTimeoutMs: 100, chunkRows: 3 });
    await w.append("v", ["a", "b", "c"], rows, []);
    await w.close();
    const db = new Database(file);
    const insert = db.prepare("INSERT INTO v_by_name (a, b, c) VALUES (@a, @b, @c)");
    for (const r of rows) insert.run(r);
    db.close();
    expect(stored("v")).toHaveLength(4);
    expect(stored("v")).toEqual(stored("v_by_name"));
  });

  it("writes a full chunk in one statement, all or nothing, skipping duplicates as row by row", async () => {
    const w = new SqliteAppendWorker({ file, busyTimeoutMs: 100, chunkRows: 2 });
    const before = count();
    // The second chunk breaks NOT NULL: its transaction is rolled back, the first chunk stays.
    await expect(
      w.append("t", ["x"], [{ x: 10 }, { x: 11 }, { x: 12 }, { x: null }], []),
    ).rejects.toMatchObject({
      code: "SQLITE_CONSTRAINT_NOTNULL",
    });
    expect(count()).toBe(before + 2);
    await w.close();
  });

  it("runs none of a call's chunks after the one that failed, though they were sent before it failed", async () => {
    const w = new SqliteAppendWorker({ file, busyTimeoutMs: 100, chunkRows: 2 });
    const before = count();
    const xs = [20, 21, 22, null, 23, 24, 25, 26, 27, 28].map((x) => ({ x }));
    await expect(w.append("t", ["x"], xs, [])).rejects.toMatchObject({ code: "SQLITE_CONSTRAINT_NOTNULL" });
    expect(count()).toBe(before + 2);
    // The next call is not held by that failure.
    await w.append("t", ["x"], [{ x: 29 }, { x: 30 }, { x: 31 }], []);
    expect(count()).toBe(before + 5);
    await w.close();
  });

  it("sends a chunk holding another kind of value as objects, bound by name as before", async () => {
    expect(packRows([{ a: 1 }, { a: Buffer.from("x") }], ["a"])).toBeNull();
    expect(packRows([{ a: 1 }, { a: undefined }], ["a"])).toBeNull();
    expect(packRows([{ a: true }], ["a"])).toBeNull();
    const w = new SqliteAppendWorker({ file, busyTimeoutMs: 100, chunkRows: 128 });
    await w.append("v", ["a", "b", "c"], [{ a: Buffer.from("blob"), b: "s", c: 1 }], []);
    // A missing value is still refused by name, as before.
    await expect(w.append("v", ["a", "b", "c"], [{ a: 1, b: "s" }], [])).rejects.toThrow(/named parameter/);
    await w.close();
    expect(stored("v").at(-1)).toMatchObject({ b: "s", c: 1, ta: "blob" });
  });

  it("rejects when the database cannot be opened", async () => {
    const w = new SqliteAppendWorker({
      file: path.join(dir, "missing.db"),
      busyTimeoutMs: 100,
      chunkRows: 128,
    });
    await expect(w.append("t", ["x"], [{ x: 1 }], [])).rejects.toMatchObject({ code: "SQLITE_CANTOPEN" });
    await w.close();
  });

  it("fails the calls a dead worker held instead of hanging, and starts a new worker for the next", async () => {
    const w = new SqliteAppendWorker({ file, busyTimeoutMs: 100, chunkRows: 128 });
    const before = count();
    const call = w.append("t", ["x"], [{ x: 1 }], []);
    // The worker thread itself, stopped while the call waits for it (as a crash would).
    await (
      w as unknown as { worker: { worker: { terminate(): Promise<number> } } }
    ).worker.worker.terminate();
    await expect(call).rejects.toThrow(/sqlite append worker stopped unexpectedly/);
    await w.append("t", ["x"], [{ x: 2 }, { x: 3 }], []);
    expect(count()).toBe(before + 2);
    await w.close();
  });

  it("rejects rows that cannot be sent (a function is no SQL value)", async () => {
    const w = new SqliteAppendWorker({ file, busyTimeoutMs: 100, chunkRows: 128 });
    await expect(w.append("t", ["x"], [{ x: () => 1 }], [])).rejects.toThrow();
    await w.append("t", ["x"], [{ x: 4 }], []);
    await w.close();
  });

  it("does not keep the process alive when idle", () => {
    // A child appends and never closes: it must exit by itself, with its rows committed.
    const before = count();
    const moduleUrl = new URL("../../dist/registry/sql/sqlite-append-worker.js", import.meta.url).href;
    const script = `
      const { SqliteAppendWorker } = await import(${JSON.stringify(moduleUrl)});
      const w = new SqliteAppendWorker({ file: ${JSON.stringify(file)}, busyTimeoutMs: 1000, chunkRows: 2 });
      await w.append("t", ["x"], [{ x: 5 }, { x: 6 }, { x: 7 }], []);
      w.append("t", ["x"], [{ x: 8 }], []); // not awaited: the worker holds the process until it commits
    `;
    const scriptFile = path.join(dir, "append-and-leave.mjs");
    writeFileSync(scriptFile, script);
    const r = spawnChildSync(process.execPath, [scriptFile]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(count()).toBe(before + 4);
  });
});
