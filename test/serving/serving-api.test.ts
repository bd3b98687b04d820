import { rmSync, readdirSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FastifyInstance } from "fastify";
import { buildApp } from "../../src/api/index.js";
import { recordApproval } from "../../src/deploy/index.js";
import type { Registry } from "../../src/registry/index.js";
import {
  FraudScoringService,
  createApiToken,
  loadServingConfig,
  type ServingConfig,
} from "../../src/serving/index.js";
import {
  BACKENDS,
  createTestRegistryHome,
  openTestRegistry,
  type TestRegistryHome,
} from "../deploy/helpers.js";
import { PAYSIM_SAMPLE } from "../helpers/cli.js";
import {
  buildServingRegistry,
  call,
  mapConcurrent,
  promoteThroughGate,
  registryEnv,
  lakay,
} from "./serving-fixture.js";

/**
 * The serving API in process (a real registry, a real socket): approvals-gated config changes,
 * shadow mode, timestamps, reads behind tokens, failed reloads that keep the old model, and
 * reloads and a promotion under load without one failed request.
 */
const TX = {
  step: 1,
  type: "TRANSFER",
  amount: 181,
  nameOrig: "C1",
  oldbalanceOrg: 181,
  newbalanceOrig: 0,
  nameDest: "C2",
  oldbalanceDest: 0,
  newbalanceDest: 0,
};

describe.each(BACKENDS)("serving API on %s", (backend) => {
  let home: TestRegistryHome;
  let registry: Registry;
  let service: FraudScoringService;
  let app: FastifyInstance;
  let url: string;
  let alice: string;

  async function start(overrides: Partial<ServingConfig> = {}, requireTokenForReads = false) {
    const config = { ...loadServingConfig(), ...overrides };
    service = new FraudScoringService({ registry, config, logger: pino({ level: "silent" }) });
    await service.start();
    app = await buildApp({ service, registry, logger: pino({ level: "silent" }), requireTokenForReads });
    url = await app.listen({ host: "127.0.0.1", port: 0 });
  }
  async function stop() {
    service?.stop();
    await app?.close();
  }

  beforeAll(async () => {
    home = await createTestRegistryHome(backend);
    buildServingRegistry(home, PAYSIM_SAMPLE, 3);
    registry = await openTestRegistry(home);
    alice = (await createApiToken(registry, { name: "alice", role: "ml_engineer", by: "admin" })).token;
  }, 180_000);
  afterAll(async () => {
    await stop();
    await registry?.close();
    await home?.drop();
  });

  it("applies a threshold change only once its approvals are in", async () => {
    await start({ reload: { poll_seconds: 0 } });
    const put = () =>
      call(
        `${url}/api/v1/serving/config`,
        "PUT",
        { recommendations: { low: "review" }, reason: "test" },
        alice,
      );
    const pending = await put();
    expect(pending.status).toBe(202);
    expect(pending.body).toMatchObject({
      status: "pending_approval",
      change_kinds: ["scoring_threshold_change"],
    });
    // A small daytime payment: no rule fires and the score stays in the low tier.
    const quiet = { ...TX, step: 12, type: "PAYMENT", amount: 5, oldbalanceOrg: 1000, newbalanceOrig: 995 };
    const before = await call(`${url}/api/v1/fraud/score`, "POST", { ...quiet, transaction_id: "c-1" });
    expect(before.body).toMatchObject({ risk_tier: "low", recommendation: "allow" });
    for (const [role, by] of [
      ["ml_engineer", "bob"],
      ["bsa_officer", "dave"],
    ])
      await recordApproval(registry, {
        model: "fraud-detector",
        version: 1,
        role,
        by,
        changeKind: "scoring_threshold_change",
        subjectDigest: pending.body.subject_sha256,
      });
    const applied = await put();
    expect(applied.status).toBe(200);
    expect(applied.body.config.scoring.recommendations.low).toBe("review");
    const after = await call(`${url}/api/v1/fraud/score`, "POST", {
      ...quiet,
      transaction_id: "c-2",
      nameOrig: "C9",
    });
    expect(after.body).toMatchObject({ risk_tier: "low", recommendation: "review" });
    const audit = await registry.listAudit({ model: "fraud-detector" });
    expect(audit.find((a) => a.action === "serving.config_changed")).toMatchObject({ actor: "alice" });
    // A weights change that does not sum to 1 is a 400 naming the field, and records nothing.
    const bad = await call(
      `${url}/api/v1/serving/config`,
      "PUT",
      { hybrid: { rule_weight: 0.5 }, reason: "x" },
      alice,
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe("hybrid.ml_weight");
    await stop();
  });

  it("publishes OpenAPI and a docs page built from the route schemas, health and Prometheus", async () => {
    await start({ reload: { poll_seconds: 0 } });
    const spec = (await call(`${url}/openapi.json`, "GET")).body;
    expect(spec.openapi).toMatch(/^3\./);
    for (const route of [
      "/api/v1/fraud/score",
      "/api/v1/fraud/score/batch",
      "/api/v1/serving/predict",
      "/api/v1/serving/reload",
      "/api/v1/serving/routing",
      "/api/v1/serving/monitoring",
      "/api/v1/serving/config",
      "/api/v1/serving/ml",
    ])
      expect(spec.paths[route], route).toBeDefined();
    const scoreBody = spec.paths["/api/v1/fraud/score"].post.requestBody.content["application/json"].schema;
    expect(scoreBody.required).toContain("transaction_id");
    expect(spec.paths["/api/v1/serving/routing"].post.security).toEqual([{ bearer: [] }]);
    const docs = await fetch(`${url}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toMatch(/swagger/i);
    expect((await call(`${url}/healthz`, "GET")).body).toEqual({ status: "ok" });
    expect((await call(`${url}/readyz`, "GET")).body).toMatchObject({
      ready: true,
      model: { name: "fraud-detector" },
    });
    // Request ids: the caller's when it is a sane token, else one made here (never repeated).
    const scoreWith = (id: string, headers: Record<string, string>) =>
      fetch(`${url}/api/v1/fraud/score`, {
        method: "POST",
        headers: { "content-type": "application/json", ...headers },
        body: JSON.stringify({ ...TX, transaction_id: id }),
      });
    expect((await scoreWith("rid-1", { "x-request-id": "trace.42" })).headers.get("x-request-id")).toBe(
      "trace.42",
    );
    const made = await Promise.all(
      ["rid-2", "rid-3"].map(async (id) =>
        (await scoreWith(id, { "x-request-id": "no spaces" })).headers.get("x-request-id"),
      ),
    );
    expect(made[0]).toMatch(/^[0-9a-f]{8}-[0-9a-z]+$/);
    expect(made[1]).toMatch(/^[0-9a-f]{8}-[0-9a-z]+$/);
    expect(made[0]).not.toBe(made[1]);
    await scoreWith("rid-1", {}); // a replay: not a new prediction
    const metrics = (await call(`${url}/metrics`, "GET")).body as string;
    expect(metrics).toMatch(/lakay_model_version\{variant="champion"\} \d/);
    expect(metrics).toMatch(/lakay_ml_enabled 1/);
    expect(metrics).toMatch(/lakay_predictions_total\{variant="champion",mode="hybrid"\} 3\n/);
    await stop();
  });

  it("maps timestamps to steps, scores in shadow, and guards reads when asked", async () => {
    await start({ reload: { poll_seconds: 0 } }, true);
    expect((await call(`${url}/api/v1/serving/monitoring`, "GET")).status).toBe(401);
    const viewer = (
      await createApiToken(registry, { name: `viewer-${backend}`, role: "viewer", by: "admin" })
    ).token;
    expect((await call(`${url}/api/v1/serving/monitoring`, "GET", undefined, viewer)).status).toBe(200);
    expect(
      (await call(`${url}/api/v1/serving/ml`, "POST", { enabled: false, reason: "x" }, viewer)).status,
    ).toBe(403);

    const { step: _s, ...noStep } = TX;
    const ts = await call(
      `${url}/api/v1/fraud/score?features=true`,
      "POST",
      { ...noStep, timestamp: "1970-01-02T05:30:00Z", transaction_id: "ts-1", nameOrig: "T1" },
      viewer,
    );
    expect(ts.status).toBe(200);
    expect(ts.body.features.hour_of_day).toBe(5); // 29 hours after the epoch
    expect(ts.body.features.day_of_week).toBe(1);
    const both = await call(
      `${url}/api/v1/fraud/score`,
      "POST",
      { ...TX, timestamp: "1970-01-01T00:00:00Z", transaction_id: "ts-2" },
      viewer,
    );
    expect(both.status).toBe(400);
    expect(both.body.error.field).toBe("timestamp");

    const shadow = await call(
      `${url}/api/v1/serving/routing`,
      "POST",
      { champion_pct: 100, challenger_pct: 0, shadow: true },
      alice,
    );
    expect(shadow.body).toMatchObject({ enabled: true, shadow: true, challenger_version: "3" });
    const answers = await mapConcurrent(
      Array.from({ length: 50 }, (_, i) => i),
      8,
      (i) =>
        call(
          `${url}/api/v1/fraud/score`,
          "POST",
          { ...TX, transaction_id: `sh-${i}`, nameOrig: `S${i}` },
          viewer,
        ),
    );
    expect(answers.every((a) => a.body.variant === "champion")).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    const mon = (await call(`${url}/api/v1/serving/monitoring`, "GET", undefined, viewer)).body;
    expect(mon.predictions.shadow).toBe(50);
    expect(mon.predictions.challenger).toBe(0);
    await call(`${url}/api/v1/serving/routing`, "POST", { champion_pct: 100, challenger_pct: 0 }, alice);
    await stop();
  });

  it("keeps the old model when a reload fails, and fails no request while reloading under load", async () => {
    await start({ reload: { poll_seconds: 0.2 } });
    const mon0 = (await call(`${url}/api/v1/serving/monitoring`, "GET")).body;
    expect(mon0.model.version).toBe(1);

    // Load: 8 clients scoring until told to stop, while 20 reloads and a promotion happen.
    let running = true;
    const statuses: number[] = [];
    let n = 0;
    const load = Promise.all(
      Array.from({ length: 8 }, async (_, c) => {
        while (running) {
          const i = n++;
          const r = await call(`${url}/api/v1/fraud/score`, "POST", {
            ...TX,
            transaction_id: `load-${c}-${i}`,
            nameOrig: `L${i % 500}`,
          });
          statuses.push(r.status);
        }
      }),
    );
    for (let k = 0; k < 20; k++)
      expect((await call(`${url}/api/v1/serving/reload`, "POST", undefined, alice)).status).toBe(200);
    const env = registryEnv(home);
    lakay(env, "backtest", "--model", "fraud-detector", "--candidate", "2", "--dataset", PAYSIM_SAMPLE);
    promoteThroughGate(env, 2);
    const t0 = performance.now();
    while (
      (await call(`${url}/api/v1/serving/monitoring`, "GET")).body.model.version !== 2 &&
      performance.now() - t0 < 10_000
    )
      await new Promise((r) => setTimeout(r, 50));
    running = false;
    await load;
    expect(statuses.length).toBeGreaterThan(100);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect((await call(`${url}/api/v1/serving/monitoring`, "GET")).body.model.version).toBe(2);

    // Break version 2's model.json behind the registry's back: a forced reload refuses it.
    const v2 = await registry.getVersion("fraud-detector", 2);
    const folder = new URL(v2.source).pathname;
    const modelFile = findFile(folder, "model.json");
    writeFileSync(modelFile, '{"learner": "tampered"}');
    const failed = await call(`${url}/api/v1/serving/reload`, "POST", undefined, alice);
    expect(failed.status).toBe(502);
    expect(failed.body.error.code).toBe("RELOAD_FAILED");
    expect(failed.body.reload).toMatchObject({ result: "failed" });
    const mon = (await call(`${url}/api/v1/serving/monitoring`, "GET")).body;
    expect(mon.model.version).toBe(2); // the model loaded before the tampering still serves
    expect(mon.last_reload).toMatchObject({ result: "failed", trigger: "api" });
    expect(mon.last_reload.error).toMatch(/model\.json|checksum|SHA-256/i);
    const still = await call(`${url}/api/v1/fraud/score`, "POST", {
      ...TX,
      transaction_id: "after-tamper",
      nameOrig: "Z1",
    });
    expect(still.body).toMatchObject({ mode: "hybrid", model: { version: 2 } });
    rmSync(modelFile);
    expect((await call(`${url}/api/v1/serving/reload`, "POST", undefined, alice)).status).toBe(502);
    await stop();
  }, 120_000);
});

function findFile(dir: string, name: string): string {
  for (const entry of readdirSync(dir)) {
    const p = path.join(dir, entry);
    if (statSync(p).isDirectory()) {
      try {
        return findFile(p, name);
      } catch {
        continue;
      }
    }
    if (entry === name) return p;
  }
  throw new Error(`${name} not under ${dir}`);
}
