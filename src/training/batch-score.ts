import { open } from "node:fs/promises";
import { readPaysim, TX_TYPES, type Transactions } from "../data/index.js";
import { BadInputError } from "../errors/index.js";
import { buildFeatures } from "../features/index.js";
import { loadModel, type ModelSourceOptions } from "./model-loader.js";
import { scoreFeatureMatrix } from "./score-features.js";

export interface BatchScoreOptions extends ModelSourceOptions {
  /** `models:/NAME/Production`, `models:/NAME/3`, `models:/NAME@alias`, or a model folder / model.json path. */
  model: string;
  /** PaySim CSV; labels optional. */
  dataset: string;
  out: string;
  onProgress?: (bytes: number, total: number) => void;
}

export interface BatchScoreSummary {
  model: string;
  model_name: string | null;
  version: number | null;
  dataset: string;
  out: string;
  rows: number;
  trees: number;
  seconds: number;
}

/**
 * Scores a raw PaySim file with a registered model: features are built point-in-time from the file
 * itself (the same code as training), and one `score` is written per input row, in input order,
 * beside the columns that identify the transaction (step, type, amount, nameOrig, nameDest, and
 * isFraud when the file has it, so the output can be backtested directly).
 */
export async function scoreDataset(o: BatchScoreOptions): Promise<BatchScoreSummary> {
  const t0 = performance.now();
  const loaded = await loadModel(o.model, o);
  const { booster, name, version } = loaded;
  const read = await readPaysim(o.dataset, { onProgress: o.onProgress });
  const scores = await scoreFeatureMatrix(loaded, buildFeatures(read.tx));
  await writeScores(o.out, read.tx, scores);
  return {
    model: o.model,
    model_name: name,
    version,
    dataset: o.dataset,
    out: o.out,
    rows: read.tx.rows,
    trees: booster.numTrees,
    seconds: Number(((performance.now() - t0) / 1000).toFixed(3)),
  };
}

const FLUSH = 1 << 20;

async function writeScores(file: string, tx: Transactions, scores: Float64Array): Promise<void> {
  const fh = await open(file, "w").catch((err: NodeJS.ErrnoException) => {
    throw new BadInputError(`cannot write file (${err.code ?? err})`, { file });
  });
  try {
    const labeled = tx.isFraud !== undefined;
    let chunk = `step,type,amount,nameOrig,nameDest${labeled ? ",isFraud" : ""},score\n`;
    for (let i = 0; i < tx.rows; i++) {
      chunk +=
        `${tx.step[i]},${TX_TYPES[tx.type[i]]},${tx.amount[i]},${tx.origNames.get(tx.nameOrig[i])},` +
        `${tx.destNames.get(tx.nameDest[i])}${labeled ? `,${tx.isFraud![i]}` : ""},${Number(scores[i].toPrecision(9))}\n`;
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
