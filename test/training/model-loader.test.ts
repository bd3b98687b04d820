import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LAKAY_MIGRATIONS } from "../../src/app/index.js";
import { ValidationFailedError } from "../../src/errors/index.js";
import { FEATURE_NAMES, FEATURE_SET_VERSION } from "../../src/features/index.js";
import { trainBooster } from "../../src/gbdt/index.js";
import { loadModel, loadRegisteredVersion, writeArtifactFolder } from "../../src/training/index.js";
import { BACKENDS, createTestRegistryHome, openTestRegistry } from "../deploy/helpers.js";

// A small model over three of Lakay's features, trained here, written as the pipeline writes a version.
const names = [FEATURE_NAMES[0], FEATURE_NAMES[1], FEATURE_NAMES[2]];
let artifacts: Record<string, string>;
const root = mkdtempSync(path.join(os.tmpdir(), "lakay-model-loader-"));

beforeAll(async () => {
  const n = 400;
  const columns = names.map((_, f) => Float64Array.from({ length: n }, (_, i) => ((i * (f + 3)) % 17) / 17));
  const labels = Float32Array.from({ length: n }, (_, i) => (columns[0][i] + columns[1][i] > 1 ? 1 : 0));
  const booster = await trainBooster(
    { columns, featureNames: names, labels },
    { n_estimators: 5, max_depth: 3 },
    { nThreads: 1 },
  );
  const hist = { edges: [0.5], proportions: [0.5, 0.5], min: 0, max: 1 };
  artifacts = {
    "model.json": booster.toXgboostJson(),
    "features.json": JSON.stringify({
      feature_set_version: FEATURE_SET_VERSION,
      features: names.map((name) => ({ name, type: "float" })),
    }),
    "reference.json": JSON.stringify({ features: Object.fromEntries(names.map((f) => [f, hist])) }),
  };
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A fresh folder with the artifacts (after `change`) and a manifest of what was written. */
function folder(change: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(root, "v-"));
  writeArtifactFolder(dir, { ...artifacts, ...change }, { manifest: true });
  return dir;
}

describe("loadModel on a local folder", () => {
  it("loads the model in features.json's order with its reference, every file checked", async () => {
    const dir = folder();
    const m = await loadModel(dir);
    expect(m.featureNames).toEqual(names);
    expect(m.featureSetVersion).toBe(FEATURE_SET_VERSION);
    expect(m.verifiedFiles.sort()).toEqual(["features.json", "model.json", "reference.json"]);
    expect(Object.keys(m.reference ?? {})).toEqual(names);
    expect(m.predictor.predictRow(Float64Array.of(0.9, 0.9, 0))).toBeGreaterThan(0.5);
    // The same through a model.json path.
    expect((await loadModel(path.join(dir, "model.json"))).verifiedFiles).toHaveLength(3);
  });

  it("refuses a file that no longer matches the manifest, naming it", async () => {
    const dir = folder();
    writeFileSync(path.join(dir, "model.json"), readFileSync(path.join(dir, "model.json"), "utf8") + " ");
    await expect(loadModel(dir)).rejects.toThrow(ValidationFailedError);
    await expect(loadModel(path.join(dir, "model.json"))).rejects.toThrow(/model\.json fails its checksum/);
  });

  it("refuses a features.json whose order differs from the model's", async () => {
    const swapped = [names[1], names[0], names[2]].map((name) => ({ name, type: "float" }));
    const dir = folder({
      "features.json": JSON.stringify({ feature_set_version: FEATURE_SET_VERSION, features: swapped }),
    });
    await expect(loadModel(dir)).rejects.toThrow(/features\.json lists .* but model\.json reads/);
  });

  it("refuses a model trained on another feature set", async () => {
    const dir = folder({
      "features.json": JSON.stringify({ feature_set_version: "paysim-v0", features: names }),
    });
    await expect(loadModel(dir)).rejects.toThrow(/trained on feature set paysim-v0/);
  });
});

describe.each(BACKENDS)("loading a registered version (%s)", (backend) => {
  it("loads by name and version and by models:/ URI, and refuses a tampered artifact", async () => {
    const home = await createTestRegistryHome(backend);
    const registry = await openTestRegistry(home);
    try {
      const exp = await registry.createExperiment("loader-tests");
      const run = await registry.createRun({ experimentId: exp.id });
      const dir = mkdtempSync(path.join(root, "reg-"));
      writeArtifactFolder(dir, artifacts);
      await registry.logArtifacts(run.id, dir);
      await registry.endRun(run.id, "FINISHED");
      const v = await registry.createModelVersion({ name: "m", runId: run.id, actor: "test" });

      const direct = await loadRegisteredVersion(registry, "m", v.version);
      expect(direct).toMatchObject({ name: "m", version: v.version, featureNames: names });
      expect(direct.verifiedFiles).toHaveLength(3);
      const byUri = await loadModel(`models:/m/${v.version}`, {
        registryUri: home.uri,
        artifactRoot: home.artifactRoot,
        env: { LAKAY_HOME: path.join(home.dir, "home") },
        migrations: LAKAY_MIGRATIONS,
      });
      expect(byUri.featureNames).toEqual(names);

      const onDisk = path.join(fileURLToPath(v.source), "model.json");
      writeFileSync(onDisk, readFileSync(onDisk, "utf8") + " ");
      await expect(loadRegisteredVersion(registry, "m", v.version)).rejects.toThrow(/checksum/);
    } finally {
      await registry.close();
      await home.drop();
    }
  });
});
