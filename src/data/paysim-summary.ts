import type { PaysimReadResult } from "./paysim-reader.js";
import { TX_TYPES, type TxType } from "./paysim-schema.js";

/** What `lakay data inspect` reports about a PaySim file. */
export interface PaysimSummary {
  file: string;
  rows: number;
  columns: string[];
  labeled: boolean;
  /** Fraud rows and rate; null for unlabeled data. */
  fraud: number | null;
  fraud_rate: number | null;
  flagged_fraud: number | null;
  type_counts: Record<TxType, number>;
  steps: { min: number | null; max: number | null };
  amount: {
    min: number;
    p25: number;
    p50: number;
    p75: number;
    p90: number;
    p99: number;
    max: number;
    mean: number;
  } | null;
  customers: number;
  rejected: Record<string, number>;
  rejected_examples: Record<string, string>;
}

/** Summarises a read file: counts, type mix, fraud, step range and amount quantiles. */
export function summarisePaysim(result: PaysimReadResult): PaysimSummary {
  const { tx } = result;
  const n = tx.rows;
  const typeCounts = new Array<number>(TX_TYPES.length).fill(0);
  let minStep = Infinity;
  let maxStep = -Infinity;
  for (let i = 0; i < n; i++) {
    typeCounts[tx.type[i]]++;
    const s = tx.step[i];
    if (s < minStep) minStep = s;
    if (s > maxStep) maxStep = s;
  }
  const sum = (a?: Uint8Array) => (a ? a.reduce((x, y) => x + y, 0) : null);
  const fraud = sum(tx.isFraud);
  let amount: PaysimSummary["amount"] = null;
  if (n > 0) {
    const sorted = Float64Array.from(tx.amount).sort();
    const q = (p: number) => sorted[Math.min(n - 1, Math.floor(p * (n - 1) + 0.5))];
    let total = 0;
    for (let i = 0; i < n; i++) total += sorted[i];
    amount = {
      min: sorted[0],
      p25: q(0.25),
      p50: q(0.5),
      p75: q(0.75),
      p90: q(0.9),
      p99: q(0.99),
      max: sorted[n - 1],
      mean: total / n,
    };
  }
  return {
    file: result.file,
    rows: n,
    columns: result.columns,
    labeled: result.labeled,
    fraud,
    fraud_rate: fraud === null || n === 0 ? null : fraud / n,
    flagged_fraud: sum(tx.isFlaggedFraud),
    type_counts: Object.fromEntries(TX_TYPES.map((t, i) => [t, typeCounts[i]])) as Record<TxType, number>,
    steps: { min: n > 0 ? minStep : null, max: n > 0 ? maxStep : null },
    amount,
    customers: tx.origNames.size,
    rejected: result.rejected,
    rejected_examples: result.rejectedExamples,
  };
}
