import type { FastifyInstance } from "fastify";
import { ConflictError } from "../../errors/index.js";
import {
  checkAutoPromotion,
  experimentReport,
  MONITORING_WINDOWS,
  recordLabels,
  type MonitoringWindow,
  type OutcomeLabel,
} from "../../monitoring/index.js";
import type { Registry } from "../../registry/index.js";
import type { BearerAuth } from "../bearer-auth.js";
import { feedbackRequestSchema, monitoringQuerySchema } from "../schemas.js";
import type { RouteOptions } from "./scoring-routes.js";

const errors = { "4xx": { $ref: "Error#" }, "5xx": { $ref: "Error#" } };
const bearer = [{ bearer: [] }];

interface LabelBody {
  transaction_id: string;
  is_fraud: boolean;
  source?: string;
  labeled_at?: string;
}

/**
 * Monitoring (issue #15): outcome feedback, the monitoring document with drift, score shift,
 * latency SLA and alerts (live or over a window of the log), and the A/B report with intervals.
 */
export async function monitoringRoutes(
  app: FastifyInstance,
  opts: RouteOptions & { auth: BearerAuth; registry: Registry },
): Promise<void> {
  const { service, auth, registry } = opts;
  const firedFor = new Set<string>();

  app.post<{ Body: LabelBody | { labels: LabelBody[] } }>(
    "/api/v1/fraud/feedback",
    {
      onRequest: auth.require("feedback"),
      schema: {
        tags: ["monitoring"],
        summary:
          "Investigation outcomes: one label or {labels: [...]}; a relabel keeps the earlier one in history",
        security: bearer,
        body: feedbackRequestSchema,
        response: errors,
      },
    },
    async (request) => {
      const body = request.body;
      const given = "labels" in body ? body.labels : [body];
      const labels: OutcomeLabel[] = given.map((l) => ({
        transactionId: l.transaction_id,
        isFraud: l.is_fraud,
        source: l.source ?? "api",
        labeledAt: l.labeled_at ?? null,
      }));
      const report = await recordLabels(registry, labels, request.actor, service.models.modelName);
      service.monitor?.noteLabels(report.known, report.unknown);
      const experiment = service.currentExperiment;
      const auto = service.config.monitoring.auto_promotion;
      if (auto.enabled && experiment && !firedFor.has(experiment.id)) {
        await service.monitor?.writer?.flush();
        const outcome = await checkAutoPromotion(registry, {
          model: service.models.modelName,
          experimentId: experiment.id,
          challengerVersion: experiment.challengerVersion,
          config: auto,
          threshold: service.operatingThreshold,
          logger: request.log as never,
        });
        if (outcome.request || outcome.already_decided) firedFor.add(experiment.id);
        if (outcome.request)
          service.monitor?.webhooks.emit("auto_promotion", { experiment_id: experiment.id, ...outcome });
        return { ...report, auto_promotion: outcome };
      }
      return report;
    },
  );

  app.get<{ Querystring: { window?: MonitoringWindow } }>(
    "/api/v1/serving/monitoring",
    {
      onRequest: opts.readGuard,
      schema: {
        tags: ["serving"],
        summary:
          "Models served, mode, latency against the SLA, score distributions, drift (PSI per feature), score shift, alerts; ?window=1h|24h|7d reads the prediction log",
        querystring: monitoringQuerySchema,
      },
    },
    async (request) => {
      const base = service.monitoring();
      if (!service.monitor) return { ...base, drift: { status: "monitoring_disabled" } };
      return { ...base, ...(await service.monitor.report(request.query.window)) };
    },
  );

  app.get<{ Querystring: { window?: MonitoringWindow } }>(
    "/api/v1/serving/ab",
    {
      onRequest: opts.readGuard,
      schema: {
        tags: ["serving"],
        summary: "A/B statistics of the current experiment with 95 % intervals (labels joined from feedback)",
        querystring: monitoringQuerySchema,
      },
    },
    async (request) => abView(request.query.window),
  );

  async function abView(window?: MonitoringWindow) {
    const experiment = service.currentExperiment;
    if (!experiment && !window)
      throw new ConflictError("no experiment is running: give ?window=1h|24h|7d for all traffic");
    await service.monitor?.writer?.flush();
    const since = window ? new Date(Date.now() - MONITORING_WINDOWS[window]).toISOString() : undefined;
    return {
      model: service.models.modelName,
      experiment_id: window ? null : experiment!.id,
      window: window ?? null,
      ...(await experimentReport(
        registry,
        { model: service.models.modelName, experimentId: window ? undefined : experiment!.id, since },
        service.operatingThreshold,
      )),
    };
  }
}
