import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { readPaysim } from "../../src/data/index.js";
import { sqliteUri } from "../../src/config/index.js";
import { buildFeatures } from "../../src/features/index.js";
import { Booster } from "../../src/gbdt/index.js";
import { LAKAY_MIGRATIONS, openLakay } from "../../src/app/index.js";
import { parseTrainingConfig, runTrainingPipeline, scoreDataset } from "../../src/training/index.js";
import { PAYSIM_SAMPLE } from "../helpers/cli.js";

describe("scoreDataset (lakay predict --model models:/NAME/Production --dataset)", () => {
  it("scores every row of a raw PaySim file in input order with the Production version", async () => {
    const home = mkdtempSync(path.join(tmpdir(), "lakay-score-"));
    const env = { ...process.env, LAKAY_HOME: home };
    const registryUri = sqliteUri(path.join(home, "lakay.db"));
    const config = parseTrainingConfig({
      model_name: "scorer",
      hyperparams: { n_estimators: 15, max_depth: 4 },
    });
    const trained = await runTrainingPipeline({
      dataset: PAYSIM_SAMPLE,
      config,
      registryUri,
      env,
      migrations: LAKAY_MIGRATIONS,
      outDir: path.join(home, "out"),
    });
    const reg = await openLakay({ registryUri, env });
    await reg.transitionStage({
      name: "scorer",
      version: trained.version!,
      stage: "Production",
      actor: "test",
    });
    await reg.close();

    const out = path.join(home, "scores.csv");
    const summary = await scoreDataset({
      model: "models:/scorer/Production",
      dataset: PAYSIM_SAMPLE,
      out,
      registryUri,
      env,
      migrations: LAKAY_MIGRATIONS,
    });
    expect(summary).toMatchObject({ model_name: "scorer", version: 1, rows: 19_999, trees: 15 });

    const lines = readFileSync(out, "utf8").trim().split("\n");
    expect(lines[0]).toBe("step,type,amount,nameOrig,nameDest,isFraud,score");
    expect(lines).toHaveLength(20_000);
    const source = readFileSync(PAYSIM_SAMPLE, "utf8").split(/\r?\n/);
    const { tx } = await readPaysim(PAYSIM_SAMPLE);
    const f = buildFeatures(tx);
    const booster = Booster.fromXgboostJson(readFileSync(path.join(home, "out", "model.json"), "utf8"));
    const expected = booster.compile().predictBatch(f.columns, tx.rows);
    for (const i of [0, 1, 2, 500, 9_999, 19_998]) {
      const row = lines[i + 1].split(",");
      const src = source[i + 1].split(",");
      expect(row[3]).toBe(src[3]); // nameOrig: input order kept
      expect(row[4]).toBe(src[6]);
      expect(Number(row[6])).toBeCloseTo(expected[i], 8);
    }
  });

  it("refuses a model URI that resolves to nothing", async () => {
    const home = mkdtempSync(path.join(tmpdir(), "lakay-score-"));
    await expect(
      scoreDataset({
        model: "models:/missing/Production",
        dataset: PAYSIM_SAMPLE,
        out: path.join(home, "s.csv"),
        registryUri: sqliteUri(path.join(home, "lakay.db")),
        env: { LAKAY_HOME: home },
        migrations: LAKAY_MIGRATIONS,
      }),
    ).rejects.toThrow(/missing/);
  });
});
