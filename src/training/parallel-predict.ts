import { availableParallelism } from "node:os";
import { ParallelBatchPredictor, type Booster, type CompiledPredictor } from "../gbdt/index.js";

/** Below this many rows, starting worker threads costs more than it saves. */
const MIN_PARALLEL_ROWS = 100_000;

/**
 * Scores many rows on every core with the engine's parallel batch predictor (identical scores to
 * `compile().predictBatch`), one thread for small inputs. Takes a booster or its compiled predictor
 * (a loaded model has one already).
 */
export async function predictParallel(
  model: Booster | CompiledPredictor,
  columns: readonly ArrayLike<number>[],
  nRows: number,
  threads = availableParallelism(),
): Promise<Float64Array> {
  const predictor = "compile" in model ? model.compile() : model;
  if (threads < 2 || nRows < MIN_PARALLEL_ROWS) return predictor.predictBatch(columns, nRows);
  const pool = new ParallelBatchPredictor(predictor, threads);
  try {
    return await pool.predictBatch(columns, nRows);
  } finally {
    await pool.close();
  }
}
