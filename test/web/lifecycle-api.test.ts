import pino from "pino";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/api/index.js";
import type { Registry } from "../../src/registry/index.js";
import { FraudScoringService, createApiToken, loadServingConfig } from "../../src/serving/index.js";
import { parseDrift, parseDuration } from "../../src/simulate/index.js";
import {
  BACKENDS,
  createTestRegistryHome,
  openTestRegistry,
  type TestRegistryHome,
} from "../deploy/helpers.js";
import { PAYSIM_SAMPLE } from "../helpers/cli.js";
import { buildServingRegistry, call } from "../serving/serving-fixture.js";

/**
 * The dashboard's lifecycle endpoints in process on both registry backends: reads (models, gate,
 * deployments, audit with filters, verify), and the actions' refusals — no token 401, a role without
 * the permission 403, a promotion before its sign-offs refused with the checklist and recorded —
 * then approvals as the tokens' roles and a promotion that goes through.
 */
describe.each(BACKENDS)("lifecycle API on %s", (backend) => {
  let home: TestRegistryHome;
  let registry: Registry;
  let service: FraudScoringService;
  let app: FastifyInstance;
  let url: string;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    home = await createTestRegistryHome(backend);
    buildServingRegistry(home, PAYSIM_SAMPLE, 2);
    registry = await openTestRegistry(home);
    for (const [name, role] of [
      ["alice", "ml_engineer"],
      ["bob", "team_lead"],
      ["dave", "bsa_officer"],
      ["vera", "viewer"],
    ])
      tokens[name] = (await createApiToken(registry, { name, role, by: "admin" })).token;
    service = new FraudScoringService({
      registry,
      config: loadServingConfig(),
      logger: pino({ level: "silent" }),
    });
    await service.start();
    app = await buildApp({ service, registry, logger: pino({ level: "silent" }) });
    url = await app.listen({ host: "127.0.0.1", port: 0 });
  }, 240_000);
  afterAll(async () => {
    await service?.close();
    await app?.close();
    await registry?.close();
    await home?.drop();
  });

  it("reads versions, the gate, deployments, the audit log and its verification", async () => {
    const models = await call(`${url}/api/v1/models`, "GET");
    expect(models.status).toBe(200);
    expect(models.body.model).toBe("fraud-detector");
    expect(models.body.aliases).toEqual({ champion: 1 });
    expect(models.body.versions.map((v: { version: number; stage: string }) => [v.version, v.stage])).toEqual(
      [
        [2, "Staging"],
        [1, "Production"],
      ],
    );
    expect(Object.keys(models.body.versions[1].metrics)).toContain("auc_pr");

    const gate = await call(`${url}/api/v1/models/2/gate`, "GET");
    expect(gate.status).toBe(200);
    expect(gate.body.passed).toBe(false);
    const failing = gate.body.conditions.filter((c: { status: string }) => c.status === "fail");
    expect(failing.map((c: { name: string }) => c.name)).toEqual(
      expect.arrayContaining(["validation", "backtest", "approval:ml_engineer"]),
    );
    expect((await call(`${url}/api/v1/models/0/gate`, "GET")).status).toBe(400);
    expect((await call(`${url}/api/v1/models/9/gate`, "GET")).status).toBe(404);

    const history = await call(`${url}/api/v1/deployments`, "GET");
    expect(history.body.deployments).toHaveLength(1);
    expect(history.body.deployments[0]).toMatchObject({ action: "promote", model_version: 1, success: true });

    const audit = await call(`${url}/api/v1/audit?actor=carol&action=deploy`, "GET");
    expect(audit.body.entries.length).toBeGreaterThan(0);
    for (const e of audit.body.entries) {
      expect(e.actor).toBe("carol");
      expect(e.action.startsWith("deploy")).toBe(true);
    }
    const bad = await call(`${url}/api/v1/audit?colour=red`, "GET");
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe("colour");
    const verify = await call(`${url}/api/v1/audit/verify`, "GET");
    expect(verify.body).toMatchObject({ ok: true });
    expect(verify.body.checked).toBeGreaterThan(5);
  });

  it("refuses actions without a token or the permission, and a promotion short of its gate", async () => {
    const none = await call(`${url}/api/v1/models/2/promote`, "POST", {});
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe("UNAUTHORIZED");
    const viewer = await call(`${url}/api/v1/models/rollback`, "POST", { reason: "x" }, tokens.vera);
    expect(viewer.status).toBe(403);
    expect(viewer.body.error.message).toContain("rollback needs one of");
    const approveAsViewer = await call(
      `${url}/api/v1/models/2/approvals`,
      "POST",
      { decision: "approve" },
      tokens.vera,
    );
    expect(approveAsViewer.status).toBe(403);

    const before = (await registry.listAudit()).length;
    const refused = await call(`${url}/api/v1/models/2/promote`, "POST", {}, tokens.alice);
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.status).toBeLessThan(500);
    expect(refused.body.gate.passed).toBe(false);
    expect(refused.body.deployment).toMatchObject({
      success: false,
      triggered_by: "alice",
      model_version: 2,
    });
    expect((await registry.getVersion("fraud-detector", 2)).stage).toBe("Staging");
    expect((await registry.listAudit()).length).toBeGreaterThan(before); // the refusal is recorded
  });

  it("records approvals in the token's role and name", async () => {
    const a = await call(
      `${url}/api/v1/models/2/approvals`,
      "POST",
      { decision: "approve", note: "reviewed" },
      tokens.bob,
    );
    expect(a.status).toBe(200);
    expect(a.body.approval).toMatchObject({ role: "team_lead", approver: "bob", decision: "approve" });
    const r = await call(`${url}/api/v1/models/2/approvals`, "POST", { decision: "reject" }, tokens.dave);
    expect(r.status).toBe(400); // a rejection needs a note, as with `lakay approve --reject`
    const gate = await call(`${url}/api/v1/models/2/gate`, "GET");
    const teamLead = gate.body.conditions.find((c: { name: string }) => c.name === "approval:team_lead");
    expect(teamLead.status).toBe("pass");
  });
});

describe("lakay simulate's specs", () => {
  it("parses drift and durations and names the option when they are wrong", () => {
    expect(parseDrift("amount*5@50%")).toEqual({ field: "amount", factor: 5, from: 0.5 });
    expect(parseDrift("oldbalanceOrg*0.5")).toEqual({ field: "oldbalanceOrg", factor: 0.5, from: 0 });
    expect(() => parseDrift("colour*5@50%")).toThrow(/--drift|FIELD/);
    expect(() => parseDrift("amount*0")).toThrow(/factor/);
    expect(() => parseDrift("amount*5@150%")).toThrow(/100%/);
    expect(parseDuration("60s", "--duration")).toBe(60_000);
    expect(parseDuration("2m", "--duration")).toBe(120_000);
    expect(parseDuration("500ms", "--duration")).toBe(500);
    expect(parseDuration("3", "--duration")).toBe(3000);
    expect(() => parseDuration("soon", "--duration")).toThrow(/duration/);
  });
});
