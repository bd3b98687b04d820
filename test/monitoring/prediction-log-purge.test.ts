import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BadInputError } from "../../src/errors/index.js";
import {
  countPredictions,
  experimentResults,
  insertPredictions,
  purgePredictions,
  recordLabels,
  type PredictionLogRow,
} from "../../src/monitoring/index.js";
import type { Registry } from "../../src/registry/index.js";
import { recordRoutingChange } from "../../src/serving/serving-store.js";
import { CLI } from "../helpers/cli.js";
import {
  BACKENDS,
  createTestRegistryHome,
  openTestRegistry,
  registerPlaceholderVersion,
  type TestRegistryHome,
} from "../deploy/helpers.js";
import { logRow } from "./log-row.js";

const TWO_YEARS_AGO = new Date(Date.now() - 730 * 86_400_000).toISOString();
let seq = 0;
const row = (o: Partial<PredictionLogRow>): PredictionLogRow => {
  const i = seq++;
  const score = i % 2 ? 0.9 : 0.2;
  return logRow(i, {
    ts: TWO_YEARS_AGO,
    model: "fraud-detector",
    transaction_id: `p-${i}`,
    user_id: `u-${i % 9}`,
    score,
    ...o,
  });
};

describe.each(BACKENDS)("prediction-log retention purge on %s", (backend) => {
  const M = "fraud-detector";
  let home: TestRegistryHome;
  let registry: Registry;
  let running: string;
  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [CLI, "monitor", "purge-predictions", ...args], {
      env: { ...process.env, LAKAY_REGISTRY_URI: home.uri, LAKAY_ARTIFACT_ROOT: home.artifactRoot },
      encoding: "utf8",
      timeout: 60_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };

  beforeAll(async () => {
    home = await createTestRegistryHome(backend);
    registry = await openTestRegistry(home);
    await registerPlaceholderVersion(registry, M);
    await registerPlaceholderVersion(registry, M);
    running = (await recordRoutingChange(registry, {
      model: M,
      championPct: 90,
      challengerPct: 10,
      shadow: false,
      championVersion: 1,
      challengerVersion: 2,
      actor: "alice",
      reason: null,
    }))!.experiment!.id;
    const ended = Array.from({ length: 20 }, (_, i) =>
      row({ experiment_id: "exp-ended", variant: i % 2 ? "challenger" : "champion" }),
    );
    await insertPredictions(registry, [
      ...Array.from({ length: 10 }, () => row({})), // old, no experiment
      ...ended, // old, an ended experiment whose results were never stored
      ...Array.from({ length: 5 }, () => row({ experiment_id: running })), // old, the running experiment
      ...Array.from({ length: 7 }, () => row({ ts: new Date().toISOString() })), // young
      ...Array.from({ length: 3 }, () => row({ model: "other-model" })), // old, another model
    ]);
    await recordLabels(
      registry,
      ended.map((r, i) => ({
        transactionId: r.transaction_id,
        isFraud: i % 3 === 0,
        source: "t",
        labeledAt: null,
      })),
      "investigator",
      M,
    );
  }, 60_000);
  afterAll(async () => {
    await registry?.close();
    await home?.drop();
  });

  it("refuses a retention shorter than the year the database keeps, as bad input", async () => {
    await expect(
      purgePredictions(registry, { olderThanDays: 30, actor: "x", threshold: 0.5 }),
    ).rejects.toBeInstanceOf(BadInputError);
    const r = cli("--older-than", "30d");
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("at least 365 days");
    expect(cli("--older-than", "soon").status).toBe(2);
  });

  it("a dry run counts what would go and changes nothing", async () => {
    const before = await registry.listAudit();
    const r = cli("--older-than", "1y", "--dry-run", "--json");
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({
      dry_run: true,
      rows: 33,
      older_than_days: 365,
      experiments_aggregated: ["exp-ended"],
      experiments_kept: [running],
    });
    expect(out.by_model).toEqual(
      expect.arrayContaining([
        { model: M, rows: 30 },
        { model: "other-model", rows: 3 },
      ]),
    );
    expect(await countPredictions(registry, M)).toBe(42);
    expect(await registry.listAudit()).toHaveLength(before.length);
    expect(await experimentResults(registry, M)).toHaveLength(0);
  });

  it("purges old rows of one model, storing an ended experiment's aggregates first and keeping the running one's rows, audited", async () => {
    const r = cli("--older-than", "1y", "--model", M, "--by", "records-officer", "--json");
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ dry_run: false, rows: 30, model: M });
    expect(await countPredictions(registry, M)).toBe(12); // 5 of the running experiment + 7 young
    expect(await countPredictions(registry, "other-model")).toBe(3);
    const results = await experimentResults(registry, M);
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ experiment_id: "exp-ended", ended_by: "records-officer" });
    const stored = results[0].results as { champion: { count: number; labeled: number } };
    expect(stored.champion).toMatchObject({ count: 10, labeled: 10 });
    const audit = (await registry.listAudit({ model: M })).filter(
      (e) => e.action === "monitoring.predictions_purged",
    );
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: "records-officer", details: { rows: 30 } });

    // Again: nothing left to purge; the aggregates are not stored twice.
    const again = cli("--older-than", "1y", "--model", M, "--json");
    expect(JSON.parse(again.stdout)).toMatchObject({ rows: 0, experiments_aggregated: [] });
    expect(await experimentResults(registry, M)).toHaveLength(1);
  });
});
