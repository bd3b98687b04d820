import {
  loadRegisteredVersion,
  versionDigest,
  type LoadedVersion,
  type ScorePredictor,
  type VersionLoader,
} from "../deploy/index.js";
import { ValidationFailedError } from "../errors/index.js";
import { FEATURE_NAMES } from "../features/index.js";
import type { ModelVersion, Registry, Stage } from "../registry/index.js";
import { ServedExplainer } from "./explanation.js";

/**
 * A model version ready to score, never mutated once built: a reload builds a new one aside and
 * swaps the reference, so a request holds either the old model or the new one, never half of each.
 */
export interface ServedModel {
  readonly name: string;
  readonly version: number;
  readonly stage: Stage;
  readonly aliases: readonly string[];
  readonly loadedAt: string;
  /** SHA-256 over the version's artifact checksums (what approvals are tied to). */
  readonly artifactDigest: string;
  /** The model's own feature order (features.json / model.json). */
  readonly featureNames: readonly string[];
  /** The model's probability of fraud for a vector in FEATURE_NAMES order. */
  score(features: ArrayLike<number>): number;
  /**
   * `score` for rows [0, rows) of feature columns in FEATURE_NAMES order, in one call of the
   * predictor's batch form when it has one (the same float32 sums, tree by tree: the same scores).
   */
  scoreBatch(columns: readonly Float64Array[], rows: number): Float64Array;
  /** Its TreeSHAP explainer, built with the predictor; null when the loader gave no trees. */
  readonly explainer: ServedExplainer | null;
}

/** A loaded version's explainer (once per load: flattening the trees costs what compiling does). */
export function explainerOf(loaded: LoadedVersion): ServedExplainer | null {
  return loaded.booster ? new ServedExplainer(loaded.featureNames, loaded.booster.explainer()) : null;
}

/**
 * Loads a registered version through the deployment loader (every artifact checksum-verified,
 * compiled predictor) and maps serving's feature vector onto the model's feature order. A model
 * asking for a feature serving does not compute is refused rather than fed zeros.
 */
export async function loadServedModel(
  registry: Registry,
  v: ModelVersion,
  loader: VersionLoader = loadRegisteredVersion,
): Promise<ServedModel> {
  const loaded = await loader(registry, v.name, v.version);
  const names: readonly string[] = FEATURE_NAMES;
  const map = Int32Array.from(loaded.featureNames, (f) => names.indexOf(f));
  const unknown = loaded.featureNames.filter((_, i) => map[i] < 0);
  if (unknown.length)
    throw new ValidationFailedError(
      `model ${v.name} version ${v.version} needs features serving does not compute: ${unknown.join(", ")} (serving computes ${FEATURE_NAMES.join(", ")})`,
    );
  const identity = map.length === names.length && map.every((j, i) => j === i);
  const predictor: ScorePredictor = loaded.predictor;
  const row = new Float64Array(map.length);
  const score = identity
    ? (features: ArrayLike<number>) => predictor.predictRow(features as Float64Array)
    : (features: ArrayLike<number>) => {
        for (let i = 0; i < map.length; i++) row[i] = features[map[i]];
        return predictor.predictRow(row);
      };
  const scoreBatch = (columns: readonly Float64Array[], rows: number): Float64Array => {
    const mine = Array.from(map, (j) => columns[j]);
    if (predictor.predictBatch) return predictor.predictBatch(mine, rows).subarray(0, rows);
    const out = new Float64Array(rows);
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < map.length; i++) row[i] = mine[i][r];
      out[r] = predictor.predictRow(row);
    }
    return out;
  };
  return Object.freeze({
    name: v.name,
    version: v.version,
    stage: v.stage,
    aliases: [...v.aliases],
    loadedAt: new Date().toISOString(),
    artifactDigest: versionDigest(v.files),
    featureNames: [...loaded.featureNames],
    score,
    scoreBatch,
    explainer: explainerOf(loaded),
  });
}
