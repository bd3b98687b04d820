import { performance } from "node:perf_hooks";
import { BadInputError, ConflictError } from "../errors/index.js";
import { txTypeCode, type TransactionRecord } from "../data/index.js";
import { FEATURE_NAMES, OnlineFeatureState } from "../features/index.js";
import { LatencyWindow, type ObservedPrediction } from "../monitoring/index.js";
import { RulesEngine, type FiredRule } from "../rules/index.js";
import { gatherColumns } from "../training/index.js";
import { clampScore, hybridVerdict, mlBlend, tierOf } from "./hybrid-scorer.js";
import { IdempotencyCache } from "./idempotency-cache.js";
import type { FraudScoringService, ScoreDecision, ScoreResponse } from "./scoring-service.js";
import type { ServedModel } from "./served-model.js";
import type { Recommendation, RiskTier, ServingConfig } from "./serving-config.js";
import {
  ruleTransactionOf,
  sameContents,
  stepOf,
  transactionOf,
  type ScoreRequest,
} from "./transaction-input.js";
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
  /** Answers by transaction id, each with its request's contents and the features it was computed from. */
  private readonly answers: IdempotencyCache;
  /** One frozen list per fired-rule bitmask: answers kept for idempotency share them. */
  private readonly firedLists = new Map<number, readonly FiredRule[]>();
  /**
   * Prometheus children per label set, bound once (label lookups cost more than the increment),
   * indexed by variant (champion 0, challenger 2) + mode (hybrid 0, rules_only 1).
   */
  private readonly promChildren: (
    { predictions: { inc(n?: number): void }; scores: { observe(v: number): void } } | undefined
  )[] = [];
  /** The response's `model` object, one per served model: answers share it instead of a copy each. */
  private readonly modelRefs = new WeakMap<ServedModel, { name: string; version: number }>();
  /** Milliseconds since the epoch that `timestamp` requests count steps from. */
  readonly epochMs: number;
  /** One transaction's features, reused by the batch path before they are copied into its matrix. */
  private readonly scratch = new Float64Array(FEATURE_NAMES.length);
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
    return this.scoreNew(req, startedAt, degraded);
  }

  /**
   * Scores transactions in input order. Every one is checked before any is scored, so a bad
   * transaction refuses the whole batch and records nothing.
   *
   * Columnar: the batch's new transactions get their features (in input order, through the
   * online state, so a customer's transactions in one batch see each other) into one matrix, the
   * rules run over its columns, each served model scores its rows in one batch call, and the
   * answers are built from those arrays. Scores, decisions, routing, idempotency and what is
   * recorded are those of scoring the transactions one at a time (test/serving/batch-scoring.test.ts);
   * only `latency_ms` differs: every answer of a batch is ready at the same instant.
   */
  scoreBatch(reqs: readonly ScoreRequest[], startedAt: number): ScoreResponse[] {
    const max = this.service.config.batch.max_transactions;
    const n = reqs.length;
    if (n > max)
      throw new BadInputError(`a batch holds at most ${max} transactions (got ${n})`, {
        field: "transactions",
      });
    // One pass checks everything (and computes what scoring needs), so nothing is recorded for a
    // batch that is refused. `source[i]`: the earlier row whose answer row i repeats (-1: none).
    const steps = new Float64Array(n);
    const types = new Int32Array(n);
    const replays = new Array<ScoreResponse | undefined>(n);
    const source = new Int32Array(n).fill(-1);
    const firstById = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const r = reqs[i];
      steps[i] = stepOf(r, this.epochMs, i);
      const code = txTypeCode(r.type);
      if (code < 0)
        throw new BadInputError(`unknown transaction type "${r.type}"`, { field: `transactions[${i}].type` });
      types[i] = code;
      const seen = this.answers.get(r.transaction_id);
      if (seen >= 0 && !this.answers.sameAs(seen, r))
        throw new ConflictError(
          `transactions[${i}].transaction_id ${r.transaction_id} was already scored with different contents; a retry must resend the same transaction`,
        );
      if (seen >= 0) replays[i] = this.answers.response(seen);
      const prior = firstById.get(r.transaction_id);
      if (prior === undefined) firstById.set(r.transaction_id, i);
      else if (!sameContents(reqs[prior], r))
        throw new ConflictError(
          `transactions[${i}]: transaction_id ${r.transaction_id} appears twice in the batch with different contents`,
        );
      else source[i] = prior;
    }
    const fresh = new Int32Array(n);
    let m = 0;
    for (let i = 0; i < n; i++) if (replays[i] === undefined && source[i] < 0) fresh[m++] = i;
    const out = new Array<ScoreResponse>(n);
    if (m > 0) this.scoreFresh(reqs, fresh.subarray(0, m), steps, types, startedAt, out);
    for (let i = 0; i < n; i++) {
      if (replays[i] !== undefined) out[i] = replays[i]!;
      else if (source[i] >= 0) out[i] = replays[source[i]] ?? out[source[i]];
      else continue;
      this.requests.replayed++;
    }
    return out;
  }

  /** The columnar part of `scoreBatch`: scores and records rows `rows` (new, distinct, in input order). */
  private scoreFresh(
    reqs: readonly ScoreRequest[],
    rows: Int32Array,
    steps: Float64Array,
    types: Int32Array,
    startedAt: number,
    out: ScoreResponse[],
  ): void {
    const m = rows.length;
    const nf = FEATURE_NAMES.length;
    // Features: row-major (kept by the answers for `featuresOf`), and as columns for rules and models.
    const matrix = new Float64Array(m * nf);
    const columns = FEATURE_NAMES.map(() => new Float64Array(m));
    const amount = new Float64Array(m);
    const oldBalanceOrig = new Float64Array(m);
    const newBalanceOrig = new Float64Array(m);
    const oldBalanceDest = new Float64Array(m);
    const newBalanceDest = new Float64Array(m);
    const typeCode = new Int32Array(m);
    const f = this.scratch;
    for (let k = 0; k < m; k++) {
      const i = rows[k];
      const r = reqs[i];
      amount[k] = r.amount;
      oldBalanceOrig[k] = r.oldbalanceOrg;
      newBalanceOrig[k] = r.newbalanceOrig;
      oldBalanceDest[k] = r.oldbalanceDest;
      newBalanceDest[k] = r.newbalanceDest;
      typeCode[k] = types[i];
      this.features.nextInto(
        r.nameOrig,
        steps[i],
        types[i],
        r.amount,
        r.oldbalanceOrg,
        r.newbalanceOrig,
        r.oldbalanceDest,
        r.newbalanceDest,
        f,
      );
      for (let j = 0; j < nf; j++) {
        matrix[k * nf + j] = f[j];
        columns[j][k] = f[j];
      }
    }
    const ruleScores = new Float64Array(m);
    const masks = new Uint32Array(m);
    this.rules.scoreBatch(
      {
        rows: m,
        typeCode,
        amount,
        oldBalanceOrig,
        newBalanceOrig,
        oldBalanceDest,
        newBalanceDest,
        features: columns,
      },
      ruleScores,
      masks,
    );

    // Routing, as `decide` does it for each transaction.
    const { routing, guard, ml, monitor } = this.service;
    const models = this.service.models.models;
    const challenger = routing.liveChallenger(models.challenger);
    const toChallenger = new Uint8Array(m);
    let challengers = 0;
    if (challenger && routing.experiment && routing.setting.challengerPct > 0) {
      const { salt } = routing.experiment;
      const pct = routing.setting.challengerPct;
      for (let k = 0; k < m; k++) {
        const r = reqs[rows[k]];
        if (variantForBucket(bucketOf(salt, r.user_id ?? r.nameOrig), pct) === "challenger") {
          toChallenger[k] = 1;
          challengers++;
        }
      }
    }
    // Each served model scores its own rows in one call. A NaN trips the guard below, in input
    // order, and the rows after it fall back to rules as they would one at a time.
    const champion = models.champion;
    const usable = (variant: Variant, model: ServedModel | null): model is ServedModel =>
      ml.enabled && model !== null && !guard.isStopped(variant, model.version);
    const mlScores = new Float64Array(m);
    const championOn = usable("champion", champion) && challengers < m;
    const challengerOn = usable("challenger", challenger) && challengers > 0;
    if (championOn) scoreRowsOf(champion!, columns, m, toChallenger, 0, challengers === 0, mlScores);
    if (challengerOn) scoreRowsOf(challenger!, columns, m, toChallenger, 1, challengers === m, mlScores);
    const stopped = [!championOn, !challengerOn];

    const latencyMs = performance.now() - startedAt;
    const latency = round(latencyMs, 3);
    const config = this.service.scoring.config;
    const experimentId = routing.experiment?.id ?? null;
    const shadow = routing.setting.shadow && challenger !== null && ml.enabled;
    const shadowRows: number[] = [];
    /** New predictions per Prometheus child (`promChild`'s index), added once per batch. */
    const counted = [0, 0, 0, 0];
    for (let k = 0; k < m; k++) {
      const i = rows[k];
      const r = reqs[i];
      const v = toChallenger[k];
      const variant: Variant = v ? "challenger" : "champion";
      const model = v ? challenger : champion;
      let mlScore: number | null = null;
      if (!stopped[v]) {
        mlScore = mlScores[k];
        if (!Number.isFinite(mlScore)) {
          guard.trip(variant, model!.version, mlScore);
          stopped[v] = true;
        }
      }
      const ruleScore = ruleScores[k];
      const blended = mlBlend(config.hybrid, ruleScore, mlScore);
      // NaN: ML took no part
      const usedMl = blended === blended;
      const score = clampScore(usedMl ? blended : ruleScore);
      const riskTier = tierOf(config, score);
      const response = this.response(
        r.transaction_id,
        score,
        riskTier,
        config.recommendations[riskTier],
        usedMl ? mlScore : null,
        ruleScore,
        masks[k],
        variant,
        usedMl && model ? model : null,
        latency,
      );
      out[i] = response;
      this.answers.add(r, response, matrix, k);
      this.count(variant, response.mode, score, latencyMs, false);
      counted[(v ? 2 : 0) + (usedMl ? 0 : 1)]++;
      if (monitor)
        monitor.observe({
          transactionId: r.transaction_id,
          userId: r.user_id ?? r.nameOrig,
          variant,
          modelVersion: model?.version ?? null,
          experimentId,
          features: matrix.subarray(k * nf, (k + 1) * nf),
          mlScore,
          ruleScore,
          score,
          riskTier,
          latencyMs,
          rulesTriggered: response.rules_triggered,
        });
      if (shadow && !v) shadowRows.push(k);
    }
    counted.forEach((c, j) => {
      if (c > 0)
        this.promChild(j < 2 ? "champion" : "challenger", j % 2 ? "rules_only" : "hybrid").predictions.inc(c);
    });
    if (shadowRows.length > 0)
      setImmediate(() => this.shadowScoreRows(challenger!, columns, shadowRows, ruleScores));
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
    return this.answers.featuresOf(response);
  }

  /** Counts an HTTP request to the scoring API (the HTTP layer calls this once per response). */
  noteRequest(statusCode: number): void {
    this.requests.total++;
    if (statusCode >= 400) this.requests.errors++;
  }

  /** An answer given before (by this replica or, with a shared store, another), counted as a replay. */
  replayOf(req: ScoreRequest, at: string): ScoreResponse | undefined {
    const seen = this.answers.get(req.transaction_id);
    if (seen < 0) return undefined;
    if (!this.answers.sameAs(seen, req))
      throw new ConflictError(
        `${at}transaction_id ${req.transaction_id} was already scored with different contents; a retry must resend the same transaction`,
      );
    this.requests.replayed++;
    return this.answers.response(seen);
  }

  private scoreNew(req: ScoreRequest, startedAt: number, degraded?: boolean): ScoreResponse {
    const tx = transactionOf(req, this.epochMs);
    const d = this.decide(req, tx, this.features.featuresFor(tx), startedAt);
    if (degraded !== undefined) d.response.features_degraded = degraded;
    this.features.observe(tx);
    this.account(req, d);
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
    const latencyMs = performance.now() - startedAt;
    const response = this.response(
      req.transaction_id,
      verdict.score,
      verdict.riskTier,
      verdict.recommendation,
      verdict.usedMl ? mlScore : null,
      ruleScore,
      ruleMask,
      variant,
      verdict.usedMl && model ? model : null,
      round(latencyMs, 3),
    );
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

  /** The answer's shape, in one place (both paths build it here). */
  private response(
    transactionId: string,
    score: number,
    riskTier: RiskTier,
    recommendation: Recommendation,
    mlScore: number | null,
    ruleScore: number,
    ruleMask: number,
    variant: Variant,
    model: ServedModel | null,
    latencyMs: number,
  ): ScoreResponse {
    return {
      transaction_id: transactionId,
      score,
      risk_tier: riskTier,
      recommendation,
      ml_score: mlScore,
      rule_score: ruleScore,
      rules_triggered: this.sharedFiredList(ruleMask),
      variant,
      model: model ? this.modelRef(model) : null,
      mode: model ? "hybrid" : "rules_only",
      latency_ms: latencyMs,
    };
  }

  /** Records a decided answer: idempotency, statistics, metrics, prediction log, shadow. */
  account(req: ScoreRequest, d: ScoreDecision): void {
    const { response, features, observed, challenger } = d;
    const { variant, latencyMs, score } = observed;
    const { routing, ml, monitor } = this.service;
    this.answers.set(req, response, features, 0);
    this.count(variant, response.mode, score, latencyMs);
    monitor?.observe(observed);
    if (routing.setting.shadow && challenger && ml.enabled && variant === "champion") {
      setImmediate(() => this.shadowScore(challenger, features, observed.ruleScore));
    }
  }

  /**
   * The per-variant statistics, latency and Prometheus figures of one new answer. `predictions`
   * false: the caller adds to the prediction counter itself (the batch path, once per batch).
   */
  private count(
    variant: Variant,
    mode: "hybrid" | "rules_only",
    score: number,
    latencyMs: number,
    predictions = true,
  ): void {
    this.sinceStart[variant].add(score, latencyMs);
    this.service.routing.stats[variant].add(score, latencyMs);
    this.latency.add(latencyMs);
    const prom = this.promChild(variant, mode);
    if (predictions) prom.predictions.inc();
    prom.scores.observe(score);
  }

  /** Keeps an answer another replica gave (shared store) for replays and `featuresOf`. */
  rememberReplay(req: ScoreRequest, response: ScoreResponse, features: Float64Array): void {
    this.requests.replayed++;
    this.answers.set(req, response, features, 0);
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
        predictions: this.service.prom.predictionTally(variant, mode),
        scores: this.service.prom.scores.child(variant),
      };
      this.promChildren[i] = c;
    }
    return c;
  }

  /** `shadowScore` for rows `rows` of a batch's feature columns, in one batch call of the challenger. */
  private shadowScoreRows(
    challenger: ServedModel,
    columns: readonly Float64Array[],
    rows: readonly number[],
    ruleScores: Float64Array,
  ): void {
    const t0 = performance.now();
    try {
      const scores = challenger.scoreBatch(gatherColumns(columns, Uint32Array.from(rows)), rows.length);
      const config = this.service.scoring.config;
      const perRow = (performance.now() - t0) / rows.length;
      for (let k = 0; k < rows.length; k++)
        this.sinceStart.shadow.add(hybridVerdict(config, ruleScores[rows[k]], scores[k]).score, perRow);
      this.service.prom.shadowScores.inc(rows.length);
    } catch (err) {
      this.service.log.warn({ err: (err as Error).message }, "shadow scoring failed");
    }
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

/**
 * Scores, with `model`, the rows of `columns` routed to it (`toChallenger[k] === which`) into
 * `out[k]`: the columns as they are when every row goes to it, else its rows gathered first.
 */
function scoreRowsOf(
  model: ServedModel,
  columns: readonly Float64Array[],
  m: number,
  toChallenger: Uint8Array,
  which: 0 | 1,
  all: boolean,
  out: Float64Array,
): void {
  if (all) {
    out.set(model.scoreBatch(columns, m));
    return;
  }
  const picked = new Uint32Array(m);
  let n = 0;
  for (let k = 0; k < m; k++) if (toChallenger[k] === which) picked[n++] = k;
  const scores = model.scoreBatch(gatherColumns(columns, picked.subarray(0, n)), n);
  for (let p = 0; p < n; p++) out[picked[p]] = scores[p];
}
