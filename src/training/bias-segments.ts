import { TX_TYPES, type Transactions } from "../data/index.js";
import { priorTransactionCounts } from "../features/index.js";
import type { BiasAuditConfig, BiasDimension } from "./bias-audit-config.js";

/** One way of cutting the rows: the segment names, and each row's segment as an index into them. */
export interface Segmentation {
  dimension: BiasDimension;
  segments: readonly string[];
  /** Per row, the index of its segment in `segments`. */
  of: Uint8Array;
}

/** The two `customer_history` segments. */
export const CUSTOMER_HISTORY_SEGMENTS = ["first_transaction", "returning"] as const;

/**
 * Each row's segment for every configured dimension:
 * - `type`: the PaySim transaction type;
 * - `amount_band`: `edges[i-1] < amount <= edges[i]` (upper edge included, so a $10,000 transaction
 *   sits under the CTR line and $10,000.01 above it, as "over $10,000" reads), the last band open;
 * - `customer_history`: the customer's first transaction in the dataset or a returning one, in the
 *   point-in-time order the history features use (step, then file order).
 */
export function segmentRows(tx: Transactions, config: BiasAuditConfig): Segmentation[] {
  return config.dimensions.map((dimension) => {
    switch (dimension) {
      case "type":
        return { dimension, segments: TX_TYPES, of: tx.type };
      case "amount_band":
        return amountBands(tx.amount, config.amount_band_edges);
      case "customer_history": {
        const prior = priorTransactionCounts(tx);
        const of = new Uint8Array(tx.rows);
        for (let i = 0; i < tx.rows; i++) of[i] = prior[i] === 0 ? 0 : 1;
        return { dimension, segments: CUSTOMER_HISTORY_SEGMENTS, of };
      }
    }
  });
}

function amountBands(amount: ArrayLike<number>, edges: readonly number[]): Segmentation {
  const segments = edges.map((e, i) => `${i === 0 ? "0" : money(edges[i - 1])}-${money(e)}`);
  segments.push(`${money(edges[edges.length - 1])}+`);
  const of = new Uint8Array(amount.length);
  for (let r = 0; r < amount.length; r++) {
    let b = 0;
    while (b < edges.length && amount[r] > edges[b]) b++;
    of[r] = b;
  }
  return { dimension: "amount_band", segments, of };
}

/** 1000 → "1k", 2500 → "2.5k", 1000000 → "1M", 750 → "750". */
function money(x: number): string {
  if (x >= 1e6 && x % 1e4 === 0) return `${x / 1e6}M`;
  if (x >= 1e3 && x % 10 === 0) return `${x / 1e3}k`;
  return String(x);
}

/** The segmentations restricted to `rows` (a split's row indices), in that order. */
export function segmentationsAt(segs: readonly Segmentation[], rows: ArrayLike<number>): Segmentation[] {
  return segs.map((s) => {
    const of = new Uint8Array(rows.length);
    for (let k = 0; k < rows.length; k++) of[k] = s.of[rows[k]];
    return { ...s, of };
  });
}
