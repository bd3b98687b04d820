import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openLakay } from "../../src/app/index.js";
import type { Kysely } from "kysely";
import { tokenDigest, verifyApiToken, type ServingDatabase } from "../../src/serving/index.js";
import { createTestRegistryHome, type TestRegistryHome } from "../deploy/helpers.js";
import { runCli } from "../helpers/cli.js";
import { registryEnv } from "./serving-fixture.js";

let home: TestRegistryHome;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  home = await createTestRegistryHome("sqlite");
  env = { ...registryEnv(home), LAKAY_ACTOR: "admin" };
});
afterAll(async () => home?.drop());

describe("lakay tokens", () => {
  it("creates a token shown once and stored hashed, lists, refuses duplicates and bad roles, revokes", async () => {
    const created = runCli(["tokens", "create", "--name", "alice", "--role", "ml_engineer", "--json"], {
      env,
    });
    expect(created.status).toBe(0);
    const { name, role, token } = JSON.parse(created.stdout) as { name: string; role: string; token: string };
    expect({ name, role }).toEqual({ name: "alice", role: "ml_engineer" });
    expect(token).toMatch(/^lk_[A-Za-z0-9_-]{43}$/);

    const list = runCli(["tokens", "list", "--json"], { env });
    expect(list.stdout).not.toContain(token);
    expect(JSON.parse(list.stdout)).toEqual([
      expect.objectContaining({ name: "alice", role: "ml_engineer", created_by: "admin", revoked_at: null }),
    ]);

    const dup = runCli(["tokens", "create", "--name", "alice", "--role", "team_lead"], { env });
    expect(dup.status).toBe(1);
    expect(dup.stderr).toMatch(/already exists; revoke it first/);
    const badRole = runCli(["tokens", "create", "--name", "bob", "--role", "admin"], { env });
    expect(badRole.status).toBe(2);
    expect(badRole.stderr).toMatch(/unknown role "admin" \(known: ml_engineer, team_lead/);

    const registry = await openLakay({
      registryUri: home.uri,
      artifactRoot: home.artifactRoot,
      env: { LAKAY_HOME: home.dir },
    });
    try {
      expect(await verifyApiToken(registry, token)).toEqual({ name: "alice", role: "ml_engineer" });
      const stored = await registry.read((db: Kysely<ServingDatabase>) =>
        db.selectFrom("api_tokens").select("token_sha256").execute(),
      );
      expect(stored).toEqual([{ token_sha256: tokenDigest(token) }]);

      expect(runCli(["tokens", "revoke", "alice"], { env }).status).toBe(0);
      expect(await verifyApiToken(registry, token)).toBeNull();
      expect(runCli(["tokens", "revoke", "alice"], { env }).status).toBe(2);
      // The name is free again (rotation).
      expect(runCli(["tokens", "create", "--name", "alice", "--role", "team_lead"], { env }).status).toBe(0);
      const audit = await registry.listAudit();
      expect(audit.map((a) => [a.action, a.actor, a.details.name])).toEqual([
        ["serving.token_created", "admin", "alice"],
        ["serving.token_revoked", "admin", "alice"],
        ["serving.token_created", "admin", "alice"],
      ]);
    } finally {
      await registry.close();
    }
  });
});
