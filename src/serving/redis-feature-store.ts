import { Redis } from "ioredis";
import type { Logger } from "pino";
import { maskUri } from "../errors/index.js";
import { CustomerHistory } from "../features/index.js";
import type { ObservedPrediction } from "../monitoring/index.js";

/** What a transaction id's answer is stored as, fleet-wide (the idempotency key's value). */
export interface SharedAnswer<R> {
  fingerprint: string;
  response: R;
  /** FEATURE_NAMES order. */
  features: number[];
  /** The prediction-log record, kept until some replica has written it (null: not logged). */
  logged: Omit<ObservedPrediction, "features"> | null;
}

/** A customer's shared history as read, with the version a commit must still find. */
export interface LoadedCustomer<R> {
  answer: SharedAnswer<R> | null;
  history: CustomerHistory;
  version: number;
}

export type CommitResult<R> =
  { status: "stored" } | { status: "conflict" } | { status: "answered"; answer: SharedAnswer<R> };

export interface RedisFeatureStoreOptions {
  url: string;
  /** Every key starts with it. */
  keyPrefix: string;
  customerTtlSeconds: number;
  answerTtlSeconds: number;
  /** A command slower than this fails (and scoring degrades to in-process state). */
  timeoutMs: number;
  logger: Logger;
}

/**
 * The customer's update, atomic in Redis: nothing else runs between the checks and the writes.
 * An answer already stored for the transaction id wins (another replica scored it: a retry);
 * else the customer's history must still be at the version this replica read (else another
 * replica recorded one of the customer's transactions meanwhile, and the caller recomputes);
 * then the new history, the answer and (when the prediction log is on) the id in the
 * "not yet logged" set are written, with their TTLs. The script does no feature arithmetic: the
 * features are computed in Node by the one code path the batch builder uses.
 *
 * KEYS: customer, answer, unlogged set. ARGV: expected version, new "version:state", answer JSON,
 * customer TTL s, answer TTL s, now ms, transaction id to add to the unlogged set ("" for none).
 */
const COMMIT_SCRIPT = `
local prior = redis.call('GET', KEYS[2])
if prior then return {'answered', prior} end
local cur = redis.call('GET', KEYS[1])
local ver = '0'
if cur then ver = string.sub(cur, 1, string.find(cur, ':', 1, true) - 1) end
if ver ~= ARGV[1] then return {'conflict'} end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[4])
redis.call('SET', KEYS[2], ARGV[3], 'EX', ARGV[5])
if ARGV[7] ~= '' then redis.call('ZADD', KEYS[3], ARGV[6], ARGV[7]) end
return {'stored'}
`;

type CommitReply = [string, string?];
interface ScriptedRedis extends Redis {
  lakayCommit(...args: (string | number)[]): Promise<CommitReply>;
}

/**
 * Online feature state in Redis, shared by every `lakay serve` replica: each customer's history
 * (`CustomerHistory.snapshot()`, under `PREFIX customer:NAME`) and each transaction id's answer
 * (`PREFIX answer:MODEL:ID`). One score costs two commands: an MGET of the answer and the history,
 * then the commit script by EVALSHA. Commands fail fast instead of queueing while Redis is away
 * (the caller then scores with in-process state); the client reconnects by itself.
 */
export class RedisFeatureStore {
  private readonly redis: ScriptedRedis;
  private readonly prefix: string;
  private reachableNow = false;
  /** Commands sent, by kind: what docs/scaling.md's "Redis operations per score" is counted from. */
  readonly ops = { mget: 0, commit: 0, outbox: 0, conflicts: 0, failures: 0 };
  /** Hears each change of reachability (true: reachable again). */
  onReachable: (reachable: boolean, reason: string) => void = () => undefined;

  constructor(private readonly opts: RedisFeatureStoreOptions) {
    this.prefix = opts.keyPrefix;
    this.redis = new Redis(opts.url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: opts.timeoutMs,
      connectTimeout: Math.max(1000, opts.timeoutMs),
      // Keep trying for as long as the process lives: recovery needs no operator.
      retryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000),
      lazyConnect: true,
    }) as ScriptedRedis;
    this.redis.defineCommand("lakayCommit", { numberOfKeys: 3, lua: COMMIT_SCRIPT });
    this.redis.on("ready", () => this.setReachable(true, "connected"));
    this.redis.on("close", () => this.setReachable(false, "connection closed"));
    this.redis.on("error", (err: Error) => this.setReachable(false, err.message));
  }

  /** The URL with any password masked (monitoring, logs). */
  get url(): string {
    return maskUri(this.opts.url);
  }

  /** True while the connection is up and the last command did not fail. */
  get reachable(): boolean {
    return this.reachableNow && this.redis.status === "ready";
  }

  /** Connects; an unreachable Redis is not an error here (scoring starts degraded). */
  async start(): Promise<void> {
    try {
      await this.redis.connect();
    } catch (err) {
      this.setReachable(false, (err as Error).message);
    }
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  /** A command failed (timeout, connection lost): degraded until the next success or reconnect. */
  noteFailure(err: unknown): void {
    this.ops.failures++;
    this.setReachable(false, (err as Error).message);
  }

  private setReachable(reachable: boolean, reason: string): void {
    if (reachable === this.reachableNow) return;
    this.reachableNow = reachable;
    this.onReachable(reachable, reason);
  }

  private customerKey = (customer: string) => `${this.prefix}customer:${customer}`;
  private answerKey = (model: string, id: string) => `${this.prefix}answer:${model}:${id}`;
  private unloggedKey = (model: string) => `${this.prefix}unlogged:${model}`;

  /** The stored answer for the transaction id (a retry), and the customer's history as of now. */
  async load<R>(model: string, customer: string, transactionId: string): Promise<LoadedCustomer<R>> {
    this.ops.mget++;
    const [answer, state] = await this.redis.mget(
      this.answerKey(model, transactionId),
      this.customerKey(customer),
    );
    this.setReachable(true, "command succeeded");
    if (answer)
      return { answer: JSON.parse(answer) as SharedAnswer<R>, history: new CustomerHistory(), version: 0 };
    if (!state) return { answer: null, history: new CustomerHistory(), version: 0 };
    const colon = state.indexOf(":");
    return {
      answer: null,
      history: CustomerHistory.restore(JSON.parse(state.slice(colon + 1)) as number[]),
      version: Number(state.slice(0, colon)),
    };
  }

  /**
   * Records the customer's new history and the answer, if the history is still at `version` and
   * no answer is stored for the id yet (see COMMIT_SCRIPT).
   */
  async commit<R>(
    model: string,
    customer: string,
    version: number,
    history: CustomerHistory,
    transactionId: string,
    answer: SharedAnswer<R>,
  ): Promise<CommitResult<R>> {
    this.ops.commit++;
    const reply = await this.redis.lakayCommit(
      this.customerKey(customer),
      this.answerKey(model, transactionId),
      this.unloggedKey(model),
      String(version),
      `${version + 1}:${JSON.stringify(history.snapshot())}`,
      JSON.stringify(answer),
      this.opts.customerTtlSeconds,
      this.opts.answerTtlSeconds,
      Date.now(),
      answer.logged ? transactionId : "",
    );
    this.setReachable(true, "command succeeded");
    if (reply[0] === "answered")
      return { status: "answered", answer: JSON.parse(reply[1]!) as SharedAnswer<R> };
    if (reply[0] === "conflict") {
      this.ops.conflicts++;
      return { status: "conflict" };
    }
    return { status: "stored" };
  }

  /** Takes written prediction records out of the "not yet logged" set. */
  async markLogged(model: string, transactionIds: readonly string[]): Promise<void> {
    if (!transactionIds.length) return;
    this.ops.outbox++;
    await this.redis.zrem(this.unloggedKey(model), ...transactionIds);
  }

  /**
   * Answers stored more than `olderThanMs` ago whose prediction record no replica has written yet
   * (its replica was killed before its writer's next flush). An id whose answer expired is dropped.
   */
  async unlogged<R>(model: string, olderThanMs: number, limit: number): Promise<SharedAnswer<R>[]> {
    this.ops.outbox++;
    const ids = await this.redis.zrangebyscore(
      this.unloggedKey(model),
      "-inf",
      Date.now() - olderThanMs,
      "LIMIT",
      0,
      limit,
    );
    if (!ids.length) return [];
    this.ops.outbox++;
    const values = await this.redis.mget(ids.map((id) => this.answerKey(model, id)));
    const gone = ids.filter((_, i) => values[i] === null);
    if (gone.length) await this.markLogged(model, gone);
    return values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as SharedAnswer<R>);
  }
}
