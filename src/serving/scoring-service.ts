import { performance } from "node:perf_hooks";
import type { Logger } from "pino";
import {
  approvalStatus,
  loadApprovalPolicy,
  type ApprovalPolicy,
  type ChangeKind,
  type VersionLoader,
} from "../deploy/index.js";
import type { TransactionRecord } from "../data/index.js";
import { BadInputError, ConflictError } from "../errors/index.js";
import { FEATURE_NAMES, OnlineFeatureState } from "../features/index.js";
import type { Registry } from "../registry/index.js";
import { LatencyWindow, LiveMonitor } from "../monitoring/index.js";
import { RulesEngine, type FiredRule } from "../rules/index.js";
import { hybridVerdict } from "./hybrid-scorer.js";
import { IdempotencyCache } from "./idempotency-cache.js";
import { ModelServer, type ReloadReport } from "./model-server.js";
import { ServingPromMetrics } from "./prometheus-metrics.js";
import { ScoreGuard } from "./score-guard.js";
import { guardActions, recordEndedExperiment } from "./serving-monitoring.js";
import type { ServedModel } from "./served-model.js";
import {
  parseScoringConfig,
  scoringConfigDigest,
  type Recommendation,
  type RiskTier,
  type ScoringConfig,
  type ServingConfig,
} from "./serving-config.js";
import {
  readServingState,
  recordMlSwitch,
  recordRoutingChange,
  recordScoringConfig,
  registryChangeCounter,
  type ExperimentRecord,
  type MlSwitchSetting,
  type RoutingSetting,
} from "./serving-store.js";
import { fingerprintOf, ruleTransactionOf, transactionOf, type ScoreRequest } from "./transaction-input.js";
import { bucketOf, variantForBucket, type Variant } from "./variant-router.js";
import { round, VariantStats } from "./variant-stats.js";

/** The answer for one transaction (issue #14, "Scoring"). */
export interface ScoreResponse {
  transaction_id: string;
  score: number;
  risk_tier: RiskTier;
  recommendation: Recommendation;
  ml_score: number | null;
  rule_score: number;
  rules_triggered: FiredRule[];
  variant: Variant;
  model: { name: string; version: number } | null;
  mode: "hybrid" | "rules_only";
  latency_ms: number;
}

export interface FraudScoringServiceOptions {
  registry: Registry;
  config: ServingConfig;
  logger: Logger;
  /** Default: the deployment loader (checksum-verified, compiled predictor). */
  loader?: VersionLoader;
  /** Default: the approval policy every other command uses. */
  policy?: ApprovalPolicy;
}

const NO_ROUTING: RoutingSetting = {
  championPct: 100,
  challengerPct: 0,
  shadow: false,
  experimentId: null,
  changedAt: "",
  changedBy: "",
  reason: null,
};

/**
 * The data plane of `lakay serve`: online features, rules, routing, the model server and the
 * hybrid scorer, plus the persisted serving state (split, ML switch, scoring config). No HTTP in
 * here; `src/api` validates requests and calls these methods. Scoring is synchronous, so the
 * check-then-record of idempotency cannot interleave with another request.
 */
export class FraudScoringService {
  readonly models: ModelServer;
  readonly prom = new ServingPromMetrics();
  readonly startedAt = new Date().toISOString();
  private readonly registry: Registry;
  private readonly log: Logger;
  private readonly policy: ApprovalPolicy;
  private readonly features: OnlineFeatureState;
  private readonly rules: RulesEngine;
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
  private readonly epochMs: number;
  private scoring: {
    config: ScoringConfig;
    digest: string;
    changedAt: string | null;
    changedBy: string | null;
  };
  private routing: RoutingSetting = NO_ROUTING;
  private experiment: ExperimentRecord | null = null;
  private ml: MlSwitchSetting;
  /** Set while a routing change loads its challenger, so a concurrent poll does not unload it. */
  private routingInProgress = 0;
  private readonly sinceStart = {
    champion: new VariantStats(),
    challenger: new VariantStats(),
    shadow: new VariantStats(),
  };
  private experimentStats = { champion: new VariantStats(), challenger: new VariantStats() };
  private readonly latency = new LatencyWindow();
  private readonly requests = { total: 0, errors: 0, replayed: 0 };
  private lastCounter = -1;
  private polling = false;
  /** A change notification came while a poll ran (which may have read the counter before it). */
  private pollAgain = false;
  private pollTimer: NodeJS.Timeout | undefined;
  /** Set by `lakay serve` on PostgreSQL (src/serving/change-listener.ts); null: polling only. */
  changeFeed: { readonly connected: boolean } | null = null;
  /** Prediction log, drift, score shift, SLA, alerts, webhooks (issue #15); null when turned off. */
  readonly monitor: LiveMonitor | null;
  /** Stops a variant at its first NaN/Inf score (seed §6.1). */
  readonly guard: ScoreGuard;

  constructor(private readonly opts: FraudScoringServiceOptions) {
    this.registry = opts.registry;
    this.log = opts.logger;
    this.policy = opts.policy ?? loadApprovalPolicy();
    const c = opts.config;
    this.models = new ModelServer(opts.registry, c.model, opts.loader);
    this.features = new OnlineFeatureState({ maxCustomers: c.features.max_customers });
    this.rules = new RulesEngine(c.rules ?? {});
    this.answers = new IdempotencyCache(c.idempotency.max_entries);
    this.epochMs = Date.parse(c.features.timestamp_epoch);
    this.scoring = {
      config: c.scoring,
      digest: scoringConfigDigest(c.scoring),
      changedAt: null,
      changedBy: null,
    };
    this.ml = { enabled: c.ml_enabled, changedAt: this.startedAt, changedBy: "serving.yaml", reason: null };
    this.monitor = c.monitoring.enabled
      ? new LiveMonitor({
          registry: opts.registry,
          logger: opts.logger,
          model: c.model,
          config: c.monitoring,
          latencySla: c.latency_sla_ms,
          prom: this.prom.registry,
          onSevereDrift: (reason) =>
            void guardActions(this, opts.registry)
              .rollback(reason)
              .catch(() => undefined),
        })
      : null;
    this.guard = new ScoreGuard(
      guardActions(this, opts.registry),
      opts.logger,
      c.monitoring.guard.auto_rollback,
    );
  }

  /** The experiment in force (null when the champion takes all traffic). */
  get currentExperiment(): ExperimentRecord | null {
    return this.experiment;
  }

  /** The score at or above which a transaction counts as flagged in A/B statistics. */
  get operatingThreshold(): number {
    return this.config.monitoring.operating_threshold ?? this.scoring.config.risk_tiers.high;
  }

  get config(): ServingConfig {
    return this.opts.config;
  }

  /** Reads the persisted state and loads the models. A model that fails to load leaves rules-only scoring. */
  async start(): Promise<void> {
    this.lastCounter = await registryChangeCounter(this.registry);
    await this.monitor?.start();
    await this.applyPersistedState();
    try {
      await this.reloadModels("start");
    } catch (err) {
      this.log.error({ err: (err as Error).message }, "no model loaded at start: scoring rules-only");
    }
    this.prom.mlEnabled.set(this.ml.enabled ? 1 : 0);
    const poll = this.config.reload.poll_seconds;
    if (poll > 0) {
      this.pollTimer = setInterval(() => void this.pollOnce(), poll * 1000);
      this.pollTimer.unref();
    }
  }

  stop(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }

  /** SIGTERM: writes every queued prediction record (spilling what the database refuses). */
  async close(): Promise<void> {
    this.stop();
    await this.monitor?.close();
  }

  /** True when scoring can answer: a model is loaded, or rules-only mode is in force (always). */
  get ready(): boolean {
    return this.lastCounter >= 0;
  }

  get mode(): "hybrid" | "rules_only" {
    return this.ml.enabled && this.models.models.champion ? "hybrid" : "rules_only";
  }

  // ── Scoring ─────────────────────────────────────────────────────────────────

  /** Scores one transaction; `startedAt` is `performance.now()` when the request arrived. */
  score(req: ScoreRequest, startedAt: number): ScoreResponse {
    const seen = this.replayOf(req, "");
    if (seen) return seen;
    return this.scoreNew(req, startedAt);
  }

  /**
   * Scores transactions in input order. Every one is checked before any is scored, so a bad
   * transaction refuses the whole batch and records nothing.
   */
  scoreBatch(reqs: readonly ScoreRequest[], startedAt: number): ScoreResponse[] {
    const max = this.config.batch.max_transactions;
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
    const champion = this.models.models.champion;
    if (!champion)
      throw new ConflictError(
        `no Production version of ${this.models.modelName} is loaded: nothing to predict with`,
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

  private replayOf(req: ScoreRequest, at: string): ScoreResponse | undefined {
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
  ): ScoreResponse {
    const features = this.features.featuresFor(tx);
    const ruleMask = this.rules.evaluateMask(ruleTransactionOf(tx), features);
    const rules = { score: this.rules.scoreOf(ruleMask) };
    const models = this.models.models;
    const challenger = this.liveChallenger(models.challenger);
    let variant: Variant = "champion";
    if (challenger && this.experiment && this.routing.challengerPct > 0)
      variant = variantForBucket(
        bucketOf(this.experiment.salt, req.user_id ?? req.nameOrig),
        this.routing.challengerPct,
      );
    const model = variant === "challenger" ? challenger : models.champion;
    const useMl = this.ml.enabled && model !== null && !this.guard.isStopped(variant, model.version);
    const mlScore = useMl ? model.score(features) : null;
    if (mlScore !== null && !Number.isFinite(mlScore)) this.guard.trip(variant, model!.version, mlScore);
    const verdict = hybridVerdict(this.scoring.config, rules.score, mlScore);
    this.features.observe(tx);
    const mode = verdict.usedMl ? "hybrid" : "rules_only";
    const latencyMs = performance.now() - startedAt;
    const response: ScoreResponse = {
      transaction_id: req.transaction_id,
      score: verdict.score,
      risk_tier: verdict.riskTier,
      recommendation: verdict.recommendation,
      ml_score: verdict.usedMl ? mlScore : null,
      rule_score: rules.score,
      rules_triggered: this.sharedFiredList(ruleMask),
      variant,
      model: verdict.usedMl && model ? this.modelRef(model) : null,
      mode,
      latency_ms: round(latencyMs, 3),
    };
    this.answers.set(req.transaction_id, fingerprint ?? fingerprintOf(req), { response, features });
    this.sinceStart[variant].add(verdict.score, latencyMs);
    this.experimentStats[variant].add(verdict.score, latencyMs);
    this.latency.add(latencyMs);
    const prom = this.promChild(variant, mode);
    prom.predictions.inc();
    prom.scores.observe(verdict.score);
    this.monitor?.observe({
      transactionId: req.transaction_id,
      userId: req.user_id ?? req.nameOrig,
      variant,
      modelVersion: model?.version ?? null,
      experimentId: this.experiment?.id ?? null,
      features,
      mlScore,
      ruleScore: rules.score,
      score: verdict.score,
      riskTier: verdict.riskTier,
      latencyMs,
    });
    if (this.routing.shadow && challenger && this.ml.enabled && variant === "champion") {
      setImmediate(() => this.shadowScore(challenger, features, rules.score));
    }
    return response;
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
        predictions: this.prom.predictions.labels({ variant, mode }),
        scores: this.prom.scores.labels({ variant }),
      };
      this.promChildren[i] = c;
    }
    return c;
  }

  /** Off the response path: the challenger's opinion, for monitoring only. */
  private shadowScore(challenger: ServedModel, features: Float64Array, ruleScore: number): void {
    const t0 = performance.now();
    try {
      const verdict = hybridVerdict(this.scoring.config, ruleScore, challenger.score(features));
      this.sinceStart.shadow.add(verdict.score, performance.now() - t0);
      this.prom.shadowScores.inc();
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, "shadow scoring failed");
    }
  }

  /** The loaded challenger if it is the one the current experiment was set up with. */
  private liveChallenger(challenger: ServedModel | null): ServedModel | null {
    if (!challenger || !this.experiment) return null;
    if (this.guard.isStopped("challenger", challenger.version)) return null;
    return challenger.version === this.experiment.challengerVersion ? challenger : null;
  }

  // ── Reload ──────────────────────────────────────────────────────────────────

  private wantsChallenger = () =>
    this.routingInProgress > 0 || this.routing.challengerPct > 0 || this.routing.shadow;

  /** Reloads the models (seed §4.2 step 3); throws `ReloadFailedError` and keeps the old ones on failure. */
  async reload(trigger: string, actor?: string, reason: string | null = null): Promise<ReloadReport> {
    const report = await this.reloadModels(trigger, true);
    if (actor)
      await this.registry.appendAudit({
        actor,
        action: "serving.reload",
        model: this.models.modelName,
        version: report.champion?.version ?? null,
        details: { trigger, reason, champion: report.champion, challenger: report.challenger },
      });
    return report;
  }

  private async reloadModels(trigger: string, force = false): Promise<ReloadReport> {
    try {
      const report = await this.models.reload({ trigger, wantChallenger: this.wantsChallenger, force });
      this.prom.reloads.inc({ result: "ok" });
      const m = this.models.models;
      this.prom.modelVersion.set({ variant: "champion" }, m.champion?.version ?? 0);
      this.prom.modelVersion.set({ variant: "challenger" }, m.challenger?.version ?? 0);
      await this.monitor?.setChampion(m.champion);
      if (this.experiment && m.champion?.version === this.experiment.challengerVersion)
        recordEndedExperiment(this, this.registry, this.experiment, "promotion");
      this.log.info(
        { trigger, champion: report.champion, challenger: report.challenger },
        m.champion
          ? `serving ${m.champion.name} version ${m.champion.version}`
          : "no Production version: rules-only",
      );
      return report;
    } catch (err) {
      this.prom.reloads.inc({ result: "failed" });
      this.log.error(
        { trigger, err: (err as Error).message },
        "reload failed; the previous models keep serving",
      );
      throw err;
    }
  }

  /**
   * One poll of the registry's change counter: when it moved, re-read the persisted serving state
   * (another replica may have changed it) and reload if the registry now names other versions.
   * Also run at once on a PostgreSQL change notification (src/serving/change-listener.ts); one that
   * arrives during a poll runs another after it.
   */
  async pollOnce(): Promise<void> {
    if (this.polling) {
      this.pollAgain = true;
      return;
    }
    this.polling = true;
    this.pollAgain = false;
    try {
      const counter = await registryChangeCounter(this.registry);
      if (counter === this.lastCounter) return;
      this.lastCounter = counter;
      await this.applyPersistedState();
      const resolved = await this.models.resolve();
      if (this.models.differs(resolved, this.wantsChallenger())) await this.reloadModels("registry change");
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, "registry poll failed");
    } finally {
      this.polling = false;
      if (this.pollAgain) await this.pollOnce();
    }
  }

  private async applyPersistedState(): Promise<void> {
    const state = await readServingState(this.registry, this.models.modelName);
    if (state.routing) this.applyRouting(state.routing, state.experiment);
    if (state.ml) this.ml = state.ml;
    this.prom.mlEnabled.set(this.ml.enabled ? 1 : 0);
    if (state.scoring) {
      if (state.scoring.digest !== this.scoring.digest && this.scoring.changedAt === null)
        this.log.warn(
          { registry_sha256: state.scoring.digest, file_sha256: this.scoring.digest },
          "the registry holds an approved scoring config that differs from serving.yaml's: serving the registry's",
        );
      this.scoring = {
        config: parseScoringConfig(state.scoring.config, "registry serving_changes"),
        digest: state.scoring.digest,
        changedAt: state.scoring.changedAt,
        changedBy: state.scoring.changedBy,
      };
    }
  }

  private applyRouting(routing: RoutingSetting, experiment: ExperimentRecord | null): void {
    if (this.experiment && routing.experimentId !== this.experiment.id)
      recordEndedExperiment(this, this.registry, this.experiment, routing.changedBy, routing.reason);
    if (routing.experimentId !== this.experiment?.id)
      this.experimentStats = { champion: new VariantStats(), challenger: new VariantStats() };
    this.routing = routing;
    this.experiment = experiment;
  }

  // ── Routing (seed §5) ───────────────────────────────────────────────────────

  /** The seed's routing document (§5.2), plus the experiment and shadow flag. */
  routingView() {
    const m = this.models.models;
    const challenger = this.liveChallenger(m.challenger);
    const champion = this.experimentStats.champion.summary();
    const challengerStats = this.experimentStats.challenger.summary();
    return {
      enabled: this.routing.challengerPct > 0 || this.routing.shadow,
      champion_pct: this.routing.championPct,
      challenger_pct: this.routing.challengerPct,
      champion_model: m.champion?.name ?? null,
      champion_version: m.champion ? String(m.champion.version) : null,
      challenger_model: challenger?.name ?? null,
      challenger_version: challenger ? String(challenger.version) : null,
      shadow: this.routing.shadow,
      experiment: this.experiment && {
        id: this.experiment.id,
        started_at: this.experiment.startedAt,
        started_by: this.experiment.startedBy,
        reason: this.experiment.reason,
        challenger_version: String(this.experiment.challengerVersion),
      },
      metrics_summary: {
        total_observations: champion.count + challengerStats.count,
        champion,
        challenger: challengerStats,
        shadow: this.routing.shadow ? this.sinceStart.shadow.summary() : undefined,
      },
    };
  }

  /** Sets the split (seed §5.2); refuses a challenger share when no challenger can be loaded. */
  async setRouting(change: {
    championPct: number;
    challengerPct: number;
    shadow: boolean;
    actor: string;
    reason: string | null;
  }): Promise<ReturnType<FraudScoringService["routingView"]>> {
    const { championPct, challengerPct, shadow } = change;
    for (const [field, v] of [
      ["champion_pct", championPct],
      ["challenger_pct", challengerPct],
    ] as const)
      if (!(v >= 0 && v <= 100)) throw new BadInputError(`${field} must be between 0 and 100`, { field });
    if (Math.abs(championPct + challengerPct - 100) > 1e-9)
      throw new BadInputError(
        `champion_pct + challenger_pct must be 100 (got ${championPct + challengerPct})`,
        {
          field: "challenger_pct",
        },
      );
    const needChallenger = challengerPct > 0 || shadow;
    this.routingInProgress++;
    try {
      let challengerVersion: number | null = null;
      if (needChallenger) {
        const resolved = await this.models.resolve();
        if (!resolved.challenger)
          throw new ConflictError(
            `no challenger for ${this.models.modelName}: no version has alias "challenger" and none is in Staging`,
          );
        try {
          await this.reloadModels("routing");
        } catch (err) {
          throw new ConflictError(`the challenger cannot be loaded: ${(err as Error).message}`, {
            cause: err,
          });
        }
        const loaded = this.models.models.challenger;
        if (!loaded) throw new ConflictError("the challenger could not be loaded");
        challengerVersion = loaded.version;
      }
      const recorded = await recordRoutingChange(this.registry, {
        model: this.models.modelName,
        championPct,
        challengerPct,
        shadow,
        championVersion: this.models.models.champion?.version ?? null,
        challengerVersion,
        actor: change.actor,
        reason: change.reason,
      });
      this.applyRouting(recorded.routing, recorded.experiment);
    } finally {
      this.routingInProgress--;
    }
    if (!needChallenger) await this.reloadModels("routing").catch(() => undefined);
    return this.routingView();
  }

  // ── ML switch and scoring config (seed §6.3) ────────────────────────────────

  async setMl(change: { enabled: boolean; actor: string; reason: string | null }): Promise<MlSwitchSetting> {
    this.ml = await recordMlSwitch(this.registry, {
      model: this.models.modelName,
      enabled: change.enabled,
      actor: change.actor,
      reason: change.reason,
      version: this.models.models.champion?.version ?? null,
    });
    this.prom.mlEnabled.set(this.ml.enabled ? 1 : 0);
    this.log.warn(
      { actor: change.actor, reason: change.reason },
      `ML scoring ${change.enabled ? "on" : "OFF: rules only"}`,
    );
    return this.ml;
  }

  configView() {
    const c = this.config;
    return {
      model: c.model,
      mode: this.mode,
      ml_enabled: this.ml.enabled,
      ml_switch: { changed_at: this.ml.changedAt, changed_by: this.ml.changedBy, reason: this.ml.reason },
      scoring: this.scoring.config,
      scoring_sha256: this.scoring.digest,
      scoring_changed_at: this.scoring.changedAt,
      scoring_changed_by: this.scoring.changedBy,
      features: c.features,
      idempotency: c.idempotency,
      batch: c.batch,
      reload: c.reload,
      latency_sla_ms: c.latency_sla_ms,
      rules: this.rules.config,
    };
  }

  /**
   * Proposes a scoring-config change. It takes effect only when the approval policy is satisfied
   * for each kind of change it makes (thresholds or recommendations: `scoring_threshold_change`;
   * hybrid weights or strategy: `hybrid_weight_change`), approvals given with
   * `lakay approve --change KIND --subject-sha256 DIGEST` on the champion version.
   */
  async proposeConfig(change: {
    patch: Partial<Record<keyof ScoringConfig, object>>;
    actor: string;
    reason: string | null;
  }) {
    const current = this.scoring.config;
    const proposed = parseScoringConfig(
      {
        hybrid: { ...current.hybrid, ...change.patch.hybrid },
        risk_tiers: { ...current.risk_tiers, ...change.patch.risk_tiers },
        recommendations: { ...current.recommendations, ...change.patch.recommendations },
      },
      "request body",
    );
    const digest = scoringConfigDigest(proposed);
    const kinds: ChangeKind[] = [];
    const same = (a: object, b: object) => JSON.stringify(a) === JSON.stringify(b);
    if (
      !same(proposed.risk_tiers, current.risk_tiers) ||
      !same(proposed.recommendations, current.recommendations)
    )
      kinds.push("scoring_threshold_change");
    if (!same(proposed.hybrid, current.hybrid)) kinds.push("hybrid_weight_change");
    if (kinds.length === 0) return { status: "unchanged" as const, config: this.configView() };
    const champion = this.models.models.champion;
    if (!champion)
      throw new ConflictError(
        `no Production version of ${this.models.modelName} is loaded: a scoring change is approved against the champion version`,
      );
    const model = champion.name;
    const version = champion.version;
    const statuses = await Promise.all(
      kinds.map((k) =>
        approvalStatus(this.registry, {
          model,
          version,
          changeKind: k,
          subjectDigest: digest,
          promoter: change.actor,
          policy: this.policy,
        }),
      ),
    );
    const pending = statuses.filter((s) => !s.satisfied);
    if (pending.length) {
      await this.registry.appendAudit({
        actor: change.actor,
        action: "serving.config_proposed",
        model,
        version,
        details: {
          config: proposed,
          subject_sha256: digest,
          change_kinds: kinds,
          missing: Object.fromEntries(pending.map((s) => [s.changeKind, s.reasons])),
          reason: change.reason,
        },
      });
      return {
        status: "pending_approval" as const,
        subject_sha256: digest,
        model,
        version,
        change_kinds: kinds,
        missing: Object.fromEntries(
          pending.map((s) => [s.changeKind, { roles: s.missingRoles, reasons: s.reasons }]),
        ),
        approve_with: pending.flatMap((s) =>
          s.missingRoles.map(
            (role) =>
              `lakay approve --model ${model} --version ${version} --change ${s.changeKind} --subject-sha256 ${digest} --role ${role} --by NAME`,
          ),
        ),
        proposed,
      };
    }
    const setting = await recordScoringConfig(this.registry, {
      model,
      version,
      config: proposed,
      digest,
      previousDigest: this.scoring.digest,
      changeKinds: kinds,
      approvals: statuses.map((s) => ({ change_kind: s.changeKind, filled_by: s.filledBy })),
      actor: change.actor,
      reason: change.reason,
    });
    this.scoring = {
      config: setting.config,
      digest,
      changedAt: setting.changedAt,
      changedBy: setting.changedBy,
    };
    return { status: "applied" as const, config: this.configView() };
  }

  // ── Monitoring (seed §4.2 step 4, §5.3) ──────────────────────────────────────

  monitoring() {
    const m = this.models.models;
    const describe = (s: ServedModel | null) =>
      s && {
        name: s.name,
        version: s.version,
        stage: s.stage,
        loaded_at: s.loadedAt,
        artifact_digest: s.artifactDigest,
      };
    const [p50, p95, p99] = this.latency.percentiles([50, 95, 99]);
    const sla = this.config.latency_sla_ms;
    const r = (x: number | null) => (x === null ? null : round(x, 3));
    const predictions = this.sinceStart.champion.count + this.sinceStart.challenger.count;
    return {
      model: describe(m.champion),
      challenger: describe(m.challenger),
      mode: this.mode,
      ml_enabled: this.ml.enabled,
      started_at: this.startedAt,
      requests: { ...this.requests },
      predictions: {
        total: predictions,
        champion: this.sinceStart.champion.count,
        challenger: this.sinceStart.challenger.count,
        shadow: this.sinceStart.shadow.count,
      },
      latency_ms: {
        window: this.latency.size,
        p50: r(p50),
        p95: r(p95),
        p99: r(p99),
        sla: { p95: sla.p95, p99: sla.p99 },
        within_sla: p95 === null || p99 === null ? null : p95 <= sla.p95 && p99 <= sla.p99,
      },
      score_distribution: {
        champion: this.sinceStart.champion.distribution(),
        challenger: this.sinceStart.challenger.distribution(),
        shadow: this.sinceStart.shadow.distribution(),
      },
      routing: {
        champion_pct: this.routing.championPct,
        challenger_pct: this.routing.challengerPct,
        shadow: this.routing.shadow,
        experiment_id: this.experiment?.id ?? null,
      },
      online_features: { customers: this.features.size, max_customers: this.config.features.max_customers },
      last_reload: this.models.lastReload,
      change_notify: this.changeFeed ? (this.changeFeed.connected ? "listening" : "reconnecting") : "off",
    };
  }
}
