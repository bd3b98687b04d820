import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from "fastify";
import type { Logger } from "pino";
import type { Registry } from "../registry/index.js";
import { ArrayHistogram, type FraudScoringService, type HistogramChild } from "../serving/index.js";
import { lakayVersion } from "../version.js";
import { BearerAuth } from "./bearer-auth.js";
import { installErrorHandlers } from "./error-reply.js";
import { requestLoggerFactory } from "./request-logger.js";
import { dashboardRoutes } from "./routes/dashboard-routes.js";
import { healthRoutes } from "./routes/health-routes.js";
import { lifecycleRoutes } from "./routes/lifecycle-routes.js";
import { monitoringRoutes } from "./routes/monitoring-routes.js";
import { scoringRoutes } from "./routes/scoring-routes.js";
import { servingRoutes } from "./routes/serving-routes.js";
import { errorSchema } from "./schemas.js";

declare module "fastify" {
  interface FastifyRequest {
    /** `performance.now()` when the request arrived: the start of `latency_ms`. */
    startedAt: number;
  }
}

export interface BuildAppOptions {
  service: FraudScoringService;
  registry: Registry;
  logger: Logger;
  /** Scoring and reads need a token too (any role). */
  requireTokenForReads?: boolean;
}

/** Bodies above this are refused with 413 before they are read further. */
export const BODY_LIMIT = 1024 * 1024;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;
/**
 * Request ids this process makes: a random prefix per process and a counter (`3f9a0c1e-1b7`),
 * unique across replicas and restarts in practice, at a fraction of `randomUUID`'s cost a request.
 */
const processPrefix = randomBytes(4).toString("hex");
let requestCount = 0;

/**
 * The serving API: Fastify with JSON-schema validation that neither coerces types nor drops
 * unknown fields (both are 400s naming the field), one error shape, request ids in every log
 * line and the `x-request-id` header, Prometheus request metrics, and OpenAPI at /openapi.json
 * and /docs generated from the route schemas.
 */
export async function buildApp(opts: BuildAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: opts.logger as unknown as FastifyBaseLogger,
    // Per-request lines would cost more than scoring does; refusals and failures are logged below.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: "request_id" }),
    childLoggerFactory: requestLoggerFactory,
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers["x-request-id"];
      return typeof given === "string" && REQUEST_ID.test(given)
        ? given
        : `${processPrefix}-${(++requestCount).toString(36)}`;
    },
    bodyLimit: BODY_LIMIT,
    return503OnClosing: true,
    ajv: {
      customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false },
    },
  });
  const { service } = opts;
  app.decorateRequest("startedAt", 0);
  app.decorateRequest("actor", "");
  app.decorateRequest("actorRole", "");
  app.addSchema(errorSchema);

  const httpDuration = new ArrayHistogram({
    name: "lakay_http_request_duration_seconds",
    help: "HTTP requests by route, method and status",
    labelNames: ["route", "method", "status"] as const,
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [service.prom.registry],
  });
  // Hooks with a callback, not async: no promise and microtask per request for synchronous work.
  app.addHook("onRequest", (request, reply, done) => {
    request.startedAt = performance.now();
    reply.header("x-request-id", request.id);
    done();
  });
  // Children by route, method and status: three lookups on strings and a number the request
  // already holds, instead of a label set built and hashed per response.
  const httpChildren = new Map<string, Map<string, Map<number, HistogramChild>>>();
  const httpChild = (route: string, method: string, status: number): HistogramChild => {
    let byMethod = httpChildren.get(route);
    if (!byMethod) httpChildren.set(route, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map()));
    let child = byStatus.get(status);
    if (!child) byStatus.set(status, (child = httpDuration.child(route, method, String(status))));
    return child;
  };
  app.addHook("onResponse", (request, reply, done) => {
    const route = request.routeOptions.url ?? "unmatched";
    const status = reply.statusCode;
    httpChild(route, request.method, status).observe((performance.now() - request.startedAt) / 1000);
    if (route.startsWith("/api/")) service.noteRequest(status);
    if (status >= 400) request.log.debug({ route, status }, "request refused");
    done();
  });
  installErrorHandlers(app);

  await app.register(swagger, {
    openapi: {
      info: {
        title: "Lakay serving API",
        version: lakayVersion(),
        description: "Fraud scoring with champion/challenger routing and hybrid rules+ML (docs/serving.md)",
      },
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
    },
  });
  await app.register(swaggerUi, { routePrefix: "/docs" });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());

  const auth = new BearerAuth(opts.registry);
  const readGuard = opts.requireTokenForReads ? [auth.require("read")] : [];
  await app.register(healthRoutes, { service });
  await app.register(scoringRoutes, { service, readGuard });
  await app.register(servingRoutes, { service, readGuard, auth });
  await app.register(monitoringRoutes, { service, readGuard, auth, registry: opts.registry });
  await app.register(lifecycleRoutes, { service, readGuard, auth, registry: opts.registry });
  await app.register(dashboardRoutes);
  return app;
}
