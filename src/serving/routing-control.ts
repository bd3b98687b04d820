import { BadInputError, ConflictError } from "../errors/index.js";
import type { Registry } from "../registry/index.js";
import type { FraudScoringService } from "./scoring-service.js";
import type { ServedModel } from "./served-model.js";
import { recordEndedExperiment } from "./serving-monitoring.js";
import { recordRoutingChange, type ExperimentRecord, type RoutingSetting } from "./serving-store.js";
import { VariantStats } from "./variant-stats.js";

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
 * Champion/challenger routing and its experiments (seed §5): the split in force, the experiment it
 * belongs to with its per-variant figures, the seed's routing document, and split changes (which
 * load the challenger first and persist the change, audited). Part of `FraudScoringService`.
 */
export class RoutingControl {
  setting: RoutingSetting = NO_ROUTING;
  /** The experiment in force (null when the champion takes all traffic). */
  experiment: ExperimentRecord | null = null;
  /** Per-variant counts, scores and latency since the experiment in force began. */
  stats = { champion: new VariantStats(), challenger: new VariantStats() };
  /** Set while a routing change loads its challenger, so a concurrent poll does not unload it. */
  private inProgress = 0;

  constructor(
    private readonly service: FraudScoringService,
    private readonly registry: Registry,
  ) {}

  /** Whether a reload should load the challenger too. */
  readonly wantsChallenger = () =>
    this.inProgress > 0 || this.setting.challengerPct > 0 || this.setting.shadow;

  /** The loaded challenger if it is the one the current experiment was set up with. */
  liveChallenger(challenger: ServedModel | null): ServedModel | null {
    if (!challenger || !this.experiment) return null;
    if (this.service.guard.isStopped("challenger", challenger.version)) return null;
    return challenger.version === this.experiment.challengerVersion ? challenger : null;
  }

  /** Takes a split (persisted, or read back from the registry); a new experiment starts its figures afresh. */
  apply(routing: RoutingSetting, experiment: ExperimentRecord | null): void {
    if (this.experiment && routing.experimentId !== this.experiment.id)
      recordEndedExperiment(this.service, this.registry, this.experiment, routing.changedBy, routing.reason);
    if (routing.experimentId !== this.experiment?.id)
      this.stats = { champion: new VariantStats(), challenger: new VariantStats() };
    this.setting = routing;
    this.experiment = experiment;
  }

  /** The seed's routing document (§5.2), plus the experiment and shadow flag. */
  view() {
    const m = this.service.models.models;
    const challenger = this.liveChallenger(m.challenger);
    const champion = this.stats.champion.summary();
    const challengerStats = this.stats.challenger.summary();
    return {
      enabled: this.setting.challengerPct > 0 || this.setting.shadow,
      champion_pct: this.setting.championPct,
      challenger_pct: this.setting.challengerPct,
      champion_model: m.champion?.name ?? null,
      champion_version: m.champion ? String(m.champion.version) : null,
      challenger_model: challenger?.name ?? null,
      challenger_version: challenger ? String(challenger.version) : null,
      shadow: this.setting.shadow,
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
        shadow: this.setting.shadow ? this.service.shadowStats.summary() : undefined,
      },
    };
  }

  /** Sets the split (seed §5.2); refuses a challenger share when no challenger can be loaded. */
  async set(change: {
    championPct: number;
    challengerPct: number;
    shadow: boolean;
    actor: string;
    reason: string | null;
  }): Promise<ReturnType<RoutingControl["view"]>> {
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
    const models = this.service.models;
    const reloader = this.service.reloader;
    const needChallenger = challengerPct > 0 || shadow;
    this.inProgress++;
    try {
      let challengerVersion: number | null = null;
      if (needChallenger) {
        const resolved = await models.resolve();
        if (!resolved.challenger)
          throw new ConflictError(
            `no challenger for ${models.modelName}: no version has alias "challenger" and none is in Staging`,
          );
        try {
          await reloader.reloadModels("routing");
        } catch (err) {
          throw new ConflictError(`the challenger cannot be loaded: ${(err as Error).message}`, {
            cause: err,
          });
        }
        const loaded = models.models.challenger;
        if (!loaded) throw new ConflictError("the challenger could not be loaded");
        challengerVersion = loaded.version;
      }
      const recorded = await recordRoutingChange(this.registry, {
        model: models.modelName,
        championPct,
        challengerPct,
        shadow,
        championVersion: models.models.champion?.version ?? null,
        challengerVersion,
        actor: change.actor,
        reason: change.reason,
      });
      this.apply(recorded.routing, recorded.experiment);
    } finally {
      this.inProgress--;
    }
    if (!needChallenger) await reloader.reloadModels("routing").catch(() => undefined);
    return this.view();
  }
}
