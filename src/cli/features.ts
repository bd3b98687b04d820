import { Command, Option } from "commander";
import { readPaysim, writeFeatureCsv } from "../data/index.js";
import { buildFeatures, FEATURE_SET_VERSION } from "../features/index.js";
import { wholeNumber } from "./option-values.js";
import { emit } from "./output.js";
import { Progress } from "./progress.js";
import { action } from "./run-command.js";

interface BuildOptions {
  dataset: string;
  out: string;
  onBadRows: "fail" | "skip";
  sampleSize?: number;
  json?: boolean;
}

/** `lakay features build`: the model's feature matrix for a PaySim file, for inspection and other tools. */
export function registerFeaturesCommands(program: Command): void {
  const features = program.command("features").description("point-in-time model features");
  features
    .command("build")
    .description(
      "build the 11 point-in-time features of a PaySim CSV and write them as CSV (input row order)",
    )
    .requiredOption("--dataset <file>", "PaySim CSV (.csv or .csv.gz)")
    .requiredOption(
      "--out <file>",
      "feature matrix CSV to write (one column per feature, plus isFraud if labeled)",
    )
    .addOption(
      new Option("--on-bad-rows <mode>", "fail at the first bad row, or skip bad rows and count them")
        .choices(["fail", "skip"])
        .default("fail"),
    )
    .option("--sample-size <n>", "use only the first N rows of the file", wholeNumber(1))
    .option("--json", "print a JSON summary")
    .addHelpText(
      "after",
      `
Example:
  lakay features build --dataset data/paysim.csv --out features.csv

Each row sees only the same customer's earlier transactions; docs/features.md defines every feature.`,
    )
    .action(
      action(async (o: BuildOptions) => {
        const t0 = performance.now();
        const progress = new Progress("reading", undefined, " bytes");
        const read = await readPaysim(o.dataset, {
          onBadRows: o.onBadRows,
          sampleSize: o.sampleSize,
          destinationNames: false, // the features never look at them
          shared: true, // they become feature columns, read in place by the writer's worker
          onProgress: (b) => progress.update(b),
        });
        progress.done();
        // In shared memory, which the writer's worker reads in place; the transactions' money
        // columns become five of them (fresh pages cost ~10 us each on the VMs we run on).
        const m = buildFeatures(read.tx, { shared: true, consumeTransactions: true });
        const names = [...m.names];
        const columns: ArrayLike<number>[] = [...m.columns];
        if (read.tx.isFraud) {
          names.push("isFraud");
          columns.push(read.tx.isFraud);
        }
        await writeFeatureCsv(o.out, names, columns, m.rows);
        const summary = {
          dataset: o.dataset,
          out: o.out,
          rows: m.rows,
          columns: names,
          feature_set_version: FEATURE_SET_VERSION,
          rejected: read.rejected,
          seconds: Math.round(performance.now() - t0) / 1000,
        };
        emit(o, summary, () => {
          const skipped = Object.values(read.rejected).reduce((a, b) => a + b, 0);
          process.stdout.write(
            `wrote ${o.out}: ${m.rows.toLocaleString("en-US")} rows x ${names.length} columns` +
              (skipped ? ` (${skipped} bad rows skipped: ${JSON.stringify(read.rejected)})` : "") +
              "\n",
          );
        });
      }),
    );
}
