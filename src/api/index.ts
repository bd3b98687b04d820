/** The serving API: Fastify app, routes, JSON schemas, bearer auth. HTTP only; the work is in src/serving. */
export { buildApp, BODY_LIMIT, type BuildAppOptions } from "./build-app.js";
export { errorReply, HttpError, type ErrorBody } from "./error-reply.js";
