import { createRequire } from "node:module";
import Database from "better-sqlite3";
import { ProgramWorker, type WorkerProgram } from "../../gbdt/index.js";
import { ServiceUnavailableError } from "../../errors/index.js";
import { appendRowsSql } from "./append-rows.js";
import { NUMBER_TAG, packRows, rowChunks, rowCount, STRING_TAG, type PackedRows } from "./packed-rows.js";

/**
 * SQLite's `appendRows` off the serving thread. better-sqlite3 is synchronous, so inserting the
 * prediction log on the main thread took the event loop from the requests for as long as the
 * inserts ran. Here a worker thread holds its own connection to the same file (WAL lets it write
 * beside the main connection; the two take the write lock in turn, each waiting `busy_timeout`)
 * and runs the same prepared insert. A call resolves only once its rows are committed, so what it
 * appended is readable from the main connection right after; it rejects with the `SqliteError`
 * (same message and code) that the in-thread insert would have thrown.
 *
 * Rows go to the worker packed (`PackedRows`: packed by the caller, as the prediction log's writer
 * does, or here by `packRows`), one message per transaction of `chunkRows`, so each
 * synchronous slice of the serving thread stays short: numbers in one transferred Float64Array,
 * strings in one array, a type tag per value. Structured clone of row objects cost ~1.3-2.3 µs a
 * prediction-log row on the serving thread (every key and value written one by one) and as much
 * again to rebuild the objects in the worker, which then bound them by name; packed, 0.8 µs a row
 * on the serving thread, and the worker binds by position, a full chunk in one statement
 * (bench/append-worker-cpu.mjs; docs/BENCHMARKS.md). A chunk holding any other value (undefined, a boolean, a Buffer, a bigint)
 * goes as objects, bound by name, as before: the same values reach SQLite either way.
 */
export interface SqliteAppendWorkerOptions {
  /** The database file (not `:memory:`, which a second connection cannot share). */
  file: string;
  busyTimeoutMs: number;
  /** Rows per message and per transaction. */
  chunkRows: number;
}

/** A chunk as row objects, bound by name (`@column`). */
interface RowsMessage {
  id: number;
  /** The `append` call the chunk belongs to: after a chunk fails, the worker runs none of its later ones. */
  call: number;
  sql: string;
  rows: readonly object[];
}

/**
 * A chunk packed by position (`PackedRows`), bound by position (`?`): by `sql` (one row) row after row, or, for
 * a full chunk, in one statement of `head`, `rowCount` times `row` and `tail`.
 */
interface PackedMessage {
  id: number;
  call: number;
  sql: string;
  packed: PackedRows;
  oneStatement: { head: string; row: string; tail: string } | null;
}

/** The worker connection's page cache, KiB (negative: SQLite reads it as KiB, not pages). */
const WORKER_CACHE_KIB = -65_536;

/**
 * How long one turn of the event loop may spend packing and sending chunks before it lets the
 * requests in. One chunk a turn could not keep pace when a turn held two 1,000-transaction requests
 * (wrk -c2: 2,000 rows made, 1,000 sent; the worker idled at a sixth of a core while the queue
 * overflowed).
 */
const APPEND_SLICE_MS = 2;

type Reply = { id: number; error?: undefined } | { id: number; error: { message: string; code?: string } };

/**
 * The worker: opens its connection on the first message (again on the next one if opening failed,
 * so a file that comes back is used again), prepares each distinct insert once, and answers every
 * message with its id, once its transaction has committed or failed.
 */
export const SQLITE_APPEND_WORKER: WorkerProgram = {
  name: "sqlite append",
  functions: [],
  main: `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
let db = null;
const inserts = new Map();
function open() {
  const d = new Database(workerData.file, { fileMustExist: true });
  try {
    d.pragma("busy_timeout = " + workerData.busyTimeoutMs);
    d.pragma("journal_mode = WAL");
    d.pragma("foreign_keys = ON");
    d.pragma("synchronous = NORMAL");
    // The log's indexes (one per transaction id, one by time) grow past SQLite's default 2 MiB page
    // cache within minutes of a busy server; each insert then read its index pages from the OS again.
    d.pragma("cache_size = ${WORKER_CACHE_KIB}");
  } catch (err) {
    d.close();
    throw err;
  }
  return d;
}
// One parameter array reused for every row: run() binds it before it returns.
function insertPacked(statement, p) {
  const { width, tags, numbers, strings } = p;
  const params = new Array(width);
  let s = 0;
  for (let k = 0; k < tags.length; ) {
    for (let c = 0; c < width; c++, k++) {
      const t = tags[k];
      params[c] = t === ${NUMBER_TAG} ? numbers[k] : t === ${STRING_TAG} ? strings[s++] : null;
    }
    statement.run(...params);
  }
}
function packedParams(p) {
  const { tags, numbers, strings } = p;
  const params = new Array(tags.length);
  let s = 0;
  for (let k = 0; k < tags.length; k++) {
    const t = tags[k];
    params[k] = t === ${NUMBER_TAG} ? numbers[k] : t === ${STRING_TAG} ? strings[s++] : null;
  }
  return params;
}
function prepareInsert(m) {
  const o = m.packed && m.oneStatement;
  if (o) {
    const n = m.packed.tags.length / m.packed.width;
    const statement = db.prepare(o.head + new Array(n).fill(o.row).join(", ") + o.tail);
    // Spread, not one array: better-sqlite3 reads an array's values one by one through V8's
    // object API (a lookup per value, ~a quarter of the worker's time a row), the arguments of the
    // call directly. A full chunk stays under SQLite's 32,766 parameters, far inside the stack.
    return db.transaction((p) => statement.run(...packedParams(p))).immediate;
  }
  const statement = db.prepare(m.sql);
  return db.transaction(m.packed ? (p) => insertPacked(statement, p) : (rows) => { for (const r of rows) statement.run(r); }).immediate;
}
// The call whose chunk failed last, and how: its later chunks (already sent) are answered with
// the same error, unrun, as if they had never been sent.
let failed = { call: -1, error: null };
parentPort.on("message", (m) => {
  if (m.type === "close") {
    if (db) db.close();
    db = null;
    parentPort.close();
    return;
  }
  if (m.call === failed.call) {
    parentPort.postMessage({ id: m.id, error: failed.error });
    return;
  }
  try {
    if (!db) db = open();
    const key = m.packed && m.oneStatement ? m.sql + "\u0000" + m.packed.tags.length : m.sql;
    let insert = inserts.get(key);
    if (!insert) {
      insert = prepareInsert(m);
      inserts.set(key, insert);
    }
    insert(m.packed || m.rows);
    parentPort.postMessage({ id: m.id });
  } catch (err) {
    const error = { message: String((err && err.message) || err), code: err && err.code };
    failed = { call: m.call, error };
    parentPort.postMessage({ id: m.id, error });
  }
});
`,
};

const BETTER_SQLITE3 = createRequire(import.meta.url).resolve("better-sqlite3");

export class SqliteAppendWorker {
  private worker: ProgramWorker | null = null;
  private nextId = 0;
  private nextCall = 0;
  private readonly pending = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  /** Calls not yet settled, all their chunks: `close` lets them finish. */
  private readonly calls = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly opts: SqliteAppendWorkerOptions) {}

  /**
   * Appends `rows` (objects keyed by column name, or already packed by position) in transactions
   * of `chunkRows`, in order.
   */
  append(
    table: string,
    columns: readonly string[],
    rows: readonly object[] | PackedRows,
    skipDuplicatesOf: readonly string[],
  ): Promise<void> {
    if (this.closed) return Promise.reject(new ServiceUnavailableError("the registry is closed"));
    const call = this.appendChunks(table, columns, rows, skipDuplicatesOf);
    this.calls.add(call);
    const forget = () => this.calls.delete(call);
    call.then(forget, forget);
    return call;
  }

  private async appendChunks(
    table: string,
    columns: readonly string[],
    rows: readonly object[] | PackedRows,
    skipDuplicatesOf: readonly string[],
  ): Promise<void> {
    const byName = appendRowsSql(table, columns, 1, skipDuplicatesOf, (_, c) => `@${columns[c]}`);
    const byPosition = appendRowsSql(table, columns, 1, skipDuplicatesOf, () => "?");
    const oneStatement = this.oneStatementParts(byPosition, columns.length);
    const call = this.nextCall++;
    // Chunks for up to APPEND_SLICE_MS of a turn of the event loop (packing is the serving thread's
    // work), each sent without waiting for the previous one to commit, so the worker always has the
    // next one: waiting made the log's pace one chunk per request under 1,000-transaction batches.
    // The worker commits them in order, and after a failure runs none of the call's later chunks,
    // as one after another did.
    const chunks: Promise<void>[] = [];
    let failure: unknown = null;
    let sliceEnd = performance.now() + APPEND_SLICE_MS;
    let first = true;
    for (const chunk of rowChunks(rows, this.opts.chunkRows)) {
      if (failure !== null) break;
      if (!first && performance.now() > sliceEnd) {
        await new Promise((resolve) => setImmediate(resolve));
        sliceEnd = performance.now() + APPEND_SLICE_MS;
      }
      first = false;
      const packed = Array.isArray(chunk) ? packRows(chunk, columns) : (chunk as PackedRows);
      const sent = packed
        ? this.send(
            {
              id: this.nextId++,
              call,
              sql: byPosition,
              packed,
              oneStatement: rowCount(packed) === this.opts.chunkRows ? oneStatement : null,
            },
            [packed.tags.buffer as ArrayBuffer, packed.numbers.buffer as ArrayBuffer],
          )
        : this.send({ id: this.nextId++, call, sql: byName, rows: chunk as readonly object[] });
      sent.catch((err: unknown) => (failure ??= err)); // seen before the next chunk goes
      chunks.push(sent);
    }
    await Promise.all(chunks); // the first chunk's failure: the later ones failed with it, unrun
  }

  /**
   * The one-row positional INSERT cut around its row, so a full chunk goes in one statement: one
   * `run` instead of one per row (each run crossed into SQLite and built a result object; the
   * worker's CPU a row, bench/append-worker-cpu.mjs). Only full chunks: one more prepared
   * statement per table, not one per chunk size. Null when a full chunk would pass SQLite's
   * limit of 32,766 parameters a statement.
   */
  private oneStatementParts(sql: string, width: number): PackedMessage["oneStatement"] {
    if (width * this.opts.chunkRows > 32_766) return null;
    const row = `(${new Array(width).fill("?").join(", ")})`;
    const at = sql.lastIndexOf(row);
    return { head: sql.slice(0, at), row, tail: sql.slice(at + row.length) };
  }

  private send(message: RowsMessage | PackedMessage, transfer: ArrayBuffer[] = []): Promise<void> {
    const w = this.started();
    const { id } = message;
    const done = new Promise<void>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    // Held while a call waits (the process does not exit with rows in flight); let go when idle.
    if (this.pending.size === 1) w.worker.ref();
    try {
      w.worker.postMessage(message, transfer);
    } catch (err) {
      // A value structured clone refuses (a function): no SQL value either.
      this.settle({ id, error: { message: (err as Error).message, code: "SQLITE_MISMATCH" } });
    }
    return done;
  }

  private started(): ProgramWorker {
    if (this.worker) return this.worker;
    const w = new ProgramWorker(SQLITE_APPEND_WORKER, {
      workerData: { driver: BETTER_SQLITE3, file: this.opts.file, busyTimeoutMs: this.opts.busyTimeoutMs },
    });
    w.worker.unref();
    w.worker.on("message", (m: Reply) => this.settle(m));
    // A worker that dies fails what it held; the next call starts a new one.
    w.lost.catch((err: Error) => {
      if (this.worker === w) this.worker = null;
      this.failAll(new ServiceUnavailableError(`cannot append rows: ${err.message}`, { cause: err }));
    });
    this.worker = w;
    return w;
  }

  private settle(m: Reply): void {
    const call = this.pending.get(m.id);
    if (!call) return;
    this.pending.delete(m.id);
    if (this.pending.size === 0) this.worker?.worker.unref();
    if (m.error) call.reject(new Database.SqliteError(m.error.message, m.error.code ?? "SQLITE_ERROR"));
    else call.resolve();
  }

  private failAll(err: Error): void {
    const calls = [...this.pending.values()];
    this.pending.clear();
    for (const c of calls) c.reject(err);
  }

  /** Lets the calls under way commit (or fail), then closes the worker's connection and ends it. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.calls]);
    const w = this.worker;
    this.worker = null;
    if (!w || w.lostReason !== null) return;
    w.closingDown();
    w.worker.ref(); // whoever awaits close() must get past it
    const exited = new Promise((resolve) => w.worker.once("exit", resolve));
    // The worker closes its connection, then its port, and ends by itself.
    w.worker.postMessage({ type: "close" });
    await exited;
  }
}
