/**
 * Binary classification metrics used as evaluation metrics during training and by the training
 * reports. Definitions follow scikit-learn so figures compare one to one with the Python stack.
 */

function checkLengths(labels: ArrayLike<number>, scores: ArrayLike<number>): void {
  if (labels.length !== scores.length)
    throw new RangeError(`labels (${labels.length}) and scores (${scores.length}) differ in length`);
}

/** AUC-ROC and AUC-PR of one set of scores. */
export interface RankingMetrics {
  aucRoc: number;
  aucPr: number;
}

/**
 * AUC-ROC (ties counted half, as sklearn's `roc_auc_score`) and average precision (sklearn's
 * `average_precision_score`: Σ (R_k − R_{k−1}) · P_k over distinct score thresholds, no
 * interpolation — the "AUC-PR" every Lakay report quotes), in one pass over the thresholds from
 * the highest score down. NaN when a class is absent, because the curves are then undefined, and
 * NaN when a score is NaN: such a model cannot be ranked (and the merge below would never pass it).
 *
 * Unweighted (the common case), each class's scores are copied to a Float64Array and sorted
 * natively, then merged: a million rows take tens of milliseconds, where a comparator sort of
 * indices takes about a second. With weights, indices are sorted by score with a comparator.
 */
export function rankingMetrics(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  weights?: ArrayLike<number>,
): RankingMetrics {
  checkLengths(labels, scores);
  for (let i = 0; i < scores.length; i++) if (Number.isNaN(scores[i])) return { aucRoc: NaN, aucPr: NaN };
  const { pos, neg, count } = weights
    ? weightedThresholds(labels, scores, weights)
    : classThresholds(labels, scores);
  let totalPos = 0;
  let totalNeg = 0;
  for (let k = 0; k < count; k++) {
    totalPos += pos[k];
    totalNeg += neg[k];
  }
  if (totalPos === 0 || totalNeg === 0) return { aucRoc: NaN, aucPr: NaN };
  let tp = 0;
  let fp = 0;
  let rocArea = 0;
  let ap = 0;
  for (let k = 0; k < count; k++) {
    rocArea += neg[k] * (tp + pos[k] / 2);
    tp += pos[k];
    fp += neg[k];
    if (pos[k] > 0) ap += (pos[k] / totalPos) * (tp / (tp + fp));
  }
  return { aucRoc: rocArea / (totalPos * totalNeg), aucPr: ap };
}

/** Positive and negative counts (or weights) at each distinct score, highest score first. */
interface Thresholds {
  pos: Float64Array;
  neg: Float64Array;
  count: number;
}

/** Thresholds from each class's scores, sorted natively and merged. */
function classThresholds(labels: ArrayLike<number>, scores: ArrayLike<number>): Thresholds {
  let nPos = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] > 0.5) nPos++;
  const posScores = new Float64Array(nPos);
  const negScores = new Float64Array(labels.length - nPos);
  let p = 0;
  let q = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] > 0.5) posScores[p++] = scores[i];
    else negScores[q++] = scores[i];
  }
  posScores.sort();
  negScores.sort();
  const out: Thresholds = {
    pos: new Float64Array(labels.length),
    neg: new Float64Array(labels.length),
    count: 0,
  };
  // i and j point one past the next unread score of each class.
  let i = posScores.length;
  let j = negScores.length;
  while (i > 0 || j > 0) {
    const t = Math.max(i > 0 ? posScores[i - 1] : -Infinity, j > 0 ? negScores[j - 1] : -Infinity);
    const k = out.count++;
    for (; i > 0 && posScores[i - 1] === t; i--) out.pos[k]++;
    for (; j > 0 && negScores[j - 1] === t; j--) out.neg[k]++;
  }
  return out;
}

/** Thresholds from row indices sorted by descending score, each row adding its weight. */
function weightedThresholds(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  weights: ArrayLike<number>,
): Thresholds {
  const n = scores.length;
  const keys = Float64Array.from(scores);
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => keys[b] - keys[a] || a - b);
  const out: Thresholds = { pos: new Float64Array(n), neg: new Float64Array(n), count: 0 };
  for (let i = 0; i < n;) {
    const s = keys[order[i]];
    const k = out.count++;
    for (; i < n && keys[order[i]] === s; i++) {
      if (labels[order[i]] > 0.5) out.pos[k] += weights[order[i]];
      else out.neg[k] += weights[order[i]];
    }
  }
  return out;
}

/** Area under the ROC curve; see `rankingMetrics`. */
export function aucRoc(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  weights?: ArrayLike<number>,
): number {
  return rankingMetrics(labels, scores, weights).aucRoc;
}

/** Average precision ("AUC-PR"); see `rankingMetrics`. */
export function aucPr(
  labels: ArrayLike<number>,
  scores: ArrayLike<number>,
  weights?: ArrayLike<number>,
): number {
  return rankingMetrics(labels, scores, weights).aucPr;
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
