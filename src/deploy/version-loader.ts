import { mkdtemp, readFile, rm } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { FEATURE_NAMES } from "../features/names.js";
import { Booster } from "../gbdt/index.js";
import type { Registry } from "../registry/index.js";
import type { ScorePredictor } from "./validation-checks.js";
import type { FeatureHistogram } from "./validation-vectors.js";

/** A version's model, ready to score, with what the gate needs to build its validation set. */
export interface LoadedVersion {
  predictor: ScorePredictor;
  /** The model's feature order (model.json's feature_names, else features.json, else Lakay's 11). */
  featureNames: string[];
  /** Per-feature training histograms from reference.json; null when the version has none. */
  reference: Record<string, FeatureHistogram> | null;
  /** Artifact files that were downloaded and checksum-verified. */
  verifiedFiles: string[];
}

/** How the deploy module turns a registered version into a predictor; tests may substitute one. */
export type VersionLoader = (registry: Registry, model: string, version: number) => Promise<LoadedVersion>;

/**
 * Downloads the version's artifacts (the registry verifies every SHA-256 and refuses on a mismatch,
 * naming the file), parses model.json with Lakay's XGBoost-format reader and compiles it.
 */
export const loadRegisteredVersion: VersionLoader = async (registry, model, version) => {
  const dir = await mkdtemp(path.join(tmpdir(), "lakay-deploy-"));
  try {
    const files = await registry.downloadVersion(model, version, dir);
    const modelFile = findFile(dir, ["model.json", "model/model.json"]);
    if (!modelFile) throw new Error(`model ${model} version ${version} has no model.json artifact`);
    const booster = Booster.fromXgboostJson(await readFile(modelFile, "utf8"));
    const predictor = booster.compile();
    const featuresFile = findFile(dir, ["features.json", "model/features.json"]);
    const fromFeatures = featuresFile
      ? featureNamesOf(JSON.parse(await readFile(featuresFile, "utf8")))
      : null;
    const modelNames = [...(predictor.featureNames ?? [])];
    const featureNames = modelNames.length ? modelNames : (fromFeatures ?? [...FEATURE_NAMES]);
    const referenceFile = findFile(dir, ["reference.json", "model/reference.json"]);
    const reference = referenceFile
      ? ((
          JSON.parse(await readFile(referenceFile, "utf8")) as { features?: Record<string, FeatureHistogram> }
        ).features ?? null)
      : null;
    return { predictor, featureNames, reference, verifiedFiles: files.map((f) => f.path) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};

function findFile(dir: string, candidates: string[]): string | undefined {
  return candidates.map((c) => path.join(dir, c)).find((p) => existsSync(p));
}

/** features.json as the training pipeline writes it, or a plain list of names. */
function featureNamesOf(doc: unknown): string[] | null {
  if (Array.isArray(doc))
    return doc.map((f) => (typeof f === "string" ? f : String((f as { name: string }).name)));
  const d = doc as { names?: unknown; features?: unknown; feature_names?: unknown };
  for (const list of [d?.names, d?.feature_names, d?.features])
    if (Array.isArray(list)) return featureNamesOf(list);
  return null;
}
