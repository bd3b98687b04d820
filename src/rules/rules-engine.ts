import { FEATURE_NAMES } from "../features/names.js";
import { BadInputError } from "../errors/index.js";
import {
  RULE_CATEGORIES,
  parseRulesConfig,
  type RuleCategory,
  type RuleId,
  type RulesConfig,
} from "./config.js";
import { RULE_DEFINITIONS, type RuleDefinition } from "./definitions.js";
import { txTypeCode, type RuleBatch, type RuleTransaction } from "./rule-input.js";

/** A rule that fired, as serving returns it and an investigator reads it. */
export interface FiredRule {
  id: RuleId;
  category: RuleCategory;
  weight: number;
  description: string;
}

/** The rules' verdict on one transaction. */
export interface RulesResult {
  /** Composite score in [0, 1]: per-category weight sums, each capped, then summed and capped at 1. */
  score: number;
  /** `score >= flag_threshold`. */
  flagged: boolean;
  fired: FiredRule[];
}

/**
 * The rules engine shared by training (compare rules with the model over a whole file) and serving
 * (hybrid scoring, one transaction at a time). Both forms call the same rule predicates; the
 * single-transaction form is a one-row batch.
 */
export class RulesEngine {
  readonly config: RulesConfig;
  /** Enabled rules only, with their bit (index in RULE_DEFINITIONS) and category slot precomputed. */
  private readonly active: { def: RuleDefinition; bit: number; weight: number; cat: number }[];
  private readonly caps: Float64Array;
  /** Per-category accumulator reused across rows so scoring allocates nothing. */
  private readonly catSum: Float64Array;
  private readonly one: {
    batch: RuleBatch;
    cols: Record<
      "typeCode" | "amount" | "oldBalanceOrig" | "newBalanceOrig" | "oldBalanceDest" | "newBalanceDest",
      Float64Array
    >;
    features: Float64Array[];
  };

  constructor(config: unknown = {}) {
    this.config = parseRulesConfig(config);
    this.active = [];
    RULE_DEFINITIONS.forEach((def, bit) => {
      const params = this.config.rules[def.id];
      if (params.enabled)
        this.active.push({ def, bit, weight: params.weight, cat: RULE_CATEGORIES.indexOf(def.category) });
    });
    this.caps = Float64Array.from(RULE_CATEGORIES, (c) => this.config.category_caps[c]);
    this.catSum = new Float64Array(RULE_CATEGORIES.length);
    const col = () => new Float64Array(1);
    const cols = {
      typeCode: col(),
      amount: col(),
      oldBalanceOrig: col(),
      newBalanceOrig: col(),
      oldBalanceDest: col(),
      newBalanceDest: col(),
    };
    const features = FEATURE_NAMES.map(col);
    this.one = { cols, features, batch: { rows: 1, ...cols, features } };
  }

  /** Evaluates one transaction. `features` is the feature vector in FEATURE_NAMES order. */
  evaluate(tx: RuleTransaction, features: ArrayLike<number>): RulesResult {
    const mask = this.evaluateMask(tx, features);
    const score = this.scoreOf(mask);
    return { score, flagged: score >= this.config.flag_threshold, fired: this.describe(mask) };
  }

  /**
   * The fired-rule bitmask of one transaction (bit k = RULE_DEFINITIONS[k]), allocating nothing:
   * serving keeps one shared list of fired rules per mask instead of a new one per transaction.
   */
  evaluateMask(tx: RuleTransaction, features: ArrayLike<number>): number {
    if (features.length !== FEATURE_NAMES.length) {
      throw new BadInputError(
        `expected ${FEATURE_NAMES.length} features (${FEATURE_NAMES.join(", ")}), got ${features.length}`,
      );
    }
    const { cols } = this.one;
    cols.typeCode[0] = txTypeCode(tx.type);
    cols.amount[0] = tx.amount;
    cols.oldBalanceOrig[0] = tx.oldBalanceOrig;
    cols.newBalanceOrig[0] = tx.newBalanceOrig;
    cols.oldBalanceDest[0] = tx.oldBalanceDest;
    cols.newBalanceDest[0] = tx.newBalanceDest;
    for (let j = 0; j < features.length; j++) this.one.features[j][0] = features[j];
    return this.firedMask(this.one.batch, 0);
  }

  /** The composite score of a fired-rule bitmask. */
  scoreOf(mask: number): number {
    return this.scoreMask(mask);
  }

  /**
   * Scores every row of a columnar batch into `scores` (and the fired-rule bitmask into `fired` if
   * given; bit k = RULE_DEFINITIONS[k]). Allocates nothing per row.
   */
  scoreBatch(batch: RuleBatch, scores: Float64Array, fired?: Uint32Array): void {
    if (scores.length < batch.rows || (fired && fired.length < batch.rows)) {
      throw new RangeError(`output arrays are shorter than the batch (${batch.rows} rows)`);
    }
    for (let i = 0; i < batch.rows; i++) {
      const mask = this.firedMask(batch, i);
      scores[i] = this.scoreMask(mask);
      if (fired) fired[i] = mask;
    }
  }

  /** The rules a batch-form bitmask stands for. */
  describe(mask: number): FiredRule[] {
    const out: FiredRule[] = [];
    for (const a of this.active) {
      if (mask & (1 << a.bit))
        out.push({
          id: a.def.id,
          category: a.def.category,
          weight: a.weight,
          description: a.def.description,
        });
    }
    return out;
  }

  private firedMask(batch: RuleBatch, i: number): number {
    const rules = this.config.rules;
    let mask = 0;
    for (let k = 0; k < this.active.length; k++) {
      const a = this.active[k];
      if (a.def.fires(batch, i, rules)) mask |= 1 << a.bit;
    }
    return mask >>> 0;
  }

  private scoreMask(mask: number): number {
    const sums = this.catSum;
    sums.fill(0);
    for (let k = 0; k < this.active.length; k++) {
      const a = this.active[k];
      if (mask & (1 << a.bit)) sums[a.cat] += a.weight;
    }
    let total = 0;
    for (let c = 0; c < sums.length; c++) total += Math.min(sums[c], this.caps[c]);
    return Math.min(1, total);
  }
}
