/**
 * Binary classification metrics used as evaluation metrics during training and by the training
 * reports. Definitions follow scikit-learn so figures compare one to one with the Python stack.
 */

function checkLengths(labels: ArrayLike<number>, scores: ArrayLike<number>): void {
  if (labels.length !== scores.length)
    throw new RangeError(`labels (${labels.length}) and scores (${scores.length}) differ in length`);
}

/** Indices ordered by descending score (ties keep index order, so results are deterministic). */
function orderByScoreDesc(scores: ArrayLike<number>): Uint32Array {
  const n = scores.length;
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = scores[i];
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => keys[b] - keys[a] || a - b);
  return order;
}

/**
 * Area under the ROC curve (ties counted half, as sklearn's `roc_auc_score`). NaN when only one
 * class is present, because the curve is then undefined.
 */
export function aucRoc(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  weights?: ArrayLike<number>,
): number {
  checkLengths(labels, scores);
  const order = orderByScoreDesc(scores);
  let tp = 0;
  let fp = 0;
  let area = 0;
  let i = 0;
  const n = order.length;
  while (i < n) {
    const s = scores[order[i]];
    let dtp = 0;
    let dfp = 0;
    while (i < n && scores[order[i]] === s) {
      const w = weights ? weights[order[i]] : 1;
      if (labels[order[i]] > 0.5) dtp += w;
      else dfp += w;
      i++;
    }
    area += dfp * (tp + dtp / 2);
    tp += dtp;
    fp += dfp;
  }
  if (tp === 0 || fp === 0) return NaN;
  return area / (tp * fp);
}

/**
 * Average precision (sklearn's `average_precision_score`): Σ (R_k − R_{k−1}) · P_k over distinct
 * score thresholds. This is the "AUC-PR" every Lakay report quotes. NaN without positives.
 */
export function aucPr(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  weights?: ArrayLike<number>,
): number {
  checkLengths(labels, scores);
  const order = orderByScoreDesc(scores);
  let totalPos = 0;
  for (let k = 0; k < labels.length; k++) if (labels[k] > 0.5) totalPos += weights ? weights[k] : 1;
  if (totalPos === 0) return NaN;
  let tp = 0;
  let fp = 0;
  let ap = 0;
  let prevRecall = 0;
  let i = 0;
  const n = order.length;
  while (i < n) {
    const s = scores[order[i]];
    while (i < n && scores[order[i]] === s) {
      const w = weights ? weights[order[i]] : 1;
      if (labels[order[i]] > 0.5) tp += w;
      else fp += w;
      i++;
    }
    const recall = tp / totalPos;
    const precision = tp + fp > 0 ? tp / (tp + fp) : 1;
    ap += (recall - prevRecall) * precision;
    prevRecall = recall;
  }
  return ap;
}

/** Mean binary cross-entropy, probabilities clipped to [1e-15, 1 − 1e-15] as sklearn does. */
export function logloss(
  labels: ArrayLike<number>,
  probabilities: ArrayLike<number>,
  weights?: ArrayLike<number>,
): number {
  checkLengths(labels, probabilities);
  const eps = 1e-15;
  let sum = 0;
  let wsum = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(1 - eps, Math.max(eps, probabilities[i]));
    const w = weights ? weights[i] : 1;
    sum -= w * (labels[i] > 0.5 ? Math.log(p) : Math.log(1 - p));
    wsum += w;
  }
  return wsum > 0 ? sum / wsum : NaN;
}
