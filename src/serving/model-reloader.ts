import type { Logger } from "pino";
import type { Registry } from "../registry/index.js";
import type { ReloadReport } from "./model-server.js";
import type { FraudScoringService } from "./scoring-service.js";
import { recordEndedExperiment } from "./serving-monitoring.js";
import { parseScoringConfig } from "./serving-config.js";
import { readServingState, registryChangeCounter } from "./serving-store.js";

/**
 * Keeping `lakay serve` in step with the registry: model reloads (seed §4.2 step 3, built aside and
 * swapped by the model server), the poll of the registry's change counter (also run at once on a
 * PostgreSQL notification), and re-reading the persisted serving state another replica may have
 * changed (split, ML switch, approved scoring config). Part of `FraudScoringService`.
 */
export class ModelReloader {
  /** The registry's change counter when last read (-1: not yet, the service is not ready). */
  lastCounter = -1;
  private polling = false;
  /** A change notification came while a poll ran (which may have read the counter before it). */
  private pollAgain = false;
  private pollTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly service: FraudScoringService,
    private readonly registry: Registry,
    private readonly log: Logger,
  ) {}

  async readCounter(): Promise<void> {
    this.lastCounter = await registryChangeCounter(this.registry);
  }

  startPolling(seconds: number): void {
    if (seconds <= 0) return;
    this.pollTimer = setInterval(() => void this.pollOnce(), seconds * 1000);
    this.pollTimer.unref();
  }

  stopPolling(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }

  /** Reloads the models (seed §4.2 step 3); throws `ReloadFailedError` and keeps the old ones on failure. */
  async reload(trigger: string, actor?: string, reason: string | null = null): Promise<ReloadReport> {
    const models = this.service.models;
    const report = await this.reloadModels(trigger, true);
    if (actor)
      await this.registry.appendAudit({
        actor,
        action: "serving.reload",
        model: models.modelName,
        version: report.champion?.version ?? null,
        details: { trigger, reason, champion: report.champion, challenger: report.challenger },
      });
    return report;
  }

  async reloadModels(trigger: string, force = false): Promise<ReloadReport> {
    const { models, prom, monitor, routing } = this.service;
    try {
      const report = await models.reload({ trigger, wantChallenger: routing.wantsChallenger, force });
      prom.reloads.inc({ result: "ok" });
      const m = models.models;
      prom.modelVersion.set({ variant: "champion" }, m.champion?.version ?? 0);
      prom.modelVersion.set({ variant: "challenger" }, m.challenger?.version ?? 0);
      await monitor?.setChampion(m.champion);
      if (routing.experiment && m.champion?.version === routing.experiment.challengerVersion)
        recordEndedExperiment(this.service, this.registry, routing.experiment, "promotion");
      this.log.info(
        { trigger, champion: report.champion, challenger: report.challenger },
        m.champion
          ? `serving ${m.champion.name} version ${m.champion.version}`
          : "no Production version: rules-only",
      );
      return report;
    } catch (err) {
      prom.reloads.inc({ result: "failed" });
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
      const models = this.service.models;
      const resolved = await models.resolve();
      if (models.differs(resolved, this.service.routing.wantsChallenger()))
        await this.reloadModels("registry change");
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, "registry poll failed");
    } finally {
      this.polling = false;
      if (this.pollAgain) await this.pollOnce();
    }
  }

  async applyPersistedState(): Promise<void> {
    const service = this.service;
    const state = await readServingState(this.registry, service.models.modelName);
    if (state.routing) service.routing.apply(state.routing, state.experiment);
    if (state.ml) service.ml = state.ml;
    service.prom.mlEnabled.set(service.ml.enabled ? 1 : 0);
    if (state.scoring) {
      if (state.scoring.digest !== service.scoring.digest && service.scoring.changedAt === null)
        this.log.warn(
          { registry_sha256: state.scoring.digest, file_sha256: service.scoring.digest },
          "the registry holds an approved scoring config that differs from serving.yaml's: serving the registry's",
        );
      service.scoring = {
        config: parseScoringConfig(state.scoring.config, "registry serving_changes"),
        digest: state.scoring.digest,
        changedAt: state.scoring.changedAt,
        changedBy: state.scoring.changedBy,
      };
    }
  }
}
