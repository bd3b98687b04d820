import type { Logger } from "pino";
import { BadInputError, ConflictError, LakayError } from "../errors/index.js";
import { recordTransaction, transactionFeatures } from "../features/index.js";
import type { RedisFeatureStore, SharedAnswer } from "./redis-feature-store.js";
import type { FraudScoringService, ScoreResponse } from "./scoring-service.js";
import { fingerprintOf, transactionOf, type ScoreRequest } from "./transaction-input.js";

/** Tries of one score when other replicas keep recording the same customer's transactions meanwhile. */
const MAX_ATTEMPTS = 8;

/**
 * Scoring with the online feature state in Redis (`--feature-store`), shared by every replica:
 * read the customer's history and any stored answer for the transaction id, compute the features
 * with the one online code path (`transactionFeatures`, the batch builder's arithmetic), decide,
 * then commit history and answer atomically (RedisFeatureStore's script) before anything is
 * recorded here. A stored answer (a retry, maybe sent to another replica) is returned as it was.
 *
 * Redis unreachable: the in-process path scores instead (this replica's own history, kept warm
 * on every shared score), each such answer says `features_degraded: true`, and a `feature_store`
 * alert is open until Redis answers again (the client reconnects by itself).
 *
 * Prediction log across `kill -9`: each stored answer's id also goes into Redis' "not yet logged"
 * set, taken out when a replica's writer has written the record. A sweeper on every replica
 * writes records left there longer than a few flush periods (their replica died before its
 * flush); the log keeps one row per transaction id, so a record written twice is kept once.
 */
export class SharedFeatureScoring {
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweeping = false;
  private readonly model: string;
  /** The prediction log writes every record (no sampling): only then is the outbox exact. */
  private readonly outbox: boolean;
  private readonly sweepGraceMs: number;
  readonly counts = { scored: 0, replayedShared: 0, degraded: 0 };
  private degradedSince: string | null = null;

  constructor(
    private readonly svc: FraudScoringService,
    private readonly store: RedisFeatureStore,
    private readonly log: Logger,
  ) {
    this.model = svc.config.model;
    const p = svc.config.monitoring.prediction_log;
    this.outbox = svc.monitor?.writer !== null && svc.monitor !== null && p.sample_rate >= 1;
    this.sweepGraceMs = Math.max(5000, 5 * p.flush_ms);
  }

  async start(): Promise<void> {
    this.store.onReachable = (ok, reason) => this.reachabilityChanged(ok, reason);
    await this.store.start();
    if (!this.store.reachable) this.reachabilityChanged(false, "not reachable at start");
    const writer = this.svc.monitor?.writer;
    if (this.outbox && writer) {
      // A record not marked is left in the set: the sweeper writes it again, harmlessly.
      writer.onStored = (records) =>
        void this.store.markLogged(this.model, records.transactionIds()).catch(() => undefined);
      this.sweepTimer = setInterval(() => void this.sweep(), Math.max(1000, this.sweepGraceMs / 2));
      this.sweepTimer.unref();
    }
  }

  async close(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.store.close();
  }

  /** `FraudScoringService.score`, with the customer's history and the answers shared through Redis. */
  async score(req: ScoreRequest, startedAt: number): Promise<ScoreResponse> {
    const seen = this.svc.replayOf(req, "");
    if (seen) return seen;
    if (!this.store.reachable) return this.degraded(req, startedAt);
    const tx = transactionOf(req, this.svc.timestampEpochMs);
    const fingerprint = fingerprintOf(req);
    const id = req.transaction_id;
    try {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const loaded = await this.store.load<ScoreResponse>(this.model, tx.nameOrig, id);
        if (loaded.answer) return this.replay(req, fingerprint, loaded.answer);
        const local = this.svc.replayOf(req, ""); // answered here while we waited
        if (local) return local;
        const features = transactionFeatures(loaded.history, tx);
        const d = this.svc.decide(req, tx, features, startedAt);
        d.response.features_degraded = false;
        recordTransaction(loaded.history, tx);
        const { features: _, ...logged } = d.observed;
        const answer: SharedAnswer<ScoreResponse> = {
          fingerprint,
          response: d.response,
          features: Array.from(features),
          logged: this.outbox ? logged : null,
        };
        const r = await this.store.commit(
          this.model,
          tx.nameOrig,
          loaded.version,
          loaded.history,
          id,
          answer,
        );
        if (r.status === "answered") return this.replay(req, fingerprint, r.answer);
        if (r.status === "conflict") continue;
        this.svc.features.observe(tx); // the fallback's history stays as close as this replica can keep it
        this.svc.account(req, d);
        this.counts.scored++;
        return d.response;
      }
      throw new Error(`customer ${tx.nameOrig}: history changed under ${MAX_ATTEMPTS} attempts in a row`);
    } catch (err) {
      if (err instanceof LakayError) throw err; // the request's own fault (bad input, conflict)
      this.store.noteFailure(err);
      this.log.warn(
        { err: (err as Error).message, transaction_id: id },
        "feature store failed: scoring degraded",
      );
      return this.degraded(req, startedAt);
    }
  }

  /**
   * A batch in input order. Every transaction is checked first (a bad one refuses the batch and
   * records nothing); then each is scored as `score` does, one after the other, so a customer's
   * transactions in one batch see each other.
   */
  async scoreBatch(reqs: readonly ScoreRequest[], startedAt: number): Promise<ScoreResponse[]> {
    const max = this.svc.config.batch.max_transactions;
    if (reqs.length > max)
      throw new BadInputError(`a batch holds at most ${max} transactions (got ${reqs.length})`, {
        field: "transactions",
      });
    const firstFingerprint = new Map<string, string>();
    reqs.forEach((r, i) => {
      transactionOf(r, this.svc.timestampEpochMs, `transactions[${i}].`);
      const fp = fingerprintOf(r);
      const prior = firstFingerprint.get(r.transaction_id);
      if (prior !== undefined && prior !== fp)
        throw new ConflictError(
          `transactions[${i}]: transaction_id ${r.transaction_id} appears twice in the batch with different contents`,
        );
      firstFingerprint.set(r.transaction_id, fp);
    });
    const out: ScoreResponse[] = [];
    for (const r of reqs) out.push(await this.score(r, startedAt));
    return out;
  }

  private replay(req: ScoreRequest, fingerprint: string, answer: SharedAnswer<ScoreResponse>): ScoreResponse {
    if (answer.fingerprint !== fingerprint)
      throw new ConflictError(
        `transaction_id ${req.transaction_id} was already scored with different contents; a retry must resend the same transaction`,
      );
    this.counts.replayedShared++;
    this.svc.rememberReplay(req, answer.response, Float64Array.from(answer.features));
    return answer.response;
  }

  private degraded(req: ScoreRequest, startedAt: number): ScoreResponse {
    this.counts.degraded++;
    return this.svc.score(req, startedAt, true);
  }

  private reachabilityChanged(reachable: boolean, reason: string): void {
    const monitor = this.svc.monitor;
    if (!reachable) {
      if (this.degradedSince) return;
      this.degradedSince = new Date().toISOString();
      this.log.error(
        { feature_store: this.store.url, reason },
        "feature store unreachable: scoring with this replica's in-process features (features_degraded: true)",
      );
      void monitor
        ?.raise({
          kind: "feature_store",
          feature: "",
          severity: "high",
          value: null,
          threshold: null,
          modelVersion: this.svc.models.models.champion?.version ?? null,
          message: `online feature store ${this.store.url} unreachable (${reason}): answers use this replica's in-process features`,
        })
        .catch((err: unknown) =>
          this.log.warn({ err: (err as Error).message }, "feature_store alert not recorded"),
        );
      return;
    }
    if (!this.degradedSince) return;
    this.log.info(
      { feature_store: this.store.url, since: this.degradedSince },
      "feature store reachable again",
    );
    this.degradedSince = null;
    void monitor?.alerts
      .resolveExcept("feature_store")
      .catch((err: unknown) =>
        this.log.warn({ err: (err as Error).message }, "feature_store alert not resolved"),
      );
  }

  /** Writes the prediction records whose replica stopped before writing them (see the class comment). */
  private async sweep(): Promise<void> {
    const monitor = this.svc.monitor;
    const writer = monitor?.writer;
    // While records are spilled (database down), the set keeps them: sweeping would only add copies.
    if (this.sweeping || !monitor || !writer || writer.spillBytes > 0 || !this.store.reachable) return;
    this.sweeping = true;
    try {
      const left = await this.store.unlogged<ScoreResponse>(this.model, this.sweepGraceMs, 500);
      for (const a of left) if (a.logged) monitor.logRecord({ ...a.logged, features: a.features });
      if (left.length)
        this.log.info({ records: left.length }, "prediction log: wrote records another replica had not");
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, "prediction-log sweep failed");
    } finally {
      this.sweeping = false;
    }
  }

  /** For `GET /api/v1/serving/monitoring`. */
  view() {
    return {
      kind: "redis" as const,
      url: this.store.url,
      reachable: this.store.reachable,
      degraded_since: this.degradedSince,
      scores: { ...this.counts },
      redis_commands: { ...this.store.ops },
    };
  }
}
