import type { FastifyReply, FastifyRequest, onRequestHookHandler } from "fastify";
import type { Registry } from "../registry/index.js";
import { PERMISSIONS, verifyApiToken, type Permission, type TokenRole } from "../serving/index.js";
import { HttpError } from "./error-reply.js";

declare module "fastify" {
  interface FastifyRequest {
    /** The token's name: the actor recorded in the audit log. */
    actor: string;
    /** The token's role (an approval from the dashboard is recorded in this role). */
    actorRole: TokenRole | "";
  }
}

/** Reads are checked often; a verified read token is trusted this long (revocation delay for reads). */
const READ_CACHE_MS = 5_000;

/**
 * Bearer-token checks: `require(permission)` is an onRequest hook (so before the body is even
 * read) answering 401 without a valid token
 * and 403 when the token's role lacks the permission (see PERMISSIONS). State-changing routes
 * check the registry every time, so a revoked token stops at once.
 */
export class BearerAuth {
  private readonly cache = new Map<string, { name: string; role: TokenRole; until: number }>();

  constructor(private readonly registry: Registry) {}

  require(permission: Permission): onRequestHookHandler {
    return async (request: FastifyRequest, reply: FastifyReply) => {
      void reply;
      const header = request.headers.authorization;
      const m = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
      if (!m) {
        reply.header("www-authenticate", 'Bearer realm="lakay"');
        throw new HttpError(
          401,
          "UNAUTHORIZED",
          "this endpoint needs Authorization: Bearer TOKEN (lakay tokens create)",
        );
      }
      const who =
        permission === "read" ? await this.cachedVerify(m[1]) : await verifyApiToken(this.registry, m[1]);
      if (!who) {
        reply.header("www-authenticate", 'Bearer realm="lakay", error="invalid_token"');
        throw new HttpError(401, "UNAUTHORIZED", "unknown or revoked token");
      }
      const allowed: readonly string[] = PERMISSIONS[permission];
      if (!allowed.includes(who.role))
        throw new HttpError(
          403,
          "FORBIDDEN",
          `token ${who.name} has role ${who.role}; ${permission} needs one of ${allowed.join(", ")}`,
        );
      request.actor = who.name;
      request.actorRole = who.role;
    };
  }

  private async cachedVerify(token: string) {
    const hit = this.cache.get(token);
    const now = Date.now();
    if (hit && hit.until > now) return hit;
    const who = await verifyApiToken(this.registry, token);
    if (who) {
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(token, { ...who, until: now + READ_CACHE_MS });
    }
    return who;
  }
}
