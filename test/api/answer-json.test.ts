import Fastify from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AnswerJsonWriter } from "../../src/api/answer-json.js";
import { batchResponseSchema, scoreResponseSchema } from "../../src/api/schemas.js";
import type { ScoreResponse } from "../../src/serving/index.js";

/**
 * The batch route writes its answer itself; the bytes must be those Fastify's schema serializer
 * (fast-json-stringify over `batchResponseSchema`) wrote before, so the reference here is that
 * serializer, run by Fastify on the same answers.
 */
const app = Fastify();
app.post<{ Body: { results: ScoreResponse[] } }>(
  "/reference",
  { schema: { response: { 200: batchResponseSchema } } },
  async (request) => request.body,
);
app.post<{ Body: ScoreResponse }>(
  "/reference-one",
  { schema: { response: { 200: scoreResponseSchema } } },
  async (request) => request.body,
);
beforeAll(() => app.ready());
afterAll(() => app.close());

/** What the schema serializer makes of `results`; JSON carries the answers to the route (no Infinity there). */
async function reference(results: readonly ScoreResponse[]): Promise<Buffer> {
  const reply = await app.inject({ method: "POST", url: "/reference", payload: { results } });
  expect(reply.statusCode).toBe(200);
  return reply.rawPayload;
}

const fired = Object.freeze([
  Object.freeze({
    id: "account_drained",
    category: "behaviour",
    weight: 0.35,
    description: "An outgoing transaction empties (almost all of) the sender's balance",
  }),
  Object.freeze({ id: "night_transfer", category: "behaviour", weight: 0.1, description: 'Say "night"\\' }),
]);
const none = Object.freeze([]);
const model = Object.freeze({ name: "fraud-detector", version: 3 });

function answer(id: string, over: Partial<ScoreResponse> = {}): ScoreResponse {
  return {
    transaction_id: id,
    score: 0.36038181701675054,
    risk_tier: "medium",
    recommendation: "review",
    ml_score: 0.0009545425418764353,
    rule_score: 0.6,
    rules_triggered: fired as unknown as ScoreResponse["rules_triggered"],
    variant: "champion",
    model,
    mode: "hybrid",
    latency_ms: 12.345,
    ...over,
  };
}

describe("AnswerJsonWriter", () => {
  it("writes the schema serializer's bytes for plain answers, odd ids and numbers included", async () => {
    const results = [
      answer("b1"),
      answer("t-2", { ml_score: null, model: null, mode: "rules_only", rules_triggered: [...none] }),
      answer('quote " and backslash \\', { score: 1e-7, rule_score: 0, latency_ms: 1e21 }),
      answer("tab\there\u0001\u001f", { score: -0, ml_score: 1, risk_tier: "high", recommendation: "block" }),
      answer("été 🙂 ünïcode", { variant: "challenger", score: 123456789.125 }),
      answer("lone \ud800 surrogate \udfff"),
      answer("x".repeat(60)),
      answer("y".repeat(6000) + '"'),
      answer(""),
      // The same fired-rule list with other variants, models and modes (pieces cached per combination).
      answer("t-3", { model: null, mode: "rules_only", ml_score: null }),
      answer("t-4", { model: Object.freeze({ name: "fraud-detector", version: 4 }), variant: "challenger" }),
      answer("t-5", { risk_tier: "low", recommendation: "allow" }),
      answer("t-6"),
    ];
    const writer = new AnswerJsonWriter();
    const expected = await reference(results);
    expect(writer.write(results)?.toString("utf8")).toBe(expected.toString("utf8"));
    expect(writer.write(results)?.equals(expected)).toBe(true);
    // A second call sizes its buffer from the first: the same bytes, also when they outgrow it.
    const many = Array.from({ length: 500 }, (_, i) => answer(`id-${i}-${"z".repeat(i)}`));
    expect(writer.write(many)?.equals(await reference(many))).toBe(true);
  });

  it("writes one answer as the single-score route's schema serializer does", async () => {
    const writer = new AnswerJsonWriter();
    for (const r of [
      answer("s1"),
      answer("t-2", { ml_score: null, model: null, mode: "rules_only", rules_triggered: [...none] }),
      answer('été 🙂 "q" \u0001', { score: -0, latency_ms: 1e21 }),
      answer("z".repeat(3000)),
    ]) {
      const reply = await app.inject({ method: "POST", url: "/reference-one", payload: r });
      expect(writer.writeOne(r)?.equals(reply.rawPayload)).toBe(true);
    }
    // Between single answers, a batch still sizes and writes its own bytes.
    const results = [answer("b1"), answer("b2")];
    expect(writer.write(results)?.equals(await reference(results))).toBe(true);
    expect(writer.writeOne(answer("nan", { score: NaN }))).toBeNull();
  });

  it("writes every kind of number as the schema serializer does", async () => {
    // Scores and latencies of every magnitude and shape: 17-digit fractions, few decimals, whole
    // numbers, tiny and huge values (exponent notation), negatives and -0.
    let seed = 7;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const kinds = [
      () => random(),
      () => Math.round(random() * 1e4) / 1e4,
      () => Math.floor(random() * 1e6),
      () => random() * 10 ** Math.floor(random() * 40 - 20),
      () => -random() * 10 ** Math.floor(random() * 30 - 10),
      () => 2 ** Math.floor(random() * 120 - 60),
    ];
    const results = Array.from({ length: 3000 }, (_, i) =>
      answer(`n${i}`, {
        score: kinds[i % kinds.length](),
        ml_score: kinds[(i + 1) % kinds.length](),
        rule_score: i % 7 === 0 ? -0 : kinds[(i + 2) % kinds.length](),
        latency_ms: kinds[(i + 3) % kinds.length](),
        rules_triggered: none as unknown as ScoreResponse["rules_triggered"],
      }),
    );
    // The longest texts String(x) makes, one answer after another.
    for (const x of [-1.2345678901234567e-6, -1.7976931348623157e308, 5e-324, -123456789012345680000])
      results.push(
        answer(`x${x}`, { score: x, ml_score: x, rule_score: x, latency_ms: x, rules_triggered: [] }),
      );
    expect(new AnswerJsonWriter().write(results)?.equals(await reference(results))).toBe(true);
  });

  it("writes an infinite number as null, as the schema serializer does", () => {
    const json = new AnswerJsonWriter().write([answer("inf", { latency_ms: Infinity, ml_score: -Infinity })]);
    const parsed = JSON.parse(json!.toString("utf8")) as { results: ScoreResponse[] };
    expect(parsed.results[0].latency_ms).toBeNull();
    expect(parsed.results[0].ml_score).toBeNull();
  });

  it("gives up (null) on what it does not write, so the route falls back to the schema serializer", () => {
    const writer = new AnswerJsonWriter();
    const odd: ScoreResponse[] = [
      answer("nan", { score: NaN }),
      answer("degraded", { features_degraded: true }),
      { ...answer("features"), features: { amount: 1 } } as ScoreResponse,
      answer("number id", { transaction_id: 7 as unknown as string }),
      answer("missing ml", { ml_score: undefined as unknown as null }),
      answer("bad version", { model: { name: "m", version: 1.5 } }),
    ];
    for (const r of odd) expect(writer.write([answer("ok"), r])).toBeNull();
    expect(writer.write([answer("ok")])).not.toBeNull();
  });

  it("does not remember a list that can still change", async () => {
    const writer = new AnswerJsonWriter();
    const list = [
      { id: "a", category: "c", weight: 1, description: "d" },
    ] as unknown as ScoreResponse["rules_triggered"];
    const first = answer("m1", { rules_triggered: list });
    expect(writer.write([first])?.equals(await reference([first]))).toBe(true);
    list.push({ ...list[0], weight: 2 });
    expect(writer.write([first])?.equals(await reference([first]))).toBe(true);
  });
});
