import type { FastifyInstance, onRequestHookHandler } from "fastify";
import type { FraudScoringService, ScoreRequest, ScoreResponse } from "../../serving/index.js";
import {
  batchRequestSchema,
  batchResponseSchema,
  featuresQuerySchema,
  predictRequestSchema,
  predictResponseSchema,
  scoreResponseSchema,
  transactionSchema,
} from "../schemas.js";

export interface RouteOptions {
  service: FraudScoringService;
  /** Checks run before a read (empty unless --require-token-for-reads). */
  readGuard: onRequestHookHandler[];
}

interface FeaturesQuery {
  features?: "true" | "false";
}

const errors = { "4xx": { $ref: "Error#" }, "5xx": { $ref: "Error#" } };

/** Scoring: one transaction, a batch, or a raw feature vector. */
export async function scoringRoutes(app: FastifyInstance, opts: RouteOptions): Promise<void> {
  const { service } = opts;
  const withFeatures = (r: ScoreResponse) => ({ ...r, features: service.featuresOf(r) });
  app.post<{ Body: ScoreRequest; Querystring: FeaturesQuery }>(
    "/api/v1/fraud/score",
    {
      onRequest: opts.readGuard,
      schema: {
        tags: ["scoring"],
        summary: "Score one transaction (features, rules, routed model, hybrid score)",
        body: transactionSchema,
        querystring: featuresQuerySchema,
        response: { 200: scoreResponseSchema, ...errors },
      },
    },
    async (request) => {
      // In-process features stay synchronous; only a shared (Redis) feature store makes this wait.
      const r = service.shared
        ? await service.shared.score(request.body, request.startedAt)
        : service.score(request.body, request.startedAt);
      return request.query.features === "true" ? withFeatures(r) : r;
    },
  );

  app.post<{ Body: { transactions: ScoreRequest[] }; Querystring: FeaturesQuery }>(
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
    async (request) => {
      const results = service.shared
        ? await service.shared.scoreBatch(request.body.transactions, request.startedAt)
        : service.scoreBatch(request.body.transactions, request.startedAt);
      return { results: request.query.features === "true" ? results.map(withFeatures) : results };
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
