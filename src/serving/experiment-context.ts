import type { Registry } from "../registry/index.js";
import { parseScoringConfig, type ServingConfig } from "./serving-config.js";
import { readServingState, type ExperimentRecord } from "./serving-store.js";

/**
 * What a process other than `lakay serve` needs to judge the running experiment as the server
 * would (`lakay feedback import` checking auto-promotion): the experiment in force and the
 * operating threshold — serving.yaml's, or the `high` tier of the scoring config the registry holds
 * (an approved change wins over the file, as in the server).
 */
export async function servedExperimentContext(
  registry: Registry,
  config: ServingConfig,
): Promise<{ model: string; experiment: ExperimentRecord | null; operatingThreshold: number }> {
  const state = await readServingState(registry, config.model);
  const scoring = state.scoring
    ? parseScoringConfig(state.scoring.config, "registry serving_changes")
    : config.scoring;
  return {
    model: config.model,
    experiment: state.routing?.experimentId ? state.experiment : null,
    operatingThreshold: config.monitoring.operating_threshold ?? scoring.risk_tiers.high,
  };
}
