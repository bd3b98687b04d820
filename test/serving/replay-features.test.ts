import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readPaysim, transactionAt } from "../../src/data/index.js";
import { loadRegisteredVersion } from "../../src/deploy/index.js";
import { FEATURE_NAMES, buildFeatures, type FeatureMatrix } from "../../src/features/index.js";
import { RulesEngine } from "../../src/rules/index.js";
import { createTestRegistryHome, openTestRegistry, type TestRegistryHome } from "../deploy/helpers.js";
import { PAYSIM_SAMPLE } from "../helpers/cli.js";
import {
  buildServingRegistry,
  call,
  registryEnv,
  startServer,
  type RunningServer,
} from "./serving-fixture.js";

/**
 * One feature code path (DESIGN.md): the real PaySim sample replayed row by row through
 * `lakay serve` gets exactly the features the batch builder computes for the file, and with them
 * exactly the batch rule scores and the model's batch predictions.
 */
let home: TestRegistryHome;
let server: RunningServer;

beforeAll(async () => {
  home = await createTestRegistryHome("sqlite");
  buildServingRegistry(home, PAYSIM_SAMPLE, 1);
  server = await startServer(registryEnv(home));
}, 180_000);
afterAll(async () => {
  await server?.stop();
  await home?.drop();
});

describe("a PaySim file replayed through the scoring endpoint", () => {
  it("gets exactly the batch features, rule scores and model scores", async () => {
    const read = await readPaysim(PAYSIM_SAMPLE, { onBadRows: "fail" });
    const batch: FeatureMatrix = buildFeatures(read.tx);
    const n = read.tx.rows;
    expect(n).toBeGreaterThan(10_000);

    const served: { features: Record<string, number>; rule_score: number; ml_score: number }[] = [];
    for (let start = 0; start < n; start += 1000) {
      const transactions = [];
      for (let i = start; i < Math.min(n, start + 1000); i++) {
        const { isFraud: _f, isFlaggedFraud: _g, ...tx } = transactionAt(read.tx, i);
        transactions.push({ ...tx, transaction_id: `row-${i}` });
      }
      const r = await call(`${server.url}/api/v1/fraud/score/batch?features=true`, "POST", { transactions });
      expect(r.status).toBe(200);
      served.push(...r.body.results);
    }
    expect(served).toHaveLength(n);

    // Features: bit for bit.
    const mismatches: string[] = [];
    for (let i = 0; i < n && mismatches.length < 10; i++)
      FEATURE_NAMES.forEach((f, j) => {
        if (!Object.is(served[i].features[f], batch.columns[j][i]))
          mismatches.push(`row ${i} ${f}: served ${served[i].features[f]}, batch ${batch.columns[j][i]}`);
      });
    expect(mismatches).toEqual([]);

    // Rules over the batch columns, and the registered model over the batch matrix.
    const rules = new RulesEngine();
    const ruleScores = new Float64Array(n);
    rules.scoreBatch(
      {
        rows: n,
        typeCode: read.tx.type, // the TX_TYPES index, which is the rules' TX_TYPE_CODE
        amount: read.tx.amount,
        oldBalanceOrig: read.tx.oldbalanceOrg,
        newBalanceOrig: read.tx.newbalanceOrig,
        oldBalanceDest: read.tx.oldbalanceDest,
        newBalanceDest: read.tx.newbalanceDest,
        features: batch.columns,
      },
      ruleScores,
    );
    const registry = await openTestRegistry(home);
    const model = await loadRegisteredVersion(registry, "fraud-detector", 1);
    await registry.close();
    const mlScores = model.predictor.predictBatch!(batch.columns, n);
    for (let i = 0; i < n; i++) {
      if (served[i].rule_score !== ruleScores[i] || served[i].ml_score !== mlScores[i]) {
        expect({ row: i, rule: served[i].rule_score, ml: served[i].ml_score }).toEqual({
          row: i,
          rule: ruleScores[i],
          ml: mlScores[i],
        });
      }
    }
  }, 300_000);
});
