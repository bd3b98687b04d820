import { BadInputError, ValidationFailedError } from "../errors/index.js";
import { ROOT_PARENT, type RegressionTree } from "./tree.js";
import type { ModelDocument } from "./xgboost-json-writer.js";

type Json = Record<string, unknown>;

/**
 * Reads an XGBoost JSON model (as written by XGBoost 1.7 / 2.x `save_model`, or by Lakay).
 * Only what Lakay can serve exactly is accepted: a `gbtree` booster with the `binary:logistic`
 * objective, one output, numeric splits. Anything else is refused with an error that names it,
 * because a model served with silently wrong semantics is worse than one not served at all.
 */
export function readXgboostJson(text: string, source = "model"): ModelDocument {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (err) {
    throw new BadInputError(`not a JSON document (${(err as Error).message})`, { file: source });
  }
  const bad = (what: string): never => {
    throw new BadInputError(`not an XGBoost JSON model: ${what}`, { file: source });
  };
  const unsupported = (what: string): never => {
    throw new ValidationFailedError(`${source}: unsupported XGBoost model: ${what}`);
  };

  const learner = field(root, "learner") ?? bad("no `learner` object");
  const objective = field(learner, "objective") ?? bad("no `learner.objective`");
  const objectiveName = field(objective, "name");
  if (objectiveName !== "binary:logistic")
    unsupported(`objective ${JSON.stringify(objectiveName)} (only binary:logistic is supported)`);

  const lmp = field(learner, "learner_model_param") ?? bad("no `learner.learner_model_param`");
  const numClass = Number(field(lmp, "num_class") ?? 0);
  if (numClass > 1) unsupported(`multiclass model (num_class ${numClass})`);
  const numTarget = Number(field(lmp, "num_target") ?? 1);
  if (numTarget > 1) unsupported(`multi-target model (num_target ${numTarget})`);
  const baseScore = parseBaseScore(field(lmp, "base_score")) ?? bad("`base_score` is not a number");
  if (!(baseScore > 0 && baseScore < 1))
    unsupported(`base_score ${baseScore} outside (0, 1) for a logistic model`);
  const numFeature = Number(field(lmp, "num_feature"));
  if (!Number.isInteger(numFeature) || numFeature < 1)
    bad("`num_feature` is missing or not a positive integer");

  const gb = field(learner, "gradient_booster") ?? bad("no `learner.gradient_booster`");
  const gbName = field(gb, "name");
  if (gbName !== "gbtree") unsupported(`booster ${JSON.stringify(gbName)} (only gbtree is supported)`);
  const model = field(gb, "model") ?? bad("no `gradient_booster.model`");
  const treesJson = field(model, "trees");
  if (!Array.isArray(treesJson)) bad("`gradient_booster.model.trees` is not an array");
  const sizeLeafVector = Number(field(field(model, "gbtree_model_param"), "size_leaf_vector") ?? 0);
  if (sizeLeafVector > 0) unsupported("vector leaves (multi-target trees)");
  const treeInfo = field(model, "tree_info");
  if (Array.isArray(treeInfo) && treeInfo.some((g) => g !== 0))
    unsupported("trees for more than one output group");

  const names = field(learner, "feature_names");
  const featureNames =
    Array.isArray(names) && names.length > 0
      ? names.map(String)
      : Array.from({ length: numFeature }, (_, i) => `f${i}`);
  if (featureNames.length !== numFeature)
    bad(`${featureNames.length} feature_names for num_feature ${numFeature}`);
  const types = field(learner, "feature_types");
  const featureTypes =
    Array.isArray(types) && types.length > 0 ? types.map(String) : featureNames.map(() => "float");
  const categorical = featureTypes.findIndex((t) => t === "c" || t === "categorical");
  if (categorical >= 0) unsupported(`categorical feature ${JSON.stringify(featureNames[categorical])}`);

  const trees = (treesJson as unknown[]).map((t, i) => readTree(t, i, numFeature, bad, unsupported));
  const spw = Number(field(field(objective, "reg_loss_param"), "scale_pos_weight") ?? 1);
  const attrsJson = field(learner, "attributes");
  const attributes: Record<string, string> = {};
  if (attrsJson && typeof attrsJson === "object")
    for (const [k, v] of Object.entries(attrsJson)) attributes[k] = String(v);
  return {
    featureNames,
    featureTypes,
    baseScore,
    scalePosWeight: Number.isFinite(spw) ? spw : 1,
    trees,
    attributes,
  };
}

function field(o: unknown, key: string): unknown {
  return o !== null && typeof o === "object" && !Array.isArray(o) ? (o as Json)[key] : undefined;
}

/** XGBoost 1.7/2.x write `"5E-1"`; 3.x writes `"[5E-1]"` (one value per target). */
function parseBaseScore(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v !== "string") return undefined;
  const text = v.trim().replace(/^\[(.*)\]$/, "$1");
  if (text.includes(",")) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

function readTree(
  t: unknown,
  index: number,
  numFeature: number,
  bad: (w: string) => never,
  unsupported: (w: string) => never,
): RegressionTree {
  const where = `tree ${index}`;
  const arr = (key: string, optional = false): unknown[] => {
    const v = field(t, key);
    if (Array.isArray(v)) return v;
    if (optional && v === undefined) return [];
    return bad(`${where}: \`${key}\` is not an array`);
  };
  const left = arr("left_children");
  const n = left.length;
  if (n === 0) bad(`${where}: no nodes`);
  const numbers = (key: string, optional = false): number[] => {
    const v = arr(key, optional);
    if (optional && v.length === 0) return new Array<number>(n).fill(0);
    if (v.length !== n) bad(`${where}: \`${key}\` has ${v.length} entries for ${n} nodes`);
    return v.map((x) => (typeof x === "boolean" ? (x ? 1 : 0) : Number(x)));
  };
  const splitType = numbers("split_type", true);
  if (splitType.some((s) => s !== 0) || arr("categories", true).length > 0)
    unsupported(`${where}: categorical splits`);
  const tree: RegressionTree = {
    leftChildren: Int32Array.from(left.map(Number)),
    rightChildren: Int32Array.from(numbers("right_children")),
    parents: Int32Array.from(numbers("parents", true).map((p, i) => (i === 0 ? ROOT_PARENT : p))),
    splitIndices: Int32Array.from(numbers("split_indices")),
    splitConditions: Float32Array.from(numbers("split_conditions")),
    defaultLeft: Uint8Array.from(numbers("default_left")),
    baseWeights: Float32Array.from(numbers("base_weights", true)),
    lossChanges: Float32Array.from(numbers("loss_changes", true)),
    sumHessian: Float32Array.from(numbers("sum_hessian", true)),
  };
  checkStructure(tree, where, numFeature, bad);
  return tree;
}

/** Every reachable node is in range, visited once, and splits name a real feature. */
function checkStructure(
  t: RegressionTree,
  where: string,
  numFeature: number,
  bad: (w: string) => never,
): void {
  const n = t.leftChildren.length;
  const seen = new Uint8Array(n);
  const stack = [0];
  while (stack.length > 0) {
    const i = stack.pop()!;
    if (!(i >= 0 && i < n) || seen[i]) bad(`${where}: node ${i} is out of range or reached twice`);
    seen[i] = 1;
    const l = t.leftChildren[i];
    if (l === -1) continue;
    const f = t.splitIndices[i];
    if (!(f >= 0 && f < numFeature)) bad(`${where}: node ${i} splits on feature ${f} of ${numFeature}`);
    if (Number.isNaN(t.splitConditions[i])) bad(`${where}: node ${i} has a NaN threshold`);
    stack.push(l, t.rightChildren[i]);
  }
}
