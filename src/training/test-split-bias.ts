import path from "node:path";
import { biasAudit } from "./bias-audit.js";
import { biasReport, type BiasReport } from "./bias-report.js";
import { segmentationsAt, segmentRows } from "./bias-segments.js";
import type { TrainingDataset } from "./load-training-data.js";
import type { TrainingConfig } from "./training-config.js";

/**
 * `lakay train`'s `bias_audit.json`: the bias report on the held-out test split, at the decision
 * threshold the run evaluates at. Segments are computed over the whole file first, so a test row's
 * `customer_history` is what its point-in-time features saw (earlier training rows count as history).
 */
export function testSplitBiasReport(args: {
  data: Pick<TrainingDataset, "file" | "sha256" | "tx">;
  testRows: ArrayLike<number>;
  scores: Float64Array;
  testLabels: Uint8Array;
  threshold: number;
  modelName: string;
  config: TrainingConfig;
}): BiasReport {
  const { data, config } = args;
  const result = biasAudit({
    scores: args.scores,
    labels: args.testLabels,
    threshold: args.threshold,
    segmentations: segmentationsAt(segmentRows(data.tx, config.bias_audit), args.testRows),
    config: config.bias_audit,
  });
  return biasReport(
    {
      model: args.modelName,
      version: null,
      dataset: path.resolve(data.file),
      dataset_sha256: data.sha256,
      rows_scored: "test",
      threshold_source: "training_run",
    },
    result,
  );
}
