import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generatePaysim, readPaysim, transactionAt, type Transactions } from "../../src/data/index.js";
import { buildFeatures, FEATURE_NAMES, type FeatureMatrix } from "../../src/features/index.js";
import { createTestRegistryHome, type TestRegistryHome } from "../deploy/helpers.js";
import { call, registryEnv, startServer, type RunningServer } from "../serving/serving-fixture.js";
import { startRedis, type Service } from "./services.js";

/**
 * Issue #17, online features in Redis: two `lakay serve` replicas (rules-only: features do not need
 * a model) share one Debian redis-server started here on its own port. The same customers'
 * transactions, sent alternately to the two replicas, must get exactly the batch builder's
 * features; a retry sent to the other replica gets the first answer; with Redis gone, scoring goes
 * on degraded (and says so, and an alert opens), and it recovers by itself when Redis is back.
 */
describe("two replicas sharing online features in Redis", () => {
  let dir: string;
  let home: TestRegistryHome;
  let redis: Service | undefined;
  let redisPort: number;
  let a: RunningServer | undefined;
  let b: RunningServer | undefined;
  let tx: Transactions;
  let batch: FeatureMatrix;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "lakay-redis-"));
    const file = path.join(dir, "gen.csv");
    await generatePaysim({ rows: 3000, seed: 11, customers: 150 }, file);
    tx = (await readPaysim(file)).tx;
    batch = buildFeatures(tx);
    redis = await startRedis(path.join(dir, "redis"));
    redisPort = redis.port;
    home = await createTestRegistryHome("postgresql");
    const url = `redis://127.0.0.1:${redisPort}/0`;
    [a, b] = await Promise.all([
      startServer(registryEnv(home), "--feature-store", url),
      startServer({ ...registryEnv(home), LAKAY_FEATURE_STORE: url }), // the environment works too
    ]);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
    await home?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const requestOf = (i: number, prefix = "t") => {
    const record = transactionAt(tx, i);
    delete record.isFraud;
    delete record.isFlaggedFraud;
    return { transaction_id: `${prefix}-${i}`, ...record };
  };

  function expectBatchFeatures(i: number, features: Record<string, number>): void {
    FEATURE_NAMES.forEach((name, k) => {
      if (!Object.is(features[name], batch.columns[k][i]))
        expect.fail(`row ${i} ${name}: served ${features[name]}, batch ${batch.columns[k][i]}`);
    });
  }

  it("gives each transaction exactly the batch features, whichever replica scores it", async () => {
    expect(Math.max(...batch.columns[8])).toBeGreaterThan(2); // customers do come back within a day
    const half = Math.floor(tx.rows / 2);
    for (let i = 0; i < half; i++) {
      const r = await call(`${(i % 2 ? b : a)!.url}/api/v1/fraud/score?features=true`, "POST", requestOf(i));
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.features_degraded).toBe(false);
      expectBatchFeatures(i, r.body.features);
    }
    // The rest in batches of 25, alternating too: a customer's transactions in one batch see each other.
    for (let start = half, n = 0; start < tx.rows; start += 25, n++) {
      const rows = Array.from({ length: Math.min(25, tx.rows - start) }, (_, k) => start + k);
      const r = await call(`${(n % 2 ? b : a)!.url}/api/v1/fraud/score/batch?features=true`, "POST", {
        transactions: rows.map((i) => requestOf(i)),
      });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      rows.forEach((i, k) => expectBatchFeatures(i, r.body.results[k].features));
    }
    const mon = (await call(`${a!.url}/api/v1/serving/monitoring`, "GET")).body;
    expect(mon.feature_store).toMatchObject({ kind: "redis", reachable: true, degraded_since: null });
    // Two commands per score: the read (MGET) and the commit (EVALSHA).
    expect(mon.feature_store.redis_commands.mget).toBe(mon.feature_store.scores.scored);
  }, 240_000);

  it("answers a retry on the other replica with the first answer, counted once", async () => {
    const req = { ...requestOf(0, "retry"), nameOrig: "C-retry", user_id: "C-retry", step: 100 };
    const first = await call(`${a!.url}/api/v1/fraud/score?features=true`, "POST", req);
    expect(first.status).toBe(200);
    const again = await call(`${b!.url}/api/v1/fraud/score?features=true`, "POST", req);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    const changed = await call(`${b!.url}/api/v1/fraud/score`, "POST", { ...req, amount: req.amount + 1 });
    expect(changed.status).toBe(409);
    // The customer's history holds the retried transaction once: an hour later it counts 1, not 2.
    const next = await call(`${a!.url}/api/v1/fraud/score?features=true`, "POST", {
      ...req,
      transaction_id: "retry-next",
      step: 101,
    });
    expect(next.body.features.velocity_count_1h).toBe(1);
    expect(next.body.features.velocity_amount_1h).toBe(req.amount);
  }, 60_000);

  it("scores degraded while Redis is away, raises an alert, and recovers by itself", async () => {
    await redis!.stop();
    const down = await call(`${a!.url}/api/v1/fraud/score`, "POST", requestOf(1, "down"));
    expect(down.status).toBe(200);
    expect(down.body.features_degraded).toBe(true);
    const downB = await call(`${b!.url}/api/v1/fraud/score/batch`, "POST", {
      transactions: [requestOf(2, "down"), requestOf(3, "down")],
    });
    expect(downB.status).toBe(200);
    expect(downB.body.results.map((r: { features_degraded: boolean }) => r.features_degraded)).toEqual([
      true,
      true,
    ]);
    const db = new pg.Client({ connectionString: home.uri });
    await db.connect();
    try {
      const openAlerts = async () =>
        Number(
          (
            await db.query(
              "SELECT count(*) AS n FROM monitoring_alerts WHERE kind = 'feature_store' AND resolved_at IS NULL",
            )
          ).rows[0].n,
        );
      let deadline = Date.now() + 10_000;
      while ((await openAlerts()) === 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      expect(await openAlerts()).toBeGreaterThan(0);
      expect((await call(`${a!.url}/api/v1/serving/monitoring`, "GET")).body.feature_store.reachable).toBe(
        false,
      );

      redis = await startRedis(path.join(dir, "redis"), redisPort); // same port: the replicas reconnect
      deadline = Date.now() + 20_000;
      let degraded = true;
      for (let i = 0; degraded && Date.now() < deadline; i++) {
        const r = await call(`${a!.url}/api/v1/fraud/score`, "POST", requestOf(4 + i, "back"));
        expect(r.status).toBe(200);
        degraded = r.body.features_degraded as boolean;
        if (degraded) await new Promise((r) => setTimeout(r, 200));
      }
      expect(degraded).toBe(false);
      deadline = Date.now() + 10_000;
      while ((await openAlerts()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      // Replica B reconnects too; its alert resolves when it does (no request needed).
      expect(await openAlerts()).toBe(0);
    } finally {
      await db.end();
    }
  }, 90_000);
});
