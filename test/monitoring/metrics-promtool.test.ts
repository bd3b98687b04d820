import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import pino from "pino";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildApp } from "../../src/api/index.js";
import type { Registry } from "../../src/registry/index.js";
import { FraudScoringService, loadServingConfig } from "../../src/serving/index.js";
import { createTestRegistryHome, openTestRegistry, type TestRegistryHome } from "../deploy/helpers.js";
import { PAYSIM_SAMPLE } from "../helpers/cli.js";
import { buildServingRegistry, call } from "../serving/serving-fixture.js";

/** Debian's `promtool` (package prometheus, installed by scripts/test-services.sh). */
const PROMTOOL = "/usr/bin/promtool";

/**
 * `GET /metrics` is what Prometheus scrapes: its text must pass Prometheus's own linter, with every
 * family of the serving and monitoring metrics holding samples (scores, PSI per feature, score
 * shift, queue depth, labels, alerts).
 */
describe("/metrics in Prometheus text format", () => {
  let home: TestRegistryHome;
  let registry: Registry;
  let app: FastifyInstance | undefined;
  let service: FraudScoringService | undefined;
  let url: string;

  beforeAll(async () => {
    home = await createTestRegistryHome("sqlite");
    buildServingRegistry(home, PAYSIM_SAMPLE, 1);
    registry = await openTestRegistry(home);
    const config = loadServingConfig();
    config.reload.poll_seconds = 0;
    config.monitoring.drift.recompute_every = 50;
    config.monitoring.prediction_log.spill_dir = `${home.dir}/spill`;
    service = new FraudScoringService({ registry, config, logger: pino({ level: "silent" }) });
    await service.start();
    app = await buildApp({ service, registry, logger: pino({ level: "silent" }) });
    url = await app.listen({ host: "127.0.0.1", port: 0 });
  }, 180_000);
  afterAll(async () => {
    await service?.close();
    await app?.close();
    await registry?.close();
    await home?.drop();
  });

  it("passes promtool check metrics, with the monitoring families filled in", async () => {
    const lines = readFileSync(PAYSIM_SAMPLE, "utf8").split("\n");
    const header = lines[0].split(",");
    for (let i = 1; i <= 300; i++) {
      const cells = lines[i].split(",");
      const tx: Record<string, unknown> = { transaction_id: `m-${i}` };
      for (const k of [
        "step",
        "type",
        "amount",
        "nameOrig",
        "oldbalanceOrg",
        "newbalanceOrig",
        "nameDest",
        "oldbalanceDest",
        "newbalanceDest",
      ]) {
        const v = cells[header.indexOf(k)];
        tx[k] = ["type", "nameOrig", "nameDest"].includes(k) ? v : Number(v);
      }
      expect((await call(`${url}/api/v1/fraud/score`, "POST", tx)).status).toBe(200);
    }
    service!.monitor!.noteLabels(3, 1);
    await service!.monitor!.raise({
      kind: "latency_sla",
      feature: "",
      severity: "medium",
      value: 250,
      threshold: 200,
      modelVersion: 1,
      message: "test alert",
    });
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();
    for (const family of [
      "lakay_feature_psi{",
      "lakay_feature_drift_status{",
      "lakay_score_shift_sigma",
      "lakay_prediction_log_queue_depth",
      "lakay_labels_received_total{",
      "lakay_alerts_opened_total{",
      "lakay_alerts_open{",
    ])
      expect(text, family).toContain(family);

    const check = spawnSync(PROMTOOL, ["check", "metrics"], {
      input: text,
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(check.error, `${PROMTOOL} missing: run scripts/test-services.sh`).toBeUndefined();
    expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
    // And it does fail on a malformed exposition (the check is real).
    const bad = spawnSync(PROMTOOL, ["check", "metrics"], {
      input: "# TYPE lakay_bad counter\nlakay_bad{le=} x\n",
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(bad.status).not.toBe(0);
  }, 120_000);
});
