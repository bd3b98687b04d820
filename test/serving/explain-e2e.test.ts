import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BACKENDS, createTestRegistryHome, type TestRegistryHome } from "../deploy/helpers.js";
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
 * Issue #18's explanations over HTTP, end to end on loopback against a real registry: `"explain":
 * true` on the score endpoint (contributions + bias = the model's margin), the same explanation on
 * an idempotent replay and from `GET /fraud/explain/{id}` (the prediction log), a past decision
 * explained with its own version after a promotion, rules-only decisions, and the refusals.
 */
let work: string;
let dataset: string;
let transactions: Record<string, unknown>[];

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), "lakay-explain-e2e-"));
  dataset = path.join(work, "paysim.csv");
  lakay({}, "generate", "paysim", "--rows", "20000", "--seed", "42", "--out", dataset);
  transactions = (await generateTraffic(work, 600, 7)).map((t) => t.tx);
}, 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

// Explanations are checked field by field.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Answer = any;

/** bias + listed contributions + the rest, against the margin behind ml_score. */
function expectSumsToMargin(body: Answer): void {
  const e = body.explanation;
  const p: number = body.ml_score;
  const listed = e.contributions.reduce((s: number, c: { contribution: number }) => s + c.contribution, 0);
  // ml_score is a float32 probability: its rounding (at most 2^-24 of p) moves the logit by at most
  // 2^-24 / (1 − p); the contributions themselves must agree to 1e-5.
  const tolerance = 1e-5 + 2 ** -24 / (1 - p);
  expect(Math.abs(e.bias + listed + e.other_contribution - Math.log(p / (1 - p)))).toBeLessThanOrEqual(
    tolerance,
  );
  expect(Math.abs(e.margin - (e.bias + listed + e.other_contribution))).toBeLessThan(1e-9);
  const sizes = e.contributions.map((c: { contribution: number }) => Math.abs(c.contribution));
  expect(sizes).toEqual([...sizes].sort((a, b) => b - a));
  for (const c of e.contributions) expect(c.direction).toBe(c.contribution > 0 ? "raises" : "lowers");
  expect(e.summary).toMatch(/^Score \d\.\d\d \((low|medium|high|critical) risk\): the model \(version \d+/);
}

describe.each(BACKENDS)("explanations over HTTP on %s", (backend) => {
  let home: TestRegistryHome;
  let env: NodeJS.ProcessEnv;
  let server: RunningServer | undefined;
  let config: string;

  beforeAll(() => {
    return (async () => {
      home = await createTestRegistryHome(backend);
      env = registryEnv(home);
      buildServingRegistry(home, dataset, 2);
      config = path.join(home.dir, "serving.yaml");
      writeFileSync(config, "reload:\n  poll_seconds: 0.3\nexplain:\n  top_features: 4\n");
    })();
  }, 180_000);
  afterAll(async () => {
    await server?.stop();
    await home?.drop();
  });

  it("explains at scoring time, on replay, from the log, after a promotion, and rules-only", async () => {
    server = await startServer(env, "--config", config);
    const api = `${server.url}/api/v1`;
    const score = (i: number, extra: Record<string, unknown> = {}) =>
      call(`${api}/fraud/score`, "POST", { ...transactions[i], transaction_id: `tx-${i}`, ...extra });

    // Scored with explanations by version 1.
    const first = await mapConcurrent(
      Array.from({ length: 300 }, (_, i) => i),
      8,
      (i) => score(i, { explain: true }),
    );
    for (const r of first) {
      expect(r.status).toBe(200);
      expect(r.body.explanation.model).toEqual({ name: "fraud-detector", version: 1 });
      expect(r.body.explanation.contributions.length).toBeLessThanOrEqual(4);
      expect(r.body.explanation.rules_triggered).toEqual(r.body.rules_triggered);
      expectSumsToMargin(r.body);
    }
    expect(first.some((r) => r.body.explanation.rules_triggered.length > 0)).toBe(true);
    expect(first.some((r) => r.body.explanation.other_contribution !== 0)).toBe(true);
    // Without the flag the answer has no explanation.
    const plain = await score(300);
    expect(plain.body).not.toHaveProperty("explanation");

    // An idempotent replay answers the same, explanation included; without the flag, without it.
    const replay = await score(7, { explain: true });
    expect(replay.body).toEqual(first[7].body);
    const replayPlain = await score(7);
    const { explanation: _e, ...withoutExplanation } = first[7].body;
    expect(replayPlain.body).toEqual(withoutExplanation);
    // The first answer without the flag, explained on its replay: the same facts, the same reasons.
    const late = await score(300, { explain: true });
    expect(late.body.latency_ms).toBe(plain.body.latency_ms);
    expectSumsToMargin(late.body);

    // From the prediction log (written in batches: the endpoint writes the queue first).
    for (const i of [0, 7, 42, 299]) {
      const past = await call(`${api}/fraud/explain/tx-${i}`, "GET");
      expect(past.status).toBe(200);
      expect(past.body).toMatchObject({
        transaction_id: `tx-${i}`,
        model: { name: "fraud-detector", version: 1 },
        score: first[i].body.score,
        ml_score: first[i].body.ml_score,
        risk_tier: first[i].body.risk_tier,
      });
      expect(past.body.explanation).toEqual(first[i].body.explanation);
    }

    // Refusals: unknown id, and a flag that is not a boolean.
    const unknown = await call(`${api}/fraud/explain/never-scored`, "GET");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatchObject({ code: "NOT_FOUND", field: null });
    expect(unknown.body.error.message).toMatch(/never-scored/);
    const bad = await score(301, { explain: "yes" });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: "BAD_INPUT", field: "explain" });
    expect((await call(`${api}/fraud/explain/tx-301`, "GET")).status).toBe(404); // refused: not scored

    // The batch endpoint takes the flag for every answer.
    const batch = await call(`${api}/fraud/score/batch`, "POST", {
      explain: true,
      transactions: [310, 311].map((i) => ({ ...transactions[i], transaction_id: `tx-${i}` })),
    });
    expect(batch.status).toBe(200);
    for (const r of batch.body.results) expectSumsToMargin(r);

    // Promote version 2: new decisions are explained by it, the old ones still by version 1.
    lakay(env, "backtest", "--model", "fraud-detector", "--candidate", "2", "--dataset", dataset);
    promoteThroughGate(env, 2);
    const deadline = Date.now() + 15_000;
    let mon: Answer;
    while (
      (mon = (await call(`${api}/serving/monitoring`, "GET")).body).model.version !== 2 &&
      Date.now() < deadline
    )
      await new Promise((r) => setTimeout(r, 100));
    expect(mon.model.version).toBe(2);
    const after = await score(400, { explain: true });
    expect(after.body.model.version).toBe(2);
    expect(after.body.explanation.model.version).toBe(2);
    expectSumsToMargin(after.body);
    for (const i of [0, 42]) {
      const past = await call(`${api}/fraud/explain/tx-${i}`, "GET");
      expect(past.body.model.version).toBe(1);
      expect(past.body.explanation).toEqual(first[i].body.explanation);
    }
    // A replay of a version-1 decision is still explained by version 1 (loaded for it, cached).
    expect((await score(42, { explain: true })).body).toEqual(first[42].body);
    expect((await call(`${api}/fraud/explain/tx-400`, "GET")).body.explanation).toEqual(
      after.body.explanation,
    );

    // ML off: a rules-only decision is explained by its rules alone.
    const token = createToken(env, "alice", "ml_engineer");
    const off = await call(`${api}/serving/ml`, "POST", { enabled: false, reason: "explain drill" }, token);
    expect(off.status).toBe(200);
    const rulesOnly = await mapConcurrent([500, 501, 502, 503, 504, 505], 2, (i) =>
      score(i, { explain: true }),
    );
    for (const r of rulesOnly) {
      expect(r.body).toMatchObject({ mode: "rules_only", model: null, ml_score: null });
      expect(r.body.explanation).toMatchObject({ model: null, bias: null, margin: null, contributions: [] });
      expect(r.body.explanation.rules_triggered).toEqual(r.body.rules_triggered);
      expect(r.body.explanation.summary).toMatch(
        /from the rules alone: (rules triggered: |no rule triggered)/,
      );
      const past = await call(`${api}/fraud/explain/${r.body.transaction_id}`, "GET");
      expect(past.body).toMatchObject({ model: null, ml_score: null });
      expect(past.body.explanation).toEqual(r.body.explanation);
    }

    // OpenAPI shows the flag and the explanation.
    const openapi = (await call(`${server.url}/openapi.json`, "GET")).body;
    expect(openapi.paths).toHaveProperty(["/api/v1/fraud/explain/{transaction_id}"]);
    const scoreOp = openapi.paths["/api/v1/fraud/score"].post;
    expect(scoreOp.requestBody.content["application/json"].schema.properties).toHaveProperty("explain");
    expect(JSON.stringify(scoreOp.responses)).toContain("other_contribution");

    expect(await server.stop()).toBe(0);
    server = undefined;
  }, 300_000);
});
