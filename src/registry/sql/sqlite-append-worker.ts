import { createRequire } from "node:module";
import Database from "better-sqlite3";
import { ProgramWorker, type WorkerProgram } from "../../gbdt/index.js";
import { ServiceUnavailableError } from "../../errors/index.js";
import { appendRowsSql } from "./append-rows.js";

/**
 * SQLite's `appendRows` off the serving thread. better-sqlite3 is synchronous, so inserting the
 * prediction log on the main thread took the event loop from the requests for as long as the
 * inserts ran. Here a worker thread holds its own connection to the same file (WAL lets it write
 * beside the main connection; the two take the write lock in turn, each waiting `busy_timeout`)
 * and runs the same prepared insert. A call resolves only once its rows are committed, so what it
 * appended is readable from the main connection right after; it rejects with the `SqliteError`
 * (same message and code) that the in-thread insert would have thrown.
 *
 * Rows go to the worker as objects (structured clone), one message per transaction of
 * `chunkRows`, so each synchronous slice of the serving thread stays short. Measured for 128
 * prediction-log rows on the shared 2-core machine: cloning the objects 170 µs; packing them into
 * columns first (Float64Arrays transferred, the rest as arrays) 250 µs, the packing alone costing
 * more than the clone; one JSON string cost more still (and as much again to parse in the worker).
 */
export interface SqliteAppendWorkerOptions {
  /** The database file (not `:memory:`, which a second connection cannot share). */
  file: string;
  busyTimeoutMs: number;
  /** Rows per message and per transaction. */
  chunkRows: number;
}

interface AppendMessage {
  id: number;
  sql: string;
  rows: readonly object[];
}

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
  } catch (err) {
    d.close();
    throw err;
  }
  return d;
}
parentPort.on("message", (m) => {
  if (m.type === "close") {
    if (db) db.close();
    db = null;
    parentPort.close();
    return;
  }
  try {
    if (!db) db = open();
    let insert = inserts.get(m.sql);
    if (!insert) {
      const statement = db.prepare(m.sql);
      insert = db.transaction((rows) => { for (const r of rows) statement.run(r); }).immediate;
      inserts.set(m.sql, insert);
    }
    insert(m.rows);
    parentPort.postMessage({ id: m.id });
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: { message: String((err && err.message) || err), code: err && err.code } });
  }
});
`,
};

const BETTER_SQLITE3 = createRequire(import.meta.url).resolve("better-sqlite3");

export class SqliteAppendWorker {
  private worker: ProgramWorker | null = null;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  /** Calls not yet settled, all their chunks: `close` lets them finish. */
  private readonly calls = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly opts: SqliteAppendWorkerOptions) {}

  /** Appends `rows` (objects keyed by column name) in transactions of `chunkRows`, in order. */
  append(
    table: string,
    columns: readonly string[],
    rows: readonly object[],
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
    rows: readonly object[],
    skipDuplicatesOf: readonly string[],
  ): Promise<void> {
    const sql = appendRowsSql(table, columns, 1, skipDuplicatesOf, (_, c) => `@${columns[c]}`);
    // One chunk after another, as the in-thread path did: a failure leaves the later chunks unsent.
    for (let i = 0; i < rows.length; i += this.opts.chunkRows) {
      if (i > 0) await new Promise((resolve) => setImmediate(resolve));
      await this.send(sql, rows.slice(i, i + this.opts.chunkRows));
    }
  }

  private send(sql: string, rows: readonly object[]): Promise<void> {
    const w = this.started();
    const id = this.nextId++;
    const done = new Promise<void>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    // Held while a call waits (the process does not exit with rows in flight); let go when idle.
    if (this.pending.size === 1) w.worker.ref();
    try {
      w.worker.postMessage({ id, sql, rows } satisfies AppendMessage);
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
