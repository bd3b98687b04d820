import type { FastifyInstance } from "fastify";
import type { BearerAuth } from "../bearer-auth.js";
import {
  configChangeRequestSchema,
  mlSwitchRequestSchema,
  reloadRequestSchema,
  routingRequestSchema,
} from "../schemas.js";
import { withAbStatistics } from "./routing-statistics.js";
import type { RouteOptions } from "./scoring-routes.js";

const errors = { "4xx": { $ref: "Error#" }, "5xx": { $ref: "Error#" } };
const bearer = [{ bearer: [] }];

/** The seed's serving API (§8.1): reload, routing, monitoring, plus config and the ML switch. */
export async function servingRoutes(
  app: FastifyInstance,
  opts: RouteOptions & { auth: BearerAuth },
): Promise<void> {
  const { service, auth } = opts;

  app.post<{ Body: { reason?: string } | undefined }>(
    "/api/v1/serving/reload",
    {
      onRequest: auth.require("reload"),
      // `curl -X POST .../reload` (the seed's command) sends no body at all: read it as `{}`.
      preValidation: async (request) => {
        if (request.body === undefined) request.body = {};
      },
      schema: {
        tags: ["serving"],
        summary: "Reload champion and challenger from the registry; a failure keeps the old models",
        security: bearer,
        body: reloadRequestSchema,
        response: errors,
      },
    },
    async (request) => {
      const report = await service.reload("api", request.actor, request.body?.reason ?? null);
      return { status: "reloaded", reload: report, model: service.monitoring().model };
    },
  );

  app.get(
    "/api/v1/serving/routing",
    {
      onRequest: opts.readGuard,
      schema: { tags: ["serving"], summary: "The A/B split and per-variant metrics" },
    },
    async () => withAbStatistics(service, service.routingView()),
  );

  app.post<{ Body: { champion_pct: number; challenger_pct: number; shadow?: boolean; reason?: string } }>(
    "/api/v1/serving/routing",
    {
      onRequest: auth.require("routing"),
      schema: {
        tags: ["serving"],
        summary: "Set the champion/challenger split (percentages summing to 100); 100/0 ends the experiment",
        security: bearer,
        body: routingRequestSchema,
        response: errors,
      },
    },
    async (request) =>
      service.setRouting({
        championPct: request.body.champion_pct,
        challengerPct: request.body.challenger_pct,
        shadow: request.body.shadow ?? false,
        actor: request.actor,
        reason: request.body.reason ?? null,
      }),
  );

  app.get(
    "/api/v1/serving/config",
    {
      onRequest: opts.readGuard,
      schema: { tags: ["serving"], summary: "The serving configuration in force" },
    },
    async () => service.configView(),
  );

  app.put<{ Body: { reason: string } & Record<string, object> }>(
    "/api/v1/serving/config",
    {
      onRequest: auth.require("config"),
      schema: {
        tags: ["serving"],
        summary:
          "Change thresholds or hybrid weights: 200 when applied, 202 while the approval policy still waits for sign-offs",
        security: bearer,
        body: configChangeRequestSchema,
        response: errors,
      },
    },
    async (request, reply) => {
      const { reason, ...patch } = request.body;
      const outcome = await service.proposeConfig({ patch, actor: request.actor, reason });
      if (outcome.status === "pending_approval") reply.code(202);
      return outcome;
    },
  );

  app.post<{ Body: { enabled: boolean; reason: string } }>(
    "/api/v1/serving/ml",
    {
      onRequest: auth.require("ml_switch"),
      schema: {
        tags: ["serving"],
        summary: "Emergency switch (seed §6.3): ML scoring off (rules only) or back on, at once",
        security: bearer,
        body: mlSwitchRequestSchema,
        response: errors,
      },
    },
    async (request) => {
      const s = await service.setMl({
        enabled: request.body.enabled,
        actor: request.actor,
        reason: request.body.reason,
      });
      return {
        ml_enabled: s.enabled,
        mode: service.mode,
        changed_at: s.changedAt,
        changed_by: s.changedBy,
        reason: s.reason,
      };
    },
  );
}
