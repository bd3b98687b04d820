import { ratio, type ConfusionMatrix } from "./classification-metrics.js";

/**
 * `classification_report.txt`: the per-class table in scikit-learn's `classification_report` layout
 * (so people used to the original system read it at a glance), followed by the confusion matrix.
 */
export function classificationReport(
  c: ConfusionMatrix,
  opts: { threshold: number; digits?: number },
): string {
  const digits = opts.digits ?? 4;
  const names = ["legitimate", "fraud"];
  const rows = [
    perClass(c.tn, c.fn, c.fp, names[0]), // legitimate as the positive class: tp=tn, "fp"=fn, "fn"=fp
    perClass(c.tp, c.fp, c.fn, names[1]),
  ];
  const total = c.tn + c.fp + c.fn + c.tp;
  const width = Math.max(...names.map((n) => n.length), "weighted avg".length, digits);
  const num = (x: number) => x.toFixed(digits).padStart(9);
  const int = (x: number) => String(x).padStart(9);
  const line = (name: string, p: number, r: number, f: number, s: number) =>
    `${name.padStart(width)}  ${num(p)} ${num(r)} ${num(f)} ${int(s)}\n`;

  let out = `${"".padStart(width)}  ${["precision", "recall", "f1-score", "support"].map((h) => h.padStart(9)).join(" ")}\n\n`;
  for (const r of rows) out += line(r.name, r.precision, r.recall, r.f1, r.support);
  out += "\n";
  out += `${"accuracy".padStart(width)}  ${"".padStart(9)} ${"".padStart(9)} ${num(ratio(c.tp + c.tn, total))} ${int(total)}\n`;
  const avg = (k: "precision" | "recall" | "f1", weighted: boolean) =>
    weighted
      ? ratio(rows[0][k] * rows[0].support + rows[1][k] * rows[1].support, total)
      : (rows[0][k] + rows[1][k]) / 2;
  out += line("macro avg", avg("precision", false), avg("recall", false), avg("f1", false), total);
  out += line("weighted avg", avg("precision", true), avg("recall", true), avg("f1", true), total);

  const w = Math.max(9, String(total).length + 1);
  out += `\nConfusion matrix at threshold ${opts.threshold} (rows: actual, columns: predicted)\n\n`;
  out += `${"".padStart(width)}  ${"legitimate".padStart(w)} ${"fraud".padStart(w)}\n`;
  out += `${"legitimate".padStart(width)}  ${String(c.tn).padStart(w)} ${String(c.fp).padStart(w)}\n`;
  out += `${"fraud".padStart(width)}  ${String(c.fn).padStart(w)} ${String(c.tp).padStart(w)}\n`;
  return out;
}

function perClass(tp: number, fp: number, fn: number, name: string) {
  const precision = ratio(tp, tp + fp);
  const recall = ratio(tp, tp + fn);
  return { name, precision, recall, f1: ratio(2 * precision * recall, precision + recall), support: tp + fn };
}
