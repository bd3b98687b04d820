import type { Transactions } from "../data/index.js";
import { computeFeatures, LONG_WINDOW } from "./compute-features.js";
import { CustomerHistory } from "./customer-history.js";
import { FEATURE_NAMES } from "./names.js";

/** A feature matrix: one Float64Array per feature, rows in the input's order. */
export interface FeatureMatrix {
  names: readonly string[];
  columns: Float64Array[];
  rows: number;
}

/**
 * Builds the 11 features for every row of a file, point-in-time: each row sees only the same
 * customer's (nameOrig) earlier transactions, ordered by step and then file order.
 *
 * Rows are grouped by customer with a counting sort (linear, stable), then each customer's rows
 * are replayed through one `CustomerHistory`, the same code the online state uses, so batch
 * and online features agree exactly. Output stays in input row order.
 */
export function buildFeatures(tx: Transactions): FeatureMatrix {
  const n = tx.rows;
  const columns = FEATURE_NAMES.map(() => new Float64Array(n));
  const order = customerOrder(tx);
  const history = new CustomerHistory();
  const out = new Float64Array(FEATURE_NAMES.length);
  const { step, type, amount, oldbalanceOrg, newbalanceOrig, oldbalanceDest, newbalanceDest, nameOrig } = tx;
  const [c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10] = columns;
  let current = -1;
  for (let k = 0; k < n; k++) {
    const r = order[k];
    if (nameOrig[r] !== current) {
      current = nameOrig[r];
      history.reset();
    }
    const s = step[r];
    const a = amount[r];
    computeFeatures(
      history,
      s,
      type[r],
      a,
      oldbalanceOrg[r],
      newbalanceOrig[r],
      oldbalanceDest[r],
      newbalanceDest[r],
      out,
    );
    c0[r] = out[0];
    c1[r] = out[1];
    c2[r] = out[2];
    c3[r] = out[3];
    c4[r] = out[4];
    c5[r] = out[5];
    c6[r] = out[6];
    c7[r] = out[7];
    c8[r] = out[8];
    c9[r] = out[9];
    c10[r] = out[10];
    history.observe(s, a, LONG_WINDOW);
  }
  return { names: FEATURE_NAMES, columns, rows: n };
}

/** Row indices grouped by customer, each group in (step, file order). */
function customerOrder(tx: Transactions): Int32Array {
  const n = tx.rows;
  let customers = 0;
  for (let i = 0; i < n; i++) if (tx.nameOrig[i] >= customers) customers = tx.nameOrig[i] + 1;
  const offsets = new Int32Array(customers + 1);
  for (let i = 0; i < n; i++) offsets[tx.nameOrig[i] + 1]++;
  for (let c = 0; c < customers; c++) offsets[c + 1] += offsets[c];
  const fill = offsets.slice(0, customers);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[fill[tx.nameOrig[i]]++] = i;
  // Files are normally sorted by step; sort only the customers whose rows are not.
  const step = tx.step;
  for (let c = 0; c < customers; c++) {
    const from = offsets[c];
    const to = offsets[c + 1];
    let sorted = true;
    for (let k = from + 1; k < to && sorted; k++) sorted = step[order[k - 1]] <= step[order[k]];
    if (!sorted) order.subarray(from, to).sort((a, b) => step[a] - step[b] || a - b);
  }
  return order;
}
