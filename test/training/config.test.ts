import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { BadInputError } from "../../src/errors/index.js";
import {
  TRAINING_DEFAULTS,
  configRegistryUri,
  expandGrid,
  loadTrainingConfig,
  parseTrainingConfig,
} from "../../src/training/index.js";

const SEED_YAML = `model_name: "fraud-detector-v0.2"
random_seed: 42
test_size: 0.2
mlflow_tracking_uri: "sqlite:///.lakay/lakay.db"   # accepted as the registry URI
hyperparams:
  n_estimators: 200
  max_depth: 8
  learning_rate: 0.05
  subsample: 0.8
  colsample_bytree: 0.8
  min_child_weight: 5
  eval_metric: "aucpr"
grid_search:
  enabled: true
  param_grid:
    max_depth: [4, 6, 8]
    learning_rate: [0.05, 0.1]
    n_estimators: [100, 200]
  cv_folds: 3
  scoring: "f1"
`;

function yamlFile(text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "lakay-cfg-")), "config.yaml");
  writeFileSync(file, text);
  return file;
}

describe("training config", () => {
  it("has the documented defaults when no file is given", () => {
    const c = parseTrainingConfig();
    expect(c.model_name).toBe("fraud-detector-v0.1");
    expect(c.random_seed).toBe(42);
    expect(c.test_size).toBe(0.2);
    expect(c.hyperparams).toEqual({
      n_estimators: 100,
      max_depth: 6,
      learning_rate: 0.1,
      subsample: 0.8,
      colsample_bytree: 0.8,
      min_child_weight: 5,
      eval_metric: "aucpr",
    });
    expect(c.grid_search.enabled).toBe(false);
  });

  it("reads the seed's YAML, mlflow_tracking_uri included, and expands its grid to 12 candidates", () => {
    const c = loadTrainingConfig(yamlFile(SEED_YAML));
    expect(c.model_name).toBe("fraud-detector-v0.2");
    expect(configRegistryUri(c)).toBe("sqlite:///.lakay/lakay.db");
    const grid = expandGrid(c.hyperparams, c.grid_search.param_grid);
    expect(grid).toHaveLength(12);
    expect(grid[0]).toMatchObject({ max_depth: 4, learning_rate: 0.05, n_estimators: 100, subsample: 0.8 });
    expect(grid[11]).toMatchObject({ max_depth: 8, learning_rate: 0.1, n_estimators: 200 });
  });

  it("names the key and what was expected on a bad config", () => {
    const bad = (yaml: string) => () => loadTrainingConfig(yamlFile(yaml));
    expect(bad("hyperparams:\n  max_dept: 4\n")).toThrow(/hyperparams: Unrecognized key: "max_dept"/);
    expect(bad("hyperparams:\n  learning_rate: -1\n")).toThrow(/hyperparams\.learning_rate/);
    expect(bad("test_size: 2\n")).toThrow(/test_size/);
    expect(bad("grid_search:\n  scoring: accuracy\n")).toThrow(/grid_search\.scoring/);
    expect(bad("grid_search:\n  param_grid:\n    depth: [1]\n")).toThrow(/depth/);
    expect(bad("model_name: [1\n")).toThrow(/invalid YAML/);
    expect(bad("model_name: 'has space'\n")).toThrow(BadInputError);
  });

  it("refuses a grid over the limit unless allowed", () => {
    const base = parseTrainingConfig().hyperparams;
    const grid = {
      max_depth: [2, 3, 4, 5, 6, 7, 8],
      learning_rate: [0.01, 0.05, 0.1, 0.2],
      n_estimators: [50, 100],
    };
    expect(() => expandGrid(base, grid)).toThrow(/56 candidates, more than 50.*--allow-large-grid/);
    expect(expandGrid(base, grid, { allowLarge: true })).toHaveLength(56);
    expect(TRAINING_DEFAULTS.max_grid_candidates).toBe(50);
  });
});
