import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../src/api/index.js";
import type { Registry } from "../../src/registry/index.js";
import { FraudScoringService, createApiToken, loadServingConfig } from "../../src/serving/index.js";
import { createTestRegistryHome, openTestRegistry, type TestRegistryHome } from "../deploy/helpers.js";
import { PAYSIM_SAMPLE } from "../helpers/cli.js";
import { buildServingRegistry, call } from "./serving-fixture.js";

/** Serving with less than a full registry: no Production version at all, then no challenger. */
const TX = {
  transaction_id: "t-1",
  step: 1,
  type: "TRANSFER",
  amount: 181,
  nameOrig: "C1",
  oldbalanceOrg: 181,
  newbalanceOrig: 0,
  oldbalanceDest: 0,
  newbalanceDest: 0,
};

let home: TestRegistryHome;
let registry: Registry;
let app: FastifyInstance | undefined;
let service: FraudScoringService | undefined;

async function serve(): Promise<string> {
  const config = loadServingConfig();
  config.reload.poll_seconds = 0;
  service = new FraudScoringService({ registry, config, logger: pino({ level: "silent" }) });
  await service.start();
  app = await buildApp({ service, registry, logger: pino({ level: "silent" }) });
  return app.listen({ host: "127.0.0.1", port: 0 });
}
async function stop() {
  service?.stop();
  await app?.close();
}

beforeAll(async () => {
  home = await createTestRegistryHome("sqlite");
  registry = await openTestRegistry(home);
});
afterAll(async () => {
  await stop();
  await registry?.close();
  await home?.drop();
});

describe("serving without a full registry", () => {
  it("scores rules-only when no version is in Production, and refuses a split without a challenger", async () => {
    const token = (await createApiToken(registry, { name: "alice", role: "ml_engineer", by: "admin" })).token;
    let url = await serve();
    expect((await call(`${url}/readyz`, "GET")).body).toMatchObject({
      ready: true,
      mode: "rules_only",
      model: null,
    });
    const r = await call(`${url}/api/v1/fraud/score`, "POST", TX);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ mode: "rules_only", ml_score: null, model: null, variant: "champion" });
    expect(r.body.score).toBe(r.body.rule_score);
    const mon = (await call(`${url}/api/v1/serving/monitoring`, "GET")).body;
    expect(mon).toMatchObject({ model: null, mode: "rules_only" });
    // A batch with a retry inside it, then the whole batch retried: each transaction counted once.
    const batch = [
      { ...TX, transaction_id: "b-1", nameOrig: "B1" },
      { ...TX, transaction_id: "b-2", nameOrig: "B2" },
      { ...TX, transaction_id: "b-1", nameOrig: "B1" },
    ];
    const first = await call(`${url}/api/v1/fraud/score/batch`, "POST", { transactions: batch });
    expect(first.status).toBe(200);
    expect(first.body.results[2]).toEqual(first.body.results[0]);
    expect((await call(`${url}/api/v1/fraud/score/batch`, "POST", { transactions: batch })).body).toEqual(
      first.body,
    );
    const clash = await call(`${url}/api/v1/fraud/score/batch`, "POST", {
      transactions: [
        { ...TX, transaction_id: "b-3" },
        { ...batch[1], amount: 999 },
      ],
    });
    expect(clash.status).toBe(409);
    expect(clash.body.error.message).toMatch(/^transactions\[1\]\.transaction_id b-2 was already scored/);
    const counts = (await call(`${url}/api/v1/serving/monitoring`, "GET")).body;
    expect(counts.predictions.total).toBe(3); // t-1, b-1, b-2
    expect(counts.requests.replayed).toBe(4); // b-1 inside the batch, then b-1, b-2, b-1
    expect(counts.online_features.customers).toBe(3);

    const predict = await call(`${url}/api/v1/serving/predict`, "POST", { features: { amount: 1 } });
    expect(predict.status).toBe(409);
    await stop();

    // One version, promoted: a champion but no challenger to send traffic to.
    await registry.close();
    buildServingRegistry(home, PAYSIM_SAMPLE, 1);
    registry = await openTestRegistry(home);
    url = await serve();
    const split = await call(
      `${url}/api/v1/serving/routing`,
      "POST",
      { champion_pct: 90, challenger_pct: 10 },
      token,
    );
    expect(split.status).toBe(409);
    expect(split.body.error).toMatchObject({ code: "CONFLICT" });
    expect(split.body.error.message).toMatch(/no challenger.*alias "challenger".*Staging/);
    expect((await call(`${url}/api/v1/serving/routing`, "GET")).body).toMatchObject({
      enabled: false,
      champion_pct: 100,
      challenger_pct: 0,
      champion_version: "1",
      challenger_version: null,
    });
    const audit = await registry.listAudit();
    expect(audit.filter((a) => a.action === "serving.routing_changed")).toEqual([]);
  }, 120_000);
});
