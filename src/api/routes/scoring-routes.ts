import type { FastifyInstance, preHandlerHookHandler } from "fastify";
import type { FraudScoringService, ScoreRequest } from "../../serving/index.js";
import {
  batchRequestSchema,
  batchResponseSchema,
  predictRequestSchema,
  predictResponseSchema,
  scoreResponseSchema,
  transactionSchema,
} from "../schemas.js";

export interface RouteOptions {
  service: FraudScoringService;
  /** Checks run before a read (empty unless --require-token-for-reads). */
  readGuard: preHandlerHookHandler[];
}

const errors = { "4xx": { $ref: "Error#" }, "5xx": { $ref: "Error#" } };

/** Scoring: one transaction, a batch, or a raw feature vector. */
export async function scoringRoutes(app: FastifyInstance, opts: RouteOptions): Promise<void> {
  const { service } = opts;
  app.post<{ Body: ScoreRequest }>(
    "/api/v1/fraud/score",
    {
      preHandler: opts.readGuard,
      schema: {
        tags: ["scoring"],
        summary: "Score one transaction (features, rules, routed model, hybrid score)",
        body: transactionSchema,
        response: { 200: scoreResponseSchema, ...errors },
      },
    },
    async (request) => service.score(request.body, request.startedAt),
  );

  app.post<{ Body: { transactions: ScoreRequest[] } }>(
    "/api/v1/fraud/score/batch",
    {
      preHandler: opts.readGuard,
      schema: {
        tags: ["scoring"],
        summary: "Score transactions in input order; one bad transaction refuses the batch",
        body: batchRequestSchema(service.config.batch.max_transactions),
        response: { 200: batchResponseSchema, ...errors },
      },
    },
    async (request) => ({ results: service.scoreBatch(request.body.transactions, request.startedAt) }),
  );

  app.post<{ Body: { features: Record<string, number> } }>(
    "/api/v1/serving/predict",
    {
      preHandler: opts.readGuard,
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
