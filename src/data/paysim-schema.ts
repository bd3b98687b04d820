/**
 * The PaySim log format: column names, transaction types and the columnar shape Lakay keeps it in.
 * Type codes are the model's `tx_type_encoded`, so their order is part of the model contract.
 */
export const TX_TYPES = ["CASH_IN", "CASH_OUT", "DEBIT", "PAYMENT", "TRANSFER"] as const;

export type TxType = (typeof TX_TYPES)[number];

/** Each type's code (its index in `TX_TYPES`), for code that compares codes by name. */
export const TX_TYPE_CODE = Object.freeze(
  Object.fromEntries(TX_TYPES.map((t, i) => [t, i])) as Record<TxType, number>,
);

/**
 * The type code of a type name, or -1 if it is not a PaySim type. Accepts the dataset
 * documentation's `CASH-IN` / `CASH-OUT` spelling beside the file's `CASH_IN` / `CASH_OUT`,
 * and any letter case, because both spellings occur in copies of the public data.
 */
export function txTypeCode(name: string): number {
  const upper = name.trim().toUpperCase().replace("-", "_");
  return (TX_TYPES as readonly string[]).indexOf(upper);
}

/** Columns every PaySim file must have (matched by header name, in any order). */
export const REQUIRED_COLUMNS = [
  "step",
  "type",
  "amount",
  "nameOrig",
  "oldbalanceOrg",
  "newbalanceOrig",
  "nameDest",
  "oldbalanceDest",
  "newbalanceDest",
] as const;

/** Label columns: optional, because unlabeled data is valid for scoring and drift checks. */
export const LABEL_COLUMNS = ["isFraud", "isFlaggedFraud"] as const;

export type PaysimColumn = (typeof REQUIRED_COLUMNS)[number] | (typeof LABEL_COLUMNS)[number];

/** id → name lookup for interned account names (see `NameTable`). */
export interface NameLookup {
  readonly size: number;
  get(id: number): string;
}

/**
 * PaySim transactions, column by column. One typed array per field instead of one object per
 * row: 6.3 million rows take ~0.4 GB this way, and the feature and training code can loop over
 * plain arrays. Account names are interned ids; `origNames` / `destNames` turn them back.
 */
export interface Transactions {
  rows: number;
  step: Int32Array;
  /** Index into TX_TYPES. */
  type: Uint8Array;
  amount: Float64Array;
  oldbalanceOrg: Float64Array;
  newbalanceOrig: Float64Array;
  oldbalanceDest: Float64Array;
  newbalanceDest: Float64Array;
  /** Customer id: equal ids are the same customer; ids are given in order of first appearance. */
  nameOrig: Int32Array;
  nameDest: Int32Array;
  origNames: NameLookup;
  destNames: NameLookup;
  isFraud?: Uint8Array;
  isFlaggedFraud?: Uint8Array;
}

/** One transaction as a plain object with PaySim's field names (serving, online features). */
export interface TransactionRecord {
  step: number;
  type: TxType | string;
  amount: number;
  nameOrig: string;
  oldbalanceOrg: number;
  newbalanceOrig: number;
  nameDest: string;
  oldbalanceDest: number;
  newbalanceDest: number;
  isFraud?: number;
  isFlaggedFraud?: number;
}

/** Row `i` of a columnar set as a `TransactionRecord` (for serving, tests and `predict` echoes). */
export function transactionAt(tx: Transactions, i: number): TransactionRecord {
  const rec: TransactionRecord = {
    step: tx.step[i],
    type: TX_TYPES[tx.type[i]],
    amount: tx.amount[i],
    nameOrig: tx.origNames.get(tx.nameOrig[i]),
    oldbalanceOrg: tx.oldbalanceOrg[i],
    newbalanceOrig: tx.newbalanceOrig[i],
    nameDest: tx.destNames.get(tx.nameDest[i]),
    oldbalanceDest: tx.oldbalanceDest[i],
    newbalanceDest: tx.newbalanceDest[i],
  };
  if (tx.isFraud) rec.isFraud = tx.isFraud[i];
  if (tx.isFlaggedFraud) rec.isFlaggedFraud = tx.isFlaggedFraud[i];
  return rec;
}
