import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readServingState } from "../../src/serving/index.js";
import { bucketOf, variantForBucket } from "../../src/serving/index.js";
import {
  BACKENDS,
  createTestRegistryHome,
  openTestRegistry,
  type TestRegistryHome,
} from "../deploy/helpers.js";
import {
  buildServingRegistry,
  call,
  createToken,
  generateTraffic,
  lakay,
  mapConcurrent,
  promoteThroughGate,
  registryEnv,
  startServer,
  type RunningServer,
} from "./serving-fixture.js";

/**
 * Issue #14's "done when", end to end on loopback: a registry built the quickstart's way →
 * `lakay serve` → 10,000 transactions → 90/10 split (10 % ± 1 % of users on the challenger,
 * each user sticky) → promotion through the gate → reload → monitoring names the new version →
 * ML off → rules-only answers → restart → split and switch as left. On SQLite and PostgreSQL.
 */
let work: string;
let dataset: string;
let transactions: Record<string, unknown>[];

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), "lakay-serve-e2e-"));
  dataset = path.join(work, "paysim.csv");
  lakay({}, "generate", "paysim", "--rows", "20000", "--seed", "42", "--out", dataset);
  transactions = (await generateTraffic(work, 12000, 7)).map((t) => t.tx);
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.each(BACKENDS)("lakay serve end to end on %s", (backend) => {
  let home: TestRegistryHome;
  let env: NodeJS.ProcessEnv;
  let server: RunningServer | undefined;
  let token: string;
  let config: string;

  beforeAll(() => {
    return (async () => {
      home = await createTestRegistryHome(backend);
      env = registryEnv(home);
      buildServingRegistry(home, dataset);
      token = createToken(env, "alice", "ml_engineer");
      config = path.join(home.dir, "serving.yaml");
      writeFileSync(config, "reload:\n  poll_seconds: 0.3\n");
    })();
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
    await home?.drop();
  });

  it("scores, splits 90/10 sticky, reloads a promotion, switches ML off, and keeps it all over a restart", async () => {
    server = await startServer(env, "--config", config);
    const api = `${server.url}/api/v1`;
    expect((await call(`${server.url}/readyz`, "GET")).body).toMatchObject({ ready: true, mode: "hybrid" });
    // The prediction log's spill folder is in Lakay's home, not in the working directory.
    expect(existsSync(path.join(home.dir, "spill"))).toBe(true);

    // 10,000 transactions, all on the champion (no experiment yet).
    const first = await mapConcurrent(transactions.slice(0, 10_000), 16, (tx, i) =>
      call(`${api}/fraud/score`, "POST", { ...tx, transaction_id: `pre-${i}` }),
    );
    expect(first).toHaveLength(10_000);
    expect(first.every((r) => r.status === 200)).toBe(true);
    expect(first.every((r) => r.body.variant === "champion" && r.body.mode === "hybrid")).toBe(true);
    expect(
      first.every((r) => r.body.model.version === 1 && r.body.ml_score >= 0 && r.body.ml_score <= 1),
    ).toBe(true);
    expect(new Set(first.map((r) => r.body.risk_tier)).size).toBeGreaterThan(1);

    // A retry gets the same answer and is not counted again.
    const retry = await call(`${api}/fraud/score`, "POST", { ...transactions[5], transaction_id: "pre-5" });
    expect(retry.body).toEqual(first[5].body);
    let mon = (await call(`${api}/serving/monitoring`, "GET")).body;
    expect(mon.predictions.total).toBe(10_000);
    expect(mon.model).toMatchObject({ name: "fraud-detector", version: 1, stage: "Production" });
    expect(mon).toHaveProperty("drift"); // computed by the monitoring issue (#15)

    // The split needs a token; then 90/10 against the newest Staging version (3).
    expect(
      (await call(`${api}/serving/routing`, "POST", { champion_pct: 90, challenger_pct: 10 })).status,
    ).toBe(401);
    const viewer = createToken(env, "victor", "viewer");
    expect(
      (await call(`${api}/serving/routing`, "POST", { champion_pct: 90, challenger_pct: 10 }, viewer)).status,
    ).toBe(403);
    const bad = await call(`${api}/serving/routing`, "POST", { champion_pct: 90, challenger_pct: 20 }, token);
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe("challenger_pct");
    const set = await call(
      `${api}/serving/routing`,
      "POST",
      { champion_pct: 90, challenger_pct: 10, reason: "canary" },
      token,
    );
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({
      enabled: true,
      champion_pct: 90,
      challenger_pct: 10,
      champion_model: "fraud-detector",
      champion_version: "1",
      challenger_model: "fraud-detector",
      challenger_version: "3",
    });

    // 10,000 users through the batch endpoint, then 2,000 of them again one by one.
    const users = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);
    const variantOf = new Map<string, string>();
    for (let b = 0; b < users.length; b += 500) {
      const batch = users
        .slice(b, b + 500)
        .map((u, k) => ({ ...transactions[b + k], user_id: u, transaction_id: `ab-${b + k}` }));
      const r = await call(`${api}/fraud/score/batch`, "POST", { transactions: batch });
      expect(r.status).toBe(200);
      r.body.results.forEach((res: { variant: string; transaction_id: string }, k: number) => {
        expect(res.transaction_id).toBe(`ab-${b + k}`);
        variantOf.set(users[b + k], res.variant);
      });
    }
    const share = [...variantOf.values()].filter((v) => v === "challenger").length / users.length;
    expect(share).toBeGreaterThan(0.09);
    expect(share).toBeLessThan(0.11);
    const again = await mapConcurrent(users.slice(0, 2000), 16, (u, i) =>
      call(`${api}/fraud/score`, "POST", {
        ...transactions[10_000 + i],
        user_id: u,
        transaction_id: `again-${i}`,
      }),
    );
    again.forEach((r, i) => expect(r.body.variant).toBe(variantOf.get(users[i])));
    const challengerAnswer = again.find((r) => r.body.variant === "challenger")!;
    expect(challengerAnswer.body.model.version).toBe(3);

    // The assignment is exactly hash(salt + user) mod 10,000 against the split, salt from the registry.
    const registry = await openTestRegistry(home);
    const state = await readServingState(registry, "fraud-detector");
    expect(state.routing).toMatchObject({
      championPct: 90,
      challengerPct: 10,
      changedBy: "alice",
      reason: "canary",
    });
    for (const u of users)
      expect(variantOf.get(u)).toBe(variantForBucket(bucketOf(state.experiment!.salt, u), 10));
    const routing = (await call(`${api}/serving/routing`, "GET")).body;
    expect(routing.metrics_summary.total_observations).toBe(12_000);
    expect(routing.metrics_summary.challenger.count).toBe(
      again.filter((r) => r.body.variant === "challenger").length + share * 10_000,
    );

    // Promote version 2 through the gate: the poll of the change counter reloads; so does the endpoint.
    lakay(env, "backtest", "--model", "fraud-detector", "--candidate", "2", "--dataset", dataset);
    promoteThroughGate(env, 2);
    const deadline = Date.now() + 15_000;
    while (
      (mon = (await call(`${api}/serving/monitoring`, "GET")).body).model.version !== 2 &&
      Date.now() < deadline
    )
      await new Promise((r) => setTimeout(r, 100));
    expect(mon.model.version).toBe(2);
    expect(mon.last_reload).toMatchObject({ trigger: "registry change", result: "ok" });
    const reload = await call(`${api}/serving/reload`, "POST", undefined, token);
    expect(reload.status).toBe(200);
    mon = (await call(`${api}/serving/monitoring`, "GET")).body;
    expect(mon.model).toMatchObject({ version: 2, stage: "Production" });
    expect(mon.challenger).toMatchObject({ version: 3 });
    expect(mon.last_reload).toMatchObject({ trigger: "api", result: "ok" });

    // Emergency switch: ML off → rules only, at once.
    const off = await call(`${api}/serving/ml`, "POST", { enabled: false, reason: "e2e drill" }, token);
    expect(off.body).toMatchObject({ ml_enabled: false, mode: "rules_only", changed_by: "alice" });
    const rulesOnly = await call(`${api}/fraud/score`, "POST", {
      ...transactions[11_000],
      transaction_id: "off-1",
    });
    expect(rulesOnly.body).toMatchObject({ mode: "rules_only", ml_score: null, model: null });
    expect(rulesOnly.body.score).toBe(rulesOnly.body.rule_score);

    // Every change is audited with the token's name.
    const audit = await registry.listAudit({ model: "fraud-detector" });
    const actions = audit.filter((a) => a.action.startsWith("serving.")).map((a) => [a.action, a.actor]);
    expect(actions).toEqual(
      expect.arrayContaining([
        ["serving.routing_changed", "alice"],
        ["serving.reload", "alice"],
        ["serving.ml_disabled", "alice"],
      ]),
    );
    await registry.close();

    // Graceful stop, restart: the split, its experiment and the switch are as left.
    expect(await server.stop()).toBe(0);
    server = await startServer(env, "--config", config);
    const after = (await call(`${server.url}/api/v1/serving/routing`, "GET")).body;
    expect(after).toMatchObject({
      champion_pct: 90,
      challenger_pct: 10,
      champion_version: "2",
      challenger_version: "3",
    });
    expect(after.experiment.id).toBe(routing.experiment.id);
    const cfg = (await call(`${server.url}/api/v1/serving/config`, "GET")).body;
    expect(cfg).toMatchObject({ ml_enabled: false, mode: "rules_only" });
    const afterScore = await call(`${server.url}/api/v1/fraud/score`, "POST", {
      ...transactions[11_001],
      transaction_id: "after-1",
    });
    expect(afterScore.body).toMatchObject({ mode: "rules_only", ml_score: null });
    expect(await server.stop()).toBe(0);
    server = undefined;
  }, 300_000);
});
