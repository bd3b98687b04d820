import type { Command } from "commander";
import { integer, numberBetween, positiveNumber, seed, wholeNumber } from "./option-values.js";
import { generatePaysim, parseTypeMix, PAYSIM_FRAUD_RATE, type GenerateSummary } from "../data/index.js";
import { emit, table } from "./output.js";
import { Progress } from "./progress.js";
import { action } from "./run-command.js";

interface GenerateOptions {
  rows: number;
  seed: number;
  out: string;
  fraudRate?: number;
  steps?: number;
  customers?: number;
  amountScale?: number;
  typeMix?: string;
  hourShift?: number;
  json?: boolean;
}

/** `lakay generate paysim`: synthetic PaySim-format data, reproducible for a seed. */
export function registerGenerateCommands(program: Command): void {
  const generate = program.command("generate").description("generate synthetic data");
  generate
    .command("paysim")
    .description("write a synthetic PaySim-format CSV (deterministic for a seed; .gz if the name ends so)")
    .requiredOption("--rows <n>", "number of transactions", wholeNumber(1))
    .requiredOption("--seed <n>", "random seed", seed)
    .requiredOption("--out <file>", "output CSV (.csv or .csv.gz)")
    .option(
      "--fraud-rate <r>",
      `share of fraud rows (default ${PAYSIM_FRAUD_RATE.toFixed(5)}, as the public log)`,
      numberBetween(0, 0.5),
    )
    .option("--steps <n>", "hourly steps to spread the rows over (default 744 = 31 days)", wholeNumber(1))
    .option(
      "--customers <n>",
      "customer pool size; smaller means more repeat activity (default rows/4)",
      wholeNumber(2),
    )
    .option("--amount-scale <x>", "drift: multiply every amount by x", positiveNumber)
    .option("--type-mix <list>", "drift: type weights, e.g. TRANSFER=0.3,CASH_OUT=0.4 (others keep PaySim's)")
    .option("--hour-shift <h>", "drift: move the hour-of-day activity profile by h hours", integer)
    .option("--json", "print the summary as one JSON object")
    .addHelpText(
      "after",
      `
Examples:
  lakay generate paysim --rows 6362620 --seed 42 --out paysim-6.3m.csv
  lakay generate paysim --rows 100000 --seed 7 --fraud-rate 0.01 --out small.csv.gz
  lakay generate paysim --rows 100000 --seed 7 --amount-scale 1.8 --type-mix TRANSFER=0.3 --hour-shift 8 --out shifted.csv

The same --rows, --seed and options give the same file, byte for byte.`,
    )
    .action(
      action(async (o: GenerateOptions) => {
        const progress = new Progress("generating", o.rows, " rows");
        const summary = await generatePaysim(
          {
            rows: o.rows,
            seed: o.seed,
            fraudRate: o.fraudRate,
            steps: o.steps,
            customers: o.customers,
            drift: {
              amountScale: o.amountScale,
              typeMix: o.typeMix === undefined ? undefined : parseTypeMix(o.typeMix),
              hourShift: o.hourShift,
            },
            onProgress: (done) => progress.update(done),
          },
          o.out,
        );
        progress.done();
        emit(o, summary, () => process.stdout.write(human(summary)));
      }),
    );
}

function human(s: GenerateSummary): string {
  const fmt = (x: number) => x.toLocaleString("en-US");
  return (
    [
      `wrote ${s.file}: ${fmt(s.rows)} rows, ${fmt(s.bytes)} bytes, steps ${s.steps.min}-${s.steps.max}, seed ${s.seed}`,
      `fraud ${fmt(s.fraud)} (${((s.fraud / s.rows) * 100).toFixed(3)} %), flagged ${fmt(s.flaggedFraud)}, customer pool ${fmt(s.customers)}`,
      table(
        ["type", "rows", "share"],
        Object.entries(s.typeCounts).map(([t, c]) => [t, c, `${((c / s.rows) * 100).toFixed(2)} %`]),
      ),
    ].join("\n") + "\n"
  );
}
