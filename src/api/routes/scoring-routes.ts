import type { FastifyInstance, FastifyReply, onRequestHookHandler } from "fastify";
import type { FraudScoringService, ScoreRequest, ScoreResponse } from "../../serving/index.js";
import { AnswerJsonWriter } from "../answer-json.js";
import {
  batchRequestSchema,
  batchResponseSchema,
  explainedDecisionSchema,
  explainParamsSchema,
  featuresQuerySchema,
  predictRequestSchema,
  predictResponseSchema,
  scoreRequestSchema,
  scoreResponseSchema,
} from "../schemas.js";

export interface RouteOptions {
  service: FraudScoringService;
  /** Checks run before a read (empty unless --require-token-for-reads). */
  readGuard: onRequestHookHandler[];
}

interface FeaturesQuery {
  features?: "true" | "false";
}

/** Fastify's own content type for a JSON answer. */
const JSON_CONTENT_TYPE = "application/json; charset=utf-8";

const errors = { "4xx": { $ref: "Error#" }, "5xx": { $ref: "Error#" } };

/** Scoring: one transaction, a batch, or a raw feature vector. */
export async function scoringRoutes(app: FastifyInstance, opts: RouteOptions): Promise<void> {
  const { service } = opts;
  const withFeatures = (r: ScoreResponse) => ({ ...r, features: service.featuresOf(r) });
  const answerJson = new AnswerJsonWriter();
  app.post<{ Body: ScoreRequest & { explain?: boolean }; Querystring: FeaturesQuery }>(
    "/api/v1/fraud/score",
    {
      onRequest: opts.readGuard,
      schema: {
        tags: ["scoring"],
        summary: "Score one transaction (features, rules, routed model, hybrid score)",
        body: scoreRequestSchema,
        querystring: featuresQuerySchema,
        response: { 200: scoreResponseSchema, ...errors },
      },
    },
    // Not async: in-process scoring is synchronous, and an async handler cost every request a
    // promise and a turn of the microtask queue. Only a shared (Redis) feature store, an
    // explanation or a features answer make it return a promise.
    (request, reply) => {
      if (service.shared)
        return service.shared.score(request.body, request.startedAt).then((r) => answer(r, request, reply));
      return answer(service.score(request.body, request.startedAt), request, reply);
    },
  );
  /** One scored transaction's answer: its bytes sent here (undefined returned), or the object (or its promise) to send. */
  const answer = (
    r: ScoreResponse,
    request: { query: FeaturesQuery; body: { explain?: boolean } },
    reply: FastifyReply,
  ): object | Promise<object> | undefined => {
    const withFeaturesAsked = request.query.features === "true";
    const explain = request.body.explain ?? service.config.explain.by_default;
    if (!withFeaturesAsked && !explain) {
      // The schema serializer's bytes, written directly (src/api/answer-json.ts).
      const json = answerJson.writeOne(r);
      if (json) {
        reply.header("content-type", JSON_CONTENT_TYPE).send(json);
        return undefined;
      }
    }
    const answered = withFeaturesAsked ? withFeatures(r) : r;
    // Explained after scoring, off the answer's own facts: a replay is explained the same way.
    if (!explain) return answered;
    return service.explanations.forAnswer(r).then((explanation) => ({ ...answered, explanation }));
  };

  app.get<{ Params: { transaction_id: string } }>(
    "/api/v1/fraud/explain/:transaction_id",
    {
      onRequest: opts.readGuard,
      schema: {
        tags: ["scoring"],
        summary: "Explain a past decision from the prediction log, with the model version that made it",
        params: explainParamsSchema,
        response: { 200: explainedDecisionSchema, ...errors },
      },
    },
    async (request) => service.explanations.forTransaction(request.params.transaction_id),
  );

  app.post<{ Body: { transactions: ScoreRequest[]; explain?: boolean }; Querystring: FeaturesQuery }>(
    "/api/v1/fraud/score/batch",
    {
      onRequest: opts.readGuard,
      schema: {
        tags: ["scoring"],
        summary: "Score transactions in input order; one bad transaction refuses the batch",
        body: batchRequestSchema(service.config.batch.max_transactions),
        querystring: featuresQuerySchema,
        response: { 200: batchResponseSchema, ...errors },
      },
    },
    async (request, reply) => {
      const results = service.shared
        ? await service.shared.scoreBatch(request.body.transactions, request.startedAt)
        : service.scoreBatch(request.body.transactions, request.startedAt);
      const withFeaturesAsked = request.query.features === "true";
      const explain = request.body.explain ?? service.config.explain.by_default;
      if (!withFeaturesAsked && !explain) {
        // The same bytes as the schema serializer's, written directly (src/api/answer-json.ts).
        const json = answerJson.write(results);
        if (json) return reply.header("content-type", JSON_CONTENT_TYPE).send(json);
      }
      const answers = withFeaturesAsked ? results.map(withFeatures) : results;
      if (!explain) return { results: answers };
      const explained = [];
      for (let i = 0; i < results.length; i++)
        explained.push({ ...answers[i], explanation: await service.explanations.forAnswer(results[i]) });
      return { results: explained };
    },
  );

  app.post<{ Body: { features: Record<string, number> } }>(
    "/api/v1/serving/predict",
    {
      onRequest: opts.readGuard,
      schema: {
        tags: ["scoring"],
        summary: "The champion's raw score for a feature vector",
        body: predictRequestSchema,
        response: { 200: predictResponseSchema, ...errors },
      },
    },
    async (request) => service.predict(request.body.features),
  );
}
