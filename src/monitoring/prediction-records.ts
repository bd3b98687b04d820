import { FEATURE_NAMES } from "../features/index.js";
import { NULL_TAG, NUMBER_TAG, STRING_TAG, type PackedRows } from "../registry/index.js";
import type { ObservedPrediction } from "./live-monitor.js";
import { PREDICTION_LOG_COLUMNS, type PredictionLogRow } from "./store/monitoring-tables.js";

const WIDTH = PREDICTION_LOG_COLUMNS.length;
const FEATURES_AT = PREDICTION_LOG_COLUMNS.indexOf(FEATURE_NAMES[0]);

/**
 * Prediction-log records in columns, packed by position as the registry appends them
 * (`PackedRows`, PREDICTION_LOG_COLUMNS order): the writer's queue. The request path adds a
 * scored transaction with `addObserved` straight into typed arrays; a record as an object (a
 * `PredictionLogRow`) is made only where one is needed: the spill file, replays, tests.
 * An object per record was most of the log's cost on the serving thread (see PackedRows).
 */
export class PredictionRecords {
  length = 0;
  private tags: Uint8Array;
  private numbers: Float64Array;
  private strings: string[] = [];

  constructor(capacity = 1024) {
    this.tags = new Uint8Array(Math.max(1, capacity) * WIDTH);
    this.numbers = new Float64Array(Math.max(1, capacity) * WIDTH);
  }

  static fromRows(rows: readonly PredictionLogRow[]): PredictionRecords {
    const r = new PredictionRecords(rows.length);
    for (const row of rows) r.addRow(row);
    return r;
  }

  /** The record of a transaction scored at `ts`, written straight into the columns (no row object). */
  addObserved(model: string, ts: string, p: ObservedPrediction): void {
    let k = this.reserve();
    this.string(k++, ts);
    this.string(k++, model);
    this.string(k++, p.transactionId);
    this.string(k++, p.userId);
    this.string(k++, p.variant);
    this.numberOrNull(k++, p.modelVersion);
    this.stringOrNull(k++, p.experimentId);
    const f = p.features;
    for (let j = 0; j < FEATURE_NAMES.length; j++) this.number(k++, f[j]);
    this.numberOrNull(k++, p.mlScore !== null && Number.isFinite(p.mlScore) ? p.mlScore : null);
    this.number(k++, p.ruleScore);
    this.number(k++, p.score);
    this.string(k++, p.riskTier);
    this.number(k++, p.latencyMs);
    this.stringOrNull(k, p.rulesTriggered ? rulesJson(p.rulesTriggered) : null);
  }

  /** A record given as a row (a replayed spill, a test); a row spilled before schema step 7 has no rules_triggered. */
  addRow(row: PredictionLogRow): void {
    let k = this.reserve();
    const r = row as unknown as Record<string, unknown>;
    for (const c of PREDICTION_LOG_COLUMNS) {
      const v = r[c];
      if (typeof v === "number") this.number(k++, v);
      else if (typeof v === "string") this.string(k++, v);
      else if (v === null || v === undefined) this.tags[k++] = NULL_TAG;
      else throw new TypeError(`prediction-log column ${c}: ${typeof v} is no SQL value`);
    }
  }

  /** Empties the records, keeping their arrays for the next ones (every add writes all its slots). */
  clear(): void {
    this.length = 0;
    this.strings = [];
  }

  /** The records by position, for `Registry.appendRows` (views: valid until the next add). */
  packed(): PackedRows {
    return {
      width: WIDTH,
      tags: this.tags.subarray(0, this.length * WIDTH),
      numbers: this.numbers.subarray(0, this.length * WIDTH),
      strings: this.strings,
    };
  }

  /** The records as rows (the spill file's JSON lines). */
  rows(): PredictionLogRow[] {
    const out: PredictionLogRow[] = [];
    let s = 0;
    for (let i = 0, k = 0; i < this.length; i++) {
      const row: Record<string, unknown> = {};
      for (const c of PREDICTION_LOG_COLUMNS) {
        const t = this.tags[k];
        row[c] = t === NUMBER_TAG ? this.numbers[k] : t === STRING_TAG ? this.strings[s++] : null;
        k++;
      }
      out.push(row as unknown as PredictionLogRow);
    }
    return out;
  }

  /** The records' transaction ids, in order. */
  transactionIds(): string[] {
    const at = PREDICTION_LOG_COLUMNS.indexOf("transaction_id");
    const ids: string[] = [];
    let s = 0;
    for (let i = 0, k = 0; i < this.length; i++)
      for (let c = 0; c < WIDTH; c++, k++)
        if (this.tags[k] === STRING_TAG) {
          if (c === at) ids.push(this.strings[s]);
          s++;
        }
    return ids;
  }

  /** The first value slot of a new record, growing the arrays when full. */
  private reserve(): number {
    if ((this.length + 1) * WIDTH > this.tags.length) {
      const tags = new Uint8Array(this.tags.length * 2);
      tags.set(this.tags);
      const numbers = new Float64Array(this.numbers.length * 2);
      numbers.set(this.numbers);
      this.tags = tags;
      this.numbers = numbers;
    }
    return this.length++ * WIDTH;
  }

  private number(k: number, v: number): void {
    this.tags[k] = NUMBER_TAG;
    this.numbers[k] = v;
  }

  private numberOrNull(k: number, v: number | null): void {
    if (v === null) this.tags[k] = NULL_TAG;
    else this.number(k, v);
  }

  private string(k: number, v: string): void {
    this.tags[k] = STRING_TAG;
    this.strings.push(v);
  }

  private stringOrNull(k: number, v: string | null): void {
    if (v === null) this.tags[k] = NULL_TAG;
    else this.string(k, v);
  }
}

// The feature columns follow one another in PREDICTION_LOG_COLUMNS, as addObserved writes them.
if (FEATURE_NAMES.some((f, j) => PREDICTION_LOG_COLUMNS[FEATURES_AT + j] !== f))
  throw new Error("PREDICTION_LOG_COLUMNS: the feature columns must be consecutive, in FEATURE_NAMES order");

/** Serialized once per list: the scoring service shares one frozen list per combination of rules. */
const rulesJsonCache = new WeakMap<object, string>();
function rulesJson(rules: readonly { id: string; weight: number }[]): string {
  let json = rulesJsonCache.get(rules);
  if (json === undefined) {
    json = JSON.stringify(rules.map((r) => ({ id: r.id, weight: r.weight })));
    rulesJsonCache.set(rules, json);
  }
  return json;
}
