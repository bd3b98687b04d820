import { createHash, randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import { BadInputError, ConflictError, NotFoundError } from "../errors/index.js";
import type { Registry } from "../registry/index.js";
import type { ServingDatabase } from "./serving-tables.js";

/**
 * Roles a token can carry: the approval policy's people plus an `operator` (on-call: reload and
 * the ML switch) and a `viewer` (reads only, for `--require-token-for-reads`).
 */
export const TOKEN_ROLES = ["ml_engineer", "team_lead", "bsa_officer", "operator", "viewer"] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

/** What each protected operation needs. One table, so docs/serving.md and the code cannot drift. */
export const PERMISSIONS = {
  read: [...TOKEN_ROLES],
  reload: ["ml_engineer", "team_lead", "operator"],
  routing: ["ml_engineer", "team_lead"],
  ml_switch: ["ml_engineer", "team_lead", "bsa_officer", "operator"],
  config: ["ml_engineer", "team_lead", "bsa_officer"],
  /** Outcome labels (POST /api/v1/fraud/feedback). */
  feedback: ["ml_engineer", "team_lead", "bsa_officer", "operator"],
  // The dashboard's deployment actions: the CLI's `lakay approve|promote|rollback`, same library calls.
  approve: ["ml_engineer", "team_lead", "bsa_officer"],
  promote: ["ml_engineer", "team_lead"],
  rollback: ["ml_engineer", "team_lead", "operator"],
} as const satisfies Record<string, readonly TokenRole[]>;
export type Permission = keyof typeof PERMISSIONS;

export interface ApiToken {
  name: string;
  role: TokenRole;
  createdAt: string;
  createdBy: string;
  revokedAt: string | null;
  revokedBy: string | null;
}

type Db = Kysely<ServingDatabase>;
const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

export function isTokenRole(value: string): value is TokenRole {
  return (TOKEN_ROLES as readonly string[]).includes(value);
}

/** SHA-256 of a token: all the registry ever stores. */
export function tokenDigest(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/**
 * Creates a token for `name` and returns it in clear, once. Refused while another unrevoked token
 * has the same name (names are the actor in the audit log, so they must say who acted).
 */
export async function createApiToken(
  registry: Registry,
  opts: { name: string; role: string; by: string },
): Promise<{ token: string; record: ApiToken }> {
  if (!NAME.test(opts.name))
    throw new BadInputError(
      `token name ${JSON.stringify(opts.name)}: expected 1-64 letters, digits, '.', '_', '@' or '-'`,
      { field: "name" },
    );
  if (!isTokenRole(opts.role))
    throw new BadInputError(`unknown role "${opts.role}" (known: ${TOKEN_ROLES.join(", ")})`, {
      field: "role",
    });
  const token = `lk_${randomBytes(32).toString("base64url")}`;
  const createdAt = new Date().toISOString();
  await registry.transaction(async (tx) => {
    const db = tx.db as Db;
    const live = await db
      .selectFrom("api_tokens")
      .select("id")
      .where("name", "=", opts.name)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    if (live)
      throw new ConflictError(
        `a token named ${opts.name} already exists; revoke it first (lakay tokens revoke ${opts.name})`,
      );
    await db
      .insertInto("api_tokens")
      .values({
        name: opts.name,
        role: opts.role,
        token_sha256: tokenDigest(token),
        created_at: createdAt,
        created_by: opts.by,
        revoked_at: null,
        revoked_by: null,
      })
      .execute();
    await tx.appendAudit({
      actor: opts.by,
      action: "serving.token_created",
      details: { name: opts.name, role: opts.role },
    });
  });
  return {
    token,
    record: {
      name: opts.name,
      role: opts.role,
      createdAt,
      createdBy: opts.by,
      revokedAt: null,
      revokedBy: null,
    },
  };
}

/** Every token ever created (never the token itself), oldest first. */
export async function listApiTokens(registry: Registry): Promise<ApiToken[]> {
  const rows = await registry.read((db: Db) =>
    db.selectFrom("api_tokens").selectAll().orderBy("id").execute(),
  );
  return rows.map((r) => ({
    name: r.name,
    role: r.role as TokenRole,
    createdAt: r.created_at,
    createdBy: r.created_by,
    revokedAt: r.revoked_at,
    revokedBy: r.revoked_by,
  }));
}

/** Revokes the live token named `name`; it stops working at once. */
export async function revokeApiToken(registry: Registry, opts: { name: string; by: string }): Promise<void> {
  await registry.transaction(async (tx) => {
    const db = tx.db as Db;
    const at = new Date().toISOString();
    const r = await db
      .updateTable("api_tokens")
      .set({ revoked_at: at, revoked_by: opts.by })
      .where("name", "=", opts.name)
      .where("revoked_at", "is", null)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw new NotFoundError(`no live token named ${opts.name}`);
    await tx.appendAudit({ actor: opts.by, action: "serving.token_revoked", details: { name: opts.name } });
  });
}

/** The live token's name and role, or null for an unknown or revoked token. */
export async function verifyApiToken(
  registry: Registry,
  token: string,
): Promise<{ name: string; role: TokenRole } | null> {
  const digest = tokenDigest(token);
  const row = await registry.read((db: Db) =>
    db
      .selectFrom("api_tokens")
      .select(["name", "role"])
      .where("token_sha256", "=", digest)
      .where("revoked_at", "is", null)
      .executeTakeFirst(),
  );
  return row && isTokenRole(row.role) ? { name: row.name, role: row.role } : null;
}
