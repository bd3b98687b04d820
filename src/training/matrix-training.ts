import { BadInputError } from "../errors/index.js";
import {
  parseBoosterParams,
  trainBooster,
  type Booster,
  type BoosterParams,
  type EvalSet,
  type RoundInfo,
} from "../gbdt/index.js";
import type { NumericCsv } from "../data/index.js";
import { classRatio } from "./booster-params.js";
import { gather, gatherColumns } from "./gather-rows.js";
import { stratifiedSplit } from "./stratified-split.js";

export interface MatrixTrainingOptions {
  /** The 0/1 label column; every other column is a feature. */
  label: string;
  /** Booster parameters under XGBoost's names; `scale_pos_weight: "auto"` = the class ratio. */
  params: Record<string, unknown>;
  /** Where the parameters came from, for error messages. */
  paramsSource: string;
  /** Stratified share of rows held out as the eval set; 0 = none. */
  evalFraction: number;
  threads?: number;
  onRound?: (r: RoundInfo) => void;
}

export interface MatrixTrainingResult {
  booster: Booster;
  params: BoosterParams;
  featureNames: string[];
  trainRows: number;
  evalRows: number;
}

/**
 * Trains the engine on any numeric feature matrix (`lakay gbdt train`, benchmarks): the label
 * column checked, a stratified eval split seeded by the parameters' seed, `scale_pos_weight: auto`
 * resolved to the training rows' class ratio. The same split and class weight as `lakay train`.
 */
export async function trainOnFeatureMatrix(
  csv: NumericCsv,
  file: string,
  o: MatrixTrainingOptions,
): Promise<MatrixTrainingResult> {
  const labels = labelColumn(csv, o.label, file);
  const labelIndex = csv.names.indexOf(o.label);
  const featureNames = csv.names.filter((_, i) => i !== labelIndex);
  const featureColumns = csv.columns.filter((_, i) => i !== labelIndex);
  const raw = { ...o.params };
  const seed = typeof raw.seed === "number" ? raw.seed : 0;

  let rows: Uint32Array | undefined;
  let evalSet: EvalSet | undefined;
  if (o.evalFraction > 0) {
    const split = stratifiedSplit(labels, o.evalFraction, seed);
    rows = split.train;
    evalSet = {
      columns: gatherColumns(featureColumns, split.test),
      labels: gather(labels, split.test, new Float64Array(split.test.length)),
    };
  }
  const columns = rows ? gatherColumns(featureColumns, rows) : featureColumns;
  const trainLabels = rows ? gather(labels, rows, new Float64Array(rows.length)) : labels;
  if (raw.scale_pos_weight === "auto")
    raw.scale_pos_weight = classRatio(labels, rows ?? Uint32Array.from({ length: csv.rows }, (_, i) => i));
  const params = parseBoosterParams(raw, o.paramsSource);
  const booster = await trainBooster({ columns, featureNames, labels: trainLabels }, params, {
    evalSet,
    nThreads: o.threads,
    onRound: o.onRound,
  });
  return {
    booster,
    params,
    featureNames,
    trainRows: trainLabels.length,
    evalRows: evalSet?.labels.length ?? 0,
  };
}

/** The label column, every value 0 or 1; a missing column or another value names where. */
function labelColumn(csv: NumericCsv, label: string, file: string): ArrayLike<number> {
  const j = csv.names.indexOf(label);
  if (j < 0)
    throw new BadInputError(`no label column "${label}" (columns: ${csv.names.join(", ")})`, { file });
  const labels = csv.columns[j];
  for (let i = 0; i < csv.rows; i++) {
    if (labels[i] !== 0 && labels[i] !== 1)
      throw new BadInputError(`label is ${labels[i]}; labels must be 0 or 1`, {
        file,
        line: i + 2,
        column: label,
      });
  }
  return labels;
}
