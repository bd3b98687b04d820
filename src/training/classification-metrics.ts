/** Counts of a binary decision against the truth (fraud = positive). */
export interface ConfusionMatrix {
  tn: number;
  fp: number;
  fn: number;
  tp: number;
}

/** The decision metrics the deployment gates compare (precision, recall, F1, false positive rate). */
export interface ThresholdMetrics {
  threshold: number;
  precision: number;
  recall: number;
  f1: number;
  falsePositiveRate: number;
  accuracy: number;
  confusion: ConfusionMatrix;
}

/** Confusion matrix of `score >= threshold` against 0/1 labels. */
export function confusionAt(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  threshold: number,
): ConfusionMatrix {
  const c: ConfusionMatrix = { tn: 0, fp: 0, fn: 0, tp: 0 };
  for (let i = 0; i < labels.length; i++) {
    const predicted = scores[i] >= threshold;
    if (labels[i] === 1) {
      if (predicted) c.tp++;
      else c.fn++;
    } else if (predicted) c.fp++;
    else c.tn++;
  }
  return c;
}

/** Division that answers 0 for 0/0, like scikit-learn's `zero_division=0`. */
export const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/** Precision, recall, F1, FPR and accuracy from a confusion matrix. */
export function metricsFromConfusion(confusion: ConfusionMatrix, threshold: number): ThresholdMetrics {
  const { tn, fp, fn, tp } = confusion;
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  return {
    threshold,
    precision,
    recall,
    f1: ratio(2 * precision * recall, precision + recall),
    falsePositiveRate: ratio(fp, fp + tn),
    accuracy: ratio(tp + tn, tn + fp + fn + tp),
    confusion,
  };
}

/** All threshold metrics of `score >= threshold`. */
export function thresholdMetrics(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  threshold: number,
): ThresholdMetrics {
  return metricsFromConfusion(confusionAt(labels, scores, threshold), threshold);
}
