import { SeededRandom } from "../random/index.js";
import { autoPromotionDecision, type AutoPromotionConfig } from "./auto-promotion.js";
import { confidenceSequence, fixedSampleInterval } from "./sequential-test.js";

export interface AbSimulationOptions {
  experiments: number;
  /** Labels per experiment; the decision is checked after every one. */
  labels: number;
  championPrecision: number;
  challengerPrecision: number;
  /** Share of labels from the challenger (its traffic share). */
  challengerShare: number;
  config: AutoPromotionConfig;
  seed: number;
}

export interface AbSimulationResult {
  experiments: number;
  labels: number;
  /** Experiments where the always-valid test promoted at some check. */
  sequentialPromotions: number;
  /** Experiments where the naive fixed-sample test (same minimum; 95 % z-interval above 0) ever fired. */
  naivePromotions: number;
  /** Labels seen when the sequential test fired, per promoting experiment. */
  labelsAtPromotion: number[];
}

/**
 * Simulated experiments for the auto-promotion test (issue #15's proof): each label is a flagged
 * transaction's outcome from one variant, Bernoulli(precision); after every label both the
 * always-valid decision and a naive fixed-sample z-test are checked, as a live server would.
 */
export function simulateAbExperiments(o: AbSimulationOptions): AbSimulationResult {
  const rng = new SeededRandom(o.seed);
  const config = { ...o.config, enabled: true };
  let sequentialPromotions = 0;
  let naivePromotions = 0;
  const labelsAtPromotion: number[] = [];
  for (let e = 0; e < o.experiments; e++) {
    let sA = 0;
    let nA = 0;
    let sB = 0;
    let nB = 0;
    let seq = false;
    let naive = false;
    for (let i = 1; i <= o.labels && !(seq && naive); i++) {
      if (rng.float() < o.challengerShare) {
        nB++;
        if (rng.float() < o.challengerPrecision) sB++;
      } else {
        nA++;
        if (rng.float() < o.championPrecision) sA++;
      }
      if (nA < config.min_observations || nB < config.min_observations) continue;
      // The full decision only when the cheap interval says it may fire (same figures, fewer objects).
      const cs = seq
        ? null
        : confidenceSequence(sA, nA, sB, nB, { confidenceLevel: config.confidence_level, tau: config.tau });
      if (
        cs &&
        cs.lower > 0 &&
        autoPromotionDecision(config, { successes: sA, trials: nA }, { successes: sB, trials: nB }).promote
      ) {
        seq = true;
        labelsAtPromotion.push(i);
      }
      if (!naive) {
        const f = fixedSampleInterval(sA, nA, sB, nB);
        if (f && f.lower > 0) naive = true;
      }
    }
    if (seq) sequentialPromotions++;
    if (naive) naivePromotions++;
  }
  return {
    experiments: o.experiments,
    labels: o.labels,
    sequentialPromotions,
    naivePromotions,
    labelsAtPromotion,
  };
}
