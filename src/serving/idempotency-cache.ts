import { FEATURE_NAMES, RecencyIndex } from "../features/index.js";
import type { ScoreResponse } from "./scoring-service.js";
import { sameContents, type ScoreRequest, type TransactionContents } from "./transaction-input.js";

const NF = FEATURE_NAMES.length;
/** Per answer, the request's strings: user (user_id, else nameOrig), timestamp, type, nameOrig, nameDest. */
const STRINGS = 5;
/** Per answer, the request's numbers: step, amount, oldbalanceOrg, newbalanceOrig, oldbalanceDest, newbalanceDest. */
const NUMBERS = 6;

/**
 * Answers already given, by transaction id, least recently used forgotten first. Retries are
 * normal in payments: a retried transaction must get the same answer (the same object) and must
 * not be counted twice in the customer's history or in the metrics. Kept with each answer: what
 * tells a retry from a different transaction reusing the id (the request's contents, copied: a
 * caller may reuse its request object) and the features the answer was computed from.
 *
 * In columns by slot (`RecencyIndex`), not an object per answer beside a `Map`: at 200,000
 * answers the map's lookups and the objects' survival to the old generation were a sixth of a
 * batch transaction's cost on the serving thread (docs/BENCHMARKS.md). Contents are kept as the
 * request types them (strings, numbers) and compared as `sameContents` compares them.
 */
export class IdempotencyCache {
  private readonly index: RecencyIndex;
  private responses: ScoreResponse[] = [];
  private strings: (string | undefined)[] = [];
  private numbers = new Float64Array(0);
  /** 1 when the request gave `step` (it may give `timestamp` instead). */
  private stepGiven = new Uint8Array(0);
  private features = new Float64Array(0);

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

  /** The answer held in `slot` (from `get`). */
  response(slot: number): ScoreResponse {
    return this.responses[slot];
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
    if (slot < 0 || this.responses[slot] !== response) return undefined;
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
    this.responses[slot] = response;
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
  }
}
