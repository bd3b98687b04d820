/**
 * JSON schemas of the lifecycle endpoints the dashboard reads and acts through (models, gate,
 * deployments, audit). Like schemas.ts: Fastify validates requests and serializes answers with them,
 * and /openapi.json is built from them.
 */
const reason = { type: "string", minLength: 1, maxLength: 2000 } as const;
const anyObject = { type: "object", additionalProperties: true } as const;
const nullableString = { type: ["string", "null"] } as const;
const nullableInt = { type: ["integer", "null"] } as const;

export const versionParamsSchema = {
  type: "object",
  required: ["version"],
  properties: { version: { type: "string", pattern: "^[1-9][0-9]{0,8}$" } },
} as const;

export const modelVersionSchema = {
  type: "object",
  required: ["version", "stage", "aliases", "created_at", "metrics"],
  properties: {
    version: { type: "integer" },
    stage: { type: "string" },
    aliases: { type: "array", items: { type: "string" } },
    created_at: { type: "string" },
    run_id: nullableString,
    description: nullableString,
    metrics: { type: "object", additionalProperties: { type: "number" } },
  },
} as const;

export const modelsResponseSchema = {
  type: "object",
  required: ["model", "versions", "aliases"],
  properties: {
    model: { type: "string" },
    aliases: { type: "object", additionalProperties: { type: "integer" } },
    versions: { type: "array", items: modelVersionSchema },
  },
} as const;

export const gateResponseSchema = {
  type: "object",
  description: "`lakay gate --json`: each condition with pass/fail and what is missing",
  required: ["model_name", "model_version", "passed", "conditions"],
  properties: {
    model_name: { type: "string" },
    model_version: { type: "integer" },
    stage: { type: "string" },
    passed: { type: "boolean" },
    artifact_digest: nullableString,
    production_version: nullableInt,
    change_kinds: { type: "array", items: { type: "string" } },
    detected_changes: { type: "array", items: anyObject },
    conditions: { type: "array", items: anyObject },
    bias_flags: {},
    overrides: {},
    warnings: { type: "array", items: { type: "string" } },
  },
} as const;

export const deploymentSchema = {
  type: "object",
  required: ["id", "model_name", "action", "triggered_by", "timestamp", "success"],
  properties: {
    id: { type: ["integer", "string"] },
    model_name: { type: "string" },
    model_version: nullableInt,
    previous_version: nullableInt,
    action: { type: "string" },
    triggered_by: { type: "string" },
    validation_result: {},
    timestamp: { type: "string" },
    success: { type: "boolean" },
    reason: nullableString,
    error: nullableString,
    approvals: {},
    details: anyObject,
  },
} as const;

export const deploymentsResponseSchema = {
  type: "object",
  required: ["deployments"],
  properties: { deployments: { type: "array", items: deploymentSchema } },
} as const;

export const auditQuerySchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    model: { type: "string", maxLength: 128 },
    actor: { type: "string", maxLength: 128 },
    action: { type: "string", maxLength: 128 },
    limit: { type: "string", pattern: "^[1-9][0-9]{0,5}$" },
  },
} as const;

export const auditResponseSchema = {
  type: "object",
  required: ["entries"],
  properties: {
    entries: {
      type: "array",
      items: {
        type: "object",
        required: ["seq", "timestamp", "actor", "action", "hash"],
        properties: {
          seq: { type: "integer" },
          timestamp: { type: "string" },
          actor: { type: "string" },
          action: { type: "string" },
          model: nullableString,
          version: nullableInt,
          details: anyObject,
          prevHash: { type: "string" },
          hash: { type: "string" },
        },
      },
    },
  },
} as const;

export const auditVerifyResponseSchema = {
  type: "object",
  description: "`lakay audit verify --json`",
  required: ["ok", "checked", "headHash"],
  properties: {
    ok: { type: "boolean" },
    checked: { type: "integer" },
    headHash: nullableString,
    firstBroken: anyObject,
    checkpoint: anyObject,
  },
} as const;

export const approvalRequestSchema = {
  type: "object",
  additionalProperties: false,
  required: ["decision"],
  properties: {
    decision: { type: "string", enum: ["approve", "reject"] },
    note: reason,
  },
} as const;

export const promoteRequestSchema = {
  type: "object",
  additionalProperties: false,
  properties: { reason },
} as const;

export const rollbackRequestSchema = {
  type: "object",
  additionalProperties: false,
  required: ["reason"],
  properties: { reason, to: { type: "integer", minimum: 1 } },
} as const;
