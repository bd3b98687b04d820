import type { FastifyInstance } from "fastify";
import type { FraudScoringService } from "../../serving/index.js";

/** Liveness, readiness (KServe's split: alive is one line, ready comes from the model server) and Prometheus. */
export async function healthRoutes(
  app: FastifyInstance,
  opts: { service: FraudScoringService },
): Promise<void> {
  const { service } = opts;
  app.get("/healthz", { schema: { tags: ["health"], summary: "The process is alive" } }, async () => ({
    status: "ok",
  }));
  app.get(
    "/readyz",
    { schema: { tags: ["health"], summary: "Ready to score (a model, or rules-only mode)" } },
    async (_req, reply) => {
      const m = service.models.models.champion;
      const body = {
        ready: service.ready,
        mode: service.mode,
        model: m && { name: m.name, version: m.version },
      };
      if (!service.ready)
        return reply
          .code(503)
          .send({ error: { code: "NOT_READY", message: "still starting", field: null }, ...body });
      return body;
    },
  );
  app.get(
    "/metrics",
    { schema: { tags: ["health"], summary: "Prometheus metrics" } },
    async (_req, reply) => {
      reply.header("content-type", service.prom.registry.contentType);
      return service.prom.registry.metrics();
    },
  );
}
