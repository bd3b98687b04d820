import { experimentReport } from "../../monitoring/index.js";
import type { FraudScoringService } from "../../serving/index.js";

/**
 * The routing document's `metrics_summary` keeps the seed's per-variant fields (count, mean score,
 * mean and p95 latency) and gains, from the prediction log and labels, the score histogram and
 * precision, recall and false-positive rate with 95 % intervals, plus the challenger − champion
 * differences.
 */
export async function withAbStatistics(
  service: FraudScoringService,
  view: ReturnType<FraudScoringService["routingView"]>,
) {
  const experiment = service.currentExperiment;
  const monitor = service.monitor;
  if (!experiment || !monitor?.writer) return view;
  await monitor.writer.flush();
  const r = await experimentReport(
    service.monitor!.registry,
    { model: service.models.modelName, experimentId: experiment.id },
    service.operatingThreshold,
  );
  const extend = (v: "champion" | "challenger") => ({
    ...view.metrics_summary[v],
    score_histogram: r[v].score_histogram,
    labeled: r[v].labeled,
    precision: r[v].precision,
    recall: r[v].recall,
    false_positive_rate: r[v].false_positive_rate,
  });
  return {
    ...view,
    metrics_summary: {
      ...view.metrics_summary,
      champion: extend("champion"),
      challenger: extend("challenger"),
      operating_threshold: r.operating_threshold,
      difference: r.difference,
    },
  };
}
