import { open } from "node:fs/promises";
import { BadInputError } from "../errors/index.js";
import { topContributions } from "../gbdt/index.js";

const FLUSH = 1 << 20;

/**
 * Writes per-row contributions (row-major, each row the features then the bias, as TreeSHAP
 * returns them) as CSV. Full form: one column per feature in the model's order, then `bias`
 * (XGBoost's `pred_contribs` column order). With `top`: for each rank k = 1..top the columns
 * `feature_k,value_k,contribution_k`, largest |contribution| first; empty cells past the
 * features that contributed. Contributions are float32 values, written with the fewest digits
 * that read back as the same float32; a missing feature value is an empty cell.
 */
export async function writeContributionsCsv(
  file: string,
  featureNames: readonly string[],
  contribs: Float64Array,
  rows: number,
  opts: { top?: number; columns?: readonly ArrayLike<number>[] } = {},
): Promise<void> {
  const fh = await open(file, "w").catch((err: NodeJS.ErrnoException) => {
    throw new BadInputError(`cannot write file (${err.code ?? err})`, { file });
  });
  try {
    const nf = featureNames.length;
    const width = nf + 1;
    const top = opts.top;
    let chunk =
      top === undefined
        ? `${[...featureNames, "bias"].join(",")}\n`
        : `${Array.from({ length: top }, (_, k) => `feature_${k + 1},value_${k + 1},contribution_${k + 1}`).join(",")}\n`;
    const values = new Float64Array(nf);
    for (let r = 0; r < rows; r++) {
      const row = contribs.subarray(r * width, (r + 1) * width);
      if (top === undefined) {
        chunk += Array.from(row, float32Text).join(",") + "\n";
      } else {
        for (let f = 0; f < nf; f++) values[f] = opts.columns ? opts.columns[f][r] : NaN;
        const best = topContributions(featureNames, values, row, top);
        const cells: string[] = [];
        for (let k = 0; k < top; k++) {
          const c = best[k];
          if (c)
            cells.push(c.feature, Number.isNaN(c.value) ? "" : String(c.value), float32Text(c.contribution));
          else cells.push("", "", "");
        }
        chunk += cells.join(",") + "\n";
      }
      if (chunk.length >= FLUSH) {
        await fh.write(chunk);
        chunk = "";
      }
    }
    await fh.write(chunk);
  } finally {
    await fh.close();
  }
}

/** Fewest significant digits (from 7) that read back as the same float32. */
function float32Text(v: number): string {
  const f = Math.fround(v);
  for (let digits = 7; digits < 9; digits++) {
    const text = f.toPrecision(digits);
    if (Math.fround(Number(text)) === f) return String(Number(text));
  }
  return String(Number(f.toPrecision(9)));
}
