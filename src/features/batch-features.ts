import { float64Column, type Transactions } from "../data/index.js";
import { historyFeatures, LONG_WINDOW, rowFeatures } from "./compute-features.js";
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
 * The row-only features are computed in file order. For the history features, rows are grouped
 * by customer with a counting sort (linear, stable), the two inputs they need are gathered into
 * that order, and each customer's rows are replayed through one `CustomerHistory` (the code the
 * online state uses, so batch and online agree exactly), each result stored at its file row.
 * Gathering first keeps the replay loop sequential in memory: walking six million rows in
 * customer order straight over the file-ordered columns was dominated by cache misses.
 *
 * `shared` puts the feature columns in shared memory, so a worker (the CSV writer's) reads them
 * without a copy. `consumeTransactions`, for a caller done with `tx` (`features build`): its amount
 * and balance columns become five of the feature columns, overwritten (shared if they are): 40 MB
 * less fresh memory at 1M rows, which here costs ~10 us a 4 KB page to fault in.
 */
export function buildFeatures(
  tx: Transactions,
  opts: { shared?: boolean; consumeTransactions?: boolean } = {},
): FeatureMatrix {
  const n = tx.rows;
  // With consumeTransactions, five inputs become outputs: each row's inputs are read before its
  // outputs are stored at the same index, and amount is feature 0 as it is.
  const consumed: Record<number, Float64Array> = opts.consumeTransactions
    ? { 0: tx.amount, 2: tx.newbalanceOrig, 3: tx.oldbalanceDest, 5: tx.oldbalanceOrg, 6: tx.newbalanceDest }
    : {};
  const columns: Float64Array[] = FEATURE_NAMES.map((_, k) => consumed[k] ?? float64Column(n, opts.shared));
  const out = new Float64Array(FEATURE_NAMES.length);
  const { step, type, amount, oldbalanceOrg, newbalanceOrig, oldbalanceDest, newbalanceDest } = tx;
  const [c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10] = columns;

  for (let r = 0; r < n; r++) {
    rowFeatures(
      step[r],
      type[r],
      amount[r],
      oldbalanceOrg[r],
      newbalanceOrig[r],
      oldbalanceDest[r],
      newbalanceDest[r],
      out,
    );
    c0[r] = out[0];
    c2[r] = out[2];
    c3[r] = out[3];
    c4[r] = out[4];
    c5[r] = out[5];
    c6[r] = out[6];
  }

  const { order, offsets } = customerOrder(tx);
  const sStep = gather(step, order, new Int32Array(n));
  const sAmount = gather(amount, order, new Float64Array(n));
  // Each result goes straight to its row in file order: scattered stores cost little, and result
  // arrays in customer order to copy from afterwards were 40 MB of fresh pages at 1M rows (a page
  // fault costs ~10 us on the VMs we run on).
  const history = new CustomerHistory();
  for (let c = 0, k = 0; k < n; k++) {
    if (k === offsets[c + 1]) {
      while (offsets[c + 1] === k) c++; // the next customer with rows
      history.reset();
    }
    const s = sStep[k];
    const a = sAmount[k];
    historyFeatures(history, s, a, out);
    const r = order[k];
    c1[r] = out[1];
    c7[r] = out[7];
    c8[r] = out[8];
    c9[r] = out[9];
    c10[r] = out[10];
    history.observe(s, a, LONG_WINDOW);
  }
  return { names: FEATURE_NAMES, columns, rows: n };
}

function gather<T extends Int32Array | Float64Array>(src: ArrayLike<number>, order: Int32Array, dst: T): T {
  for (let k = 0; k < order.length; k++) dst[k] = src[order[k]];
  return dst;
}

/**
 * How many of the same customer's transactions come before each row, in the order the
 * point-in-time features use (step, then file order): 0 marks the customer's first transaction
 * in the dataset. The bias audit's `customer_history` segments come from this, so "first
 * transaction" means exactly what the history features saw as an empty history.
 */
export function priorTransactionCounts(tx: Transactions): Int32Array {
  const { order } = customerOrder(tx);
  const counts = new Int32Array(tx.rows);
  let current = -1;
  let seen = 0;
  for (let k = 0; k < order.length; k++) {
    const customer = tx.nameOrig[order[k]];
    if (customer !== current) {
      current = customer;
      seen = 0;
    }
    counts[order[k]] = seen++;
  }
  return counts;
}

/**
 * Row indices grouped by customer, each group in (step, file order): customer c's rows are
 * `order[offsets[c]]` up to `order[offsets[c + 1]]`.
 */
function customerOrder(tx: Transactions): { order: Int32Array; offsets: Int32Array } {
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
  return { order, offsets };
}
