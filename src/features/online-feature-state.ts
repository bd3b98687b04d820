import { BadInputError } from "../errors/index.js";
import { txTypeCode, type TransactionRecord } from "../data/index.js";
import { historyFeatures, LONG_WINDOW, rowFeatures } from "./compute-features.js";
import { CustomerHistory, CustomerHistoryTable } from "./customer-history.js";
import { RecencyIndex } from "./recency-index.js";
import { FEATURE_NAMES } from "./names.js";

export interface OnlineFeatureOptions {
  /**
   * Most customers kept in memory (default 1,000,000). The least recently seen customer is
   * forgotten beyond it; a forgotten customer's next transaction is scored as a first one.
   */
  maxCustomers?: number;
}

/**
 * Features for serving: one transaction at a time, from per-customer state kept in memory.
 *
 * Protocol: `featuresFor(tx)` computes the features of a transaction from the history before it
 * and changes nothing; `observe(tx)` then adds it to the history; `next(tx)` does both. Keeping
 * them apart lets a server score first and record only what it accepted. Transactions are
 * expected in step order per customer (as time runs); the arithmetic is the batch builder's own
 * (`CustomerHistory`), so a file replayed row by row gives the batch features exactly.
 */
export class OnlineFeatureState {
  /** Customers by name, least recently seen forgotten first; their histories by slot in `histories`. */
  private readonly customers: RecencyIndex;
  private readonly histories = new CustomerHistoryTable();
  /** The history at a slot of `histories`, moved to each customer in turn (no object a customer). */
  private readonly history = new CustomerHistory(this.histories);
  private readonly maxCustomers: number;
  private readonly empty = new CustomerHistory();

  constructor(opts: OnlineFeatureOptions = {}) {
    this.maxCustomers = opts.maxCustomers ?? 1_000_000;
    if (!(this.maxCustomers >= 1))
      throw new BadInputError(`maxCustomers must be at least 1 (got ${opts.maxCustomers})`);
    this.customers = new RecencyIndex(this.maxCustomers);
  }

  /** Customers currently remembered. */
  get size(): number {
    return this.customers.size;
  }

  /** The 11 features (FEATURE_NAMES order) of `tx` given the history so far; does not record `tx`. */
  featuresFor(tx: TransactionRecord): Float64Array {
    const slot = this.customers.peek(tx.nameOrig);
    return transactionFeatures(slot >= 0 ? this.history.moveTo(slot) : this.empty, tx);
  }

  /** Records `tx` in its customer's history (the customer becomes the most recently seen). */
  observe(tx: TransactionRecord): void {
    recordTransaction(this.touch(tx.nameOrig), tx);
  }

  /**
   * The customer's history (a new one for a customer not seen), made the most recently seen; the
   * least recently seen customer is forgotten past the cap (its slot goes to the new customer).
   */
  private touch(nameOrig: string): CustomerHistory {
    const known = this.customers.get(nameOrig);
    if (known >= 0) return this.history.moveTo(known);
    const slot = this.customers.add(nameOrig);
    const history = this.history.moveTo(slot);
    history.reset(); // the slot may have been a forgotten customer's
    return history;
  }

  /** `featuresFor(tx)` then `observe(tx)`. */
  next(tx: TransactionRecord): Float64Array {
    const f = this.featuresFor(tx);
    this.observe(tx);
    return f;
  }

  /**
   * `next` for a transaction given by its fields, writing the features into `out` (FEATURE_NAMES
   * order) and allocating nothing for a known customer: the batch scoring path calls it once per
   * transaction, in input order, so transactions of one customer in one batch see each other.
   * `typeCode` is `txTypeCode(type)`, checked by the caller.
   */
  nextInto(
    nameOrig: string,
    step: number,
    typeCode: number,
    amount: number,
    oldbalanceOrg: number,
    newbalanceOrig: number,
    oldbalanceDest: number,
    newbalanceDest: number,
    out: Float64Array,
  ): void {
    const history = this.touch(nameOrig);
    featuresInto(
      history,
      step,
      typeCode,
      amount,
      oldbalanceOrg,
      newbalanceOrig,
      oldbalanceDest,
      newbalanceDest,
      out,
    );
    history.observe(wholeHour(step), amount, LONG_WINDOW);
  }
}

/**
 * The 11 features (FEATURE_NAMES order) of `tx` given its customer's history before it. The one
 * online computation: the in-process state and the shared (Redis) store both call it.
 */
export function transactionFeatures(history: CustomerHistory, tx: TransactionRecord): Float64Array {
  const out = new Float64Array(FEATURE_NAMES.length);
  featuresInto(
    history,
    tx.step,
    typeCodeOf(tx.type),
    tx.amount,
    tx.oldbalanceOrg,
    tx.newbalanceOrig,
    tx.oldbalanceDest,
    tx.newbalanceDest,
    out,
  );
  return out;
}

/** `transactionFeatures` by fields, into `out`: the batch builder's two functions, in its order. */
function featuresInto(
  history: CustomerHistory,
  step: number,
  typeCode: number,
  amount: number,
  oldbalanceOrg: number,
  newbalanceOrig: number,
  oldbalanceDest: number,
  newbalanceDest: number,
  out: Float64Array,
): void {
  rowFeatures(step, typeCode, amount, oldbalanceOrg, newbalanceOrig, oldbalanceDest, newbalanceDest, out);
  historyFeatures(history, step, amount, out);
}

/** Adds `tx` to its customer's history (what the batch builder does after each row). */
export function recordTransaction(history: CustomerHistory, tx: TransactionRecord): void {
  history.observe(wholeHour(tx.step), tx.amount, LONG_WINDOW);
}

/**
 * A step as a history keeps it: a whole hour (PaySim's steps are; the API's are integers, a
 * timestamp's are floored), which bounds a history at BUCKET_CAPACITY buckets. Checked here, once
 * an online transaction, not in `CustomerHistory.observe`: the batch builder's steps are an
 * Int32Array, and the check there cost its history loop ~90 ms at 1M rows.
 */
function wholeHour(step: number): number {
  if (!Number.isInteger(step) || step < 0 || step > 2 ** 31 - 1)
    throw new BadInputError(`step ${step} is not a whole hour (an integer from 0)`, { field: "step" });
  return step;
}

function typeCodeOf(type: string): number {
  const code = txTypeCode(type);
  if (code < 0) throw new BadInputError(`unknown transaction type "${type}"`, { field: "type" });
  return code;
}
