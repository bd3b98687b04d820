import type { Logger } from "pino";
import {
  approvalStatus,
  loadApprovalPolicy,
  loadRegisteredVersion,
  type ApprovalPolicy,
  type ChangeKind,
  type VersionLoader,
} from "../deploy/index.js";
import type { TransactionRecord } from "../data/index.js";
import { ConflictError } from "../errors/index.js";
import type { OnlineFeatureState } from "../features/index.js";
import type { Registry } from "../registry/index.js";
import { LiveMonitor, type ObservedPrediction } from "../monitoring/index.js";
import type { FiredRule } from "../rules/index.js";
import { ExplanationService } from "./explanation-service.js";
import { ModelReloader } from "./model-reloader.js";
import { ModelServer, type ReloadReport } from "./model-server.js";
import { ServingPromMetrics } from "./prometheus-metrics.js";
import { RoutingControl } from "./routing-control.js";
import { ScoreGuard } from "./score-guard.js";
import type { RedisFeatureStore } from "./redis-feature-store.js";
import { SharedFeatureScoring } from "./shared-feature-scoring.js";
import { guardActions } from "./serving-monitoring.js";
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
  recordMlSwitch,
  recordScoringConfig,
  type ExperimentRecord,
  type MlSwitchSetting,
} from "./serving-store.js";
import { TransactionScorer } from "./transaction-scorer.js";
import type { ScoreRequest } from "./transaction-input.js";
import type { Variant } from "./variant-router.js";
import { round } from "./variant-stats.js";

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
  /**
   * Only with a shared feature store (Redis): true when it was unreachable and this answer's
   * features came from this replica's in-process state (docs/scaling.md, "Degraded mode").
   */
  features_degraded?: boolean;
}

/** One scored transaction before anything is recorded (see `decide`; the shared store commits first). */
export interface ScoreDecision {
  response: ScoreResponse;
  features: Float64Array;
  observed: ObservedPrediction;
  challenger: ServedModel | null;
}

export interface FraudScoringServiceOptions {
  registry: Registry;
  config: ServingConfig;
  logger: Logger;
  /** Default: the deployment loader (checksum-verified, compiled predictor). */
  loader?: VersionLoader;
  /** Default: the approval policy every other command uses. */
  policy?: ApprovalPolicy;
  /** Online features and answers shared by every replica (Redis); default: in-process only. */
  featureStore?: RedisFeatureStore;
}

/** The scoring configuration in force, with its digest and who approved it into force. */
export interface ScoringState {
  config: ScoringConfig;
  digest: string;
  changedAt: string | null;
  changedBy: string | null;
}

/**
 * The data plane of `lakay serve`: online features, rules, routing, the model server and the
 * hybrid scorer, plus the persisted serving state (split, ML switch, scoring config). No HTTP in
 * here; `src/api` validates requests and calls these methods. Each job has a module of its own:
 * scoring (`transaction-scorer.ts`), routing and experiments (`routing-control.ts`), reloads and
 * the registry poll (`model-reloader.ts`); this class holds the state they share, the ML switch,
 * the scoring-config changes and the monitoring view. With a shared feature store (Redis) `shared`
 * scores instead, asynchronously, committing atomically in Redis before it records anything here
 * (src/serving/shared-feature-scoring.ts, through `decide` and `account`).
 */
export class FraudScoringService {
  readonly models: ModelServer;
  readonly prom = new ServingPromMetrics();
  readonly startedAt = new Date().toISOString();
  readonly log: Logger;
  readonly routing: RoutingControl;
  readonly reloader: ModelReloader;
  private readonly scorer: TransactionScorer;
  private readonly registry: Registry;
  private readonly policy: ApprovalPolicy;
  /** The scoring config in force (serving.yaml, then what the registry holds approved). */
  scoring: ScoringState;
  /** The ML switch in force. */
  ml: MlSwitchSetting;
  /** Set by `lakay serve` on PostgreSQL (src/serving/change-listener.ts); null: polling only. */
  changeFeed: { readonly connected: boolean } | null = null;
  /** Prediction log, drift, score shift, SLA, alerts, webhooks (issue #15); null when turned off. */
  readonly monitor: LiveMonitor | null;
  /** Stops a variant at its first NaN/Inf score (seed §6.1). */
  readonly guard: ScoreGuard;
  /** Why a transaction got its score: TreeSHAP per served version, and the rules (issue #18). */
  readonly explanations: ExplanationService;
  /** Scoring through the shared (Redis) feature store; null when features are in-process. */
  readonly shared: SharedFeatureScoring | null;

  constructor(private readonly opts: FraudScoringServiceOptions) {
    this.registry = opts.registry;
    this.log = opts.logger;
    this.policy = opts.policy ?? loadApprovalPolicy();
    const c = opts.config;
    this.models = new ModelServer(opts.registry, c.model, opts.loader);
    this.scorer = new TransactionScorer(this, c);
    this.routing = new RoutingControl(this, opts.registry);
    this.reloader = new ModelReloader(this, opts.registry, opts.logger);
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
    this.explanations = new ExplanationService({
      registry: opts.registry,
      models: this.models,
      loader: opts.loader ?? loadRegisteredVersion,
      monitor: this.monitor,
      topFeatures: c.explain.top_features,
      cachedVersions: c.explain.cached_versions,
      featuresOf: (r) => this.featuresOf(r),
    });
    this.shared = opts.featureStore ? new SharedFeatureScoring(this, opts.featureStore, opts.logger) : null;
  }

  /** The experiment in force (null when the champion takes all traffic). */
  get currentExperiment(): ExperimentRecord | null {
    return this.routing.experiment;
  }

  /** The score at or above which a transaction counts as flagged in A/B statistics. */
  get operatingThreshold(): number {
    return this.config.monitoring.operating_threshold ?? this.scoring.config.risk_tiers.high;
  }

  get config(): ServingConfig {
    return this.opts.config;
  }

  /** Shadow scores since start (the routing view shows them while shadow mode is on). */
  get shadowStats() {
    return this.scorer.sinceStart.shadow;
  }

  /** Reads the persisted state and loads the models. A model that fails to load leaves rules-only scoring. */
  async start(): Promise<void> {
    await this.reloader.readCounter();
    await this.monitor?.start();
    await this.shared?.start();
    await this.reloader.applyPersistedState();
    try {
      await this.reloader.reloadModels("start");
    } catch (err) {
      this.log.error({ err: (err as Error).message }, "no model loaded at start: scoring rules-only");
    }
    this.prom.mlEnabled.set(this.ml.enabled ? 1 : 0);
    this.reloader.startPolling(this.config.reload.poll_seconds);
  }

  stop(): void {
    this.reloader.stopPolling();
  }

  /** SIGTERM: writes every queued prediction record (spilling what the database refuses). */
  async close(): Promise<void> {
    this.stop();
    await this.monitor?.close();
    await this.shared?.close();
  }

  /** True when scoring can answer: a model is loaded, or rules-only mode is in force (always). */
  get ready(): boolean {
    return this.reloader.lastCounter >= 0;
  }

  get mode(): "hybrid" | "rules_only" {
    return this.ml.enabled && this.models.models.champion ? "hybrid" : "rules_only";
  }

  // ── Scoring (transaction-scorer.ts) ─────────────────────────────────────────

  /**
   * Scores one transaction; `startedAt` is `performance.now()` when the request arrived.
   * `degraded` (shared feature store only): the answer says whether Redis was away.
   */
  score(req: ScoreRequest, startedAt: number, degraded?: boolean): ScoreResponse {
    return this.scorer.score(req, startedAt, degraded);
  }

  /**
   * Scores transactions in input order. Every one is checked before any is scored, so a bad
   * transaction refuses the whole batch and records nothing.
   */
  scoreBatch(reqs: readonly ScoreRequest[], startedAt: number): ScoreResponse[] {
    return this.scorer.scoreBatch(reqs, startedAt);
  }

  /** The champion's raw score for a feature vector given by name (what validation feeds a model). */
  predict(features: Record<string, number>): { score: number; model: { name: string; version: number } } {
    return this.scorer.predict(features);
  }

  /** The features (FEATURE_NAMES order) an answer was computed from: an investigator's "why". */
  featuresOf(response: ScoreResponse): Record<string, number> | undefined {
    return this.scorer.featuresOf(response);
  }

  /** Counts an HTTP request to the scoring API (the HTTP layer calls this once per response). */
  noteRequest(statusCode: number): void {
    this.scorer.noteRequest(statusCode);
  }

  /** In-process features: the only ones by default; with a shared store, the fallback (kept warm). */
  get features(): OnlineFeatureState {
    return this.scorer.features;
  }

  /** @internal Milliseconds since the epoch that `timestamp` requests count steps from. */
  get timestampEpochMs(): number {
    return this.scorer.epochMs;
  }

  /** @internal An answer given before (by this replica or, with a shared store, another), counted as a replay. */
  replayOf(req: ScoreRequest, at: string): ScoreResponse | undefined {
    return this.scorer.replayOf(req, at);
  }

  /** @internal Rules, routing, model and hybrid verdict for `features`; records nothing. */
  decide(req: ScoreRequest, tx: TransactionRecord, features: Float64Array, startedAt: number): ScoreDecision {
    return this.scorer.decide(req, tx, features, startedAt);
  }

  /** @internal Records a decided answer: idempotency, statistics, metrics, prediction log, shadow. */
  account(req: ScoreRequest, d: ScoreDecision): void {
    this.scorer.account(req, d);
  }

  /** @internal Keeps an answer another replica gave (shared store) for replays and `featuresOf`. */
  rememberReplay(req: ScoreRequest, response: ScoreResponse, features: Float64Array): void {
    this.scorer.rememberReplay(req, response, features);
  }

  // ── Reload (model-reloader.ts) ──────────────────────────────────────────────

  /** Reloads the models (seed §4.2 step 3); throws `ReloadFailedError` and keeps the old ones on failure. */
  reload(trigger: string, actor?: string, reason: string | null = null): Promise<ReloadReport> {
    return this.reloader.reload(trigger, actor, reason);
  }

  /** One poll of the registry's change counter (also run on a PostgreSQL change notification). */
  pollOnce(): Promise<void> {
    return this.reloader.pollOnce();
  }

  // ── Routing (routing-control.ts, seed §5) ───────────────────────────────────

  /** The seed's routing document (§5.2), plus the experiment and shadow flag. */
  routingView() {
    return this.routing.view();
  }

  /** Sets the split (seed §5.2); refuses a challenger share when no challenger can be loaded. */
  setRouting(change: {
    championPct: number;
    challengerPct: number;
    shadow: boolean;
    actor: string;
    reason: string | null;
  }): Promise<ReturnType<FraudScoringService["routingView"]>> {
    return this.routing.set(change);
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
      explain: c.explain,
      reload: c.reload,
      latency_sla_ms: c.latency_sla_ms,
      rules: this.scorer.rules.config,
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
    const { sinceStart, latency, requests, features } = this.scorer;
    const [p50, p95, p99] = latency.percentiles([50, 95, 99]);
    const sla = this.config.latency_sla_ms;
    const r = (x: number | null) => (x === null ? null : round(x, 3));
    const predictions = sinceStart.champion.count + sinceStart.challenger.count;
    return {
      model: describe(m.champion),
      challenger: describe(m.challenger),
      mode: this.mode,
      ml_enabled: this.ml.enabled,
      started_at: this.startedAt,
      requests: { ...requests },
      predictions: {
        total: predictions,
        champion: sinceStart.champion.count,
        challenger: sinceStart.challenger.count,
        shadow: sinceStart.shadow.count,
      },
      latency_ms: {
        window: latency.size,
        p50: r(p50),
        p95: r(p95),
        p99: r(p99),
        sla: { p95: sla.p95, p99: sla.p99 },
        within_sla: p95 === null || p99 === null ? null : p95 <= sla.p95 && p99 <= sla.p99,
      },
      score_distribution: {
        champion: sinceStart.champion.distribution(),
        challenger: sinceStart.challenger.distribution(),
        shadow: sinceStart.shadow.distribution(),
      },
      routing: {
        champion_pct: this.routing.setting.championPct,
        challenger_pct: this.routing.setting.challengerPct,
        shadow: this.routing.setting.shadow,
        experiment_id: this.routing.experiment?.id ?? null,
      },
      online_features: { customers: features.size, max_customers: this.config.features.max_customers },
      feature_store: this.shared?.view() ?? { kind: "in_process" as const },
      last_reload: this.models.lastReload,
      change_notify: this.changeFeed ? (this.changeFeed.connected ? "listening" : "reconnecting") : "off",
    };
  }
}
