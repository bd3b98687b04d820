import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { BadInputError, LakayError } from "../errors/index.js";
import { ReloadFailedError } from "../serving/index.js";

/** The one error body every 4xx and 5xx answer has. */
export interface ErrorBody {
  error: { code: string; message: string; field: string | null };
  [extra: string]: unknown;
}

/** An HTTP-only refusal (auth, size, media type) with its stable code. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly field: string | null = null,
  ) {
    super(message);
  }
}

interface AjvIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

/** `/transactions/3/amount` → `transactions[3].amount`. */
function fieldOf(issue: AjvIssue): string | null {
  const parts = issue.instancePath.split("/").filter(Boolean);
  if (issue.keyword === "required") parts.push(String(issue.params.missingProperty));
  if (issue.keyword === "additionalProperties") parts.push(String(issue.params.additionalProperty));
  let out = "";
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
  return out || null;
}

function validationReply(issue: AjvIssue): ErrorBody {
  const field = fieldOf(issue);
  let message: string;
  if (issue.keyword === "required") message = `${field} is required`;
  else if (issue.keyword === "additionalProperties") message = `unknown field ${field}`;
  else if (issue.keyword === "enum")
    message = `${field} must be one of ${(issue.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
  else message = `${field ?? "body"} ${issue.message ?? "is invalid"}`;
  return { error: { code: "BAD_INPUT", message, field } };
}

/** Maps any error to its status and the error body. Bad input is always a 4xx, never a 500. */
export function errorReply(err: unknown): { status: number; body: ErrorBody; internal: boolean } {
  if (err instanceof HttpError)
    return {
      status: err.statusCode,
      body: { error: { code: err.code, message: err.message, field: err.field } },
      internal: false,
    };
  if (err instanceof ReloadFailedError)
    return {
      status: err.httpStatus,
      body: { error: { code: err.code, message: err.message, field: null }, reload: err.report },
      internal: false,
    };
  if (err instanceof LakayError) {
    const field = err instanceof BadInputError ? (err.location.field ?? null) : null;
    return {
      status: err.httpStatus,
      body: { error: { code: err.code, message: err.message, field } },
      internal: false,
    };
  }
  const e = err as FastifyError & { validation?: AjvIssue[] };
  if (e?.validation?.length) return { status: 400, body: validationReply(e.validation[0]), internal: false };
  if (e?.code === "FST_ERR_CTP_BODY_TOO_LARGE")
    return {
      status: 413,
      body: {
        error: { code: "PAYLOAD_TOO_LARGE", message: "request body is larger than 1 MiB", field: null },
      },
      internal: false,
    };
  if (e?.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE")
    return {
      status: 415,
      body: {
        error: { code: "UNSUPPORTED_MEDIA_TYPE", message: "send the body as application/json", field: null },
      },
      internal: false,
    };
  const status = typeof e?.statusCode === "number" ? e.statusCode : 500;
  if (status >= 400 && status < 500)
    return {
      status,
      body: {
        error: {
          code: status === 400 ? "BAD_INPUT" : (e.code ?? "BAD_REQUEST"),
          message: e.message,
          field: null,
        },
      },
      internal: false,
    };
  return {
    status: 500,
    body: { error: { code: "INTERNAL", message: "internal error (see the server log)", field: null } },
    internal: true,
  };
}

/** Installs the error and not-found handlers so every failure has the one shape. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body, internal } = errorReply(err);
    if (internal) request.log.error({ err }, "request failed");
    else if (status >= 500) request.log.error({ code: body.error.code }, body.error.message);
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      error: {
        code: "NOT_FOUND",
        message: `no route ${request.method} ${request.url.split("?")[0]}`,
        field: null,
      },
    }),
  );
}
