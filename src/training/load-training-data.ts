import { readPaysim, type Transactions } from "../data/index.js";
import { BadInputError } from "../errors/index.js";
import { buildFeatures, type FeatureMatrix } from "../features/index.js";
import { sha256File } from "../registry/index.js";

/** A labeled PaySim file with its point-in-time features, ready to split. */
export interface TrainingDataset {
  file: string;
  sha256: string;
  tx: Transactions;
  features: FeatureMatrix;
  labels: Uint8Array;
  fraudRows: number;
}

/**
 * Reads the CSV, checks it can train a classifier at all (labels present, both classes, a sample size
 * the file can satisfy) and builds the features. Every refusal is a `BadInputError` naming the file.
 */
export async function loadTrainingData(
  file: string,
  opts: {
    sampleSize?: number;
    onProgress?: (bytes: number, total: number) => void;
    onPhase?: (p: string) => void;
  } = {},
): Promise<TrainingDataset> {
  if (opts.sampleSize !== undefined && !(Number.isInteger(opts.sampleSize) && opts.sampleSize >= 1)) {
    throw new BadInputError(`--sample-size must be a positive whole number of rows, got ${opts.sampleSize}`);
  }
  // Hash on another thread while reading; the reader's errors (missing file, bad row) come first.
  const hashing = sha256File(file, { offMainThread: true });
  hashing.catch(() => {});
  // Destination names stay un-interned: no feature, rule or report of a training reads them.
  const read = await readPaysim(file, {
    sampleSize: opts.sampleSize,
    onProgress: opts.onProgress,
    destinationNames: false,
  });
  const sha256 = await hashing;
  const { tx } = read;
  if (!read.labeled || !tx.isFraud) {
    throw new BadInputError("the dataset has no isFraud column: training needs labeled transactions", {
      file,
    });
  }
  if (opts.sampleSize !== undefined && opts.sampleSize > tx.rows) {
    throw new BadInputError(
      `--sample-size ${opts.sampleSize} is larger than the file (${tx.rows.toLocaleString("en-US")} rows)`,
      { file },
    );
  }
  let fraudRows = 0;
  for (let i = 0; i < tx.rows; i++) fraudRows += tx.isFraud[i];
  if (fraudRows === 0 || fraudRows === tx.rows) {
    throw new BadInputError(
      `the dataset has a single class (${fraudRows === 0 ? "no fraud" : "only fraud"} in ${tx.rows.toLocaleString("en-US")} rows): a fraud classifier needs both`,
      { file, column: "isFraud" },
    );
  }
  opts.onPhase?.("features");
  return { file, sha256, tx, features: buildFeatures(tx), labels: tx.isFraud, fraudRows };
}
