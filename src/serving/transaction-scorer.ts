import { performance } from "node:perf_hooks";
import type { TransactionRecord } from "../data/index.js";
import { BadInputError, ConflictError } from "../errors/index.js";
import { FEATURE_NAMES, OnlineFeatureState } from "../features/index.js";
import { LatencyWindow, type ObservedPrediction } from "../monitoring/index.js";
import { RulesEngine, type FiredRule } from "../rules/index.js";
import { hybridVerdict } from "./hybrid-scorer.js";
import { IdempotencyCache } from "./idempotency-cache.js";
import type { FraudScoringService, ScoreDecision, ScoreResponse } from "./scoring-service.js";
import type { ServedModel } from "./served-model.js";
import type { ServingConfig } from "./serving-config.js";
import { fingerprintOf, ruleTransactionOf, transactionOf, type ScoreRequest } from "./transaction-input.js";
import { bucketOf, variantForBucket, type Variant } from "./variant-router.js";
import { round, VariantStats } from "./variant-stats.js";

/**
 * The request path of `lakay serve`: online features, rules, the routed model, the hybrid verdict,
 * idempotent answers, and the figures every answer adds to (per-variant statistics, latency,
 * Prometheus, the live monitor). Synchronous, so the check-then-record of idempotency cannot
 * interleave with another request. Part of `FraudScoringService`. With a shared feature store
 * (Redis), src/serving/shared-feature-scoring.ts computes the features itself and calls `decide`,
 * commits in Redis, then `account`; the in-process path (`scoreNew`) does the same in one go.
 */
export class TransactionScorer {
  readonly features: OnlineFeatureState;
  readonly rules: RulesEngine;
  /** Answers by transaction id, each with the feature vector it was computed from. */
  private readonly answers: IdempotencyCache<{ response: ScoreResponse; features: Float64Array }>;
  /** One frozen list per fired-rule bitmask: answers kept for idempotency share them. */
  private readonly firedLists = new Map<number, readonly FiredRule[]>();
  /**
   * Prometheus children per label set, bound once (label lookups cost more than the increment),
   * indexed by variant (champion 0, challenger 2) + mode (hybrid 0, rules_only 1).
   */
  private readonly promChildren: (
    { predictions: { inc(): void }; scores: { observe(v: number): void } } | undefined
  )[] = [];
  /** The response's `model` object, one per served model: answers share it instead of a copy each. */
  private readonly modelRefs = new WeakMap<ServedModel, { name: string; version: number }>();
  /** Milliseconds since the epoch that `timestamp` requests count steps from. */
  readonly epochMs: number;
  readonly sinceStart = {
    champion: new VariantStats(),
    challenger: new VariantStats(),
    shadow: new VariantStats(),
  };
  readonly latency = new LatencyWindow();
  readonly requests = { total: 0, errors: 0, replayed: 0 };

  constructor(
    private readonly service: FraudScoringService,
    config: ServingConfig,
  ) {
    this.features = new OnlineFeatureState({ maxCustomers: config.features.max_customers });
    this.rules = new RulesEngine(config.rules ?? {});
    this.answers = new IdempotencyCache(config.idempotency.max_entries);
    this.epochMs = Date.parse(config.features.timestamp_epoch);
  }

  /**
   * Scores one transaction; `startedAt` is `performance.now()` when the request arrived.
   * `degraded` (shared feature store only): the answer says whether Redis was away.
   */
  score(req: ScoreRequest, startedAt: number, degraded?: boolean): ScoreResponse {
    const seen = this.replayOf(req, "");
    if (seen) return seen;
    return this.scoreNew(req, startedAt, undefined, undefined, degraded);
  }

  /**
   * Scores transactions in input order. Every one is checked before any is scored, so a bad
   * transaction refuses the whole batch and records nothing.
   */
  scoreBatch(reqs: readonly ScoreRequest[], startedAt: number): ScoreResponse[] {
    const max = this.service.config.batch.max_transactions;
    if (reqs.length > max)
      throw new BadInputError(`a batch holds at most ${max} transactions (got ${reqs.length})`, {
        field: "transactions",
      });
    // One pass checks everything (and computes what scoring needs), so nothing is recorded for a
    // batch that is refused; the second scores, each transaction looked up and fingerprinted once.
    const txs = new Array<TransactionRecord>(reqs.length);
    const fps = new Array<string>(reqs.length);
    const replays = new Array<ScoreResponse | undefined>(reqs.length);
    const firstById = new Map<string, number>();
    reqs.forEach((r, i) => {
      const at = `transactions[${i}].`;
      txs[i] = transactionOf(r, this.epochMs, at);
      const fp = (fps[i] = fingerprintOf(r));
      const seen = this.answers.get(r.transaction_id);
      if (seen && seen.fingerprint !== fp)
        throw new ConflictError(
          `${at}transaction_id ${r.transaction_id} was already scored with different contents; a retry must resend the same transaction`,
        );
      replays[i] = seen?.value.response;
      const prior = firstById.get(r.transaction_id);
      if (prior !== undefined && fps[prior] !== fp)
        throw new ConflictError(
          `transactions[${i}]: transaction_id ${r.transaction_id} appears twice in the batch with different contents`,
        );
      if (prior === undefined) firstById.set(r.transaction_id, i);
    });
    const out = new Array<ScoreResponse>(reqs.length);
    for (let i = 0; i < reqs.length; i++) {
      const first = firstById.get(reqs[i].transaction_id)!;
      const replay = replays[i] ?? (first !== i ? out[first] : undefined);
      if (replay) {
        this.requests.replayed++;
        out[i] = replay;
      } else out[i] = this.scoreNew(reqs[i], startedAt, txs[i], fps[i]);
    }
    return out;
  }

  /** The champion's raw score for a feature vector given by name (what validation feeds a model). */
  predict(features: Record<string, number>): { score: number; model: { name: string; version: number } } {
    const champion = this.service.models.models.champion;
    if (!champion)
      throw new ConflictError(
        `no Production version of ${this.service.models.modelName} is loaded: nothing to predict with`,
      );
    const missing = champion.featureNames.filter((f) => !(f in features));
    if (missing.length)
      throw new BadInputError(
        `missing feature ${missing[0]} (the model needs ${champion.featureNames.join(", ")})`,
        {
          field: `features.${missing[0]}`,
        },
      );
    const vector = Float64Array.from(FEATURE_NAMES, (f) => features[f] ?? NaN);
    return { score: champion.score(vector), model: { name: champion.name, version: champion.version } };
  }

  /** The features (FEATURE_NAMES order) an answer was computed from: an investigator's "why". */
  featuresOf(response: ScoreResponse): Record<string, number> | undefined {
    const entry = this.answers.peek(response.transaction_id);
    const f = entry?.value.response === response ? entry.value.features : undefined;
    return f && Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, f[i]]));
  }

  /** Counts an HTTP request to the scoring API (the HTTP layer calls this once per response). */
  noteRequest(statusCode: number): void {
    this.requests.total++;
    if (statusCode >= 400) this.requests.errors++;
  }

  /** An answer given before (by this replica or, with a shared store, another), counted as a replay. */
  replayOf(req: ScoreRequest, at: string): ScoreResponse | undefined {
    const seen = this.answers.get(req.transaction_id);
    if (!seen) return undefined;
    if (seen.fingerprint !== fingerprintOf(req))
      throw new ConflictError(
        `${at}transaction_id ${req.transaction_id} was already scored with different contents; a retry must resend the same transaction`,
      );
    this.requests.replayed++;
    return seen.value.response;
  }

  private scoreNew(
    req: ScoreRequest,
    startedAt: number,
    tx: TransactionRecord = transactionOf(req, this.epochMs),
    fingerprint?: string,
    degraded?: boolean,
  ): ScoreResponse {
    const d = this.decide(req, tx, this.features.featuresFor(tx), startedAt);
    if (degraded !== undefined) d.response.features_degraded = degraded;
    this.features.observe(tx);
    this.account(req.transaction_id, fingerprint ?? fingerprintOf(req), d);
    return d.response;
  }

  /** Rules, routing, model and hybrid verdict for `features`; records nothing. */
  decide(req: ScoreRequest, tx: TransactionRecord, features: Float64Array, startedAt: number): ScoreDecision {
    const ruleMask = this.rules.evaluateMask(ruleTransactionOf(tx), features);
    const ruleScore = this.rules.scoreOf(ruleMask);
    const { routing, guard, ml } = this.service;
    const models = this.service.models.models;
    const challenger = routing.liveChallenger(models.challenger);
    let variant: Variant = "champion";
    if (challenger && routing.experiment && routing.setting.challengerPct > 0)
      variant = variantForBucket(
        bucketOf(routing.experiment.salt, req.user_id ?? req.nameOrig),
        routing.setting.challengerPct,
      );
    const model = variant === "challenger" ? challenger : models.champion;
    const useMl = ml.enabled && model !== null && !guard.isStopped(variant, model.version);
    const mlScore = useMl ? model.score(features) : null;
    if (mlScore !== null && !Number.isFinite(mlScore)) guard.trip(variant, model!.version, mlScore);
    const verdict = hybridVerdict(this.service.scoring.config, ruleScore, mlScore);
    const mode = verdict.usedMl ? "hybrid" : "rules_only";
    const latencyMs = performance.now() - startedAt;
    const response: ScoreResponse = {
      transaction_id: req.transaction_id,
      score: verdict.score,
      risk_tier: verdict.riskTier,
      recommendation: verdict.recommendation,
      ml_score: verdict.usedMl ? mlScore : null,
      rule_score: ruleScore,
      rules_triggered: this.sharedFiredList(ruleMask),
      variant,
      model: verdict.usedMl && model ? this.modelRef(model) : null,
      mode,
      latency_ms: round(latencyMs, 3),
    };
    const observed: ObservedPrediction = {
      transactionId: req.transaction_id,
      userId: req.user_id ?? req.nameOrig,
      variant,
      modelVersion: model?.version ?? null,
      experimentId: routing.experiment?.id ?? null,
      features,
      mlScore,
      ruleScore,
      score: verdict.score,
      riskTier: verdict.riskTier,
      latencyMs,
      rulesTriggered: response.rules_triggered,
    };
    return { response, features, observed, challenger };
  }

  /** Records a decided answer: idempotency, statistics, metrics, prediction log, shadow. */
  account(transactionId: string, fingerprint: string, d: ScoreDecision): void {
    const { response, features, observed, challenger } = d;
    const { variant, latencyMs, score } = observed;
    const { routing, ml, monitor } = this.service;
    this.answers.set(transactionId, fingerprint, { response, features });
    this.sinceStart[variant].add(score, latencyMs);
    routing.stats[variant].add(score, latencyMs);
    this.latency.add(latencyMs);
    const prom = this.promChild(variant, response.mode);
    prom.predictions.inc();
    prom.scores.observe(score);
    monitor?.observe(observed);
    if (routing.setting.shadow && challenger && ml.enabled && variant === "champion") {
      setImmediate(() => this.shadowScore(challenger, features, observed.ruleScore));
    }
  }

  /** Keeps an answer another replica gave (shared store) for replays and `featuresOf`. */
  rememberReplay(
    transactionId: string,
    fingerprint: string,
    response: ScoreResponse,
    features: Float64Array,
  ): void {
    this.requests.replayed++;
    this.answers.set(transactionId, fingerprint, { response, features });
  }

  private sharedFiredList(mask: number): FiredRule[] {
    let list = this.firedLists.get(mask);
    if (!list) {
      list = Object.freeze(this.rules.describe(mask).map((r) => Object.freeze(r)));
      this.firedLists.set(mask, list);
    }
    return list as FiredRule[];
  }

  private modelRef(model: ServedModel): { name: string; version: number } {
    let ref = this.modelRefs.get(model);
    if (!ref) {
      ref = Object.freeze({ name: model.name, version: model.version });
      this.modelRefs.set(model, ref);
    }
    return ref;
  }

  private promChild(variant: Variant, mode: "hybrid" | "rules_only") {
    const i = (variant === "champion" ? 0 : 2) + (mode === "hybrid" ? 0 : 1);
    let c = this.promChildren[i];
    if (!c) {
      c = {
        predictions: this.service.prom.predictions.labels({ variant, mode }),
        scores: this.service.prom.scores.labels({ variant }),
      };
      this.promChildren[i] = c;
    }
    return c;
  }

  /** Off the response path: the challenger's opinion, for monitoring only. */
  private shadowScore(challenger: ServedModel, features: Float64Array, ruleScore: number): void {
    const t0 = performance.now();
    try {
      const verdict = hybridVerdict(this.service.scoring.config, ruleScore, challenger.score(features));
      this.sinceStart.shadow.add(verdict.score, performance.now() - t0);
      this.service.prom.shadowScores.inc();
    } catch (err) {
      this.service.log.warn({ err: (err as Error).message }, "shadow scoring failed");
    }
  }
}
