import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConflictError } from "../../src/errors/index.js";
import type { ObservedPrediction } from "../../src/monitoring/index.js";
import { log } from "../../src/log/index.js";
import type { Registry } from "../../src/registry/index.js";
import {
  FraudScoringService,
  loadServingConfig,
  type ScoreRequest,
  type ScoreResponse,
} from "../../src/serving/index.js";
import { createTestRegistryHome, openTestRegistry, type TestRegistryHome } from "../deploy/helpers.js";
import { PAYSIM_SAMPLE } from "../helpers/cli.js";
import { buildServingRegistry } from "./serving-fixture.js";

/**
 * The batch path is columnar (one feature matrix, rules over its columns, one batch call per served
 * model); scoring the same transactions one at a time must give the same answers, byte for byte
 * but for `latency_ms`, the same features, the same monitoring records and the same counts:
 * repeated customers in one batch, ids repeated within a batch and across batches, champion and
 * challenger rows (90/10 experiment), step and timestamp requests.
 */
let home: TestRegistryHome;
let registry: Registry;
let single: FraudScoringService;
let batched: FraudScoringService;
const observed = new Map<FraudScoringService, ObservedPrediction[]>();

async function service(): Promise<FraudScoringService> {
  const config = loadServingConfig();
  config.reload.poll_seconds = 0;
  // What the prediction log is handed is compared below; two logs of the same ids need not be written.
  config.monitoring.prediction_log.enabled = false;
  const s = new FraudScoringService({ registry, config, logger: log() });
  await s.start();
  // The live monitor is real (drift, latency); this records what it is handed, then hands it on.
  const seen: ObservedPrediction[] = [];
  observed.set(s, seen);
  const monitor = s.monitor!;
  const observe = monitor.observe.bind(monitor);
  monitor.observe = (p) => {
    seen.push({ ...p, features: Array.from(p.features) });
    observe(p);
  };
  return s;
}

beforeAll(async () => {
  home = await createTestRegistryHome("sqlite");
  buildServingRegistry(home, PAYSIM_SAMPLE, 3);
  registry = await openTestRegistry(home); // one connection for both services: no lock contention
  single = await service();
  await single.setRouting({ championPct: 90, challengerPct: 10, shadow: false, actor: "ci", reason: null });
  batched = await service(); // reads the experiment (and its salt) the first one persisted
}, 240_000);

afterAll(async () => {
  for (const s of [single, batched]) await s?.close();
  await registry?.close();
  await home?.drop();
});

/** Seeded transactions: 60 customers (so each batch repeats some), rule-triggering amounts. */
function generate(count: number, seed: number, from: number): ScoreRequest[] {
  let x = seed;
  const rand = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const types = ["TRANSFER", "CASH_OUT", "PAYMENT", "CASH_IN", "DEBIT"];
  return Array.from({ length: count }, (_, k) => {
    const balance = Math.round(rand() * 200_000);
    const amount = rand() < 0.1 ? 9_500 + Math.round(rand() * 499) : Math.round(rand() * 250_000) / 4;
    const customer = `C${Math.floor(rand() * 60)}`;
    const base = {
      transaction_id: `t-${from + k}`,
      type: types[Math.floor(rand() * types.length)],
      amount,
      nameOrig: customer,
      oldbalanceOrg: balance,
      newbalanceOrig: rand() < 0.3 ? 0 : Math.max(0, balance - amount),
      nameDest: `M${Math.floor(rand() * 1000)}`,
      oldbalanceDest: rand() < 0.4 ? 0 : 1000,
      newbalanceDest: rand() < 0.4 ? 0 : 1000 + amount,
      ...(rand() < 0.3 ? { user_id: `U${customer}` } : {}),
    };
    const step = 1 + Math.floor((from + k) / 40);
    return rand() < 0.2
      ? { ...base, timestamp: new Date(Date.UTC(2026, 0, 1) + step * 3_600_000 + 60_000).toISOString() }
      : { ...base, step };
  });
}

const comparable = (r: ScoreResponse) => JSON.stringify({ ...r, latency_ms: 0 });
const record = (p: ObservedPrediction) => JSON.stringify({ ...p, latencyMs: 0 });

describe("the columnar batch path", () => {
  it("answers, remembers and records what scoring one at a time does", async () => {
    const batches: ScoreRequest[][] = [];
    for (let b = 0; b < 6; b++) {
      const batch = generate(400, 7 + b, b * 400);
      // Ids repeated within the batch (same contents) and from the previous batch (replays).
      batch.push({ ...batch[3] }, { ...batch[150] });
      if (b > 0) batch.splice(10, 0, { ...batches[b - 1][20] }, { ...batches[b - 1][399] });
      batches.push(batch);
    }
    const a: ScoreResponse[] = [];
    const b: ScoreResponse[] = [];
    for (const batch of batches) {
      for (const tx of batch) a.push(single.score(tx, performance.now()));
      b.push(...batched.scoreBatch(batch, performance.now()));
    }
    expect(b.map(comparable)).toEqual(a.map(comparable));
    const variants = new Set(b.map((r) => r.variant));
    expect(variants).toEqual(new Set(["champion", "challenger"]));
    expect(b.some((r) => r.rules_triggered.length > 0)).toBe(true);
    // Features kept for every answer, the same as the one-at-a-time path's.
    for (let i = 0; i < a.length; i++) expect(batched.featuresOf(b[i])).toEqual(single.featuresOf(a[i]));
    // The monitoring records (prediction log, drift, latency) and the counts.
    expect(observed.get(batched)!.map(record)).toEqual(observed.get(single)!.map(record));
    const counts = (s: FraudScoringService) => {
      const m = s.monitoring();
      return { predictions: m.predictions, replayed: m.requests.replayed, customers: m.online_features };
    };
    expect(counts(batched)).toEqual(counts(single));
    expect(counts(batched).replayed).toBe(6 * 2 + 5 * 2);
    // Label sets appear in the order each path first met them (which variant the run's random salt
    // routes first): the same lines, compared in a fixed order.
    const prom = (s: FraudScoringService) =>
      Promise.all(
        ["lakay_predictions_total", "lakay_score"].map(async (m) =>
          (await s.prom.registry.getSingleMetricAsString(m)).split("\n").sort(),
        ),
      );
    expect(await prom(batched)).toEqual(await prom(single));
  });

  it("refuses a batch reusing an id with different contents, recording nothing", () => {
    const before = JSON.stringify(batched.monitoring().predictions);
    const batch = generate(5, 99, 90_000);
    expect(() => batched.scoreBatch([...batch, { ...batch[1], amount: batch[1].amount + 1 }], 0)).toThrow(
      ConflictError,
    );
    const seen = generate(1, 7, 0)[0]; // t-0, answered in the first test
    expect(() => batched.scoreBatch([...batch, { ...seen, amount: seen.amount + 1 }], 0)).toThrow(
      /already scored with different contents/,
    );
    expect(JSON.stringify(batched.monitoring().predictions)).toBe(before);
    expect(batched.scoreBatch(batch, 0).map(comparable)).toEqual(
      batch.map((t) => comparable(single.score(t, 0))),
    );
  });
});
