import type { TransactionRecord } from "../data/index.js";
import { BadInputError } from "../errors/index.js";
import type { RuleTransaction } from "../rules/index.js";

/** One transaction as the scoring endpoint takes it: PaySim's fields plus an id and a user. */
export interface ScoreRequest {
  transaction_id: string;
  /** Who routing keys on; defaults to `nameOrig`. */
  user_id?: string;
  /** PaySim step (hour); or give `timestamp` instead. */
  step?: number;
  /** ISO-8601 instant, mapped to a step by the configured epoch. */
  timestamp?: string;
  type: string;
  amount: number;
  nameOrig: string;
  oldbalanceOrg: number;
  newbalanceOrig: number;
  nameDest?: string;
  oldbalanceDest: number;
  newbalanceDest: number;
}

const HOUR_MS = 3_600_000;

/**
 * The PaySim record of a request. Exactly one of `step` and `timestamp`; a timestamp becomes the
 * number of whole hours since `epochMs`, so hour-of-day and velocity windows work as in training.
 */
export function transactionOf(req: ScoreRequest, epochMs: number, at = ""): TransactionRecord {
  let step = req.step;
  if (step === undefined) {
    if (req.timestamp === undefined)
      throw new BadInputError("give either step (PaySim hour) or timestamp (ISO-8601)", {
        field: `${at}step`,
      });
    const t = Date.parse(req.timestamp);
    if (!Number.isFinite(t))
      throw new BadInputError(`timestamp ${JSON.stringify(req.timestamp)} is not an ISO-8601 instant`, {
        field: `${at}timestamp`,
      });
    step = Math.floor((t - epochMs) / HOUR_MS);
    if (step < 0)
      throw new BadInputError("timestamp is before the configured timestamp_epoch", {
        field: `${at}timestamp`,
      });
  } else if (req.timestamp !== undefined) {
    throw new BadInputError("give step or timestamp, not both", { field: `${at}timestamp` });
  }
  return {
    step,
    type: req.type,
    amount: req.amount,
    nameOrig: req.nameOrig,
    oldbalanceOrg: req.oldbalanceOrg,
    newbalanceOrig: req.newbalanceOrig,
    nameDest: req.nameDest ?? "",
    oldbalanceDest: req.oldbalanceDest,
    newbalanceDest: req.newbalanceDest,
  };
}

export function ruleTransactionOf(tx: TransactionRecord): RuleTransaction {
  return {
    type: tx.type,
    amount: tx.amount,
    step: tx.step,
    oldBalanceOrig: tx.oldbalanceOrg,
    newBalanceOrig: tx.newbalanceOrig,
    oldBalanceDest: tx.oldbalanceDest,
    newBalanceDest: tx.newbalanceDest,
  };
}

/** What makes two requests "the same transaction" for idempotency (everything but the id). */
export function fingerprintOf(req: ScoreRequest): string {
  // One template literal: an array join allocated an array per transaction on the hot path.
  return `${req.user_id ?? req.nameOrig}\u0001${req.step ?? ""}\u0001${req.timestamp ?? ""}\u0001${req.type}\u0001${req.amount}\u0001${req.nameOrig}\u0001${req.oldbalanceOrg}\u0001${req.newbalanceOrig}\u0001${req.nameDest ?? ""}\u0001${req.oldbalanceDest}\u0001${req.newbalanceDest}`;
}
