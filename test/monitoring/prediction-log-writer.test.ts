import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Kysely } from "kysely";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  countPredictions,
  insertPredictions,
  PredictionLogWriter,
  type MonitoringDatabase,
  type PredictionLogWriterOptions,
} from "../../src/monitoring/index.js";
import type { Registry } from "../../src/registry/index.js";
import {
  BACKENDS,
  createTestRegistryHome,
  openTestRegistry,
  type TestRegistryHome,
} from "../deploy/helpers.js";
import { logRow } from "./log-row.js";

const row = (i: number) => logRow(i, { variant: i % 2 ? "challenger" : "champion" });

describe.each(BACKENDS)("prediction log writer on %s", (backend) => {
  let home: TestRegistryHome;
  let registry: Registry;
  let dir: string;
  beforeAll(async () => {
    home = await createTestRegistryHome(backend);
    registry = await openTestRegistry(home);
    dir = mkdtempSync(path.join(os.tmpdir(), "lakay-spill-"));
  });
  afterAll(async () => {
    await registry.close();
    await home.drop();
    rmSync(dir, { recursive: true, force: true });
  });
  /** A writer on this registry (silent; queue 50, batches of 20, a timer too slow to tick in a test), with `opts` changed. */
  const writerWith = (
    opts: Pick<PredictionLogWriterOptions, "spillFile"> & Partial<PredictionLogWriterOptions>,
  ) =>
    new PredictionLogWriter({
      registry,
      logger: pino({ level: "silent" }),
      queueCapacity: 50,
      batchSize: 20,
      flushMs: 60_000,
      ...opts,
    });

  it("stores a large batch in one call outside the write lock: repeats and stored rows skipped, nulls kept", async () => {
    const model = "bulk";
    const rows = Array.from({ length: 2_500 }, (_, i) => ({
      ...row(i),
      model,
      ml_score: i % 3 ? 0.1 : null,
      experiment_id: i % 2 ? "e-1" : null,
      // Some rows carry their rules; the others have no such key, as records spilled before step 7.
      ...(i % 4 === 0 ? { rules_triggered: `[{"id":"r${i}","weight":0.3}]` } : {}),
    }));
    // 2,500 rows: three statements on PostgreSQL; a repeat inside the batch and one already stored.
    await insertPredictions(registry, rows.slice(0, 10));
    await insertPredictions(registry, [...rows, rows[7], rows[2_000]]);
    expect(await countPredictions(registry, model)).toBe(2_500);
    const stored = await registry.read((db: Kysely<MonitoringDatabase>) =>
      db
        .selectFrom("prediction_log")
        .select(["transaction_id", "ml_score", "experiment_id", "amount", "rules_triggered"])
        .where("model", "=", model)
        .where("transaction_id", "in", ["t-3", "t-4", "t-2498"])
        .orderBy("transaction_id")
        .execute(),
    );
    expect(
      stored.map((r) => [r.transaction_id, r.ml_score, r.experiment_id, Number(r.amount), r.rules_triggered]),
    ).toEqual([
      ["t-2498", 0.1, null, 2498, null],
      ["t-3", null, "e-1", 3, null],
      ["t-4", 0.1, null, 4, '[{"id":"r4","weight":0.3}]'],
    ]);
    await expect(registry.appendRows("prediction_log; DROP TABLE x", ["ts"], [{ ts: "" }])).rejects.toThrow(
      /not a plain SQL identifier/,
    );
  });

  it("spills while the store fails, replays in order when it is back, never doubles a row, and close() writes the rest", async () => {
    let down = false;
    const spillFile = path.join(dir, "log.jsonl");
    // The spill file, and the one being replayed when a replay failed half-way.
    const spilled = () =>
      [spillFile, `${spillFile}.replaying`]
        .filter((f) => existsSync(f))
        .reduce((n, f) => n + readFileSync(f, "utf8").split("\n").filter(Boolean).length, 0);
    const writer = writerWith({
      spillFile,
      store: async (rows) => {
        if (down) throw new Error("connection refused");
        await insertPredictions(registry, rows);
      },
      closeRetryMs: 600,
    });
    for (let i = 0; i < 30; i++) writer.append(row(i));
    await writer.flush();
    expect(await countPredictions(registry, "m")).toBe(30);

    down = true;
    for (let i = 30; i < 130; i++) writer.append(row(i)); // 50 queued, 50 overflow to the spill
    expect(writer.stats.overflowed).toBe(50);
    expect(spilled()).toBe(0); // the overflow is written once, after the current turn of the event loop
    await new Promise((resolve) => setImmediate(resolve));
    expect(spilled()).toBe(50);
    await writer.flush();
    expect(writer.queueDepth).toBe(0);
    expect(spilled()).toBe(100);
    expect(await countPredictions(registry, "m")).toBe(30);

    down = false;
    for (let i = 130; i < 140; i++) writer.append(row(i));
    await writer.flush();
    expect(await countPredictions(registry, "m")).toBe(140);
    expect(spilled()).toBe(0);

    // A replay of rows already stored changes nothing (a crash between commit and unlink).
    await insertPredictions(registry, [row(5), row(6)]);
    expect(await countPredictions(registry, "m")).toBe(140);

    down = true;
    for (let i = 140; i < 145; i++) writer.append(row(i));
    await writer.close(); // database still down: the rest goes to the spill file
    expect(spilled()).toBe(5);
    down = false;
    const next = writerWith({ spillFile });
    await next.flush(); // a new process replays what the last one spilled
    expect(await countPredictions(registry, "m")).toBe(145);
    await next.close();
  });

  it("two replicas replaying one shared spill file at once store each row once and neither fails", async () => {
    // Replicas with one Lakay home share its spill folder: both find the file when the database is back.
    const spillFile = path.join(dir, "shared.jsonl");
    const shared = (i: number) => ({ ...row(i), model: "shared" });
    writeFileSync(spillFile, Array.from({ length: 45 }, (_, i) => JSON.stringify(shared(i)) + "\n").join(""));
    const a = writerWith({ spillFile });
    const b = writerWith({ spillFile });
    await Promise.all([a.flush(), b.flush()]);
    expect([a.lastError, b.lastError]).toEqual([null, null]);
    expect(await countPredictions(registry, "shared")).toBe(45);
    expect(existsSync(spillFile) || existsSync(`${spillFile}.replaying`)).toBe(false);
    await Promise.all([a.close(), b.close()]);
  });

  it("replays a spill file of several read pieces, lines cut across pieces and non-ASCII text kept", async () => {
    const spillFile = path.join(dir, "pieces.jsonl");
    const model = "spill-pieces";
    // ~3 MB: dozens of stream chunks; "ë" is two bytes, so chunk boundaries fall inside lines and characters.
    const rows = Array.from({ length: 6_000 }, (_, i) => ({
      ...row(i),
      model,
      user_id: `Zoë-${"ë".repeat(i % 97)}`,
    }));
    writeFileSync(spillFile, rows.map((r) => JSON.stringify(r)).join("\n") + '\n{"ts":"cut short by kill -9');
    const writer = writerWith({ spillFile, batchSize: 500 });
    await writer.flush(); // a new process replays what the last one spilled
    expect(writer.stats.replayed).toBe(6_000);
    expect(await countPredictions(registry, model)).toBe(6_000);
    expect(existsSync(spillFile) || existsSync(`${spillFile}.replaying`)).toBe(false);
    const stored = await registry.read((db: Kysely<MonitoringDatabase>) =>
      db
        .selectFrom("prediction_log")
        .select(["transaction_id", "user_id"])
        .where("model", "=", model)
        .where("transaction_id", "in", ["t-96", "t-5999"])
        .orderBy("transaction_id")
        .execute(),
    );
    expect(stored).toEqual([
      { transaction_id: "t-5999", user_id: rows[5999].user_id },
      { transaction_id: "t-96", user_id: rows[96].user_id },
    ]);
    await writer.close();
  });

  it("close() retries a database whose first writes after an outage still fail, and stores everything", async () => {
    const spillFile = path.join(dir, "close-retry.jsonl");
    let refusals = 3; // the flush in close() and two retries
    const writer = writerWith({
      spillFile,
      store: async (rows) => {
        if (refusals > 0) {
          refusals--;
          throw new Error("Connection terminated unexpectedly");
        }
        await insertPredictions(registry, rows);
      },
    });
    const before = await countPredictions(registry, "m");
    for (let i = 0; i < 30; i++) writer.append({ ...row(i), transaction_id: `close-${i}` });
    await writer.close();
    expect(refusals).toBe(0);
    expect(await countPredictions(registry, "m")).toBe(before + 30);
    expect(existsSync(spillFile) || existsSync(`${spillFile}.replaying`)).toBe(false);
  });

  it("writes a full batch as soon as it is full, without waiting for the timer", async () => {
    const writer = writerWith({
      queueCapacity: 100,
      batchSize: 10,
      flushMs: 3_600_000, // the timer never ticks during the test
      spillFile: path.join(dir, "full-batch.jsonl"),
    });
    writer.start();
    const rows = Array.from({ length: 10 }, (_, i) => ({ ...row(i), model: "full-batch" }));
    for (const r of rows.slice(0, 9)) writer.append(r);
    await new Promise((resolve) => setImmediate(resolve));
    expect(writer.queueDepth).toBe(9); // not full: waits for the timer
    const stored = new Promise<void>((resolve) => (writer.onStored = () => resolve()));
    writer.append(rows[9]);
    await stored;
    expect(await countPredictions(registry, "full-batch")).toBe(10);
    await writer.close();
  });
});
