import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  promoteToProduction,
  promotionBaseline,
  recordApproval,
  runBacktest,
  validateModel,
  type VersionLoader,
} from "../../src/deploy/index.js";
import { FEATURE_NAMES } from "../../src/features/names.js";
import {
  AlertBook,
  autoPromotionConfigSchema,
  checkAutoPromotion,
  FprIncreaseWatch,
  insertPredictions,
  listAlerts,
  monitoringConfigSchema,
  recordLabels,
  addWebhook,
  type PredictionLogRow,
} from "../../src/monitoring/index.js";
import type { Registry } from "../../src/registry/index.js";
import { recordRoutingChange } from "../../src/serving/serving-store.js";
import { CLI, writePaysimSampleHead } from "../helpers/cli.js";
import {
  BACKENDS,
  createTestRegistryHome,
  openTestRegistry,
  registerPlaceholderVersion,
  type TestRegistryHome,
} from "../deploy/helpers.js";
import { logRow } from "./log-row.js";

/** Every version scores by amount alone: flagged (≥ 0.5) above 200,000. */
const loader: VersionLoader = async () => ({
  predictor: { predictRow: (v) => 1 / (1 + Math.exp(-(v[0] - 200_000) / 1e4)) },
  featureNames: [...FEATURE_NAMES],
  reference: null,
  verifiedFiles: ["model.json"],
});
const silent = pino({ level: "silent" });

let dataDir: string;
let dataset: string;
beforeAll(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), "lakay-fpr-"));
  dataset = path.join(dataDir, "labeled.csv");
  writePaysimSampleHead(dataset, 3000);
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

let seq = 0;
/** A logged prediction; `amount` drives the fake models, `score` the A/B statistics. */
function row(
  o: Partial<PredictionLogRow> & Pick<PredictionLogRow, "variant" | "model_version">,
): PredictionLogRow {
  const i = seq++;
  return logRow(i, {
    model: "fraud-detector",
    user_id: `u-${i % 50}`,
    amount: 1000,
    tx_type_encoded: i % 5,
    ml_score: 0.1,
    rule_score: 0.1,
    score: 0.1,
    ...o,
  });
}

async function log(registry: Registry, rows: PredictionLogRow[], isFraud: (r: PredictionLogRow) => boolean) {
  await insertPredictions(registry, rows);
  await recordLabels(
    registry,
    rows.map((r) => ({
      transactionId: r.transaction_id,
      isFraud: isFraud(r),
      source: "test",
      labeledAt: null,
    })),
    "investigator",
    "fraud-detector",
  );
}

describe.each(BACKENDS)("FPR alert and auto-promotion on %s", (backend) => {
  const M = "fraud-detector";
  let home: TestRegistryHome;
  let registry: Registry;
  const approveAll = async (v: number) => {
    await recordApproval(registry, { model: M, version: v, role: "ml_engineer", by: "alice" });
    await recordApproval(registry, { model: M, version: v, role: "team_lead", by: "bob" });
    await recordApproval(registry, { model: M, version: v, role: "bsa_officer", by: "gina" });
  };

  beforeAll(async () => {
    home = await createTestRegistryHome(backend);
    registry = await openTestRegistry(home);
    // v1 first (no backtest needed), then v2 through the whole gate with a backtest against v1.
    for (const v of [1, 2]) {
      await registerPlaceholderVersion(registry, M, { stage: "Staging" });
      await validateModel(registry, { model: M, version: v, actor: "ci", loader });
      if (v === 2) await runBacktest(registry, { model: M, candidate: 2, dataset, actor: "ci", loader });
      await approveAll(v);
      await promoteToProduction(registry, { model: M, version: v, by: "carol", loader });
    }
  }, 120_000);
  afterAll(async () => {
    await registry?.close();
    await home?.drop();
  });

  it("raises a high fpr_increase alert once when the champion's labeled FPR passes baseline + 20 %, and resolves it when it is back under", async () => {
    const baseline = (await promotionBaseline(registry, M, 2))!;
    expect(baseline).toMatchObject({ version: 2, source: "promotion", threshold: 0.5 });
    expect(await promotionBaseline(registry, M, 1)).toBeNull(); // promoted first, never backtested

    const config = monitoringConfigSchema.parse({ fpr_min_negatives: 500 });
    const opened: string[] = [];
    const book = new AlertBook(registry, M, silent, (a) => opened.push(a.kind));
    const watch = new FprIncreaseWatch(registry, M, config, book, silent);

    // 1,000 legitimate transactions, k flagged by the model (ml_score ≥ the backtest's 0.5):
    // k / 1000 clearly above the bound baseline × 1.2.
    const bound = baseline.falsePositiveRate * 1.2;
    const k = Math.min(1000, Math.ceil(bound * 1000) + 30);
    const legit = Array.from({ length: 1000 }, (_, i) =>
      row({ variant: "champion", model_version: 2, ml_score: i < k ? 0.9 : 0.1 }),
    );
    // Under the minimum number of negatives nothing is judged.
    await log(registry, legit.slice(0, 400), () => false);
    expect((await watch.check(2, Date.now(), true))!.status).toBe("insufficient_data");
    await log(registry, legit.slice(400), () => false);
    // Challenger rows and frauds do not count.
    await log(
      registry,
      Array.from({ length: 50 }, () => row({ variant: "challenger", model_version: 3, ml_score: 0.1 })),
      () => false,
    );
    await log(
      registry,
      Array.from({ length: 50 }, () => row({ variant: "champion", model_version: 2, ml_score: 0.9 })),
      () => true,
    );

    const first = (await watch.check(2, Date.now(), true))!;
    expect(first).toMatchObject({ status: "increased", negatives: 1000, false_positives: k });
    expect(first.live_fpr).toBeCloseTo(k / 1000, 12);
    expect(first.bound).toBeCloseTo(bound, 12);
    await watch.check(2, Date.now(), true); // still increased: the same alert, not a second one
    let alerts = await listAlerts(registry, M, { openOnly: true });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ kind: "fpr_increase", severity: "high", modelVersion: 2 });
    expect(alerts[0].value).toBeCloseTo(k / 1000, 12);
    expect(opened).toEqual(["fpr_increase"]);
    const audit = await registry.listAudit({ model: M });
    expect(audit.filter((e) => e.action === "monitoring.alert_opened")).toHaveLength(1);

    // Enough clean legitimate traffic brings the rate back under the bound: resolved.
    const clean = Math.ceil(k / (bound || 1e-3)) + 1000;
    await log(
      registry,
      Array.from({ length: clean }, () => row({ variant: "champion", model_version: 2, ml_score: 0.1 })),
      () => false,
    );
    const second = (await watch.check(2, Date.now(), true))!;
    expect(second.status).toBe("ok");
    alerts = await listAlerts(registry, M);
    expect(alerts[0].resolvedAt).not.toBeNull();
    expect(await listAlerts(registry, M, { openOnly: true })).toHaveLength(0);
  }, 120_000);

  it("auto-promotion: the always-valid test fires once, is audited, backtests the challenger on labeled predictions and requests a promotion the gate still holds for approvals", async () => {
    await registerPlaceholderVersion(registry, M, { stage: "Staging" }); // v3
    const config = autoPromotionConfigSchema.parse({ enabled: true, min_observations: 200 });
    // 400 flagged per variant (score ≥ 0.5): champion precision 0.5, challenger 0.8.
    const flagged = (variant: "champion" | "challenger", version: number, frauds: number) =>
      Array.from({ length: 400 }, (_, i) =>
        row({
          variant,
          model_version: version,
          experiment_id: "exp-lib",
          score: 0.9,
          amount: i < frauds ? 500_000 : 1000,
        }),
      );
    await log(
      registry,
      [...flagged("champion", 2, 200), ...flagged("challenger", 3, 320)],
      (r) => r.amount > 1000,
    );
    const args = {
      model: M,
      experimentId: "exp-lib",
      challengerVersion: 3,
      config,
      threshold: 0.5,
      logger: silent,
      loader,
    };
    const notYet = await checkAutoPromotion(registry, {
      ...args,
      config: { ...config, min_observations: 500 },
    });
    expect(notYet.decision.promote).toBe(false);
    expect(notYet.request).toBeUndefined();

    const out = await checkAutoPromotion(registry, args);
    expect(out.decision).toMatchObject({ promote: true, metric: "precision" });
    expect(out.decision.improvement!.lower).toBeGreaterThan(0);
    const req = out.request!;
    expect(req.promoted).toBe(false);
    expect(req.backtest_error).toBeNull();
    // Every labeled prediction of the last 30 days: these 520 frauds and the first test's 50.
    expect(req.backtest).toMatchObject({ passed: true, compared: true, frauds: 570 });
    expect(req.backtest!.rows).toBeGreaterThanOrEqual(800);
    const failing = req.gate!.conditions.filter((c) => c.status === "fail").map((c) => c.name);
    expect(failing).toEqual(
      expect.arrayContaining([
        "validation",
        "approval:ml_engineer",
        "approval:team_lead",
        "approval:bsa_officer",
      ]),
    );
    expect(failing).not.toContain("backtest");
    expect((await registry.getVersion(M, 3)).stage).toBe("Staging"); // approvals never bypassed

    const audit = await registry.listAudit({ model: M });
    const decided = audit.filter((e) => e.action === "monitoring.auto_promotion");
    expect(decided).toHaveLength(1);
    expect(decided[0]).toMatchObject({ actor: "auto_promotion", version: 3 });
    expect(decided[0].details).toMatchObject({ experiment_id: "exp-lib", decision: { promote: true } });
    const bt = audit.filter((e) => e.action === "deploy.backtest" && e.actor === "auto_promotion");
    expect(bt).toHaveLength(1);
    expect(String((bt[0].details.dataset as { path: string }).path)).toMatch(/^prediction_log:/);
    expect(audit.filter((e) => e.action === "monitoring.promotion_requested")).toHaveLength(1);

    // Checked again (more labels, another process): already decided, nothing recorded twice.
    const again = await checkAutoPromotion(registry, args);
    expect(again).toMatchObject({ already_decided: true });
    expect(
      (await registry.listAudit({ model: M })).filter((e) => e.action === "monitoring.auto_promotion"),
    ).toHaveLength(1);

    // Once the people sign, the ordinary promotion goes through on the auto-promotion's backtest.
    await approveAll(3);
    await promoteToProduction(registry, { model: M, version: 3, by: "carol", loader });
    expect((await registry.getVersion(M, 3)).stage).toBe("Production");
  }, 120_000);

  it("lakay feedback import --config re-checks auto-promotion and sends the signed auto_promotion webhook", async () => {
    await registerPlaceholderVersion(registry, M, { stage: "Staging" }); // v4
    const { experiment } = await recordRoutingChange(registry, {
      model: M,
      championPct: 90,
      challengerPct: 10,
      shadow: false,
      championVersion: 3,
      challengerVersion: 4,
      actor: "alice",
      reason: "test",
    });
    const exp = experiment!.id;
    const secret = "a-webhook-secret-of-some-length";
    const got: { event: string; signed: boolean; data: Record<string, unknown> }[] = [];
    const server = createServer((req, res) => {
      let raw = "";
      req.on("data", (d: Buffer) => (raw += d.toString()));
      req.on("end", () => {
        const ts = String(req.headers["x-lakay-timestamp"]);
        const sig = `sha256=${createHmac("sha256", secret).update(`${ts}.${raw}`).digest("hex")}`;
        const body = JSON.parse(raw) as { data: Record<string, unknown> };
        got.push({
          event: String(req.headers["x-lakay-event"]),
          signed: req.headers["x-lakay-signature"] === sig,
          data: body.data,
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const port = (server.address() as AddressInfo).port;
      await addWebhook(registry, {
        url: `http://127.0.0.1:${port}/hook`,
        events: ["auto_promotion"],
        secret,
        actor: "alice",
      });
      const rows = [
        ...Array.from({ length: 300 }, (_, i) =>
          row({
            variant: "champion",
            model_version: 3,
            experiment_id: exp,
            score: 0.9,
            amount: i < 150 ? 500_000 : 1000,
          }),
        ),
        ...Array.from({ length: 300 }, (_, i) =>
          row({
            variant: "challenger",
            model_version: 4,
            experiment_id: exp,
            score: 0.9,
            amount: i < 250 ? 500_000 : 1000,
          }),
        ),
      ];
      await insertPredictions(registry, rows);
      const labels = path.join(home.dir, "labels.csv");
      writeFileSync(
        labels,
        "transaction_id,isFraud\n" +
          rows.map((r) => `${r.transaction_id},${r.amount > 1000 ? 1 : 0}`).join("\n") +
          "\n",
      );
      const config = path.join(home.dir, "serving.yaml");
      writeFileSync(
        config,
        "monitoring:\n  auto_promotion:\n    enabled: true\n    min_observations: 200\n  operating_threshold: 0.5\n",
      );
      const env = { ...process.env, LAKAY_REGISTRY_URI: home.uri, LAKAY_ARTIFACT_ROOT: home.artifactRoot };
      // Asynchronously: the webhook receiver lives in this process and must answer meanwhile.
      const run = async () => {
        const r = await promisify(execFile)(
          process.execPath,
          [CLI, "feedback", "import", labels, "--config", config, "--by", "dana", "--json"],
          { env, encoding: "utf8", timeout: 120_000 },
        );
        return r.stdout;
      };
      const first = await run();
      const out = JSON.parse(first);
      expect(out).toMatchObject({ received: 600, known: 600, auto_promotion: { experiment_id: exp } });
      expect(out.auto_promotion.decision.promote).toBe(true);
      // The placeholder model file cannot load in the real loader: the request records why and waits.
      expect(out.auto_promotion.request.promoted).toBe(false);
      expect(got.filter((g) => g.event === "auto_promotion")).toHaveLength(1);
      expect(got[0].signed).toBe(true);
      expect(got[0].data).toMatchObject({ experiment_id: exp, decision: { promote: true } });

      const second = await run();
      expect(JSON.parse(second).auto_promotion).toMatchObject({ already_decided: true });
      expect(got).toHaveLength(1);
      expect((await registry.getVersion(M, 4)).stage).toBe("Staging");
    } finally {
      server.close();
    }
  }, 240_000);
});
