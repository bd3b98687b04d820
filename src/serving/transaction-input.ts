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
export function transactionOf(
  req: ScoreRequest,
  epochMs: number,
  at: string | number = "",
): TransactionRecord {
  return {
    step: stepOf(req, epochMs, at),
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

/**
 * The PaySim step of a request (see `transactionOf`). `at` prefixes the field an error names: a
 * string, or the index in a batch (`transactions[i].`, built only when there is an error to name).
 */
export function stepOf(req: ScoreRequest, epochMs: number, at: string | number = ""): number {
  const step = req.step;
  if (step !== undefined) {
    if (req.timestamp !== undefined)
      throw new BadInputError("give step or timestamp, not both", { field: `${prefix(at)}timestamp` });
    return step;
  }
  if (req.timestamp === undefined)
    throw new BadInputError("give either step (PaySim hour) or timestamp (ISO-8601)", {
      field: `${prefix(at)}step`,
    });
  const t = Date.parse(req.timestamp);
  if (!Number.isFinite(t))
    throw new BadInputError(`timestamp ${JSON.stringify(req.timestamp)} is not an ISO-8601 instant`, {
      field: `${prefix(at)}timestamp`,
    });
  const hours = Math.floor((t - epochMs) / HOUR_MS);
  if (hours < 0)
    throw new BadInputError("timestamp is before the configured timestamp_epoch", {
      field: `${prefix(at)}timestamp`,
    });
  return hours;
}

function prefix(at: string | number): string {
  return typeof at === "number" ? `transactions[${at}].` : at;
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

/** The fields `fingerprintOf` covers: what makes two requests "the same transaction". */
export type TransactionContents = Pick<
  ScoreRequest,
  | "user_id"
  | "step"
  | "timestamp"
  | "type"
  | "amount"
  | "nameOrig"
  | "oldbalanceOrg"
  | "newbalanceOrig"
  | "nameDest"
  | "oldbalanceDest"
  | "newbalanceDest"
>;

/**
 * `fingerprintOf(a) === fingerprintOf(b)`, compared field by field: the in-process idempotency
 * check runs on every transaction, and building (and keeping) a ~100-character string for each
 * cost more than the rest of the check. Same defaults as the fingerprint (user_id falls back to
 * nameOrig, a missing nameDest is ""), and the values compare as their string forms do (NaN
 * equals NaN, 0 equals -0). Stricter only where the joined string was ambiguous (a field holding
 * the separator).
 */
export function sameContents(a: TransactionContents, b: TransactionContents): boolean {
  return (
    same(a.user_id ?? a.nameOrig, b.user_id ?? b.nameOrig) &&
    same(a.step ?? "", b.step ?? "") &&
    same(a.timestamp ?? "", b.timestamp ?? "") &&
    same(a.type, b.type) &&
    same(a.amount, b.amount) &&
    same(a.nameOrig, b.nameOrig) &&
    same(a.oldbalanceOrg, b.oldbalanceOrg) &&
    same(a.newbalanceOrig, b.newbalanceOrig) &&
    same(a.nameDest ?? "", b.nameDest ?? "") &&
    same(a.oldbalanceDest, b.oldbalanceDest) &&
    same(a.newbalanceDest, b.newbalanceDest)
  );
}

function same(x: unknown, y: unknown): boolean {
  // NaN: its string form equals itself
  return x === y || (x !== x && y !== y) || (typeof x !== typeof y && String(x) === String(y));
}
