import type { FastifyInstance } from "fastify";
import {
  approvalJson,
  approvalStatusJson,
  checkPromotionGate,
  deploymentHistory,
  deploymentRecordJson,
  deploymentRecordOf,
  gateJson,
  gateReportOf,
  loadApprovalPolicy,
  promoteToProduction,
  recordApproval,
  rollback,
  type DeploymentRecord,
} from "../../deploy/index.js";
import { ConflictError } from "../../errors/index.js";
import { autoPromotionDecision, experimentReport } from "../../monitoring/index.js";
import type { Registry } from "../../registry/index.js";
import type { BearerAuth } from "../bearer-auth.js";
import { errorReply } from "../error-reply.js";
import {
  approvalRequestSchema,
  auditQuerySchema,
  auditResponseSchema,
  auditVerifyResponseSchema,
  deploymentsResponseSchema,
  gateResponseSchema,
  modelsResponseSchema,
  promoteRequestSchema,
  rollbackRequestSchema,
  versionParamsSchema,
} from "../lifecycle-schemas.js";
import type { RouteOptions } from "./scoring-routes.js";

const errors = { "4xx": { $ref: "Error#" }, "5xx": { $ref: "Error#" } };
const bearer = [{ bearer: [] }];
const tags = ["lifecycle"];

/** Run metrics a fraud team compares first (the rest stay in `lakay runs show`). */
const KEY_METRICS =
  /^(test_)?(auc_pr|aucpr|pr_auc|auc_roc|roc_auc|auc|precision|recall|f1|fpr|brier|logloss)/i;

interface VersionParams {
  version: string;
}

/**
 * The lifecycle as the dashboard reads it and acts on it: the served model's versions with their
 * gate checklist, the deployment history, the audit log and its verification, and the approve /
 * promote / rollback actions — the same library calls as `lakay approve|promote|rollback`, with the
 * token's name as the actor (and the token's role as the approver's role). After a promotion or a
 * rollback the server reloads at once, so the served champion follows.
 */
export async function lifecycleRoutes(
  app: FastifyInstance,
  opts: RouteOptions & { auth: BearerAuth; registry: Registry },
): Promise<void> {
  const { service, registry, auth } = opts;
  const model = () => service.config.model;
  const policy = () => loadApprovalPolicy(undefined);

  app.get(
    "/api/v1/models",
    {
      onRequest: opts.readGuard,
      schema: {
        tags,
        summary: "The served model's versions: stage, aliases, key metrics",
        response: { 200: modelsResponseSchema, ...errors },
      },
    },
    async () => {
      const name = model();
      const versions = await registry.listVersions(name);
      const aliases: Record<string, number> = {};
      for (const v of versions) for (const a of v.aliases) aliases[a] = v.version;
      const rows = await Promise.all(
        versions.map(async (v) => {
          const metrics: Record<string, number> = {};
          if (v.runId) {
            const run = await registry.getRun(v.runId).catch(() => null);
            for (const [k, x] of Object.entries(run?.metrics ?? {}))
              if (KEY_METRICS.test(k) && Number.isFinite(x)) metrics[k] = x;
          }
          return {
            version: v.version,
            stage: v.stage,
            aliases: v.aliases,
            created_at: v.createdAt,
            run_id: v.runId,
            description: v.description,
            metrics,
          };
        }),
      );
      return { model: name, aliases, versions: rows.reverse() };
    },
  );

  app.get<{ Params: VersionParams }>(
    "/api/v1/models/:version/gate",
    {
      onRequest: opts.readGuard,
      schema: {
        tags,
        summary: "`lakay gate`: the promotion checklist of a version (records nothing)",
        params: versionParamsSchema,
        response: { 200: gateResponseSchema, ...errors },
      },
    },
    async (request) =>
      gateJson(
        await checkPromotionGate(registry, {
          model: model(),
          version: Number(request.params.version),
          policy: policy(),
        }),
      ),
  );

  app.get<{ Querystring: { limit?: string } }>(
    "/api/v1/deployments",
    {
      onRequest: opts.readGuard,
      schema: {
        tags,
        summary: "`lakay history`: deployment records, refused attempts included, newest first",
        querystring: {
          type: "object",
          additionalProperties: false,
          properties: { limit: { type: "string", pattern: "^[1-9][0-9]{0,4}$" } },
        },
        response: { 200: deploymentsResponseSchema, ...errors },
      },
    },
    async (request) => {
      const records = await deploymentHistory(registry, {
        model: model(),
        limit: Number(request.query.limit ?? 100),
      });
      return { deployments: records.map(deploymentRecordJson) };
    },
  );

  app.get<{ Querystring: { model?: string; actor?: string; action?: string; limit?: string } }>(
    "/api/v1/audit",
    {
      onRequest: opts.readGuard,
      schema: {
        tags,
        summary: "The audit log, newest first, filtered by model, actor (exact) and action (prefix)",
        querystring: auditQuerySchema,
        response: { 200: auditResponseSchema, ...errors },
      },
    },
    async (request) => {
      const q = request.query;
      const limit = Number(q.limit ?? 500);
      const entries = (await registry.listAudit({ model: q.model || undefined }))
        .filter((e) => (!q.actor || e.actor === q.actor) && (!q.action || e.action.startsWith(q.action)))
        .sort((a, b) => b.seq - a.seq)
        .slice(0, limit);
      return { entries };
    },
  );

  app.get(
    "/api/v1/audit/verify",
    {
      onRequest: opts.readGuard,
      schema: {
        tags,
        summary: "`lakay audit verify`: recompute the hash chain, name the first broken entry",
        response: { 200: auditVerifyResponseSchema, ...errors },
      },
    },
    async () => registry.verifyAudit(),
  );

  app.get(
    "/api/v1/experiment/sequential",
    {
      onRequest: opts.readGuard,
      schema: {
        tags,
        summary:
          "The auto-promotion test's state for the running experiment (mSPRT interval on the improvement, the decision it would take); records nothing",
        response: errors,
      },
    },
    async () => {
      const experiment = service.currentExperiment;
      if (!experiment) throw new ConflictError("no experiment is running");
      await service.monitor?.writer?.flush();
      const config = service.config.monitoring.auto_promotion;
      const r = await experimentReport(
        registry,
        { model: model(), experimentId: experiment.id },
        service.operatingThreshold,
      );
      const counts = (v: "champion" | "challenger") => {
        const m = r[v][config.metric];
        return { successes: m.successes, trials: m.trials };
      };
      return {
        experiment_id: experiment.id,
        ...autoPromotionDecision(config, counts("champion"), counts("challenger")),
      };
    },
  );

  app.post<{ Params: VersionParams; Body: { decision: "approve" | "reject"; note?: string } }>(
    "/api/v1/models/:version/approvals",
    {
      onRequest: auth.require("approve"),
      schema: {
        tags,
        summary: "`lakay approve`: approve or reject a version as the token's name and role",
        security: bearer,
        params: versionParamsSchema,
        body: approvalRequestSchema,
        response: errors,
      },
    },
    async (request) => {
      const out = await recordApproval(registry, {
        model: model(),
        version: Number(request.params.version),
        role: request.actorRole,
        by: request.actor,
        note: request.body.note,
        decision: request.body.decision,
        policy: policy(),
      });
      return { approval: approvalJson(out.approval), status: approvalStatusJson(out.evaluation) };
    },
  );

  app.post<{ Params: VersionParams; Body: { reason?: string } | undefined }>(
    "/api/v1/models/:version/promote",
    {
      onRequest: auth.require("promote"),
      preValidation: async (request) => {
        if (request.body === undefined) request.body = {};
      },
      schema: {
        tags,
        summary: "`lakay promote`: through the gate; a refusal answers with the checklist",
        security: bearer,
        params: versionParamsSchema,
        body: promoteRequestSchema,
        response: errors,
      },
    },
    async (request, reply) =>
      deploymentAction(reply, () =>
        promoteToProduction(registry, {
          model: model(),
          version: Number(request.params.version),
          by: request.actor,
          reason: request.body?.reason,
          policy: policy(),
        }),
      ),
  );

  app.post<{ Body: { reason: string; to?: number } }>(
    "/api/v1/models/rollback",
    {
      onRequest: auth.require("rollback"),
      schema: {
        tags,
        summary: "`lakay rollback`: restore the previous Production version (verified first)",
        security: bearer,
        body: rollbackRequestSchema,
        response: errors,
      },
    },
    async (request, reply) =>
      deploymentAction(reply, () =>
        rollback(registry, {
          model: model(),
          by: request.actor,
          reason: request.body.reason,
          to: request.body.to,
        }),
      ),
  );

  /** Runs a promotion or rollback, reloads the served models, or answers the refusal with its record and checklist. */
  async function deploymentAction(
    reply: { code(status: number): unknown },
    run: () => Promise<DeploymentRecord>,
  ) {
    let record: DeploymentRecord;
    try {
      record = await run();
    } catch (err) {
      const { status, body, internal } = errorReply(err);
      if (internal) throw err;
      const refused = deploymentRecordOf(err);
      const gate = gateReportOf(err);
      reply.code(status);
      return {
        ...body,
        deployment: refused ? deploymentRecordJson(refused) : null,
        gate: gate ? gateJson(gate) : null,
      };
    }
    const reload = await service
      .reload("deployment", record.triggeredBy, record.reason)
      .catch((err: unknown) => ({ failed: String((err as Error).message ?? err) }));
    return { deployment: deploymentRecordJson(record), reload };
  }
}
