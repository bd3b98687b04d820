import { createHash } from "node:crypto";
import type { Transactions } from "../data/index.js";
import type { BacktestData } from "../deploy/index.js";
import { FEATURE_NAMES } from "../features/index.js";
import type { Registry } from "../registry/index.js";
import { labeledLogRows, type LabeledLogRow } from "./store/labeled-log-rows.js";

/** At most this many labeled predictions make an auto-promotion backtest (memory bound). */
export const LABELED_BACKTEST_ROW_CAP = 200_000;

/**
 * The backtest dataset of an auto-promotion request (seed §5.5: "backtest on recent labeled
 * predictions"): the prediction log's stored features, exactly as served, joined to the labels in
 * force. Both variants' rows count: the features do not depend on who scored them.
 */
export async function labeledBacktestData(
  registry: Registry,
  where: { model: string; since: string; limit?: number },
): Promise<BacktestData & { rows: number; frauds: number }> {
  const rows = await labeledLogRows(registry, {
    model: where.model,
    since: where.since,
    limit: where.limit ?? LABELED_BACKTEST_ROW_CAP,
  });
  const data = backtestDataOf(rows);
  let frauds = 0;
  for (let i = 0; i < rows.length; i++) frauds += rows[i].is_fraud;
  return {
    ...data,
    source: `prediction_log:${where.model} labeled predictions since ${where.since} (${rows.length} rows)`,
    rows: rows.length,
    frauds,
  };
}

/** Columns from logged rows: the features as stored; for the bias audit, type, amount and customer. */
export function backtestDataOf(rows: readonly LabeledLogRow[]): Omit<BacktestData, "source"> {
  const n = rows.length;
  const columns = FEATURE_NAMES.map((f) => Float64Array.from(rows, (r) => Number(r[f])));
  const labels = Uint8Array.from(rows, (r) => (r.is_fraud ? 1 : 0));
  const customers = new Map<string, number>();
  const names: string[] = [];
  const nameOrig = Int32Array.from(rows, (r) => {
    let id = customers.get(r.user_id);
    if (id === undefined) {
      id = names.push(r.user_id) - 1;
      customers.set(r.user_id, id);
    }
    return id;
  });
  // PaySim steps are hours; logged rows carry the time they were scored.
  const t0 = n ? Math.floor(Date.parse(rows[0].ts) / 3_600_000) : 0;
  const tx: Transactions = {
    rows: n,
    step: Int32Array.from(rows, (r) => Math.floor(Date.parse(r.ts) / 3_600_000) - t0 + 1),
    type: Uint8Array.from(rows, (r) => Number(r.tx_type_encoded)),
    amount: columns[FEATURE_NAMES.indexOf("amount")],
    // Balances are not logged (only their deltas, as features); the bias audit does not read them.
    oldbalanceOrg: new Float64Array(n),
    newbalanceOrig: new Float64Array(n),
    oldbalanceDest: new Float64Array(n),
    newbalanceDest: new Float64Array(n),
    nameOrig,
    nameDest: new Int32Array(n),
    origNames: { size: names.length, get: (id: number) => names[id] },
    destNames: { size: 1, get: () => "" },
    isFraud: labels,
  };
  const hash = createHash("sha256");
  for (const r of rows) hash.update(`${r.model}\t${r.transaction_id}\t${r.is_fraud}\n`);
  return {
    tx,
    features: { names: FEATURE_NAMES, columns, rows: n },
    labels,
    sha256: hash.digest("hex"),
  };
}
