import { FEATURE_NAMES } from "../features/index.js";
import type { ScoreResponse } from "./scoring-service.js";
import { sameContents, type ScoreRequest, type TransactionContents } from "./transaction-input.js";

const NF = FEATURE_NAMES.length;

/**
 * An answer kept for idempotency, in one object: the request's contents (the fields
 * `fingerprintOf` covers, copied: a caller may reuse its request object), the response, and the
 * features it was computed from as row `row` of a row-major matrix (`FEATURE_NAMES` order). The
 * batch path keeps one matrix per batch rather than a vector per answer.
 */
export class AnsweredTransaction implements TransactionContents {
  readonly user_id: string;
  readonly step: number | undefined;
  readonly timestamp: string | undefined;
  readonly type: string;
  readonly amount: number;
  readonly nameOrig: string;
  readonly oldbalanceOrg: number;
  readonly newbalanceOrig: number;
  readonly nameDest: string | undefined;
  readonly oldbalanceDest: number;
  readonly newbalanceDest: number;

  constructor(
    req: ScoreRequest,
    readonly response: ScoreResponse,
    private readonly matrix: Float64Array,
    private readonly row: number,
  ) {
    this.user_id = req.user_id ?? req.nameOrig;
    this.step = req.step;
    this.timestamp = req.timestamp;
    this.type = req.type;
    this.amount = req.amount;
    this.nameOrig = req.nameOrig;
    this.oldbalanceOrg = req.oldbalanceOrg;
    this.newbalanceOrig = req.newbalanceOrig;
    this.nameDest = req.nameDest;
    this.oldbalanceDest = req.oldbalanceDest;
    this.newbalanceDest = req.newbalanceDest;
  }

  /** True when `req` is a retry of this transaction (same contents), false when it only reuses the id. */
  sameAs(req: ScoreRequest): boolean {
    return sameContents(this, req);
  }

  /** The features by name. */
  features(): Record<string, number> {
    const base = this.row * NF;
    return Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, this.matrix[base + i]]));
  }
}
