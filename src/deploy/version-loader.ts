import type { TreeExplainer } from "../gbdt/index.js";
import type { Registry } from "../registry/index.js";
import { loadRegisteredVersion as loadVersion } from "../training/index.js";
import type { ScorePredictor } from "./validation-checks.js";
import type { FeatureHistogram } from "./validation-vectors.js";

/**
 * What the gate, backtests and serving need of a version: the slice of training's `LoadedModel`
 * they read, so tests may substitute a loader that builds only this.
 */
export interface LoadedVersion {
  predictor: ScorePredictor;
  /** The model's feature order (model.json's feature_names, checked against features.json). */
  featureNames: string[];
  /** Per-feature training histograms from reference.json; null when the version has none. */
  reference: Record<string, FeatureHistogram> | null;
  /** Artifact files that were downloaded and checksum-verified. */
  verifiedFiles: string[];
  /** The trees, for explanations (TreeSHAP); a substitute loader may leave it out (rules-only "why"). */
  booster?: { explainer(): TreeExplainer };
}

/** How the deploy module turns a registered version into a predictor; tests may substitute one. */
export type VersionLoader = (registry: Registry, model: string, version: number) => Promise<LoadedVersion>;

/**
 * The one model loader (training's `loadRegisteredVersion`): checksums verified on download,
 * features.json's order and feature set checked, model compiled.
 */
export const loadRegisteredVersion: VersionLoader = loadVersion;
