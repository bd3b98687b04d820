import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { Counter, Gauge, type Registry as PromRegistry } from "prom-client";
import { lakayHome } from "../config/index.js";
import { FEATURE_NAMES } from "../features/index.js";
import type { Registry } from "../registry/index.js";
import { AlertBook, alertJson, type AlertCondition } from "./alert-book.js";
import { AuditEventFollower } from "./audit-events.js";
import { DriftWindow, type DriftReport } from "./drift-window.js";
import { FprIncreaseWatch } from "./fpr-increase.js";
import { LatencyWindow } from "./latency-window.js";
import type { MonitoringConfig } from "./monitoring-config.js";
import { PredictionLogWriter } from "./prediction-log-writer.js";
import { DRIFT_STATUSES, psiTable, worstStatus, type ReferenceBins } from "./psi.js";
import { scoreShiftOf, type ScoreBaseline, type ScoreShift } from "./score-shift.js";
import type { PredictionLogRow } from "./store/monitoring-tables.js";
import { loggedPrediction } from "./store/prediction-lookup.js";
import { fleetVariantFigures, type FleetVariantFigures } from "./store/fleet-figures.js";
import { predictionsSince } from "./store/prediction-log-store.js";
import { WebhookDispatcher } from "./webhooks.js";

/** One scored transaction as the scoring service hands it over. */
export interface ObservedPrediction {
  transactionId: string;
  userId: string;
  variant: "champion" | "challenger";
  modelVersion: number | null;
  experimentId: string | null;
  /** FEATURE_NAMES order. */
  features: ArrayLike<number>;
  mlScore: number | null;
  ruleScore: number;
  score: number;
  riskTier: string;
  latencyMs: number;
  /** The rules that fired, with their weights (kept so a past decision can be explained). */
  rulesTriggered?: readonly { id: string; weight: number }[];
}

/**
 * How often drift alerts already in force are raised again (their `last_seen` and value): a drift
 * report comes every `recompute_every` predictions, many times a second on a busy server, and each
 * raise is a write transaction on the serving thread. A change of the alerts' state is acted on at
 * the report that shows it.
 */
const DRIFT_ALERT_REFRESH_MS = 1_000;

/** The fleet's window and how long one reading of it is reused. */
const FLEET_WINDOW_MS = 5 * 60_000;
const FLEET_CACHE_MS = 5_000;

/** The fleet's traffic over its last minutes, from the prediction log every replica writes. */
export interface FleetFigures {
  window_minutes: number;
  since: string;
  /** null when the prediction log could not be read (then `error` says why). */
  predictions: number | null;
  variants: FleetVariantFigures[];
  error?: string;
}

/** What the monitor knows of a served version: reference bins and the score baseline. */
interface VersionReference {
  version: number;
  features: Record<string, ReferenceBins>;
  score: ScoreBaseline | null;
}

export interface LiveMonitorOptions {
  registry: Registry;
  logger: Logger;
  model: string;
  config: MonitoringConfig;
  latencySla: { p95: number; p99: number };
  prom: PromRegistry;
  /**
   * Called once per champion version when critical drift reaches `drift.alert_features` features or
   * the score shift is critical, if `guard.rollback_on_drift` is on (the service rolls back).
   */
  onSevereDrift?: (reason: string) => void;
}

/** Windows `?window=` accepts, in milliseconds. */
export const MONITORING_WINDOWS = { "1h": 3_600_000, "24h": 86_400_000, "7d": 604_800_000 } as const;
export type MonitoringWindow = keyof typeof MONITORING_WINDOWS;
/** A `?window=` report reads at most this many of the newest rows (memory bound). */
export const WINDOW_ROW_CAP = 200_000;

/**
 * The live half of monitoring for one served model: hands every prediction to the prediction-log
 * writer, keeps the champion's sliding drift window and score-shift ring, checks the latency SLA,
 * and turns conditions into deduplicated alerts (stored, logged, in /metrics, sent to webhooks).
 * `observe` is synchronous and cheap: it runs on the request path.
 */
export class LiveMonitor {
  readonly writer: PredictionLogWriter | null;
  readonly alerts: AlertBook;
  readonly webhooks: WebhookDispatcher;
  /** The `fpr_increase` alert: the champion's labeled false-positive rate against its backtest. */
  readonly fpr: FprIncreaseWatch;
  private reference: VersionReference | null = null;
  private drift: DriftWindow | null = null;
  private readonly scores: Float64Array;
  private scoreNext = 0;
  private scoreFilled = 0;
  private scoreSum = 0;
  private readonly latency = new LatencyWindow(10_000);
  private slaBreachSince: number | null = null;
  private checkTimer: NodeJS.Timeout | undefined;
  private sampleCounter = 0;
  private readonly auditEvents: AuditEventFollower;
  private severeDriftHandledFor: number | null = null;
  private readonly prom;
  private fleetCache: { at: number; figures: Promise<FleetFigures> } | null = null;
  /** The drift alerts' state last evaluated (critical features, score shift status) and when. */
  private driftAlertsSeen: { state: string; at: number } | null = null;

  constructor(private readonly opts: LiveMonitorOptions) {
    const c = opts.config;
    this.writer = c.prediction_log.enabled
      ? new PredictionLogWriter({
          registry: opts.registry,
          logger: opts.logger,
          queueCapacity: c.prediction_log.queue_capacity,
          batchSize: c.prediction_log.batch_size,
          flushMs: c.prediction_log.flush_ms,
          spillFile: path.resolve(
            c.prediction_log.spill_dir ?? path.join(lakayHome(), "spill"),
            `prediction-log-${opts.model.replace(/[^A-Za-z0-9._-]/g, "_")}.jsonl`,
          ),
        })
      : null;
    this.webhooks = new WebhookDispatcher({ registry: opts.registry, logger: opts.logger });
    this.alerts = new AlertBook(opts.registry, opts.model, opts.logger, (a) => {
      this.prom.alertsOpened.inc({ kind: a.kind, severity: a.severity });
      this.webhooks.emit("alert", alertJson(a));
    });
    this.fpr = new FprIncreaseWatch(opts.registry, opts.model, c, this.alerts, opts.logger);
    this.scores = new Float64Array(c.drift.window);
    this.auditEvents = new AuditEventFollower(opts.registry, opts.model, (e, d) => this.webhooks.emit(e, d));
    const registers = [opts.prom];
    const writer = this.writer;
    const openAlerts = () => this.alerts.openAlerts();
    this.prom = {
      psi: new Gauge({
        name: "lakay_feature_psi",
        help: "PSI per feature over the drift window (champion)",
        labelNames: ["feature"] as const,
        registers,
      }),
      driftStatus: new Gauge({
        name: "lakay_feature_drift_status",
        help: "Drift status per feature: 0 stable, 1 warning, 2 critical",
        labelNames: ["feature"] as const,
        registers,
      }),
      scoreShift: new Gauge({
        name: "lakay_score_shift_sigma",
        help: "Live mean score minus the training baseline, in baseline σ",
        registers,
      }),
      queueDepth: new Gauge({
        name: "lakay_prediction_log_queue_depth",
        help: "Prediction records waiting in memory",
        registers,
        collect() {
          this.set(writer?.queueDepth ?? 0);
        },
      }),
      spillBytes: new Gauge({
        name: "lakay_prediction_log_spill_bytes",
        help: "Bytes of prediction records spilled to disk while the database was unreachable",
        registers,
        collect() {
          this.set(writer?.spillBytes ?? 0);
        },
      }),
      written: new Gauge({
        name: "lakay_prediction_log_written",
        help: "Prediction records written to the database by this process (directly or replayed)",
        registers,
        collect() {
          this.set(writer ? writer.stats.written + writer.stats.replayed : 0);
        },
      }),
      labels: new Counter({
        name: "lakay_labels_received_total",
        help: "Outcome labels received",
        labelNames: ["known"] as const,
        registers,
      }),
      alertsOpened: new Counter({
        name: "lakay_alerts_opened_total",
        help: "Alerts opened",
        labelNames: ["kind", "severity"] as const,
        registers,
      }),
      alertsOpen: new Gauge({
        name: "lakay_alerts_open",
        help: "Alerts open now, by kind and severity",
        labelNames: ["kind", "severity"] as const,
        registers,
        collect() {
          this.reset();
          for (const a of openAlerts()) this.inc({ kind: a.kind, severity: a.severity });
        },
      }),
    };
  }

  get config(): MonitoringConfig {
    return this.opts.config;
  }

  get registry(): Registry {
    return this.opts.registry;
  }

  /** Replays a spill left by an earlier process and starts the writer and the periodic checks. */
  async start(): Promise<void> {
    if (this.writer) {
      await this.writer.flush();
      this.writer.start();
    }
    await this.auditEvents.poll().catch(() => undefined);
    this.checkTimer = setInterval(() => void this.periodicCheck(), this.opts.config.check_seconds * 1000);
    this.checkTimer.unref();
  }

  /**
   * The logged decision on a transaction, or null (unknown, sampled out, or logging off). Writes
   * the queue first: the log is written in batches, and the answer must include what is queued.
   */
  async loggedPrediction(transactionId: string): Promise<PredictionLogRow | null> {
    if (!this.writer) return null;
    await this.writer.flush();
    return loggedPrediction(this.opts.registry, this.opts.model, transactionId);
  }

  /** Writes everything queued (SIGTERM) and waits for webhook deliveries in flight. */
  async close(): Promise<void> {
    if (this.checkTimer) clearInterval(this.checkTimer);
    await this.writer?.close();
    await this.webhooks.idle();
  }

  /** The champion changed: load its reference and start fresh windows. */
  async setChampion(model: { name: string; version: number } | null): Promise<void> {
    if (!model) {
      this.reference = null;
      this.drift = null;
      return;
    }
    if (this.reference?.version === model.version) return;
    try {
      this.reference = await loadVersionReference(this.opts.registry, model.name, model.version);
    } catch (err) {
      this.opts.logger.warn(
        { err: (err as Error).message, version: model.version },
        "no reference.json: drift not computed",
      );
      this.reference = { version: model.version, features: {}, score: null };
    }
    const d = this.opts.config.drift;
    this.drift = new DriftWindow({
      names: FEATURE_NAMES,
      reference: this.reference.features,
      windowSize: d.window,
      recomputeEvery: d.recompute_every,
      minObservations: d.min_observations,
      thresholds: { warning: d.warning, critical: d.critical },
    });
    this.scoreNext = this.scoreFilled = 0;
    this.scoreSum = 0;
  }

  /** On the request path: log, drift window, score ring, latency. Never throws. */
  observe(p: ObservedPrediction): void {
    if (this.writer && this.shouldLog(p)) this.writer.appendObserved(this.opts.model, isoNow(), p);
    this.latency.add(p.latencyMs);
    if (p.variant !== "champion") return;
    const cap = this.scores.length;
    if (this.scoreFilled === cap) this.scoreSum -= this.scores[this.scoreNext];
    else this.scoreFilled++;
    this.scores[this.scoreNext] = p.score;
    this.scoreSum += p.score;
    this.scoreNext = (this.scoreNext + 1) % cap;
    const report = this.drift?.add(p.features);
    if (report) void this.onDriftReport(report);
  }

  /**
   * Queues the prediction record of an answer another replica gave and did not get to write (it was
   * killed first); nothing else (drift, latency) counts it again. The log keeps one row per id.
   */
  logRecord(p: ObservedPrediction): void {
    this.writer?.appendObserved(this.opts.model, isoNow(), p);
  }

  noteLabels(known: number, unknown: number): void {
    this.prom.labels.inc({ known: "true" }, known);
    this.prom.labels.inc({ known: "false" }, unknown);
  }

  /**
   * Every replica's last few minutes from the shared prediction log, beside this replica's own live
   * figures. Cached briefly: each replica's dashboard polls every 2 s, and one aggregate per replica
   * every few seconds is what the database should pay for it.
   */
  private fleetFigures(): Promise<FleetFigures> {
    const now = Date.now();
    if (this.fleetCache && now - this.fleetCache.at < FLEET_CACHE_MS) return this.fleetCache.figures;
    const since = new Date(now - FLEET_WINDOW_MS).toISOString();
    // The database may be away (the log spills meanwhile): say so and ask again next time.
    const figures = fleetVariantFigures(this.opts.registry, this.opts.model, since).then(
      (variants): FleetFigures => ({
        window_minutes: FLEET_WINDOW_MS / 60_000,
        since,
        predictions: variants.reduce((n, v) => n + v.count, 0),
        variants,
      }),
      (err: Error): FleetFigures => {
        this.fleetCache = null;
        return {
          window_minutes: FLEET_WINDOW_MS / 60_000,
          since,
          predictions: null,
          variants: [],
          error: err.message,
        };
      },
    );
    this.fleetCache = { at: now, figures };
    return figures;
  }

  private shouldLog(p: ObservedPrediction): boolean {
    const rate = this.opts.config.prediction_log.sample_rate;
    if (p.experimentId !== null || rate >= 1) return true;
    // Deterministic thinning: every (1/rate)-th non-experiment prediction.
    this.sampleCounter += rate;
    if (this.sampleCounter >= 1) {
      this.sampleCounter -= 1;
      return true;
    }
    return false;
  }

  private async onDriftReport(report: DriftReport): Promise<void> {
    for (const f of report.features) {
      if (f.psi !== null) this.prom.psi.set({ feature: f.feature }, f.psi);
      this.prom.driftStatus.set({ feature: f.feature }, DRIFT_STATUSES.indexOf(f.status));
    }
    const shift = this.scoreShift();
    if (shift.shift_sigma !== null) this.prom.scoreShift.set(shift.shift_sigma);
    const state = `${report.critical_features.join(",")}|${shift.status}|${this.reference?.version}`;
    const now = Date.now();
    const seen = this.driftAlertsSeen;
    if (seen && seen.state === state && now - seen.at < DRIFT_ALERT_REFRESH_MS) return;
    this.driftAlertsSeen = { state, at: now };
    try {
      await this.evaluateDriftAlerts(report, shift);
    } catch (err) {
      this.opts.logger.warn({ err: (err as Error).message }, "drift alerts not recorded");
    }
  }

  private async evaluateDriftAlerts(report: DriftReport, shift: ScoreShift): Promise<void> {
    const version = this.reference?.version ?? null;
    const d = this.opts.config.drift;
    const critical = report.features.filter((f) => f.status === "critical");
    for (const f of critical)
      await this.alerts.raise({
        kind: "feature_drift",
        feature: f.feature,
        severity: "high",
        value: f.psi,
        threshold: d.critical,
        modelVersion: version,
        message: `feature ${f.feature} drifted: PSI ${f.psi?.toFixed(3)} ≥ ${d.critical}`,
      });
    await this.alerts.resolveExcept(
      "feature_drift",
      critical.map((f) => f.feature),
    );
    if (critical.length >= d.alert_features)
      await this.alerts.raise({
        kind: "multi_feature_drift",
        feature: "",
        severity: "high",
        value: critical.length,
        threshold: d.alert_features,
        modelVersion: version,
        message: `critical drift in ${critical.length} features (${critical.map((f) => f.feature).join(", ")}): consider a rollback (seed §6.1)`,
      });
    else await this.alerts.resolveExcept("multi_feature_drift");
    if (shift.status === "critical" && shift.shift_sigma !== null)
      await this.alerts.raise({
        kind: "score_shift",
        feature: "",
        severity: "high",
        value: shift.shift_sigma,
        threshold: shift.thresholds.critical,
        modelVersion: version,
        message: `mean score moved ${shift.shift_sigma.toFixed(2)} σ from the training baseline`,
      });
    else if (shift.status !== "insufficient_data") await this.alerts.resolveExcept("score_shift");
    const severe = critical.length >= d.alert_features || shift.status === "critical";
    if (
      severe &&
      this.opts.config.guard.rollback_on_drift &&
      version !== null &&
      this.severeDriftHandledFor !== version
    ) {
      this.severeDriftHandledFor = version;
      this.opts.onSevereDrift?.(
        `guard: severe drift on version ${version} (${critical.length} critical features, score shift ${shift.status})`,
      );
    }
  }

  /** Raises a condition found elsewhere (the guard's NaN scores). */
  raise(c: AlertCondition) {
    return this.alerts.raise(c);
  }

  scoreShift(): ScoreShift {
    return scoreShiftOf(
      this.scoreSum,
      this.scoreFilled,
      this.reference?.score ?? null,
      this.opts.config.score_shift,
      this.opts.config.drift.min_observations,
    );
  }

  latencySla() {
    const [p50, p95, p99] = this.latency.percentiles([50, 95, 99]);
    const sla = this.opts.latencySla;
    const breached = p95 !== null && p99 !== null && (p95 > sla.p95 || p99 > sla.p99);
    return {
      window: this.latency.size,
      p50_ms: p50,
      p95_ms: p95,
      p99_ms: p99,
      sla_ms: { p95: sla.p95, p99: sla.p99 },
      status:
        p95 === null ? ("insufficient_data" as const) : breached ? ("breached" as const) : ("ok" as const),
      breached_since: this.slaBreachSince === null ? null : new Date(this.slaBreachSince).toISOString(),
    };
  }

  /** The live picture, or one window of the log (`1h`, `24h`, `7d`). */
  async report(window?: MonitoringWindow) {
    const alerts = this.alerts.openAlerts().map(alertJson);
    if (!window) {
      const drift = this.drift?.report() ?? null;
      return {
        window: "live" as const,
        drift: drift ? driftJson(drift) : { status: "no_reference" as const, features: [] },
        score_shift: this.scoreShift(),
        latency_sla: this.latencySla(),
        alerts,
        fpr_increase: this.fpr.current,
        fleet: await this.fleetFigures(),
        prediction_log: this.writer
          ? { queue_depth: this.writer.queueDepth, spill_bytes: this.writer.spillBytes, ...this.writer.stats }
          : null,
      };
    }
    await this.writer?.flush(); // the window includes what is still queued
    const since = new Date(Date.now() - MONITORING_WINDOWS[window]).toISOString();
    const rows = (await predictionsSince(this.opts.registry, this.opts.model, since, WINDOW_ROW_CAP)).filter(
      (r) => r.variant === "champion",
    );
    const ref = this.reference?.features ?? {};
    const d = this.opts.config.drift;
    const columns = FEATURE_NAMES.map((f) => Float64Array.from(rows, (r) => r[f]));
    const features = psiTable(FEATURE_NAMES, columns, ref, { warning: d.warning, critical: d.critical });
    const latencies = Float64Array.from(rows, (r) => Number(r.latency_ms)).sort();
    const pct = (p: number) =>
      latencies.length
        ? latencies[Math.min(latencies.length - 1, Math.ceil((p / 100) * latencies.length) - 1)]
        : null;
    const sla = this.opts.latencySla;
    const p95 = pct(95);
    const p99 = pct(99);
    return {
      window,
      since,
      drift: {
        status:
          rows.length < d.min_observations ? "insufficient_data" : worstStatus(features.map((f) => f.status)),
        observations: rows.length,
        features,
        critical_features: features.filter((f) => f.status === "critical").map((f) => f.feature),
      },
      score_shift: scoreShiftOf(
        rows.reduce((s, r) => s + Number(r.score), 0),
        rows.length,
        this.reference?.score ?? null,
        this.opts.config.score_shift,
        d.min_observations,
      ),
      latency_sla: {
        window: rows.length,
        p50_ms: pct(50),
        p95_ms: p95,
        p99_ms: p99,
        sla_ms: sla,
        status:
          p95 === null || p99 === null
            ? "insufficient_data"
            : p95 > sla.p95 || p99 > sla.p99
              ? "breached"
              : "ok",
      },
      alerts,
      fpr_increase: this.fpr.current,
    };
  }

  /** SLA breach lasting `sla_breach_minutes`: medium alert; cleared when back within the SLA. */
  async periodicCheck(now = Date.now()): Promise<void> {
    try {
      await this.auditEvents.poll();
      const s = this.latencySla();
      if (s.status === "breached") {
        this.slaBreachSince ??= now;
        if (now - this.slaBreachSince >= this.opts.config.sla_breach_minutes * 60_000)
          await this.alerts.raise({
            kind: "latency_sla",
            feature: "",
            severity: "medium",
            value: s.p95_ms,
            threshold: s.sla_ms.p95,
            modelVersion: this.reference?.version ?? null,
            message: `latency SLA breached for ${this.opts.config.sla_breach_minutes} minutes: p95 ${s.p95_ms?.toFixed(1)} ms, p99 ${s.p99_ms?.toFixed(1)} ms`,
          });
      } else if (s.status === "ok") {
        this.slaBreachSince = null;
        await this.alerts.resolveExcept("latency_sla");
      }
      await this.fpr.check(this.reference?.version ?? null, now);
    } catch (err) {
      this.opts.logger.warn({ err: (err as Error).message }, "monitoring check failed");
    }
  }
}

function driftJson(r: DriftReport) {
  return {
    status: r.status,
    observations: r.observations,
    window_size: r.window_size,
    computed_at_observation: r.computed_at_observation,
    features: r.features,
    critical_features: r.critical_features,
  };
}

/** The ISO time of the current millisecond, formatted once per millisecond (rows come in bursts). */
let isoMs = -1;
let isoText = "";
function isoNow(): string {
  const now = Date.now();
  if (now !== isoMs) {
    isoMs = now;
    isoText = new Date(now).toISOString();
  }
  return isoText;
}

/** reference.json of a registered version (checksum-verified download through the registry cache). */
export async function loadVersionReference(
  registry: Registry,
  name: string,
  version: number,
): Promise<VersionReference> {
  const { localDir } = await registry.resolveModelUri(`models:/${name}/${version}`);
  const ref = JSON.parse(await readFile(path.join(localDir, "reference.json"), "utf8")) as {
    features?: Record<string, ReferenceBins>;
    score_distribution?: { mean: number; std: number; count: number };
  };
  const s = ref.score_distribution;
  return {
    version,
    features: ref.features ?? {},
    score: s ? { mean: s.mean, std: s.std, count: s.count } : null,
  };
}
