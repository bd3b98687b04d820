import {
  appendFileSync,
  createReadStream,
  existsSync,
  mkdirSync,
  renameSync,
  statSync,
  unlinkSync,
} from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import type { Logger } from "pino";
import type { Registry } from "../registry/index.js";
import type { ObservedPrediction } from "./live-monitor.js";
import { PredictionRecords } from "./prediction-records.js";
import { insertPredictions } from "./store/prediction-log-store.js";
import type { PredictionLogRow } from "./store/monitoring-tables.js";

export interface PredictionLogWriterOptions {
  registry: Registry;
  logger: Logger;
  /** Records held in memory; beyond it a record goes straight to the spill file. */
  queueCapacity: number;
  /** Records per batch: a full one is written at once (with whatever else is queued by then). */
  batchSize: number;
  /** How often the queue is written: what `kill -9` may lose at most. */
  flushMs: number;
  /** The append-only spill file used while the database is unreachable. */
  spillFile: string;
  /** Storing a batch; tests substitute a failing one. Default: `insertPredictions`. */
  store?: (records: PredictionRecords) => Promise<void>;
  /**
   * How long `close()` keeps trying when the database refuses its last writes, every
   * `CLOSE_RETRY_INTERVAL_MS`, before leaving the rows in the spill file. Default 5,000.
   */
  closeRetryMs?: number;
}

/**
 * `close()`'s retry interval. A server stopped right after a database outage used to get one try,
 * and the first writes after an outage can still fail (once in CI on PostgreSQL: all 5,000 rows of
 * the outage were left in the spill file, to be replayed only at the next start).
 */
const CLOSE_RETRY_INTERVAL_MS = 250;

/**
 * The prediction log's writer: `append` is synchronous and cheap (the request path only pushes to a
 * bounded queue); a timer writes the queue in batches. When a batch cannot be written (database
 * down), it is appended to a local spill file (JSON lines, written synchronously) and the writer
 * keeps going; each tick then tries to replay the spill first, and new batches go to the spill
 * behind it so order is kept. The store skips rows it already holds, so a replay that half-succeeded
 * may be replayed again. `close()` (SIGTERM) writes everything, retrying a database that refuses for
 * a few seconds, then leaving what it still refuses in the spill file (replayed at the next start).
 */
export class PredictionLogWriter {
  /**
   * Records waiting, in columns. A flush hands the store everything queued in one call (a server
   * producing records faster than one batch per round trip has many batches queued): the store
   * sends a call's pieces without waiting for each to commit (SQLite's append worker), so the
   * database always has the next piece; one batch per call, each awaited, paced the log at one
   * round trip of the event loop per batch.
   */
  private queue: PredictionRecords;
  /**
   * The last batch written, emptied, to become the next queue: its arrays have grown to what a
   * flush holds, and new ones grew again by doubling every time (most of a record's cost when a
   * batch endpoint queued thousands between two flushes).
   */
  private spare: PredictionRecords | null = null;
  private readonly store: (records: PredictionRecords) => Promise<void>;
  private readonly replayFile: string;
  private timer: NodeJS.Timeout | undefined;
  private fullBatch: NodeJS.Immediate | undefined;
  /** Records that found the queue full, spilled together after the current request (`spillOverflow`). */
  private overflow: PredictionRecords;
  private overflowSpill: NodeJS.Immediate | undefined;
  /** Records wait in the spill file: the timer's ticks replay them, full batches do not hurry. */
  private spilling = false;
  private running: Promise<void> | null = null;
  private closed = false;
  readonly stats = { written: 0, spilled: 0, replayed: 0, failures: 0, overflowed: 0 };
  lastError: string | null = null;
  /** Hears each batch once the database holds it (the shared feature store's outbox, docs/scaling.md). */
  onStored: ((records: PredictionRecords) => void) | null = null;

  constructor(private readonly opts: PredictionLogWriterOptions) {
    this.store = opts.store ?? ((records) => insertPredictions(opts.registry, records));
    this.queue = new PredictionRecords(opts.batchSize);
    this.overflow = new PredictionRecords(0);
    this.replayFile = `${opts.spillFile}.replaying`;
    mkdirSync(path.dirname(opts.spillFile), { recursive: true });
  }

  start(): void {
    this.timer = setInterval(() => void this.flush(), this.opts.flushMs);
    this.timer.unref();
  }

  /** Queues one record (never throws, never waits). */
  append(row: PredictionLogRow): void {
    if (this.queueFull()) this.overflow.addRow(row);
    else {
      this.queue.addRow(row);
      this.queued();
    }
  }

  /** Queues the record of a transaction scored at `ts`, with no row object made for it (the request path). */
  appendObserved(model: string, ts: string, p: ObservedPrediction): void {
    if (this.queueFull()) this.overflow.addObserved(model, ts, p);
    else {
      this.queue.addObserved(model, ts, p);
      this.queued();
    }
  }

  private queueFull(): boolean {
    if (this.queue.length < this.opts.queueCapacity) return false;
    // One spill-file write per request, not one per record: a server producing records faster
    // than the database takes them (a batch endpoint at full speed) wrote each overflowing
    // record with its own appendFileSync, which cost more than scoring it.
    this.stats.overflowed++;
    this.overflowSpill ??= setImmediate(() => this.spillOverflow());
    return true;
  }

  private queued(): void {
    // A full batch is written now rather than at the next tick: a busy server's rows would otherwise
    // wait for up to `flushMs`. After the current request, not in it.
    if (
      this.queue.length === this.opts.batchSize &&
      this.timer &&
      !this.closed &&
      !this.spilling &&
      !this.fullBatch
    )
      this.fullBatch = setImmediate(() => {
        this.fullBatch = undefined;
        void this.flush();
      });
  }

  get queueDepth(): number {
    return this.queue.length;
  }

  /** Bytes waiting in spill files. */
  get spillBytes(): number {
    let n = 0;
    for (const f of [this.opts.spillFile, this.replayFile]) if (existsSync(f)) n += statSync(f).size;
    return n;
  }

  /** Writes what is queued now (one flush at a time; a call during a flush waits for it). */
  async flush(): Promise<void> {
    while (this.running) await this.running;
    this.running = this.flushOnce().finally(() => (this.running = null));
    return this.running;
  }

  private async flushOnce(): Promise<void> {
    this.spillOverflow();
    const replayed = await this.replaySpill();
    this.spilling = !replayed;
    while (this.queue.length) {
      const batch = this.takeQueue();
      if (!replayed) {
        this.spill(batch); // the spill is ahead of this batch: keep the order
        continue;
      }
      try {
        await this.store(batch);
        this.stats.written += batch.length;
        this.onStored?.(batch);
        batch.clear();
        this.spare = batch;
      } catch (err) {
        this.noteFailure(err);
        this.spill(batch);
        this.spill(this.takeQueue());
        return;
      }
    }
  }

  /** Everything queued, leaving an empty queue. */
  private takeQueue(): PredictionRecords {
    const taken = this.queue;
    this.queue = this.spare ?? new PredictionRecords(this.opts.batchSize);
    this.spare = null;
    return taken;
  }

  /**
   * Replays spilled records; true when nothing is left spilled. Replicas with one Lakay home (or one
   * `spill_dir`) share the spill file and may replay it at the same time: the unique (model,
   * transaction_id) key keeps each row once, and a file another replica took or removed is no error.
   */
  private async replaySpill(): Promise<boolean> {
    if (!existsSync(this.replayFile)) {
      if (!existsSync(this.opts.spillFile)) return true;
      if (!ifPresent(() => renameSync(this.opts.spillFile, this.replayFile))) return this.replaySpill();
    }
    let replayed = 0;
    try {
      const skipped = () => this.opts.logger.warn("prediction-log spill: skipped a truncated line");
      for await (const rows of spilledBatches(this.replayFile, this.opts.batchSize, skipped)) {
        const batch = PredictionRecords.fromRows(rows);
        await this.store(batch);
        this.onStored?.(batch);
        replayed += batch.length;
      }
    } catch (err) {
      this.noteFailure(err);
      return false;
    }
    ifPresent(() => unlinkSync(this.replayFile));
    this.stats.replayed += replayed;
    this.opts.logger.info({ rows: replayed }, "prediction log: spilled records replayed into the database");
    return this.replaySpill(); // batches spilled while this one was replayed
  }

  /** Writes the records that overflowed the queue to the spill file (behind what is spilled already). */
  private spillOverflow(): void {
    if (this.overflowSpill) clearImmediate(this.overflowSpill);
    this.overflowSpill = undefined;
    const overflow = this.overflow;
    this.overflow = new PredictionRecords(0);
    this.spill(overflow);
  }

  private spill(records: PredictionRecords): void {
    if (!records.length) return;
    this.spilling = true;
    appendFileSync(
      this.opts.spillFile,
      records
        .rows()
        .map((r) => JSON.stringify(r))
        .join("\n") + "\n",
    );
    this.stats.spilled += records.length;
  }

  private noteFailure(err: unknown): void {
    this.stats.failures++;
    const message = (err as Error).message;
    if (message !== this.lastError)
      this.opts.logger.error(
        { err: message },
        "prediction log: database write failed; spilling to disk until it is back",
      );
    this.lastError = message;
  }

  /** Stops the timer and writes everything: to the database, or to the spill file when it is down. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.fullBatch) clearImmediate(this.fullBatch);
    await this.flush();
    const deadline = Date.now() + (this.opts.closeRetryMs ?? 5_000);
    while (this.spillBytes > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, CLOSE_RETRY_INTERVAL_MS));
      await this.flush();
    }
    this.spillOverflow();
    this.spill(this.takeQueue());
  }
}

/**
 * The records of a spill file, `size` at a time, read as a stream of lines: the file was read whole
 * before, and a spill outgrows what one string can hold (V8: about 512 MB; a batch endpoint
 * overflowing the log spilled 400 MB in half a minute), which made the replay throw, and with it
 * the next start. A line that does not parse (cut short by kill -9) is skipped with `onBadLine`.
 */
async function* spilledBatches(
  file: string,
  size: number,
  onBadLine: () => void,
): AsyncGenerator<PredictionLogRow[]> {
  const input = createReadStream(file);
  try {
    let rows: PredictionLogRow[] = [];
    for await (const line of createInterface({ input, crlfDelay: Infinity })) {
      if (!line) continue;
      try {
        rows.push(JSON.parse(line) as PredictionLogRow);
      } catch {
        onBadLine();
        continue;
      }
      if (rows.length === size) {
        yield rows;
        rows = [];
      }
    }
    if (rows.length) yield rows;
  } finally {
    input.destroy(); // also when the caller stops early (a batch the database refused)
  }
}

/** Runs a file operation; false when the file was not there (ENOENT), any other error thrown. */
function ifPresent(operation: () => void): boolean {
  try {
    operation();
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw err;
  }
}
