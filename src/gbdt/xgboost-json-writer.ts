import { formatFloat32 } from "./float-format.js";
import type { RegressionTree } from "./tree.js";

/** What goes into a model file besides the trees. */
export interface ModelDocument {
  featureNames: readonly string[];
  featureTypes: readonly string[];
  baseScore: number;
  scalePosWeight: number;
  trees: readonly RegressionTree[];
  attributes: Readonly<Record<string, string>>;
}

/** The XGBoost release whose layout we write; XGBoost 1.7 and 2.x both read it. */
const WRITTEN_VERSION = [1, 7, 0];

const floats = (a: ArrayLike<number>): string => `[${Array.from(a, formatFloat32).join(",")}]`;
const ints = (a: ArrayLike<number>): string => `[${Array.from(a).join(",")}]`;
const str = (s: string): string => JSON.stringify(s);
const obj = (entries: [string, string][]): string =>
  `{${entries.map(([k, v]) => `${str(k)}:${v}`).join(",")}}`;

/**
 * Writes XGBoost's JSON model document (the one `save_model("x.json")` writes), keys in XGBoost's
 * sorted order and floats in shortest float32 form, so the same model is always the same bytes.
 */
export function writeXgboostJson(doc: ModelDocument): string {
  const nFeature = doc.featureNames.length;
  const trees = doc.trees.map((t, id) => writeTree(t, id, nFeature));
  const attributes = Object.keys(doc.attributes)
    .sort()
    .map((k): [string, string] => [k, str(doc.attributes[k])]);
  const learner = obj([
    ["attributes", obj(attributes)],
    ["feature_names", `[${doc.featureNames.map(str).join(",")}]`],
    ["feature_types", `[${doc.featureTypes.map(str).join(",")}]`],
    [
      "gradient_booster",
      obj([
        [
          "model",
          obj([
            [
              "gbtree_model_param",
              obj([
                ["num_parallel_tree", str("1")],
                ["num_trees", str(String(doc.trees.length))],
                ["size_leaf_vector", str("0")],
              ]),
            ],
            ["tree_info", ints(new Int32Array(doc.trees.length))],
            ["trees", `[${trees.join(",")}]`],
          ]),
        ],
        ["name", str("gbtree")],
      ]),
    ],
    [
      "learner_model_param",
      obj([
        ["base_score", str(formatFloat32(doc.baseScore))],
        ["boost_from_average", str("1")],
        ["num_class", str("0")],
        ["num_feature", str(String(nFeature))],
        ["num_target", str("1")],
      ]),
    ],
    [
      "objective",
      obj([
        ["name", str("binary:logistic")],
        ["reg_loss_param", obj([["scale_pos_weight", str(formatFloat32(doc.scalePosWeight))]])],
      ]),
    ],
  ]);
  return obj([
    ["learner", learner],
    ["version", ints(WRITTEN_VERSION)],
  ]);
}

function writeTree(t: RegressionTree, id: number, nFeature: number): string {
  const n = t.leftChildren.length;
  return obj([
    ["base_weights", floats(t.baseWeights)],
    ["categories", "[]"],
    ["categories_nodes", "[]"],
    ["categories_segments", "[]"],
    ["categories_sizes", "[]"],
    ["default_left", ints(t.defaultLeft)],
    ["id", String(id)],
    ["left_children", ints(t.leftChildren)],
    ["loss_changes", floats(t.lossChanges)],
    ["parents", ints(t.parents)],
    ["right_children", ints(t.rightChildren)],
    ["split_conditions", floats(t.splitConditions)],
    ["split_indices", ints(t.splitIndices)],
    ["split_type", ints(new Uint8Array(n))],
    ["sum_hessian", floats(t.sumHessian)],
    [
      "tree_param",
      obj([
        ["num_deleted", str("0")],
        ["num_feature", str(String(nFeature))],
        ["num_nodes", str(String(n))],
        ["size_leaf_vector", str("0")],
      ]),
    ],
  ]);
}
