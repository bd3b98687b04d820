import { rollback } from "../deploy/index.js";
import { experimentReport, storeExperimentResults } from "../monitoring/index.js";
import type { Registry } from "../registry/index.js";
import type { GuardActions } from "./score-guard.js";
import type { FraudScoringService } from "./scoring-service.js";
import type { ExperimentRecord } from "./serving-store.js";

/** The guard's actions, each through the ordinary audited path, with `guard` as the actor. */
export function guardActions(service: FraudScoringService, registry: Registry): GuardActions {
  return {
    stopChallenger: async (reason) => {
      await service.setRouting({ championPct: 100, challengerPct: 0, shadow: false, actor: "guard", reason });
    },
    rulesOnly: async (reason) => {
      await service.setMl({ enabled: false, actor: "guard", reason });
    },
    rollback: async (reason) => {
      await rollback(registry, { model: service.models.modelName, by: "guard", reason });
      await service.reload("guard rollback", "guard", reason);
    },
    alert: async (variant, version, score) => {
      await service.monitor?.raise({
        kind: "nan_score",
        feature: variant,
        severity: "critical",
        value: null,
        threshold: null,
        modelVersion: version,
        message: `version ${version} (${variant}) produced a ${String(score)} score: stopped serving it (seed §6.1)`,
      });
    },
  };
}

/**
 * An experiment ended (split back to 100/0, another challenger, or the challenger promoted): its
 * configuration and A/B results go to `experiment_results` once, after the queued log is written.
 */
export function recordEndedExperiment(
  service: FraudScoringService,
  registry: Registry,
  experiment: ExperimentRecord,
  endedBy: string,
  reason: string | null = null,
): void {
  const monitor = service.monitor;
  if (!monitor) return;
  const run = async () => {
    await monitor.writer?.flush();
    const threshold = service.operatingThreshold;
    const results = await experimentReport(
      registry,
      { model: experiment.model, experimentId: experiment.id },
      threshold,
    );
    await storeExperimentResults(registry, {
      experimentId: experiment.id,
      model: experiment.model,
      endedBy,
      reason,
      config: {
        started_at: experiment.startedAt,
        started_by: experiment.startedBy,
        champion_version: experiment.championVersion,
        challenger_version: experiment.challengerVersion,
        reason: experiment.reason,
        operating_threshold: threshold,
        auto_promotion: monitor.config.auto_promotion,
      },
      results,
    });
  };
  run().catch(() => undefined);
}
