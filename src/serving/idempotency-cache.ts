import { FEATURE_NAMES, RecencyIndex } from "../features/index.js";
import type { ScoreResponse } from "./scoring-service.js";
import { sameContents, type ScoreRequest, type TransactionContents } from "./transaction-input.js";

const NF = FEATURE_NAMES.length;
/** Per answer, the request's strings: user (user_id, else nameOrig), timestamp, type, nameOrig, nameDest. */
const STRINGS = 5;
/** Per answer, the request's numbers: step, amount, oldbalanceOrg, newbalanceOrig, oldbalanceDest, newbalanceDest. */
const NUMBERS = 6;
/** Per answer, its own numbers: score, ml_score (when not null), rule_score, latency_ms. */
const ANSWER_NUMBERS = 4;
/**
 * Per answer, what it shares with many others: risk_tier, recommendation, rules_triggered (the
 * scorer's one list per set of fired rules), variant, model (one reference per served model), mode.
 */
const ANSWER_PARTS = 6;
/** `answerFlags` bits. */
const ML_NULL = 1;
const HAS_DEGRADED = 2;
const DEGRADED = 4;

/**
 * Answers already given, by transaction id, least recently used forgotten first. Retries are
 * normal in payments: a retried transaction must get the same answer and must not be counted
 * twice in the customer's history or in the metrics. Kept with each answer: what tells a retry
 * from a different transaction reusing the id (the request's contents, copied: a caller may reuse
 * its request object) and the features the answer was computed from.
 *
 * In columns by slot (`RecencyIndex`), not an object per answer beside a `Map`: at 200,000
 * answers the map's lookups and the objects' survival to the old generation were a sixth of a
 * batch transaction's cost on the serving thread (docs/BENCHMARKS.md). The answers themselves too:
 * their numbers in a Float64Array and their shared parts (fired-rule list, model reference, tier
 * strings) as references, a replay's object rebuilt from them: 200,000 answer objects (and their
 * boxed numbers) living for minutes were the collector's work, ~5 % of the server's CPU a scored
 * request (docs/BENCHMARKS.md). Contents are kept as the request types them (strings, numbers) and
 * compared as `sameContents` compares them.
 */
export class IdempotencyCache {
  private readonly index: RecencyIndex;
  private strings: (string | undefined)[] = [];
  private numbers = new Float64Array(0);
  /** 1 when the request gave `step` (it may give `timestamp` instead). */
  private stepGiven = new Uint8Array(0);
  private features = new Float64Array(0);
  private answerNumbers = new Float64Array(0);
  private answerParts: unknown[] = [];
  private answerFlags = new Uint8Array(0);

  constructor(capacity: number) {
    this.index = new RecencyIndex(capacity);
  }

  get size(): number {
    return this.index.size;
  }

  /** The answer's slot, made the most recently used; −1 when no answer is held for `id`. */
  get(id: string): number {
    return this.index.get(id);
  }

  /** The answer held in `slot` (from `get`): a new object each call, equal to the one kept. */
  response(slot: number): ScoreResponse {
    const n = slot * ANSWER_NUMBERS;
    const p = slot * ANSWER_PARTS;
    const numbers = this.answerNumbers;
    const parts = this.answerParts;
    const flags = this.answerFlags[slot];
    const response: ScoreResponse = {
      transaction_id: this.index.keyOf(slot),
      score: numbers[n],
      risk_tier: parts[p] as ScoreResponse["risk_tier"],
      recommendation: parts[p + 1] as ScoreResponse["recommendation"],
      ml_score: flags & ML_NULL ? null : numbers[n + 1],
      rule_score: numbers[n + 2],
      rules_triggered: parts[p + 2] as ScoreResponse["rules_triggered"],
      variant: parts[p + 3] as ScoreResponse["variant"],
      model: parts[p + 4] as ScoreResponse["model"],
      mode: parts[p + 5] as ScoreResponse["mode"],
      latency_ms: numbers[n + 3],
    };
    if (flags & HAS_DEGRADED) response.features_degraded = (flags & DEGRADED) !== 0;
    return response;
  }

  /** True when `req` is a retry of the answer in `slot` (same contents), false when it only reuses the id. */
  sameAs(slot: number, req: ScoreRequest): boolean {
    return sameContents(this.contentsOf(slot), req);
  }

  /**
   * The features (by name) `response` was computed from, if it is the answer held for its id:
   * without refreshing its recency.
   */
  featuresOf(response: ScoreResponse): Record<string, number> | undefined {
    const slot = this.index.peek(response.transaction_id);
    if (slot < 0 || !this.holds(slot, response)) return undefined;
    const base = slot * NF;
    return Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, this.features[base + i]]));
  }

  /**
   * Keeps `response` to `req` (replacing an answer held for its id), with its features: row `row`
   * of the row-major matrix `features` (FEATURE_NAMES order).
   */
  set(req: ScoreRequest, response: ScoreResponse, features: ArrayLike<number>, row: number): void {
    this.keep(this.index.set(req.transaction_id), req, response, features, row);
  }

  /** `set` for an id the caller has just seen missing (the batch path checks every id first). */
  add(req: ScoreRequest, response: ScoreResponse, features: ArrayLike<number>, row: number): void {
    this.keep(this.index.add(req.transaction_id), req, response, features, row);
  }

  private keep(
    slot: number,
    req: ScoreRequest,
    response: ScoreResponse,
    features: ArrayLike<number>,
    row: number,
  ): void {
    if (slot >= this.stepGiven.length) this.grow();
    this.keepAnswer(slot, response);
    const s = slot * STRINGS;
    this.strings[s] = req.user_id ?? req.nameOrig;
    this.strings[s + 1] = req.timestamp;
    this.strings[s + 2] = req.type;
    this.strings[s + 3] = req.nameOrig;
    this.strings[s + 4] = req.nameDest;
    const n = slot * NUMBERS;
    const numbers = this.numbers;
    this.stepGiven[slot] = req.step === undefined ? 0 : 1;
    numbers[n] = req.step ?? 0;
    numbers[n + 1] = req.amount;
    numbers[n + 2] = req.oldbalanceOrg;
    numbers[n + 3] = req.newbalanceOrig;
    numbers[n + 4] = req.oldbalanceDest;
    numbers[n + 5] = req.newbalanceDest;
    const out = this.features;
    const to = slot * NF;
    const from = row * NF;
    for (let j = 0; j < NF; j++) out[to + j] = features[from + j];
  }

  private keepAnswer(slot: number, r: ScoreResponse): void {
    const n = slot * ANSWER_NUMBERS;
    const numbers = this.answerNumbers;
    numbers[n] = r.score;
    numbers[n + 1] = r.ml_score ?? 0;
    numbers[n + 2] = r.rule_score;
    numbers[n + 3] = r.latency_ms;
    const p = slot * ANSWER_PARTS;
    const parts = this.answerParts;
    parts[p] = r.risk_tier;
    parts[p + 1] = r.recommendation;
    parts[p + 2] = r.rules_triggered;
    parts[p + 3] = r.variant;
    parts[p + 4] = r.model;
    parts[p + 5] = r.mode;
    const degraded = r.features_degraded;
    this.answerFlags[slot] =
      (r.ml_score === null ? ML_NULL : 0) |
      (degraded === undefined ? 0 : HAS_DEGRADED) |
      (degraded ? DEGRADED : 0);
  }

  /** True when the answer kept in `slot` is `r` (field for field). */
  private holds(slot: number, r: ScoreResponse): boolean {
    const kept = this.response(slot);
    return (
      Object.is(kept.score, r.score) &&
      Object.is(kept.ml_score, r.ml_score) &&
      Object.is(kept.rule_score, r.rule_score) &&
      Object.is(kept.latency_ms, r.latency_ms) &&
      kept.risk_tier === r.risk_tier &&
      kept.recommendation === r.recommendation &&
      kept.rules_triggered === r.rules_triggered &&
      kept.variant === r.variant &&
      kept.model === r.model &&
      kept.mode === r.mode &&
      kept.features_degraded === r.features_degraded
    );
  }

  /** The request contents kept in `slot`, as an object (only to compare a retry: rare). */
  private contentsOf(slot: number): TransactionContents {
    const s = slot * STRINGS;
    const n = slot * NUMBERS;
    const numbers = this.numbers;
    return {
      user_id: this.strings[s],
      step: this.stepGiven[slot] ? numbers[n] : undefined,
      timestamp: this.strings[s + 1],
      type: this.strings[s + 2]!,
      amount: numbers[n + 1],
      nameOrig: this.strings[s + 3]!,
      oldbalanceOrg: numbers[n + 2],
      newbalanceOrig: numbers[n + 3],
      nameDest: this.strings[s + 4],
      oldbalanceDest: numbers[n + 4],
      newbalanceDest: numbers[n + 5],
    };
  }

  /** Columns sized to the index's slots (it hands them out growing, up to the capacity). */
  private grow(): void {
    const slots = this.index.slots;
    const grown = <T extends Float64Array | Uint8Array>(a: T, width: number, make: (n: number) => T): T => {
      const b = make(slots * width);
      b.set(a);
      return b;
    };
    this.numbers = grown(this.numbers, NUMBERS, (n) => new Float64Array(n));
    this.features = grown(this.features, NF, (n) => new Float64Array(n));
    this.stepGiven = grown(this.stepGiven, 1, (n) => new Uint8Array(n));
    this.answerNumbers = grown(this.answerNumbers, ANSWER_NUMBERS, (n) => new Float64Array(n));
    this.answerFlags = grown(this.answerFlags, 1, (n) => new Uint8Array(n));
  }
}
