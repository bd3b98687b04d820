import { ValidationFailedError } from "../errors/index.js";
import { FEATURE_SET_VERSION, type FeatureMatrix } from "../features/index.js";
import type { CompiledPredictor } from "../gbdt/index.js";
import { predictParallel } from "./parallel-predict.js";

/**
 * Scores a feature matrix with a loaded model, feeding the columns in the model's own order (a model
 * may order its features differently from Lakay's builder); a feature the builder does not make is
 * a refusal naming it.
 */
export async function scoreFeatureMatrix(
  model: { predictor: CompiledPredictor; featureNames: readonly string[] },
  m: FeatureMatrix,
  threads?: number,
): Promise<Float64Array> {
  const columns = model.featureNames.map((name) => {
    const j = m.names.indexOf(name);
    if (j < 0) {
      throw new ValidationFailedError(
        `the model needs feature "${name}", which Lakay's feature set ${FEATURE_SET_VERSION} does not build (${m.names.join(", ")})`,
      );
    }
    return m.columns[j];
  });
  return predictParallel(model.predictor, columns, m.rows, threads);
}
